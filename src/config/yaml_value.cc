#include "config/yaml_value.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdio>

#include "config/yaml_reader.h"

namespace vigil::config {

YamlValue YamlValue::Str(std::string s) {
  YamlValue v;
  v.kind = Kind::kScalar;
  v.scalar = std::move(s);
  return v;
}

YamlValue::YamlValue() = default;
YamlValue::YamlValue(const YamlValue&) = default;
YamlValue::YamlValue(YamlValue&&) noexcept = default;
YamlValue& YamlValue::operator=(const YamlValue&) = default;
YamlValue& YamlValue::operator=(YamlValue&&) noexcept = default;
YamlValue::~YamlValue() = default;

YamlValue YamlValue::Seq() {
  YamlValue v;
  v.kind = Kind::kSeq;
  return v;
}

YamlValue YamlValue::Map() {
  YamlValue v;
  v.kind = Kind::kMap;
  return v;
}

bool YamlValue::empty() const {
  return kind == Kind::kNull || (kind == Kind::kSeq && seq.empty()) ||
         (kind == Kind::kMap && map.empty());
}

YamlValue YamlValue::Raw(std::string s) {
  YamlValue v = Str(std::move(s));
  v.is_string = false;
  return v;
}

YamlValue YamlValue::Float(double d) {
  if (d != d) return Raw(".nan");
  if (d == 1.0 / 0.0) return Raw(".inf");
  if (d == -1.0 / 0.0) return Raw("-.inf");
  // Shortest round-trip digits, then Go's 'g' choice for the shortest form: the exponent form
  // when exp < -4 || exp >= 6 (strconv.FormatFloat(v, 'g', -1, 64)).
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  int nd = int(digits.size());
  if (exp < -4 || exp >= 6) {
    // d.ddddde±XX with at least two exponent digits.
    std::string out = digits.substr(0, 1);
    if (nd > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return Raw((neg ? "-" : "") + out + eb);
  }
  std::string out;
  if (exp < 0) {
    out = "0." + std::string(size_t(-exp - 1), '0') + digits;
  } else if (exp + 1 >= nd) {
    out = digits + std::string(size_t(exp + 1 - nd), '0');
  } else {
    out = digits.substr(0, size_t(exp + 1)) + "." + digits.substr(size_t(exp + 1));
  }
  return Raw((neg ? "-" : "") + out);
}

YamlValue YamlValue::StrSeq(const std::vector<std::string>& items, bool flow) {
  YamlValue v = Seq();
  v.flow = flow;
  for (const auto& s : items) v.seq.push_back(Str(s));
  return v;
}

YamlValue& YamlValue::Add(std::string key, YamlValue v) {
  kind = Kind::kMap;
  map.push_back(YamlEntry{std::move(key), std::move(v)});
  return *this;
}

namespace {

struct Converter {
  size_t max_nodes;
  int max_depth;
  size_t nodes = 0;

  Status Convert(const YAML::Node& n, int depth, YamlValue* out) {
    if (++nodes > max_nodes) return Status::InvalidArgument("YAML document too large");
    if (depth > max_depth) return Status::InvalidArgument("YAML document nested too deeply");
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        *out = YamlValue();
        return Status::OK();
      case YAML::NodeType::Scalar:
        *out = YamlValue::Str(n.Scalar());
        out->is_string = IsQuoted(n) || ResolveTag(n.Scalar()) == "!!str";
        return Status::OK();
      case YAML::NodeType::Sequence:
        *out = YamlValue::Seq();
        for (const auto& item : n) {
          out->seq.emplace_back();
          VIGIL_RETURN_IF_ERROR(Convert(item, depth + 1, &out->seq.back()));
        }
        return Status::OK();
      case YAML::NodeType::Map:
        *out = YamlValue::Map();
        for (const auto& kv : n) {
          if (!kv.first.IsScalar()) return Status::InvalidArgument("non-scalar map key");
          out->map.push_back(YamlEntry{kv.first.Scalar(), YamlValue()});
          VIGIL_RETURN_IF_ERROR(Convert(kv.second, depth + 1, &out->map.back().second));
        }
        return Status::OK();
    }
    return Status::OK();
  }
};

bool IsPrintable(unsigned char c) { return c >= 0x20 && c != 0x7f; }

// Whether libyaml would emit s as a plain scalar in block context.
bool PlainAllowed(std::string_view s) {
  if (s.empty()) return false;
  if (s.front() == ' ' || s.back() == ' ') return false;
  static constexpr std::string_view kIndicators = ",[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s[0]) != std::string_view::npos) return false;
  if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && (s.size() == 1 || s[1] == ' ')) return false;
  if (s.back() == ':') return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return false;
  }
  if (s == "---" || s == "...") return false;
  for (unsigned char c : s) {
    if (!IsPrintable(c) && c < 0x80) return false;
  }
  return true;
}

std::string DoubleQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\x%02X", c);
          out += b;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

std::string Scalar(const YamlValue& v) {
  if (!v.is_string) return v.scalar;
  return EmitString(v.scalar);
}

bool IsEmptyCollection(const YamlValue& v) {
  return (v.kind == YamlValue::Kind::kSeq && v.seq.empty()) ||
         (v.kind == YamlValue::Kind::kMap && v.map.empty());
}

std::string Inline(const YamlValue& v) {
  switch (v.kind) {
    case YamlValue::Kind::kNull:
      return "null";
    case YamlValue::Kind::kScalar:
      return Scalar(v);
    case YamlValue::Kind::kSeq: {
      std::string out = "[";
      for (size_t i = 0; i < v.seq.size(); ++i) {
        if (i > 0) out += ", ";
        out += Inline(v.seq[i]);
      }
      return out + "]";
    }
    case YamlValue::Kind::kMap: {
      std::string out = "{";
      for (size_t i = 0; i < v.map.size(); ++i) {
        if (i > 0) out += ", ";
        out += EmitString(v.map[i].first) + ": " + Inline(v.map[i].second);
      }
      return out + "}";
    }
  }
  return "null";
}

void EmitMap(const YamlValue& v, int indent, bool first_inline, std::string* out);
void EmitSeq(const YamlValue& v, int indent, std::string* out);

// Writes " value\n" or "\n<block>" after a "key:" or "-".
void EmitAfterKey(const YamlValue& v, int indent, std::string* out) {
  if (v.kind == YamlValue::Kind::kScalar || v.kind == YamlValue::Kind::kNull ||
      IsEmptyCollection(v) || v.flow) {
    *out += ' ';
    *out += Inline(v);
    *out += '\n';
  } else if (v.kind == YamlValue::Kind::kMap) {
    *out += '\n';
    EmitMap(v, indent + 2, false, out);
  } else {
    *out += '\n';
    EmitSeq(v, indent, out);  // yaml.v2 does not indent a sequence under its key
  }
}

void EmitMap(const YamlValue& v, int indent, bool first_inline, std::string* out) {
  for (size_t i = 0; i < v.map.size(); ++i) {
    if (i > 0 || !first_inline) out->append(size_t(indent), ' ');
    *out += EmitString(v.map[i].first);
    *out += ':';
    EmitAfterKey(v.map[i].second, indent, out);
  }
}

void EmitSeq(const YamlValue& v, int indent, std::string* out) {
  for (const YamlValue& item : v.seq) {
    out->append(size_t(indent), ' ');
    *out += '-';
    if (item.kind == YamlValue::Kind::kMap && !item.map.empty() && !item.flow) {
      *out += ' ';
      EmitMap(item, indent + 2, true, out);
    } else if (item.kind == YamlValue::Kind::kSeq && !item.seq.empty() && !item.flow) {
      *out += '\n';
      EmitSeq(item, indent + 2, out);
    } else {
      EmitAfterKey(item, indent, out);
    }
  }
}

}  // namespace

Result<YamlValue> FromYamlCpp(const YAML::Node& node, size_t max_nodes, int max_depth) {
  Converter c{max_nodes, max_depth};
  YamlValue out;
  try {
    VIGIL_RETURN_IF_ERROR(c.Convert(node, 0, &out));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(e.what());
  }
  return out;
}

std::string EmitString(std::string_view s) {
  if (ResolveTag(s) != "!!str") return DoubleQuote(s);  // would read back as bool/int/null
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return DoubleQuote(s);
  }
  if (PlainAllowed(s)) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string EmitYaml(const YamlValue& v) {
  std::string out;
  if (v.kind == YamlValue::Kind::kMap && !v.map.empty()) {
    EmitMap(v, 0, false, &out);
  } else if (v.kind == YamlValue::Kind::kSeq && !v.seq.empty()) {
    EmitSeq(v, 0, &out);
  } else {
    out = Inline(v) + "\n";
  }
  return out;
}

}  // namespace vigil::config
