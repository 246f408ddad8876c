// YamlValue: a small owned YAML tree (null, scalar, sequence, ordered map) and an emitter that
// writes it the way Go's gopkg.in/yaml.v2 marshals (sequences inside maps not indented, plain
// scalars where they read back as the same string, otherwise quoted), so that
// /api/v1/status/config looks like Prometheus'.
//
// Also holds configuration sections Vigil accepts but does not implement yet (e.g.
// kubernetes_sd_configs) verbatim, detached from yaml-cpp. A YamlValue is a plain value type;
// const access is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace YAML {
class Node;
}

namespace vigil::config {

struct YamlEntry;

struct YamlValue {
  enum class Kind { kNull, kScalar, kSeq, kMap };
  // Out of line: YamlEntry (used by `map`) is incomplete here.
  YamlValue();
  YamlValue(const YamlValue&);
  YamlValue(YamlValue&&) noexcept;
  YamlValue& operator=(const YamlValue&);
  YamlValue& operator=(YamlValue&&) noexcept;
  ~YamlValue();

  Kind kind = Kind::kNull;
  std::string scalar;
  // For kScalar: true if the text is a string that must stay a string (emitted quoted when it
  // would otherwise read back as a bool/number/null). False for numbers and bools we emit.
  bool is_string = true;
  bool flow = false;  // kSeq: emit as [a, b]
  std::vector<YamlValue> seq;
  std::vector<YamlEntry> map;  // in document order

  static YamlValue Str(std::string s);
  static YamlValue Raw(std::string s);  // a number or bool, emitted unquoted
  static YamlValue Bool(bool b) { return Raw(b ? "true" : "false"); }
  static YamlValue Int(int64_t v) { return Raw(std::to_string(v)); }
  static YamlValue Uint(uint64_t v) { return Raw(std::to_string(v)); }
  static YamlValue Float(double v);  // Go's strconv.FormatFloat(v, 'g', -1, 64)
  static YamlValue Seq();
  static YamlValue Map();
  static YamlValue StrSeq(const std::vector<std::string>& items, bool flow = false);

  // Map building; Add appends (keys are not checked for duplicates).
  YamlValue& Add(std::string key, YamlValue v);
  // Null, or a sequence or map without items.
  bool empty() const;
};

// One map entry (a named struct rather than std::pair, which needs YamlValue complete).
struct YamlEntry {
  std::string first;
  YamlValue second;
};

// Converts a yaml-cpp node, bounded: at most `max_nodes` nodes in total (aliases counted each
// time they are used) and `max_depth` levels, else InvalidArgument. yaml-cpp exceptions are
// caught.
Result<YamlValue> FromYamlCpp(const YAML::Node& node, size_t max_nodes = 100000,
                              int max_depth = 64);

// yaml.v2-style document text, ending in '\n'.
std::string EmitYaml(const YamlValue& v);
// A scalar as yaml.v2 would write a Go string.
std::string EmitString(std::string_view s);

}  // namespace vigil::config
