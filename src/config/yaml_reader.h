// Strict YAML decoding on top of yaml-cpp, with the rules of Go's yaml.v2 UnmarshalStrict as
// Prometheus uses it: unknown or repeated keys are errors, scalars are typed by YAML 1.1
// resolution (quoted "10" is a string, not an int; yes/no/on/off are bools), merge keys (<<)
// work, null sets a field to its zero value. Every error names the file, the line and the key:
//
//   prometheus.yml:12: field scrape_intervall not found in type config.ScrapeConfig
//   prometheus.yml:7: scrape_interval: not a valid duration string: "1x"
//
// Use: a MapReader per YAML map, one typed call per known key, then Finish(), which returns
// the first error in document order (including unknown keys). Readers never throw; yaml-cpp
// exceptions must be caught by the caller around YAML::Load. Not thread-safe; a reader borrows
// the YamlDoc and the node and must not outlive them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace vigil::config {

// The YAML 1.1 type (as yaml.v2 resolves it) of a plain scalar: "!!null", "!!bool", "!!int",
// "!!float" or "!!str".
std::string_view ResolveTag(std::string_view plain);
// True for quoted or block scalars (always strings) and explicit !!str tags.
bool IsQuoted(const YAML::Node& n);
// The tag yaml.v2 would report for a node in errors ("!!map", "!!seq", "!!str", ...).
std::string NodeTag(const YAML::Node& n);
// 1-based line of a node, 0 if unknown.
int NodeLine(const YAML::Node& n);

// Scalar conversions with yaml.v2's rules; errors are "cannot unmarshal !!str `x` into int".
Result<std::string> DecodeString(const YAML::Node& n);
Result<bool> DecodeBool(const YAML::Node& n);
Result<int64_t> DecodeInt(const YAML::Node& n);
Result<uint64_t> DecodeUint(const YAML::Node& n);
Result<double> DecodeFloat(const YAML::Node& n);

// The document being decoded; makes "file:line: message" errors.
class YamlDoc {
 public:
  explicit YamlDoc(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }
  // InvalidArgument "file:line: msg" ("file: msg" when line <= 0).
  Status Error(int line, std::string_view msg) const;

 private:
  std::string file_;
};

class MapReader {
 public:
  // `node` must be a map; null or undefined reads as an empty map; anything else is recorded
  // as "cannot unmarshal !!seq into <type_name>". `line` locates the map in messages when the
  // node itself has no position (e.g. a null value).
  MapReader(const YamlDoc& doc, const YAML::Node& node, std::string type_name, int line);

  const YamlDoc& doc() const { return doc_; }
  int line() const { return line_; }
  const std::string& type_name() const { return type_name_; }
  bool Has(std::string_view key) const;
  // Line of `key` (0 if absent).
  int KeyLine(std::string_view key) const;
  // Marks `key` as known and returns its value node (an invalid node if absent).
  YAML::Node Take(std::string_view key);

  // Typed fields: if `key` is present, decode its value into *out (null gives the zero value)
  // and return true; on a bad value record "<key>: <reason>" and return false; if absent
  // leave *out alone and return false.
  bool Str(std::string_view key, std::string* out);
  bool Bool(std::string_view key, bool* out);
  bool OptBool(std::string_view key, std::optional<bool>* out);
  bool Int(std::string_view key, int64_t* out);
  bool Uint(std::string_view key, uint64_t* out);
  bool Float(std::string_view key, double* out);
  bool Duration(std::string_view key, int64_t* out_ms);
  bool Bytes(std::string_view key, int64_t* out_bytes);
  bool StrList(std::string_view key, std::vector<std::string>* out);
  bool StrMap(std::string_view key, std::map<std::string, std::string>* out);
  bool StrListMap(std::string_view key, std::map<std::string, std::vector<std::string>>* out);

  // A nested value decoded by `fn(node, key_line) -> Status`, for structs and lists.
  template <typename F>
  bool Nested(std::string_view key, F&& fn) {
    if (!Has(key)) return false;
    int kl = KeyLine(key);
    YAML::Node v = Take(key);
    Status s = fn(v, kl);
    if (!s.ok()) {
      Fail(kl, s);
      return false;
    }
    return true;
  }

  // A list of structs: each item decoded by `fn(item_node, item_line, T*) -> Status`; a null
  // item is the error `null_item_error` (Prometheus' "empty or null ... section").
  template <typename T, typename F>
  bool List(std::string_view key, std::vector<T>* out, std::string_view null_item_error, F&& fn) {
    return Nested(key, [&](const YAML::Node& v, int kl) -> Status {
      out->clear();
      if (!v.IsDefined() || v.IsNull()) return Status::OK();
      if (!v.IsSequence()) {
        return doc_.Error(
            NodeLine(v) > 0 ? NodeLine(v) : kl,
            std::string(key) + ": cannot unmarshal " + NodeTag(v) + " into a sequence");
      }
      for (const auto& item : v) {
        // A null item has no useful position of its own: report the list's key.
        if (item.IsNull()) return doc_.Error(kl, null_item_error);
        int il = NodeLine(item) > 0 ? NodeLine(item) : kl;
        out->emplace_back();
        VIGIL_RETURN_IF_ERROR(fn(item, il, &out->back()));
      }
      return Status::OK();
    });
  }

  // Records an error (already formatted with file:line); the one earliest in the document is
  // returned by Finish().
  void Fail(int line, Status s);
  // Records "file:<key line>: <key>: msg".
  void FailKey(std::string_view key, std::string_view msg);
  bool ok() const { return err_.ok(); }

  // Accepts keys nobody takes (lenient decoding, like Go's encoding/json).
  void IgnoreUnknown() { ignore_unknown_ = true; }

  // Reports keys nobody took ("field x not found in type T") and returns the earliest error.
  Status Finish();

 private:
  struct Entry {
    std::string key;
    YAML::Node value;
    int line = 0;
    bool taken = false;
  };
  Entry* Find(std::string_view key);
  const Entry* Find(std::string_view key) const;
  template <typename T, typename F>
  bool Scalar(std::string_view key, T* out, F&& decode);

  const YamlDoc& doc_;
  std::string type_name_;
  int line_ = 0;
  std::vector<Entry> entries_;
  Status err_;
  int err_line_ = 0;
  bool ignore_unknown_ = false;
};

}  // namespace vigil::config
