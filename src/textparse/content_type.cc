#include "textparse/content_type.h"

#include <cctype>
#include <string>
#include <vector>

#include "model/labels.h"

namespace vigil::textparse {

namespace {

struct ProtocolInfo {
  ScrapeProtocol protocol;
  std::string_view name;
  std::string_view header;
  Format format;
  bool escaping;  // the header carries ;escaping=...
};

constexpr ProtocolInfo kProtocols[] = {
    {ScrapeProtocol::kOpenMetricsText1_0_0, "OpenMetricsText1.0.0",
     "application/openmetrics-text;version=1.0.0", Format::kOpenMetrics, true},
    {ScrapeProtocol::kOpenMetricsText0_0_1, "OpenMetricsText0.0.1",
     "application/openmetrics-text;version=0.0.1", Format::kOpenMetrics, false},
    {ScrapeProtocol::kPrometheusText1_0_0, "PrometheusText1.0.0", "text/plain;version=1.0.0",
     Format::kPrometheusText, true},
    {ScrapeProtocol::kPrometheusText0_0_4, "PrometheusText0.0.4", "text/plain;version=0.0.4",
     Format::kPrometheusText, false},
};

// Prometheus knows five protocols (with PrometheusProto); its first weight is one more.
constexpr int kFirstWeight = 6;

const ProtocolInfo& Info(ScrapeProtocol p) {
  for (const auto& i : kProtocols) {
    if (i.protocol == p) return i;
  }
  return kProtocols[0];
}

bool IsTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

size_t TokenLen(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsTokenChar(s[i])) ++i;
  return i;
}

// A subset of Go's mime.ParseMediaType: returns the lower-cased media type, or nullopt if
// the value is malformed (bad type/subtype, a parameter that is not token=token|"quoted",
// or a duplicate parameter).
std::optional<std::string> ParseMediaType(std::string_view v) {
  size_t semi = v.find(';');
  std::string_view type = TrimSpace(v.substr(0, semi));
  size_t n = TokenLen(type);
  if (n == 0) return std::nullopt;
  if (n < type.size()) {
    if (type[n] != '/') return std::nullopt;
    size_t m = TokenLen(type.substr(n + 1));
    if (m == 0 || n + 1 + m != type.size()) return std::nullopt;
  }
  std::string out(type);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (semi == std::string_view::npos) return out;
  std::vector<std::string> keys;
  std::string_view rest = v.substr(semi);
  while (!rest.empty()) {
    rest = TrimSpace(rest);
    if (rest.empty()) break;
    if (rest.front() != ';') return std::nullopt;
    rest = TrimSpace(rest.substr(1));
    if (rest.empty()) break;  // trailing ';' is ignored
    size_t kn = TokenLen(rest);
    if (kn == 0) return std::nullopt;
    std::string key(rest.substr(0, kn));
    for (char& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
    rest = TrimSpace(rest.substr(kn));
    if (rest.empty() || rest.front() != '=') return std::nullopt;
    rest = TrimSpace(rest.substr(1));
    if (!rest.empty() && rest.front() == '"') {
      size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\') ++i;
      }
      if (i >= rest.size()) return std::nullopt;
      rest = rest.substr(i + 1);
    } else {
      size_t vn = TokenLen(rest);
      if (vn == 0) return std::nullopt;
      rest = rest.substr(vn);
    }
    for (const auto& k : keys) {
      if (k == key) return std::nullopt;
    }
    keys.push_back(std::move(key));
  }
  return out;
}

std::string_view FormatMediaType(Format f) {
  return f == Format::kOpenMetrics ? "application/openmetrics-text" : "text/plain";
}

}  // namespace

std::string_view ScrapeProtocolName(ScrapeProtocol p) { return Info(p).name; }
std::string_view ScrapeProtocolHeader(ScrapeProtocol p) { return Info(p).header; }
Format ScrapeProtocolFormat(ScrapeProtocol p) { return Info(p).format; }

Result<ScrapeProtocol> ParseScrapeProtocol(std::string_view name) {
  for (const auto& i : kProtocols) {
    if (i.name == name) return i.protocol;
  }
  if (name == "PrometheusProto") {
    return Status::InvalidArgument(
        "scrape protocol PrometheusProto is not supported, supported: OpenMetricsText0.0.1, "
        "OpenMetricsText1.0.0, PrometheusText0.0.4, PrometheusText1.0.0");
  }
  return Status::InvalidArgument("unknown scrape protocol " + std::string(name) +
                                 ", supported: OpenMetricsText0.0.1, OpenMetricsText1.0.0, "
                                 "PrometheusText0.0.4, PrometheusText1.0.0");
}

std::string AcceptHeader(std::span<const ScrapeProtocol> protocols, std::string_view escaping) {
  std::string out;
  int weight = kFirstWeight;
  for (ScrapeProtocol p : protocols) {
    const ProtocolInfo& i = Info(p);
    out.append(i.header);
    if (i.escaping) {
      out += ";escaping=";
      out.append(escaping);
    }
    // Go prints fmt.Sprintf("q=0.%d", weight): weights above 9 would read 0.10, as there.
    out += ";q=0." + std::to_string(weight) + ",";
    --weight;
  }
  out += "*/*;q=0." + std::to_string(weight);
  return out;
}

const std::string& DefaultAcceptHeader() {
  static const std::string kHeader = AcceptHeader(kDefaultScrapeProtocols);
  return kHeader;
}

Result<ContentTypeChoice> ChooseFormat(std::string_view content_type,
                                       std::optional<Format> fallback) {
  auto use_fallback = [&](std::string problem) -> Result<ContentTypeChoice> {
    if (!fallback.has_value()) {
      return Status::InvalidArgument(problem +
                                     " and no fallback_scrape_protocol specified for "
                                     "target");
    }
    ContentTypeChoice c;
    c.format = *fallback;
    c.warning =
        problem + ", using fallback_scrape_protocol " + QuoteString(FormatMediaType(*fallback));
    return c;
  };
  if (TrimSpace(content_type).empty()) {
    return use_fallback("non-compliant scrape target sending blank Content-Type");
  }
  std::optional<std::string> media = ParseMediaType(content_type);
  if (!media.has_value()) {
    return use_fallback("cannot parse Content-Type " + QuoteString(content_type));
  }
  if (*media == "text/plain") return ContentTypeChoice{Format::kPrometheusText, ""};
  if (*media == "application/openmetrics-text") return ContentTypeChoice{Format::kOpenMetrics, ""};
  return use_fallback("received unsupported Content-Type " + QuoteString(content_type));
}

}  // namespace vigil::textparse
