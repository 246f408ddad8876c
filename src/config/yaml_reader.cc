#include "config/yaml_reader.h"

#include <charconv>
#include <climits>
#include <cmath>

#include "config/duration.h"

namespace vigil::config {

namespace {

bool OneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  for (auto v : set) {
    if (s == v) return true;
  }
  return false;
}

bool IsTrue(std::string_view s) {
  return OneOf(s, {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"});
}
bool IsFalse(std::string_view s) {
  return OneOf(s, {"n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"});
}

// Go's strconv.ParseInt(s, 0, 64) after yaml.v2 removed '_': optional sign, 0x/0o/0b/0 prefix.
std::optional<int64_t> ParseGoInt(std::string_view s) {
  std::string clean;
  for (char c : s) {
    if (c != '_') clean += c;
  }
  std::string_view v = clean;
  bool neg = false;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    neg = v[0] == '-';
    v.remove_prefix(1);
  }
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    base = 16, v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
    base = 8, v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B')) {
    base = 2, v.remove_prefix(2);
  } else if (v.size() > 1 && v[0] == '0') {
    base = 8, v.remove_prefix(1);
  }
  if (v.empty()) return std::nullopt;
  uint64_t u = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), u, base);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return std::nullopt;
  if (neg) {
    if (u > uint64_t(INT64_MAX) + 1) return std::nullopt;
    return int64_t(0 - u);
  }
  if (u > uint64_t(INT64_MAX)) return std::nullopt;
  return int64_t(u);
}

std::optional<double> ParseGoFloat(std::string_view s) {
  if (OneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return HUGE_VAL;
  if (OneOf(s, {"-.inf", "-.Inf", "-.INF"})) return -HUGE_VAL;
  if (OneOf(s, {".nan", ".NaN", ".NAN"})) return NAN;
  // yaml.v2's float pattern: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::string clean;
  for (char c : s) {
    if (c != '_') clean += c;
  }
  std::string_view v = clean;
  if (!v.empty() && v[0] == '+') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  size_t i = v[0] == '-' ? 1 : 0;
  size_t digits = 0, frac = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++frac;
  }
  if (digits == 0 && frac == 0) return std::nullopt;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    size_t e = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++e;
    if (e == 0) return std::nullopt;
  }
  if (i != v.size()) return std::nullopt;
  double d = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), d);
  if (r.ec != std::errc() && r.ec != std::errc::result_out_of_range) return std::nullopt;
  return d;
}

Status CannotUnmarshal(const YAML::Node& n, std::string_view into) {
  std::string msg = "cannot unmarshal " + NodeTag(n);
  if (n.IsScalar()) msg += " `" + n.Scalar() + "`";
  return Status::InvalidArgument(msg + " into " + std::string(into));
}

}  // namespace

std::string_view ResolveTag(std::string_view s) {
  if (OneOf(s, {"", "~", "null", "Null", "NULL"})) return "!!null";
  if (IsTrue(s) || IsFalse(s)) return "!!bool";
  if (ParseGoInt(s)) return "!!int";
  if (ParseGoFloat(s)) return "!!float";  // includes integers too large for int64
  return "!!str";
}

bool IsQuoted(const YAML::Node& n) {
  const std::string& t = n.Tag();
  return t == "!" || t == "tag:yaml.org,2002:str";
}

std::string NodeTag(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "!!null";
  if (n.IsSequence()) return "!!seq";
  if (n.IsMap()) return "!!map";
  if (IsQuoted(n)) return "!!str";
  const std::string& t = n.Tag();
  if (t.rfind("tag:yaml.org,2002:", 0) == 0) return "!!" + t.substr(18);
  return std::string(ResolveTag(n.Scalar()));
}

int NodeLine(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  YAML::Mark m = n.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
}

Result<std::string> DecodeString(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return std::string();
  if (!n.IsScalar()) return CannotUnmarshal(n, "string");
  return n.Scalar();
}

Result<bool> DecodeBool(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return false;
  if (!n.IsScalar() || IsQuoted(n)) return CannotUnmarshal(n, "bool");
  if (IsTrue(n.Scalar())) return true;
  if (IsFalse(n.Scalar())) return false;
  return CannotUnmarshal(n, "bool");
}

Result<int64_t> DecodeInt(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return int64_t{0};
  if (!n.IsScalar() || IsQuoted(n)) return CannotUnmarshal(n, "int");
  std::optional<int64_t> v = ParseGoInt(n.Scalar());
  if (!v) return CannotUnmarshal(n, "int");
  return *v;
}

Result<uint64_t> DecodeUint(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return uint64_t{0};
  if (!n.IsScalar() || IsQuoted(n)) return CannotUnmarshal(n, "uint");
  std::optional<int64_t> v = ParseGoInt(n.Scalar());
  if (!v || *v < 0) return CannotUnmarshal(n, "uint");
  return uint64_t(*v);
}

Result<double> DecodeFloat(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return 0.0;
  if (!n.IsScalar() || IsQuoted(n)) return CannotUnmarshal(n, "float64");
  if (std::optional<int64_t> i = ParseGoInt(n.Scalar())) return double(*i);
  std::optional<double> d = ParseGoFloat(n.Scalar());
  if (!d) return CannotUnmarshal(n, "float64");
  return *d;
}

Status YamlDoc::Error(int line, std::string_view msg) const {
  std::string out = file_;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  out += msg;
  return Status::InvalidArgument(out);
}

MapReader::MapReader(const YamlDoc& doc, const YAML::Node& node, std::string type_name, int line)
    : doc_(doc),
      type_name_(std::move(type_name)),
      line_(NodeLine(node) > 0 ? NodeLine(node) : line) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    Fail(line_, doc_.Error(line_, CannotUnmarshal(node, type_name_).message()));
    return;
  }
  std::vector<Entry> merged;
  for (const auto& kv : node) {
    int kl = NodeLine(kv.first) > 0 ? NodeLine(kv.first) : line_;
    if (!kv.first.IsScalar()) {
      Fail(kl,
           doc_.Error(kl, "cannot unmarshal " + NodeTag(kv.first) + " as a key of " + type_name_));
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (key == "<<" && !IsQuoted(kv.first)) {
      // Merge key: the entries of a map (or of a list of maps, earlier ones winning) apply
      // unless the map sets them itself.
      std::vector<YAML::Node> sources;
      if (kv.second.IsMap()) {
        sources.push_back(kv.second);
      } else if (kv.second.IsSequence()) {
        for (const auto& m : kv.second) sources.push_back(m);
      }
      if (sources.empty()) {
        Fail(kl, doc_.Error(kl, "map merge requires map or sequence of maps as the value"));
        continue;
      }
      for (const auto& src : sources) {
        if (!src.IsMap()) {
          Fail(kl, doc_.Error(kl, "map merge requires map or sequence of maps as the value"));
          continue;
        }
        for (const auto& mkv : src) {
          if (!mkv.first.IsScalar()) continue;
          bool seen = false;
          for (const auto& e : merged) seen = seen || e.key == mkv.first.Scalar();
          if (!seen) merged.push_back(Entry{mkv.first.Scalar(), mkv.second, kl, false});
        }
      }
      continue;
    }
    if (Find(key) != nullptr) {
      Fail(kl, doc_.Error(kl, "field " + key + " already set in type " + type_name_));
      continue;
    }
    entries_.push_back(Entry{key, kv.second, kl, false});
  }
  for (auto& m : merged) {
    if (Find(m.key) == nullptr) entries_.push_back(std::move(m));
  }
}

MapReader::Entry* MapReader::Find(std::string_view key) {
  for (auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

const MapReader::Entry* MapReader::Find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

bool MapReader::Has(std::string_view key) const { return Find(key) != nullptr; }

int MapReader::KeyLine(std::string_view key) const {
  const Entry* e = Find(key);
  return e ? e->line : 0;
}

YAML::Node MapReader::Take(std::string_view key) {
  Entry* e = Find(key);
  if (e == nullptr) return YAML::Node(YAML::NodeType::Undefined);
  e->taken = true;
  return e->value;
}

void MapReader::Fail(int line, Status s) {
  if (s.ok()) return;
  if (err_.ok() || (line > 0 && line < err_line_)) {
    err_ = std::move(s);
    err_line_ = line > 0 ? line : INT_MAX;
  }
}

void MapReader::FailKey(std::string_view key, std::string_view msg) {
  int kl = KeyLine(key);
  Fail(kl > 0 ? kl : line_,
       doc_.Error(kl > 0 ? kl : line_, std::string(key) + ": " + std::string(msg)));
}

template <typename T, typename F>
bool MapReader::Scalar(std::string_view key, T* out, F&& decode) {
  if (!Has(key)) return false;
  YAML::Node v = Take(key);
  Result<T> r = decode(v);
  if (!r) {
    // Like yaml.v2, a bad value is reported at the value's line (a block value starts below
    // its key).
    int line = NodeLine(v) > 0 ? NodeLine(v) : KeyLine(key);
    Fail(line, doc_.Error(line, std::string(key) + ": " + std::string(r.error().message())));
    return false;
  }
  *out = std::move(r).value();
  return true;
}

bool MapReader::Str(std::string_view key, std::string* out) {
  return Scalar(key, out, DecodeString);
}
bool MapReader::Bool(std::string_view key, bool* out) { return Scalar(key, out, DecodeBool); }
bool MapReader::OptBool(std::string_view key, std::optional<bool>* out) {
  bool v = false;
  if (!Has(key)) return false;
  YAML::Node n = Take(key);
  if (n.IsNull()) {
    out->reset();
    return true;
  }
  Result<bool> r = DecodeBool(n);
  if (!r) {
    FailKey(key, r.error().message());
    return false;
  }
  v = *r;
  *out = v;
  return true;
}
bool MapReader::Int(std::string_view key, int64_t* out) { return Scalar(key, out, DecodeInt); }
bool MapReader::Uint(std::string_view key, uint64_t* out) { return Scalar(key, out, DecodeUint); }
bool MapReader::Float(std::string_view key, double* out) { return Scalar(key, out, DecodeFloat); }

bool MapReader::Duration(std::string_view key, int64_t* out_ms) {
  return Scalar(key, out_ms, [](const YAML::Node& n) -> Result<int64_t> {
    if (!n.IsDefined() || n.IsNull()) return int64_t{0};
    if (!n.IsScalar()) return CannotUnmarshal(n, "string");
    return ParseDuration(n.Scalar());
  });
}

bool MapReader::Bytes(std::string_view key, int64_t* out_bytes) {
  return Scalar(key, out_bytes, [](const YAML::Node& n) -> Result<int64_t> {
    if (!n.IsDefined() || n.IsNull()) return int64_t{0};
    if (!n.IsScalar()) return CannotUnmarshal(n, "string");
    return ParseBytes(n.Scalar());
  });
}

bool MapReader::StrList(std::string_view key, std::vector<std::string>* out) {
  return Scalar(key, out, [](const YAML::Node& n) -> Result<std::vector<std::string>> {
    std::vector<std::string> v;
    if (!n.IsDefined() || n.IsNull()) return v;
    if (!n.IsSequence()) return CannotUnmarshal(n, "[]string");
    for (const auto& item : n) {
      VIGIL_ASSIGN_OR_RETURN(std::string s, DecodeString(item));
      v.push_back(std::move(s));
    }
    return v;
  });
}

bool MapReader::StrMap(std::string_view key, std::map<std::string, std::string>* out) {
  return Scalar(key, out, [](const YAML::Node& n) -> Result<std::map<std::string, std::string>> {
    std::map<std::string, std::string> m;
    if (!n.IsDefined() || n.IsNull()) return m;
    if (!n.IsMap()) return CannotUnmarshal(n, "map[string]string");
    for (const auto& kv : n) {
      VIGIL_ASSIGN_OR_RETURN(std::string k, DecodeString(kv.first));
      VIGIL_ASSIGN_OR_RETURN(std::string v, DecodeString(kv.second));
      if (m.count(k)) return Status::InvalidArgument("key " + k + " already set in map");
      m.emplace(std::move(k), std::move(v));
    }
    return m;
  });
}

bool MapReader::StrListMap(std::string_view key,
                           std::map<std::string, std::vector<std::string>>* out) {
  using M = std::map<std::string, std::vector<std::string>>;
  return Scalar(key, out, [](const YAML::Node& n) -> Result<M> {
    M m;
    if (!n.IsDefined() || n.IsNull()) return m;
    if (!n.IsMap()) return CannotUnmarshal(n, "map[string][]string");
    for (const auto& kv : n) {
      VIGIL_ASSIGN_OR_RETURN(std::string k, DecodeString(kv.first));
      if (m.count(k)) return Status::InvalidArgument("key " + k + " already set in map");
      std::vector<std::string>& list = m[k];
      if (kv.second.IsNull()) continue;
      if (!kv.second.IsSequence()) return CannotUnmarshal(kv.second, "[]string");
      for (const auto& item : kv.second) {
        VIGIL_ASSIGN_OR_RETURN(std::string s, DecodeString(item));
        list.push_back(std::move(s));
      }
    }
    return m;
  });
}

Status MapReader::Finish() {
  for (const auto& e : entries_) {
    if (!e.taken && !ignore_unknown_) {
      Fail(e.line, doc_.Error(e.line, "field " + e.key + " not found in type " + type_name_));
    }
  }
  return err_;
}

}  // namespace vigil::config
