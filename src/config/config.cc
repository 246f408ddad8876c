#include "config/config.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/duration.h"
#include "config/yaml_reader.h"

namespace vigil::config {

namespace {

using relabel::GoQuote;
using relabel::NameValidation;

// Service discovery kinds Prometheus knows besides static/file/http: accepted and kept verbatim.
constexpr std::string_view kRawSDKinds[] = {
    "aws",        "azure",     "consul",      "digitalocean", "docker",   "dockerswarm", "dns",
    "ec2",        "ecs",       "elasticache", "eureka",       "gce",      "hetzner",     "ionos",
    "kubernetes", "kuma",      "lightsail",   "linode",       "marathon", "msk",         "nerve",
    "nomad",      "oci",       "openstack",   "outscale",     "ovhcloud", "puppetdb",    "rds",
    "scaleway",   "serverset", "stackit",     "triton",       "uyuni",    "vultr",
};

constexpr std::string_view kScrapeProtocols[] = {
    "OpenMetricsText0.0.1", "OpenMetricsText1.0.0", "PrometheusProto",
    "PrometheusText0.0.4",  "PrometheusText1.0.0",
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Go's http.CanonicalHeaderKey for ASCII tokens: "x-foo-bar" -> "X-Foo-Bar".
std::string CanonicalHeader(std::string_view s) {
  std::string out(s);
  bool upper = true;
  for (char& c : out) {
    if (c == ' ') return std::string(s);  // not a token: unchanged, as Go does
    c = upper ? char(std::toupper(static_cast<unsigned char>(c)))
              : char(std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return out;
}

bool MatchesRulePath(std::string_view p) {
  // ^[^*]*(\*[^/]*)?$ : at most one '*', and only in the last path element.
  size_t star = p.find('*');
  if (star == std::string_view::npos) return true;
  std::string_view rest = p.substr(star + 1);
  return rest.find('*') == std::string_view::npos && rest.find('/') == std::string_view::npos;
}

bool MatchesFileSDName(std::string_view p) {
  // ^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$
  if (!MatchesRulePath(p)) return false;
  for (std::string_view ext : {".json", ".yml", ".yaml", ".JSON", ".YML", ".YAML"}) {
    if (p.size() >= ext.size() && p.substr(p.size() - ext.size()) == ext) return true;
  }
  return false;
}

struct URLParts {
  std::string scheme, host;
};

// The parts of url.Parse that Prometheus' checks look at.
Result<URLParts> ParseURL(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("parse " + GoQuote(s) +
                                     ": net/url: invalid control character in URL");
    }
  }
  URLParts u;
  size_t colon = s.find(':');
  size_t i = 0;
  if (colon != std::string_view::npos) {
    bool scheme_ok = colon > 0 && std::isalpha(static_cast<unsigned char>(s[0]));
    for (size_t k = 0; k < colon && scheme_ok; ++k) {
      char c = s[k];
      scheme_ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    }
    if (colon == 0) {
      return Status::InvalidArgument("parse " + GoQuote(s) + ": missing protocol scheme");
    }
    if (scheme_ok) {
      u.scheme = Lower(s.substr(0, colon));
      i = colon + 1;
    }
  }
  std::string_view rest = s.substr(i);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) authority.remove_prefix(at + 1);
    u.host = std::string(authority);
  }
  return u;
}

std::string JoinDir(const std::string& dir, const std::string& path) {
  if (path.empty() || dir.empty() || path[0] == '/') return path;
  return (std::filesystem::path(dir) / path).lexically_normal().string();
}

// os.Expand with Prometheus' mapping ("$$" -> "$", unset -> "").
std::string ExpandEnv(std::string_view s, EnvLookup env) {
  auto special = [](char c) {
    return c == '*' || c == '#' || c == '$' || c == '@' || c == '!' || c == '?' || c == '-' ||
           (c >= '0' && c <= '9');
  };
  auto lookup = [&](std::string_view name) -> std::string {
    if (name == "$") return "$";
    if (env != nullptr) return env(name);
    const char* v = std::getenv(std::string(name).c_str());
    return v ? v : "";
  };
  std::string out;
  size_t i = 0;
  for (size_t j = 0; j < s.size(); ++j) {
    if (s[j] != '$' || j + 1 >= s.size()) continue;
    out.append(s.substr(i, j - i));
    std::string_view t = s.substr(j + 1);
    std::string_view name;
    size_t w = 0;
    if (t[0] == '{') {
      if (t.size() > 2 && special(t[1]) && t[2] == '}') {
        name = t.substr(1, 1), w = 3;
      } else {
        w = 1;  // "${" without a closing brace: eaten
        for (size_t k = 1; k < t.size(); ++k) {
          if (t[k] == '}') {
            w = k == 1 ? 2 : k + 1;
            if (k > 1) name = t.substr(1, k - 1);
            break;
          }
        }
      }
    } else if (special(t[0])) {
      name = t.substr(0, 1), w = 1;
    } else {
      while (w < t.size() && (std::isalnum(static_cast<unsigned char>(t[w])) || t[w] == '_')) ++w;
      name = t.substr(0, w);
    }
    if (name.empty() && w == 0) {
      out += '$';
    } else if (!name.empty()) {
      out += lookup(name);
    }
    j += w;
    i = j + 1;
  }
  if (i == 0 && out.empty()) return std::string(s);
  out.append(s.substr(std::min(i, s.size())));
  return out;
}

Status CheckLabelName(std::string_view n, NameValidation scheme) {
  if (!relabel::IsValidLabelName(n, scheme)) {
    return Status::InvalidArgument(GoQuote(n) + " is not a valid label name");
  }
  return Status::OK();
}

Status CheckLabelValue(std::string_view v) {
  if (!relabel::IsValidUTF8(v)) {
    return Status::InvalidArgument(GoQuote(v) + " is not a valid label value");
  }
  return Status::OK();
}

// Decodes a string->string label map into Labels, validating names and values. Errors carry
// "file:line: key: ...".
bool ReadLabels(MapReader& r, std::string_view key, NameValidation scheme, Labels* out) {
  std::map<std::string, std::string> m;
  if (!r.StrMap(key, &m)) return false;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const auto& [k, v] : m) {
    Status s = CheckLabelName(k, scheme);
    if (s.ok()) s = CheckLabelValue(v);
    if (!s.ok()) {
      r.FailKey(key, s.message());
      return false;
    }
    pairs.emplace_back(k, v);
  }
  *out = Labels::FromPairs(std::move(pairs));
  return true;
}

// ---- HTTP client ------------------------------------------------------------------------

Status DecodeTLS(const YamlDoc& doc, const YAML::Node& n, int line, TLSConfig* t) {
  MapReader r(doc, n, "config.TLSConfig", line);
  r.Str("ca", &t->ca);
  r.Str("cert", &t->cert);
  r.Str("key", &t->key);
  r.Str("ca_file", &t->ca_file);
  r.Str("cert_file", &t->cert_file);
  r.Str("key_file", &t->key_file);
  r.Str("ca_ref", &t->ca_ref);
  r.Str("cert_ref", &t->cert_ref);
  r.Str("key_ref", &t->key_ref);
  r.Str("server_name", &t->server_name);
  r.Bool("insecure_skip_verify", &t->insecure_skip_verify);
  for (auto [key, field] :
       {std::pair{"min_version", &t->min_version}, std::pair{"max_version", &t->max_version}}) {
    if (r.Str(key, field) && !field->empty() && *field != "TLS10" && *field != "TLS11" &&
        *field != "TLS12" && *field != "TLS13") {
      r.FailKey(key, "unknown TLS version: " + *field);
    }
  }
  VIGIL_RETURN_IF_ERROR(r.Finish());
  auto count = [](std::initializer_list<const std::string*> l) {
    int n = 0;
    for (const auto* s : l) n += !s->empty();
    return n;
  };
  if (count({&t->ca, &t->ca_file, &t->ca_ref}) > 1) {
    return doc.Error(line, "at most one of ca, ca_file & ca_ref must be configured");
  }
  if (count({&t->cert, &t->cert_file, &t->cert_ref}) > 1) {
    return doc.Error(line, "at most one of cert, cert_file & cert_ref must be configured");
  }
  if (count({&t->key, &t->key_file, &t->key_ref}) > 1) {
    return doc.Error(line, "at most one of key and key_file must be configured");
  }
  bool cert = count({&t->cert, &t->cert_file, &t->cert_ref}) > 0;
  bool key = count({&t->key, &t->key_file, &t->key_ref}) > 0;
  if (cert && !key) {
    return doc.Error(line,
                     "exactly one of key or key_file must be configured when a client "
                     "certificate is configured");
  }
  if (key && !cert) {
    return doc.Error(line,
                     "exactly one of cert or cert_file must be configured when a client key is "
                     "configured");
  }
  return Status::OK();
}

void ReadProxy(MapReader& r, ProxyConfig* p) {
  r.Str("proxy_url", &p->proxy_url);
  r.Str("no_proxy", &p->no_proxy);
  r.Bool("proxy_from_environment", &p->proxy_from_environment);
  r.StrListMap("proxy_connect_header", &p->proxy_connect_header);
}

Status ValidateProxy(const ProxyConfig& p) {
  if (!p.proxy_connect_header.empty() && !p.proxy_from_environment && p.proxy_url.empty()) {
    return Status::InvalidArgument(
        "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be "
        "configured");
  }
  if (p.proxy_from_environment && !p.proxy_url.empty()) {
    return Status::InvalidArgument(
        "if proxy_from_environment is configured, proxy_url must not be configured");
  }
  if (p.proxy_from_environment && !p.no_proxy.empty()) {
    return Status::InvalidArgument(
        "if proxy_from_environment is configured, no_proxy must not be configured");
  }
  if (p.proxy_url.empty() && !p.no_proxy.empty()) {
    return Status::InvalidArgument("if no_proxy is configured, proxy_url must also be configured");
  }
  return Status::OK();
}

Status DecodeBasicAuth(const YamlDoc& doc, const YAML::Node& n, int line, BasicAuth* b) {
  MapReader r(doc, n, "config.BasicAuth", line);
  r.Str("username", &b->username);
  r.Str("username_file", &b->username_file);
  r.Str("username_ref", &b->username_ref);
  r.Str("password", &b->password);
  r.Str("password_file", &b->password_file);
  r.Str("password_ref", &b->password_ref);
  return r.Finish();
}

Status DecodeAuthorization(const YamlDoc& doc, const YAML::Node& n, int line, Authorization* a) {
  MapReader r(doc, n, "config.Authorization", line);
  r.Str("type", &a->type);
  r.Str("credentials", &a->credentials);
  r.Str("credentials_file", &a->credentials_file);
  r.Str("credentials_ref", &a->credentials_ref);
  return r.Finish();
}

Status DecodeOAuth2(const YamlDoc& doc, const YAML::Node& n, int line, OAuth2* o) {
  MapReader r(doc, n, "config.OAuth2", line);
  r.Str("client_id", &o->client_id);
  r.Str("client_secret", &o->client_secret);
  r.Str("client_secret_file", &o->client_secret_file);
  r.Str("client_secret_ref", &o->client_secret_ref);
  r.Str("client_certificate_key_id", &o->client_certificate_key_id);
  r.Str("client_certificate_key", &o->client_certificate_key);
  r.Str("client_certificate_key_file", &o->client_certificate_key_file);
  r.Str("client_certificate_key_ref", &o->client_certificate_key_ref);
  r.Str("grant_type", &o->grant_type);
  r.Str("signature_algorithm", &o->signature_algorithm);
  r.Str("iss", &o->iss);
  r.Str("audience", &o->audience);
  r.Nested("claims", [&](const YAML::Node& v, int kl) -> Status {
    auto val = FromYamlCpp(v);
    if (!val) return doc.Error(kl, "claims: " + std::string(val.error().message()));
    o->claims = std::move(val).value();
    return Status::OK();
  });
  r.StrList("scopes", &o->scopes);
  r.Str("token_url", &o->token_url);
  r.StrMap("endpoint_params", &o->endpoint_params);
  r.Nested("tls_config",
           [&](const YAML::Node& v, int kl) { return DecodeTLS(doc, v, kl, &o->tls_config); });
  ReadProxy(r, &o->proxy);
  return r.Finish();
}

Status DecodeHTTPHeaders(const YamlDoc& doc, const YAML::Node& n, int line,
                         std::map<std::string, HTTPHeader>* out) {
  if (n.IsNull()) return Status::OK();
  if (!n.IsMap()) return doc.Error(line, "http_headers: cannot unmarshal " + NodeTag(n));
  for (const auto& kv : n) {
    auto name = DecodeString(kv.first);
    if (!name) return doc.Error(NodeLine(kv.first), name.error().message());
    int hl = NodeLine(kv.first) > 0 ? NodeLine(kv.first) : line;
    MapReader r(doc, kv.second, "config.Header", hl);
    HTTPHeader h;
    r.StrList("values", &h.values);
    r.StrList("secrets", &h.secrets);
    r.StrList("files", &h.files);
    VIGIL_RETURN_IF_ERROR(r.Finish());
    (*out)[*name] = std::move(h);
  }
  return Status::OK();
}

// The keys of prometheus/common HTTPClientConfig, which many sections inline.
void ReadHTTPClient(MapReader& r, HTTPClientConfig* h) {
  const YamlDoc& doc = r.doc();
  r.Nested("basic_auth", [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    h->basic_auth.emplace();
    return DecodeBasicAuth(doc, v, kl, &*h->basic_auth);
  });
  r.Nested("authorization", [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    h->authorization.emplace();
    return DecodeAuthorization(doc, v, kl, &*h->authorization);
  });
  r.Nested("oauth2", [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    h->oauth2.emplace();
    return DecodeOAuth2(doc, v, kl, &*h->oauth2);
  });
  r.Str("bearer_token", &h->bearer_token);
  r.Str("bearer_token_file", &h->bearer_token_file);
  r.Nested("tls_config",
           [&](const YAML::Node& v, int kl) { return DecodeTLS(doc, v, kl, &h->tls_config); });
  r.Bool("follow_redirects", &h->follow_redirects);
  r.Bool("enable_http2", &h->enable_http2);
  ReadProxy(r, &h->proxy);
  r.Nested("http_headers", [&](const YAML::Node& v, int kl) {
    return DecodeHTTPHeaders(doc, v, kl, &h->http_headers);
  });
}

// prometheus/common HTTPClientConfig.Validate, including folding bearer_token(_file) into
// authorization. Messages without position.
Status ValidateHTTPClient(HTTPClientConfig* h) {
  auto err = [](std::string_view m) { return Status::InvalidArgument(m); };
  if (!h->bearer_token.empty() && !h->bearer_token_file.empty()) {
    return err("at most one of bearer_token & bearer_token_file must be configured");
  }
  if ((h->basic_auth || h->oauth2) && (!h->bearer_token.empty() || !h->bearer_token_file.empty())) {
    return err(
        "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  }
  if (h->basic_auth) {
    const BasicAuth& b = *h->basic_auth;
    if (int(!b.username.empty()) + int(!b.username_file.empty()) + int(!b.username_ref.empty()) >
        1) {
      return err(
          "at most one of basic_auth username, username_file & username_ref must be "
          "configured");
    }
    if (int(!b.password.empty()) + int(!b.password_file.empty()) + int(!b.password_ref.empty()) >
        1) {
      return err(
          "at most one of basic_auth password, password_file & password_ref must be "
          "configured");
    }
  }
  if (h->authorization) {
    Authorization& a = *h->authorization;
    if (!h->bearer_token.empty() || !h->bearer_token_file.empty()) {
      return err("authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (int(!a.credentials.empty()) + int(!a.credentials_file.empty()) +
            int(!a.credentials_ref.empty()) >
        1) {
      return err("at most one of authorization credentials & credentials_file must be configured");
    }
    while (!a.type.empty() && std::isspace(static_cast<unsigned char>(a.type.back()))) {
      a.type.pop_back();
    }
    while (!a.type.empty() && std::isspace(static_cast<unsigned char>(a.type.front()))) {
      a.type.erase(0, 1);
    }
    if (a.type.empty()) a.type = "Bearer";
    if (Lower(a.type) == "basic") {
      return err("authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (h->basic_auth || h->oauth2) {
      return err("at most one of basic_auth, oauth2 & authorization must be configured");
    }
  } else if (!h->bearer_token.empty()) {
    h->authorization = Authorization{.type = "Bearer", .credentials = h->bearer_token};
    h->bearer_token.clear();
  } else if (!h->bearer_token_file.empty()) {
    h->authorization = Authorization{.type = "Bearer", .credentials_file = h->bearer_token_file};
    h->bearer_token_file.clear();
  }
  if (h->oauth2) {
    const OAuth2& o = *h->oauth2;
    if (h->basic_auth) {
      return err("at most one of basic_auth, oauth2 & authorization must be configured");
    }
    if (o.client_id.empty()) return err("oauth2 client_id must be configured");
    if (o.token_url.empty()) return err("oauth2 token_url must be configured");
    if (o.grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      if (int(!o.client_certificate_key.empty()) + int(!o.client_certificate_key_file.empty()) +
              int(!o.client_certificate_key_ref.empty()) >
          1) {
        return err(
            "at most one of oauth2 client_certificate_key, client_certificate_key_file & "
            "client_certificate_key_ref must be configured using "
            "grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer");
      }
      if (!o.signature_algorithm.empty() && o.signature_algorithm != "RS256" &&
          o.signature_algorithm != "RS384" && o.signature_algorithm != "RS512") {
        return err("valid signature algorithms are RS256, RS384 and RS512");
      }
    } else if (int(!o.client_secret.empty()) + int(!o.client_secret_file.empty()) +
                   int(!o.client_secret_ref.empty()) >
               1) {
      return err(
          "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be "
          "configured using grant-type=client_credentials");
    }
  }
  VIGIL_RETURN_IF_ERROR(ValidateProxy(h->proxy));
  static const std::set<std::string> kReserved = {
      "Authorization",
      "Host",
      "Content-Encoding",
      "Content-Length",
      "Content-Type",
      "User-Agent",
      "Connection",
      "Keep-Alive",
      "Proxy-Authenticate",
      "Proxy-Authorization",
      "Www-Authenticate",
      "Accept-Encoding",
      "X-Prometheus-Remote-Write-Version",
      "X-Prometheus-Remote-Read-Version",
      "X-Prometheus-Scrape-Timeout-Seconds",
      "X-Amz-Date",
      "X-Amz-Security-Token",
      "X-Amz-Content-Sha256",
  };
  for (const auto& [name, _] : h->http_headers) {
    if (kReserved.count(CanonicalHeader(name))) {
      return err("setting header " + GoQuote(CanonicalHeader(name)) + " is not allowed");
    }
  }
  return Status::OK();
}

void SetHTTPDirectory(const std::string& dir, HTTPClientConfig* h) {
  auto tls = [&](TLSConfig* t) {
    t->ca_file = JoinDir(dir, t->ca_file);
    t->cert_file = JoinDir(dir, t->cert_file);
    t->key_file = JoinDir(dir, t->key_file);
  };
  tls(&h->tls_config);
  if (h->basic_auth) {
    h->basic_auth->username_file = JoinDir(dir, h->basic_auth->username_file);
    h->basic_auth->password_file = JoinDir(dir, h->basic_auth->password_file);
  }
  if (h->authorization) {
    h->authorization->credentials_file = JoinDir(dir, h->authorization->credentials_file);
  }
  if (h->oauth2) {
    h->oauth2->client_secret_file = JoinDir(dir, h->oauth2->client_secret_file);
    h->oauth2->client_certificate_key_file = JoinDir(dir, h->oauth2->client_certificate_key_file);
    tls(&h->oauth2->tls_config);
  }
  for (auto& [_, hdr] : h->http_headers) {
    for (auto& f : hdr.files) f = JoinDir(dir, f);
  }
}

// ---- Relabeling -------------------------------------------------------------------------

Status DecodeRelabel(const YamlDoc& doc, const YAML::Node& n, int line, relabel::Config* c) {
  MapReader r(doc, n, "relabel.Config", line);
  if (r.StrList("source_labels", &c->source_labels)) {
    for (const auto& l : c->source_labels) {
      if (!relabel::IsValidLabelName(l, NameValidation::kUTF8)) {
        r.FailKey("source_labels", GoQuote(l) + " is not a valid label name");
      }
    }
  }
  r.Str("separator", &c->separator);
  r.Nested("regex", [&](const YAML::Node& v, int kl) -> Status {
    auto s = DecodeString(v);  // null reads as "" (Prometheus: the empty regex)
    if (!s) return doc.Error(kl, "regex: " + std::string(s.error().message()));
    auto re = relabel::Regexp::Compile(*s);
    if (!re) return doc.Error(kl, "regex: " + std::string(re.error().message()));
    c->regex = *re;
    return Status::OK();
  });
  r.Uint("modulus", &c->modulus);
  r.Str("target_label", &c->target_label);
  r.Str("replacement", &c->replacement);
  std::string action;
  if (r.Has("action")) {
    int kl = r.KeyLine("action");
    bool is_null = r.Take("action").IsNull();
    r.Str("action", &action);
    if (is_null) {
      r.Fail(kl, doc.Error(kl, "relabel action cannot be empty"));
    } else {
      auto a = relabel::ParseAction(action);
      if (!a) {
        r.FailKey("action", a.error().message());
      } else {
        c->action = *a;
      }
    }
  }
  return r.Finish();
}

// Reads a list of relabel rules; per-rule validation happens later, once the name validation
// scheme is known.
bool ReadRelabels(MapReader& r, std::string_view key, std::string_view null_error,
                  std::vector<relabel::Config>* out, std::vector<int>* lines) {
  const YamlDoc& doc = r.doc();
  lines->clear();
  return r.List(key, out, null_error,
                [&](const YAML::Node& item, int line, relabel::Config* c) -> Status {
                  lines->push_back(line);
                  return DecodeRelabel(doc, item, line, c);
                });
}

Status ValidateRelabels(const YamlDoc& doc, std::vector<relabel::Config>* cfgs,
                        const std::vector<int>& lines, NameValidation scheme) {
  for (size_t i = 0; i < cfgs->size(); ++i) {
    (*cfgs)[i].name_validation = scheme;
    Status s = (*cfgs)[i].Validate();
    if (!s.ok()) return doc.Error(i < lines.size() ? lines[i] : 0, s.message());
  }
  return Status::OK();
}

// ---- Service discovery ------------------------------------------------------------------

Status DecodeStatic(const YamlDoc& doc, const YAML::Node& n, int line, StaticConfig* sc,
                    bool strict = true) {
  MapReader r(doc, n, "targetgroup.Group", line);
  if (!strict) r.IgnoreUnknown();
  r.StrList("targets", &sc->targets);
  ReadLabels(r, "labels", NameValidation::kUTF8, &sc->labels);
  return r.Finish();
}

Status DecodeFileSD(const YamlDoc& doc, const YAML::Node& n, int line, FileSDConfig* f) {
  MapReader r(doc, n, "file.SDConfig", line);
  r.StrList("files", &f->files);
  r.Duration("refresh_interval", &f->refresh_interval_ms);
  VIGIL_RETURN_IF_ERROR(r.Finish());
  if (f->files.empty()) {
    return doc.Error(line, "file service discovery config must contain at least one path name");
  }
  for (const auto& name : f->files) {
    if (!MatchesFileSDName(name)) {
      return doc.Error(line, "path name " + GoQuote(name) + " is not valid for file discovery");
    }
  }
  return Status::OK();
}

Status DecodeHTTPSD(const YamlDoc& doc, const YAML::Node& n, int line, HTTPSDConfig* h) {
  MapReader r(doc, n, "http.SDConfig", line);
  ReadHTTPClient(r, &h->http);
  r.Duration("refresh_interval", &h->refresh_interval_ms);
  r.Str("url", &h->url);
  VIGIL_RETURN_IF_ERROR(r.Finish());
  if (h->url.empty()) return doc.Error(line, "URL is missing");
  auto u = ParseURL(h->url);
  if (!u) return doc.Error(line, u.error().message());
  if (u->scheme != "http" && u->scheme != "https") {
    return doc.Error(line, "URL scheme must be 'http' or 'https'");
  }
  if (u->host.empty()) return doc.Error(line, "host is missing in URL");
  Status s = ValidateHTTPClient(&h->http);
  if (!s.ok()) return doc.Error(line, s.message());
  return Status::OK();
}

// Reads static_configs, file_sd_configs, http_sd_configs and the other *_sd_configs.
void ReadSD(MapReader& r, ServiceDiscoveryConfigs* sd, const std::vector<std::string>& keys) {
  const YamlDoc& doc = r.doc();
  r.List("static_configs", &sd->static_configs, "empty or null section in static_configs",
         [&](const YAML::Node& item, int line, StaticConfig* sc) {
           return DecodeStatic(doc, item, line, sc);
         });
  r.List("file_sd_configs", &sd->file_sd_configs, "empty or null section in file_sd_configs",
         [&](const YAML::Node& item, int line, FileSDConfig* f) {
           return DecodeFileSD(doc, item, line, f);
         });
  r.List("http_sd_configs", &sd->http_sd_configs, "empty or null section in http_sd_configs",
         [&](const YAML::Node& item, int line, HTTPSDConfig* h) {
           return DecodeHTTPSD(doc, item, line, h);
         });
  for (const std::string& key : keys) {
    constexpr std::string_view kSuffix = "_sd_configs";
    if (key.size() <= kSuffix.size() || key.substr(key.size() - kSuffix.size()) != kSuffix) {
      continue;
    }
    std::string kind = key.substr(0, key.size() - kSuffix.size());
    if (std::find(std::begin(kRawSDKinds), std::end(kRawSDKinds), kind) == std::end(kRawSDKinds)) {
      continue;  // left untaken: reported as an unknown field
    }
    std::vector<RawSDConfig> items;
    r.List(key, &items, "empty or null section in " + key,
           [&](const YAML::Node& item, int line, RawSDConfig* raw) -> Status {
             raw->kind = kind;
             raw->line = line;
             if (!item.IsMap()) {
               return doc.Error(line, key + ": cannot unmarshal " + NodeTag(item) + " into " +
                                          kind + ".SDConfig");
             }
             auto v = FromYamlCpp(item);
             if (!v) return doc.Error(line, key + ": " + std::string(v.error().message()));
             raw->value = std::move(v).value();
             return Status::OK();
           });
    for (auto& it : items) sd->other.push_back(std::move(it));
  }
}

Status CheckStaticTargets(const YamlDoc& doc, const ServiceDiscoveryConfigs& sd, int line) {
  for (const auto& sc : sd.static_configs) {
    for (const auto& t : sc.targets) {
      if (t.find('/') != std::string::npos) {
        return doc.Error(line, GoQuote(t) + " is not a valid hostname");
      }
    }
  }
  return Status::OK();
}

void SetSDDirectory(const std::string& dir, ServiceDiscoveryConfigs* sd) {
  for (auto& f : sd->file_sd_configs) {
    for (auto& p : f.files) p = JoinDir(dir, p);
  }
  for (auto& h : sd->http_sd_configs) SetHTTPDirectory(dir, &h.http);
}

std::vector<std::string> MapKeys(const YAML::Node& n) {
  std::vector<std::string> keys;
  if (!n.IsMap()) return keys;
  for (const auto& kv : n) {
    if (kv.first.IsScalar()) keys.push_back(kv.first.Scalar());
  }
  return keys;
}

Result<NameValidation> ParseValidationScheme(std::string_view s) {
  if (s == "utf8") return NameValidation::kUTF8;
  if (s == "legacy") return NameValidation::kLegacy;
  return Status::InvalidArgument("unrecognized ValidationScheme: " + GoQuote(s));
}

Status ValidateScrapeProtocols(const std::vector<std::string>& ps) {
  if (ps.empty()) return Status::InvalidArgument("scrape_protocols cannot be empty");
  std::set<std::string> seen;
  for (const auto& p : ps) {
    if (!seen.insert(Lower(p)).second) {
      std::string all;
      for (size_t i = 0; i < ps.size(); ++i) all += (i ? " " : "") + ps[i];
      return Status::InvalidArgument("duplicated protocol in scrape_protocols, got [" + all + "]");
    }
    if (std::find(std::begin(kScrapeProtocols), std::end(kScrapeProtocols), p) ==
        std::end(kScrapeProtocols)) {
      std::string supported;
      for (size_t i = 0; i < std::size(kScrapeProtocols); ++i) {
        supported += (i ? " " : "") + std::string(kScrapeProtocols[i]);
      }
      return Status::InvalidArgument("scrape_protocols: unknown scrape protocol " + p +
                                     ", supported: [" + supported + "]");
    }
  }
  return Status::OK();
}

// ---- global -----------------------------------------------------------------------------

Status DecodeGlobal(const YamlDoc& doc, const YAML::Node& n, int line, GlobalConfig* g) {
  MapReader r(doc, n, "config.GlobalConfig", line);
  GlobalConfig gc;  // Prometheus starts from a clean struct and fills defaults afterwards
  gc.scrape_interval_ms = gc.scrape_timeout_ms = gc.evaluation_interval_ms = 0;
  r.Duration("scrape_interval", &gc.scrape_interval_ms);
  r.Duration("scrape_timeout", &gc.scrape_timeout_ms);
  bool protocols_set = r.StrList("scrape_protocols", &gc.scrape_protocols);
  r.Duration("evaluation_interval", &gc.evaluation_interval_ms);
  r.Duration("rule_query_offset", &gc.rule_query_offset_ms);
  r.Str("query_log_file", &gc.query_log_file);
  r.Str("scrape_failure_log_file", &gc.scrape_failure_log_file);
  r.Bytes("body_size_limit", &gc.body_size_limit_bytes);
  r.Uint("sample_limit", &gc.sample_limit);
  r.Uint("target_limit", &gc.target_limit);
  r.Uint("label_limit", &gc.label_limit);
  r.Uint("label_name_length_limit", &gc.label_name_length_limit);
  r.Uint("label_value_length_limit", &gc.label_value_length_limit);
  r.Uint("keep_dropped_targets", &gc.keep_dropped_targets);
  std::string scheme;
  if (r.Str("metric_name_validation_scheme", &scheme) && !scheme.empty()) {
    auto s = ParseValidationScheme(scheme);
    if (!s) {
      r.FailKey("metric_name_validation_scheme", s.error().message());
    } else {
      gc.metric_name_validation_scheme = *s;
    }
  }
  r.Str("metric_name_escaping_scheme", &gc.metric_name_escaping_scheme);
  std::optional<bool> native, extra;
  r.OptBool("scrape_native_histograms", &native);
  r.Bool("convert_classic_histograms_to_nhcb", &gc.convert_classic_histograms_to_nhcb);
  r.Bool("always_scrape_classic_histograms", &gc.always_scrape_classic_histograms);
  r.OptBool("extra_scrape_metrics", &extra);
  // Labels last: their names are checked with the scheme read above.
  ReadLabels(r, "external_labels", gc.metric_name_validation_scheme, &gc.external_labels);
  VIGIL_RETURN_IF_ERROR(r.Finish());

  gc.scrape_native_histograms = native.value_or(false);
  gc.extra_scrape_metrics = extra.value_or(false);
  if (gc.scrape_interval_ms == 0) gc.scrape_interval_ms = GlobalConfig().scrape_interval_ms;
  if (gc.scrape_timeout_ms > gc.scrape_interval_ms) {
    int kl = r.KeyLine("scrape_timeout");
    return doc.Error(kl > 0 ? kl : line, "global scrape timeout greater than scrape interval");
  }
  if (gc.scrape_timeout_ms == 0) {
    gc.scrape_timeout_ms = std::min(GlobalConfig().scrape_timeout_ms, gc.scrape_interval_ms);
  }
  if (gc.evaluation_interval_ms == 0) {
    gc.evaluation_interval_ms = GlobalConfig().evaluation_interval_ms;
  }
  if (protocols_set) {
    Status s = ValidateScrapeProtocols(gc.scrape_protocols);
    if (!s.ok()) {
      return doc.Error(r.KeyLine("scrape_protocols"),
                       std::string(s.message()) + " for global config");
    }
  }
  *g = std::move(gc);
  return Status::OK();
}

// ---- scrape_configs ---------------------------------------------------------------------

// A scrape config as decoded, before the global defaults are applied.
struct RawScrape {
  ScrapeConfig cfg;
  int line = 0;
  int timeout_line = 0;
  std::optional<bool> native, always_classic, nhcb, extra;
  bool protocols_set = false;
  std::string validation_scheme;
  std::vector<int> relabel_lines, metric_relabel_lines;
};

Status DecodeScrape(const YamlDoc& doc, const YAML::Node& n, int line, RawScrape* raw) {
  ScrapeConfig& c = raw->cfg;
  raw->line = line;
  MapReader r(doc, n, "config.ScrapeConfig", line);
  r.Str("job_name", &c.job_name);
  r.Bool("honor_labels", &c.honor_labels);
  r.Bool("honor_timestamps", &c.honor_timestamps);
  r.Bool("track_timestamps_staleness", &c.track_timestamps_staleness);
  r.StrListMap("params", &c.params);
  r.Duration("scrape_interval", &c.scrape_interval_ms);
  r.Duration("scrape_timeout", &c.scrape_timeout_ms);
  raw->timeout_line = r.KeyLine("scrape_timeout");
  raw->protocols_set = r.StrList("scrape_protocols", &c.scrape_protocols);
  r.Str("fallback_scrape_protocol", &c.fallback_scrape_protocol);
  r.OptBool("scrape_native_histograms", &raw->native);
  r.OptBool("always_scrape_classic_histograms", &raw->always_classic);
  r.OptBool("scrape_classic_histograms", &raw->always_classic);  // Prometheus 2.x name
  r.OptBool("convert_classic_histograms_to_nhcb", &raw->nhcb);
  r.Str("scrape_failure_log_file", &c.scrape_failure_log_file);
  r.Str("metrics_path", &c.metrics_path);
  if (r.Str("scheme", &c.scheme) && c.scheme != "http" && c.scheme != "https") {
    r.FailKey("scheme", "unsupported scheme " + GoQuote(c.scheme) + ", must be http or https");
  }
  r.Bool("enable_compression", &c.enable_compression);
  r.Bytes("body_size_limit", &c.body_size_limit_bytes);
  r.Uint("sample_limit", &c.sample_limit);
  r.Uint("target_limit", &c.target_limit);
  r.Uint("label_limit", &c.label_limit);
  r.Uint("label_name_length_limit", &c.label_name_length_limit);
  r.Uint("label_value_length_limit", &c.label_value_length_limit);
  r.Uint("native_histogram_bucket_limit", &c.native_histogram_bucket_limit);
  r.Float("native_histogram_min_bucket_factor", &c.native_histogram_min_bucket_factor);
  r.Uint("keep_dropped_targets", &c.keep_dropped_targets);
  r.Str("metric_name_validation_scheme", &raw->validation_scheme);
  r.Str("metric_name_escaping_scheme", &c.metric_name_escaping_scheme);
  r.OptBool("extra_scrape_metrics", &raw->extra);
  ReadHTTPClient(r, &c.http);
  ReadRelabels(r, "relabel_configs", "empty or null target relabeling rule in scrape config",
               &c.relabel_configs, &raw->relabel_lines);
  ReadRelabels(r, "metric_relabel_configs", "empty or null metric relabeling rule in scrape config",
               &c.metric_relabel_configs, &raw->metric_relabel_lines);
  ReadSD(r, &c.sd, MapKeys(n));
  VIGIL_RETURN_IF_ERROR(r.Finish());

  if (c.job_name.empty()) return doc.Error(line, "job_name is empty");
  Status s = ValidateHTTPClient(&c.http);
  if (!s.ok()) return doc.Error(line, s.message());
  if (c.relabel_configs.empty()) VIGIL_RETURN_IF_ERROR(CheckStaticTargets(doc, c.sd, line));
  return Status::OK();
}

// ScrapeConfig.Validate: applies the global defaults and checks the result.
Status ValidateScrape(const YamlDoc& doc, const GlobalConfig& g, RawScrape* raw) {
  ScrapeConfig& c = raw->cfg;
  const std::string job = GoQuote(c.job_name);
  if (c.scrape_interval_ms == 0) c.scrape_interval_ms = g.scrape_interval_ms;
  if (c.scrape_timeout_ms > c.scrape_interval_ms) {
    return doc.Error(raw->timeout_line > 0 ? raw->timeout_line : raw->line,
                     "scrape timeout greater than scrape interval for scrape config with job "
                     "name " +
                         job);
  }
  if (c.scrape_timeout_ms == 0) {
    c.scrape_timeout_ms = std::min(g.scrape_timeout_ms, c.scrape_interval_ms);
  }
  if (c.body_size_limit_bytes == 0) c.body_size_limit_bytes = g.body_size_limit_bytes;
  if (c.sample_limit == 0) c.sample_limit = g.sample_limit;
  if (c.target_limit == 0) c.target_limit = g.target_limit;
  if (c.label_limit == 0) c.label_limit = g.label_limit;
  if (c.label_name_length_limit == 0) c.label_name_length_limit = g.label_name_length_limit;
  if (c.label_value_length_limit == 0) c.label_value_length_limit = g.label_value_length_limit;
  if (c.keep_dropped_targets == 0) c.keep_dropped_targets = g.keep_dropped_targets;
  if (c.scrape_failure_log_file.empty()) c.scrape_failure_log_file = g.scrape_failure_log_file;
  c.scrape_native_histograms = raw->native.value_or(g.scrape_native_histograms);
  c.extra_scrape_metrics = raw->extra.value_or(g.extra_scrape_metrics);
  if (!raw->protocols_set) {
    if (!g.scrape_protocols.empty()) {
      c.scrape_protocols = g.scrape_protocols;
    } else if (c.scrape_native_histograms) {
      c.scrape_protocols = {"PrometheusProto", "OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
                            "PrometheusText1.0.0", "PrometheusText0.0.4"};
    } else {
      c.scrape_protocols = {"OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0",
                            "PrometheusText0.0.4"};
    }
  }
  if (Status s = ValidateScrapeProtocols(c.scrape_protocols); !s.ok()) {
    return doc.Error(raw->line,
                     std::string(s.message()) + " for scrape config with job name " + job);
  }
  if (!c.fallback_scrape_protocol.empty() &&
      std::find(std::begin(kScrapeProtocols), std::end(kScrapeProtocols),
                c.fallback_scrape_protocol) == std::end(kScrapeProtocols)) {
    return doc.Error(raw->line,
                     "invalid fallback_scrape_protocol for scrape config with job name " + job +
                         ": unknown scrape protocol " + c.fallback_scrape_protocol);
  }
  bool local_unset = raw->validation_scheme.empty();
  if (local_unset) {
    c.metric_name_validation_scheme = g.metric_name_validation_scheme;
  } else if (raw->validation_scheme == "utf8") {
    c.metric_name_validation_scheme = NameValidation::kUTF8;
  } else if (raw->validation_scheme == "legacy") {
    c.metric_name_validation_scheme = NameValidation::kLegacy;
  } else {
    return doc.Error(raw->line,
                     "unknown scrape config name validation method specified, must be either "
                     "'', 'legacy' or 'utf8', got " +
                         raw->validation_scheme);
  }
  auto valid_escaping = [](std::string_view s) {
    return s == "allow-utf-8" || s == "underscores" || s == "dots" || s == "values";
  };
  std::string global_escaping = g.metric_name_escaping_scheme;
  if (global_escaping.empty()) {
    global_escaping =
        g.metric_name_validation_scheme == NameValidation::kLegacy ? "underscores" : "allow-utf-8";
  } else if (!valid_escaping(global_escaping)) {
    return doc.Error(raw->line,
                     "unknown global name escaping method specified, must be one of "
                     "'allow-utf-8', 'underscores', 'dots', or 'values', got " +
                         GoQuote(global_escaping));
  }
  if (c.metric_name_escaping_scheme.empty()) {
    if (local_unset) {
      c.metric_name_escaping_scheme = global_escaping;
    } else {
      c.metric_name_escaping_scheme = c.metric_name_validation_scheme == NameValidation::kLegacy
                                          ? "underscores"
                                          : "allow-utf-8";
    }
  }
  if (c.metric_name_escaping_scheme == "allow-utf-8") {
    if (c.metric_name_validation_scheme != NameValidation::kUTF8) {
      return doc.Error(raw->line,
                       "utf8 metric names requested but validation scheme is not set to UTF8");
    }
  } else if (!valid_escaping(c.metric_name_escaping_scheme)) {
    return doc.Error(raw->line,
                     "unknown scrape config name escaping method specified, must be one of "
                     "'allow-utf-8', 'underscores', 'dots', or 'values', got " +
                         GoQuote(c.metric_name_escaping_scheme));
  }
  c.convert_classic_histograms_to_nhcb = raw->nhcb.value_or(g.convert_classic_histograms_to_nhcb);
  c.always_scrape_classic_histograms =
      raw->always_classic.value_or(g.always_scrape_classic_histograms);
  VIGIL_RETURN_IF_ERROR(ValidateRelabels(doc, &c.relabel_configs, raw->relabel_lines,
                                         c.metric_name_validation_scheme));
  VIGIL_RETURN_IF_ERROR(ValidateRelabels(doc, &c.metric_relabel_configs, raw->metric_relabel_lines,
                                         c.metric_name_validation_scheme));
  return Status::OK();
}

void SetScrapeDirectory(const std::string& dir, ScrapeConfig* c) {
  SetSDDirectory(dir, &c->sd);
  SetHTTPDirectory(dir, &c->http);
  c->scrape_failure_log_file = JoinDir(dir, c->scrape_failure_log_file);
}

// ---- alerting ---------------------------------------------------------------------------

struct RawAlertmanager {
  AlertmanagerConfig cfg;
  std::vector<int> relabel_lines, alert_relabel_lines;
};

Status DecodeAlertmanager(const YamlDoc& doc, const YAML::Node& n, int line, RawAlertmanager* raw) {
  AlertmanagerConfig& c = raw->cfg;
  MapReader r(doc, n, "config.AlertmanagerConfig", line);
  ReadHTTPClient(r, &c.http);
  r.Nested("sigv4", [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    auto val = FromYamlCpp(v);
    if (!val) return doc.Error(kl, "sigv4: " + std::string(val.error().message()));
    c.sigv4 = std::move(val).value();
    return Status::OK();
  });
  r.Str("scheme", &c.scheme);
  r.Str("path_prefix", &c.path_prefix);
  r.Duration("timeout", &c.timeout_ms);
  if (r.Str("api_version", &c.api_version) && c.api_version != "v2") {
    r.FailKey("api_version",
              "expected Alertmanager api version to be one of [v2] but got " + c.api_version);
  }
  ReadRelabels(r, "relabel_configs", "empty or null Alertmanager target relabeling rule",
               &c.relabel_configs, &raw->relabel_lines);
  ReadRelabels(r, "alert_relabel_configs", "empty or null Alertmanager alert relabeling rule",
               &c.alert_relabel_configs, &raw->alert_relabel_lines);
  ReadSD(r, &c.sd, MapKeys(n));
  VIGIL_RETURN_IF_ERROR(r.Finish());
  Status s = ValidateHTTPClient(&c.http);
  if (!s.ok()) return doc.Error(line, s.message());
  if ((c.http.basic_auth || c.http.authorization || c.http.oauth2) && c.sigv4) {
    return doc.Error(line,
                     "at most one of basic_auth, authorization, oauth2, & sigv4 must be "
                     "configured");
  }
  if (c.relabel_configs.empty()) VIGIL_RETURN_IF_ERROR(CheckStaticTargets(doc, c.sd, line));
  return Status::OK();
}

// ---- remote write / read ----------------------------------------------------------------

Status ValidateRemoteHeaders(const std::map<std::string, std::string>& headers) {
  static const std::set<std::string> kReserved = {
      "host",
      "content-encoding",
      "content-length",
      "content-type",
      "user-agent",
      "connection",
      "keep-alive",
      "proxy-authenticate",
      "proxy-authorization",
      "www-authenticate",
      "accept-encoding",
      "x-prometheus-remote-write-version",
      "x-prometheus-remote-read-version",
      "x-amz-date",
      "x-amz-security-token",
      "x-amz-content-sha256",
  };
  for (const auto& [name, _] : headers) {
    if (Lower(name) == "authorization") {
      return Status::InvalidArgument(
          "authorization header must be changed via the basic_auth, authorization, oauth2, "
          "sigv4, azuread or google_iam parameter");
    }
    if (kReserved.count(Lower(name))) {
      return Status::InvalidArgument(name + " is a reserved header. It must not be changed");
    }
  }
  return Status::OK();
}

Status DecodeQueue(const YamlDoc& doc, const YAML::Node& n, int line, QueueConfig* q) {
  MapReader r(doc, n, "config.QueueConfig", line);
  r.Int("capacity", &q->capacity);
  r.Int("max_shards", &q->max_shards);
  r.Int("min_shards", &q->min_shards);
  r.Int("max_samples_per_send", &q->max_samples_per_send);
  r.Duration("batch_send_deadline", &q->batch_send_deadline_ms);
  r.Duration("min_backoff", &q->min_backoff_ms);
  r.Duration("max_backoff", &q->max_backoff_ms);
  r.Bool("retry_on_http_429", &q->retry_on_http_429);
  r.Duration("sample_age_limit", &q->sample_age_limit_ms);
  VIGIL_RETURN_IF_ERROR(r.Finish());
  const char* err = nullptr;
  if (q->max_shards <= 0) {
    err = "remote write queue max_shards must be positive";
  } else if (q->min_shards <= 0) {
    err = "remote write queue min_shards must be positive";
  } else if (q->min_shards > q->max_shards) {
    err = "remote write queue min_shards must not be greater than max_shards";
  } else if (q->max_samples_per_send <= 0) {
    err = "remote write queue max_samples_per_send must be positive";
  } else if (q->capacity <= 0) {
    err = "remote write queue capacity must be positive";
  } else if (q->max_backoff_ms < q->min_backoff_ms) {
    err = "remote write queue max_backoff must not be less than min_backoff";
  }
  return err ? doc.Error(line, err) : Status::OK();
}

Status DecodeMetadata(const YamlDoc& doc, const YAML::Node& n, int line, MetadataConfig* m) {
  MapReader r(doc, n, "config.MetadataConfig", line);
  r.Bool("send", &m->send);
  r.Duration("send_interval", &m->send_interval_ms);
  r.Int("max_samples_per_send", &m->max_samples_per_send);
  return r.Finish();
}

bool ReadRawValue(MapReader& r, std::string_view key, std::optional<YamlValue>* out) {
  return r.Nested(key, [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    if (!v.IsMap()) {
      return r.doc().Error(kl, std::string(key) + ": cannot unmarshal " + NodeTag(v));
    }
    auto val = FromYamlCpp(v);
    if (!val)
      return r.doc().Error(kl, std::string(key) + ": " + std::string(val.error().message()));
    *out = std::move(val).value();
    return Status::OK();
  });
}

bool ReadURL(MapReader& r, std::string_view key, std::string* out) {
  if (!r.Str(key, out)) return false;
  auto u = ParseURL(*out);
  if (!u) {
    r.FailKey(key, u.error().message());
    return false;
  }
  return true;
}

struct RawRemoteWrite {
  RemoteWriteConfig cfg;
  int line = 0;
  std::vector<int> relabel_lines;
};

Status DecodeRemoteWrite(const YamlDoc& doc, const YAML::Node& n, int line, RawRemoteWrite* raw) {
  RemoteWriteConfig& c = raw->cfg;
  raw->line = line;
  MapReader r(doc, n, "config.RemoteWriteConfig", line);
  ReadURL(r, "url", &c.url);
  r.Duration("remote_timeout", &c.remote_timeout_ms);
  r.StrMap("headers", &c.headers);
  ReadRelabels(r, "write_relabel_configs", "empty or null relabeling rule in remote write config",
               &c.write_relabel_configs, &raw->relabel_lines);
  r.Str("name", &c.name);
  r.Bool("send_exemplars", &c.send_exemplars);
  r.Bool("send_native_histograms", &c.send_native_histograms);
  r.Bool("round_robin_dns", &c.round_robin_dns);
  r.Str("protobuf_message", &c.protobuf_message);
  r.Bool("failed_request_logging", &c.failed_request_logging);
  ReadHTTPClient(r, &c.http);
  r.Nested("queue_config",
           [&](const YAML::Node& v, int kl) { return DecodeQueue(doc, v, kl, &c.queue_config); });
  r.Nested("metadata_config", [&](const YAML::Node& v, int kl) {
    return DecodeMetadata(doc, v, kl, &c.metadata_config);
  });
  ReadRawValue(r, "sigv4", &c.sigv4);
  ReadRawValue(r, "azuread", &c.azuread);
  ReadRawValue(r, "google_iam", &c.google_iam);
  VIGIL_RETURN_IF_ERROR(r.Finish());
  if (c.url.empty()) return doc.Error(line, "url for remote_write is empty");
  if (Status s = ValidateRemoteHeaders(c.headers); !s.ok()) {
    return doc.Error(r.KeyLine("headers"), s.message());
  }
  if (c.protobuf_message != "prometheus.WriteRequest" &&
      c.protobuf_message != "io.prometheus.write.v2.Request") {
    return doc.Error(r.KeyLine("protobuf_message"),
                     "invalid protobuf_message value: unknown type for remote write protobuf "
                     "message " +
                         c.protobuf_message +
                         ", supported: prometheus.WriteRequest, io.prometheus.write.v2.Request");
  }
  if (Status s = ValidateHTTPClient(&c.http); !s.ok()) return doc.Error(line, s.message());
  std::vector<std::string> auth;
  if (c.http.basic_auth) auth.push_back("basic_auth");
  if (c.http.authorization) auth.push_back("authorization");
  if (c.http.oauth2) auth.push_back("oauth2");
  if (c.sigv4) auth.push_back("sigv4");
  if (c.azuread) auth.push_back("azuread");
  if (c.google_iam) auth.push_back("google_iam");
  if (auth.size() > 1) {
    std::string list;
    for (size_t i = 0; i < auth.size(); ++i) list += (i ? " " : "") + auth[i];
    return doc.Error(line,
                     "at most one of basic_auth, authorization, oauth2, sigv4, azuread or "
                     "google_iam must be configured. Currently configured: [" +
                         list + "]");
  }
  return Status::OK();
}

Status DecodeRemoteRead(const YamlDoc& doc, const YAML::Node& n, int line, RemoteReadConfig* c) {
  MapReader r(doc, n, "config.RemoteReadConfig", line);
  ReadURL(r, "url", &c->url);
  r.Duration("remote_timeout", &c->remote_timeout_ms);
  r.Uint("chunked_read_limit", &c->chunked_read_limit);
  r.StrMap("headers", &c->headers);
  r.Bool("read_recent", &c->read_recent);
  r.Str("name", &c->name);
  ReadHTTPClient(r, &c->http);
  r.StrMap("required_matchers", &c->required_matchers);
  r.Bool("filter_external_labels", &c->filter_external_labels);
  VIGIL_RETURN_IF_ERROR(r.Finish());
  if (c->url.empty()) return doc.Error(line, "url for remote_read is empty");
  if (Status s = ValidateRemoteHeaders(c->headers); !s.ok()) {
    return doc.Error(r.KeyLine("headers"), s.message());
  }
  if (Status s = ValidateHTTPClient(&c->http); !s.ok()) return doc.Error(line, s.message());
  return Status::OK();
}

// ---- storage, tracing, otlp -------------------------------------------------------------

Status DecodeStorage(const YamlDoc& doc, const YAML::Node& n, int line, StorageConfig* s) {
  MapReader r(doc, n, "config.StorageConfig", line);
  r.Nested("tsdb", [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    StorageConfig::TSDB t;
    MapReader tr(doc, v, "config.TSDBConfig", kl);
    tr.Duration("out_of_order_time_window", &t.out_of_order_time_window_ms);
    tr.Float("stale_series_compaction_threshold", &t.stale_series_compaction_threshold);
    tr.Nested("chunk_encoding", [&](const YAML::Node& cv, int cl) -> Status {
      MapReader cr(doc, cv, "config.ChunkEncodingConfig", cl);
      if (cr.Str("floats", &t.chunk_encoding_floats) && !t.chunk_encoding_floats.empty() &&
          t.chunk_encoding_floats != "xor" && t.chunk_encoding_floats != "xor2") {
        cr.FailKey("floats",
                   "'storage.tsdb.chunk_encoding.floats' must be 'xor' or 'xor2', or the field "
                   "must be omitted entirely, got " +
                       GoQuote(t.chunk_encoding_floats));
      }
      return cr.Finish();
    });
    tr.Nested("retention", [&](const YAML::Node& rv, int rl) -> Status {
      MapReader rr(doc, rv, "config.TSDBRetentionConfig", rl);
      rr.Duration("time", &t.retention_time_ms);
      if (rr.Bytes("size", &t.retention_size_bytes) && t.retention_size_bytes < 0) {
        rr.FailKey("size",
                   "'storage.tsdb.retention.size' must be greater than or equal to 0, got " +
                       FormatBytes(t.retention_size_bytes));
      }
      if (rr.Float("percentage", &t.retention_percentage) &&
          !(t.retention_percentage >= 0 && t.retention_percentage <= 100)) {
        rr.FailKey("percentage",
                   "'storage.tsdb.retention.percentage' must be in the range [0, 100], got " +
                       YamlValue::Float(t.retention_percentage).scalar);
      }
      return rr.Finish();
    });
    VIGIL_RETURN_IF_ERROR(tr.Finish());
    s->tsdb = t;
    return Status::OK();
  });
  r.Nested("exemplars", [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    MapReader er(doc, v, "config.ExemplarsConfig", kl);
    int64_t max = 100000;
    er.Int("max_exemplars", &max);
    VIGIL_RETURN_IF_ERROR(er.Finish());
    s->exemplars_max_exemplars = max;
    return Status::OK();
  });
  return r.Finish();
}

Status DecodeTracing(const YamlDoc& doc, const YAML::Node& n, int line, TracingConfig* t) {
  MapReader r(doc, n, "config.TracingConfig", line);
  if (r.Str("client_type", &t->client_type) && t->client_type != "http" &&
      t->client_type != "grpc") {
    r.FailKey("client_type",
              "expected tracing client type to be to be http or grpc, but got " + t->client_type);
  }
  r.Str("endpoint", &t->endpoint);
  r.Float("sampling_fraction", &t->sampling_fraction);
  r.Bool("insecure", &t->insecure);
  r.Nested("tls_config",
           [&](const YAML::Node& v, int kl) { return DecodeTLS(doc, v, kl, &t->tls_config); });
  r.StrMap("headers", &t->headers);
  r.Str("compression", &t->compression);
  r.Duration("timeout", &t->timeout_ms);
  VIGIL_RETURN_IF_ERROR(r.Finish());
  for (const auto& [h, _] : t->headers) {
    if (Lower(h) == "authorization") {
      return doc.Error(r.KeyLine("headers"),
                       "custom authorization header configuration is not yet supported");
    }
    if (Status s = ValidateRemoteHeaders({{h, ""}}); !s.ok()) {
      return doc.Error(r.KeyLine("headers"), s.message());
    }
  }
  if (t->endpoint.empty()) return doc.Error(line, "tracing endpoint must be set");
  if (!t->compression.empty() && t->compression != "gzip") {
    return doc.Error(r.KeyLine("compression"), "invalid compression type " + t->compression +
                                                   " provided, valid options: gzip");
  }
  return Status::OK();
}

Status DecodeOTLP(const YamlDoc& doc, const YAML::Node& n, int line, OTLPConfig* o) {
  MapReader r(doc, n, "config.OTLPConfig", line);
  r.Bool("promote_all_resource_attributes", &o->promote_all_resource_attributes);
  r.StrList("promote_resource_attributes", &o->promote_resource_attributes);
  r.StrList("ignore_resource_attributes", &o->ignore_resource_attributes);
  r.Str("translation_strategy", &o->translation_strategy);
  r.Bool("keep_identifying_resource_attributes", &o->keep_identifying_resource_attributes);
  r.Bool("convert_histograms_to_nhcb", &o->convert_histograms_to_nhcb);
  r.Bool("promote_scope_metadata", &o->promote_scope_metadata);
  r.Bool("label_name_underscore_sanitization", &o->label_name_underscore_sanitization);
  r.Bool("label_name_preserve_multiple_underscores", &o->label_name_preserve_multiple_underscores);
  VIGIL_RETURN_IF_ERROR(r.Finish());
  auto sanitize = [&](std::vector<std::string>* attrs, std::string_view adjective) -> Status {
    std::set<std::string> seen;
    for (auto& a : *attrs) {
      size_t b = a.find_first_not_of(" \t\n\r");
      size_t e = a.find_last_not_of(" \t\n\r");
      a = b == std::string::npos ? "" : a.substr(b, e - b + 1);
      if (a.empty()) {
        return Status::InvalidArgument("empty " + std::string(adjective) +
                                       " OTel resource attribute");
      }
      if (!seen.insert(a).second) {
        return Status::InvalidArgument("duplicated " + std::string(adjective) +
                                       " OTel resource attribute " + GoQuote(a));
      }
    }
    return Status::OK();
  };
  if (o->promote_all_resource_attributes) {
    if (!o->promote_resource_attributes.empty()) {
      return doc.Error(line,
                       "'promote_all_resource_attributes' and 'promote_resource_attributes' "
                       "cannot be configured simultaneously");
    }
    if (Status s = sanitize(&o->ignore_resource_attributes, "ignored"); !s.ok()) {
      return doc.Error(line, "invalid 'ignore_resource_attributes': " + std::string(s.message()));
    }
  } else {
    if (!o->ignore_resource_attributes.empty()) {
      return doc.Error(line,
                       "'ignore_resource_attributes' cannot be configured unless "
                       "'promote_all_resource_attributes' is true");
    }
    if (Status s = sanitize(&o->promote_resource_attributes, "promoted"); !s.ok()) {
      return doc.Error(line, "invalid 'promote_resource_attributes': " + std::string(s.message()));
    }
  }
  return Status::OK();
}

Result<std::string> ReadFileBytes(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("open " + path + ": " + std::strerror(errno));
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, size_t(in.gcount()));
    if (data.size() > max_bytes) {
      return Status::InvalidArgument(path + ": file larger than " + std::to_string(max_bytes) +
                                     " bytes");
    }
  }
  if (in.bad()) return Status::IOError("read " + path + ": " + std::strerror(errno));
  return data;
}

// Parses YAML text into a yaml-cpp document, mapping its exceptions to errors with a line.
Result<YAML::Node> ParseYAML(const YamlDoc& doc, std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return doc.Error(e.mark.line >= 0 ? e.mark.line + 1 : 0, "yaml: " + e.msg);
  } catch (const std::exception& e) {
    return doc.Error(0, std::string("yaml: ") + e.what());
  }
}

Status DecodeConfig(const YamlDoc& doc, const YAML::Node& root, const LoadOptions& opts,
                    Config* cfg) {
  MapReader r(doc, root, "config.Config", 1);
  r.Nested("global",
           [&](const YAML::Node& v, int kl) { return DecodeGlobal(doc, v, kl, &cfg->global); });
  r.Nested("runtime", [&](const YAML::Node& v, int kl) -> Status {
    MapReader rr(doc, v, "config.RuntimeConfig", kl);
    int64_t gogc = 0;
    if (rr.Int("gogc", &gogc)) cfg->runtime_gogc = gogc;
    return rr.Finish();
  });
  std::vector<RawAlertmanager> ams;
  std::vector<int> alert_relabel_lines;
  r.Nested("alerting", [&](const YAML::Node& v, int kl) -> Status {
    MapReader ar(doc, v, "config.AlertingConfig", kl);
    ReadRelabels(ar, "alert_relabel_configs", "empty or null alert relabeling rule",
                 &cfg->alerting.alert_relabel_configs, &alert_relabel_lines);
    ar.List("alertmanagers", &ams, "empty or null alertmanager config section",
            [&](const YAML::Node& item, int line, RawAlertmanager* am) {
              return DecodeAlertmanager(doc, item, line, am);
            });
    return ar.Finish();
  });
  r.StrList("rule_files", &cfg->rule_files);
  r.StrList("scrape_config_files", &cfg->scrape_config_files);
  std::vector<RawScrape> scrapes;
  r.List("scrape_configs", &scrapes, "empty or null scrape config section",
         [&](const YAML::Node& item, int line, RawScrape* s) {
           return DecodeScrape(doc, item, line, s);
         });
  r.Nested("storage",
           [&](const YAML::Node& v, int kl) { return DecodeStorage(doc, v, kl, &cfg->storage); });
  r.Nested("tracing", [&](const YAML::Node& v, int kl) -> Status {
    if (v.IsNull()) return Status::OK();
    cfg->tracing.emplace();
    return DecodeTracing(doc, v, kl, &*cfg->tracing);
  });
  std::vector<RawRemoteWrite> rws;
  r.List("remote_write", &rws, "empty or null remote write config section",
         [&](const YAML::Node& item, int line, RawRemoteWrite* rw) {
           return DecodeRemoteWrite(doc, item, line, rw);
         });
  std::vector<int> rr_lines;
  r.List("remote_read", &cfg->remote_read, "empty or null remote read config section",
         [&](const YAML::Node& item, int line, RemoteReadConfig* rr) {
           rr_lines.push_back(line);
           return DecodeRemoteRead(doc, item, line, rr);
         });
  r.Nested("otlp", [&](const YAML::Node& v, int kl) { return DecodeOTLP(doc, v, kl, &cfg->otlp); });
  VIGIL_RETURN_IF_ERROR(r.Finish());

  // Config.UnmarshalYAML's checks, in Prometheus' order.
  for (const auto& rf : cfg->rule_files) {
    if (!MatchesRulePath(rf)) {
      return doc.Error(r.KeyLine("rule_files"), "invalid rule file path " + GoQuote(rf));
    }
  }
  for (const auto& sf : cfg->scrape_config_files) {
    if (!MatchesRulePath(sf)) {
      return doc.Error(r.KeyLine("scrape_config_files"),
                       "invalid scrape config file path " + GoQuote(sf));
    }
  }
  std::set<std::string> jobs;
  for (auto& s : scrapes) {
    VIGIL_RETURN_IF_ERROR(ValidateScrape(doc, cfg->global, &s));
    if (!jobs.insert(s.cfg.job_name).second) {
      return doc.Error(s.line,
                       "found multiple scrape configs with job name " + GoQuote(s.cfg.job_name));
    }
  }
  const NameValidation scheme = cfg->global.metric_name_validation_scheme;
  VIGIL_RETURN_IF_ERROR(
      ValidateRelabels(doc, &cfg->alerting.alert_relabel_configs, alert_relabel_lines, scheme));
  for (auto& am : ams) {
    VIGIL_RETURN_IF_ERROR(
        ValidateRelabels(doc, &am.cfg.alert_relabel_configs, am.alert_relabel_lines, scheme));
    VIGIL_RETURN_IF_ERROR(ValidateRelabels(doc, &am.cfg.relabel_configs, am.relabel_lines, scheme));
    cfg->alerting.alertmanagers.push_back(std::move(am.cfg));
  }
  std::set<std::string> rw_names;
  for (auto& rw : rws) {
    if (!rw.cfg.name.empty() && !rw_names.insert(rw.cfg.name).second) {
      return doc.Error(rw.line,
                       "found multiple remote write configs with job name " + GoQuote(rw.cfg.name));
    }
    VIGIL_RETURN_IF_ERROR(
        ValidateRelabels(doc, &rw.cfg.write_relabel_configs, rw.relabel_lines, scheme));
    cfg->remote_write.push_back(std::move(rw.cfg));
  }
  std::set<std::string> rr_names;
  for (size_t i = 0; i < cfg->remote_read.size(); ++i) {
    const auto& name = cfg->remote_read[i].name;
    if (!name.empty() && !rr_names.insert(name).second) {
      return doc.Error(rr_lines[i],
                       "found multiple remote read configs with job name " + GoQuote(name));
    }
  }
  for (auto& s : scrapes) cfg->scrape_configs.push_back(std::move(s.cfg));

  // Load()'s own checks.
  std::vector<std::pair<std::string, std::string>> expanded;
  for (const auto& l : cfg->global.external_labels) {
    expanded.emplace_back(std::string(l.name), ExpandEnv(l.value, opts.env));
  }
  std::vector<std::pair<std::string_view, std::string_view>> views(expanded.begin(),
                                                                   expanded.end());
  cfg->global.external_labels = Labels::FromPairs(std::move(views));
  const std::string& ts = cfg->otlp.translation_strategy;
  if (ts == "NoTranslation" || ts == "NoUTF8EscapingWithSuffixes") {
    if (scheme == NameValidation::kLegacy) {
      return doc.Error(r.KeyLine("otlp"), "OTLP translation strategy " + GoQuote(ts) +
                                              " is not allowed when UTF8 is disabled");
    }
  } else if (!ts.empty() && ts != "UnderscoreEscapingWithSuffixes" &&
             ts != "UnderscoreEscapingWithoutSuffixes") {
    return doc.Error(r.KeyLine("otlp"), "unsupported OTLP translation strategy " + GoQuote(ts));
  }
  if (opts.agent_mode) {
    if (!cfg->alerting.alertmanagers.empty() || !cfg->alerting.alert_relabel_configs.empty()) {
      return doc.Error(r.KeyLine("alerting"), "field alerting is not allowed in agent mode");
    }
    if (!cfg->rule_files.empty()) {
      return doc.Error(r.KeyLine("rule_files"), "field rule_files is not allowed in agent mode");
    }
    if (!cfg->remote_read.empty()) {
      return doc.Error(r.KeyLine("remote_read"), "field remote_read is not allowed in agent mode");
    }
  }
  return Status::OK();
}

void SetDirectory(const std::string& dir, Config* c) {
  if (dir.empty()) return;
  c->global.query_log_file = JoinDir(dir, c->global.query_log_file);
  c->global.scrape_failure_log_file = JoinDir(dir, c->global.scrape_failure_log_file);
  for (auto& am : c->alerting.alertmanagers) {
    SetSDDirectory(dir, &am.sd);
    SetHTTPDirectory(dir, &am.http);
  }
  if (c->tracing) {
    c->tracing->tls_config.ca_file = JoinDir(dir, c->tracing->tls_config.ca_file);
    c->tracing->tls_config.cert_file = JoinDir(dir, c->tracing->tls_config.cert_file);
    c->tracing->tls_config.key_file = JoinDir(dir, c->tracing->tls_config.key_file);
  }
  for (auto& f : c->rule_files) f = JoinDir(dir, f);
  for (auto& f : c->scrape_config_files) f = JoinDir(dir, f);
  for (auto& s : c->scrape_configs) SetScrapeDirectory(dir, &s);
  for (auto& rw : c->remote_write) SetHTTPDirectory(dir, &rw.http);
  for (auto& rr : c->remote_read) SetHTTPDirectory(dir, &rr.http);
}

std::string DirOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

Result<Config> Load(std::string_view yaml, const LoadOptions& opts) {
  YamlDoc doc(opts.file_name);
  if (yaml.size() > opts.max_bytes) {
    return doc.Error(0, "file larger than " + std::to_string(opts.max_bytes) + " bytes");
  }
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, ParseYAML(doc, yaml));
  Config cfg;
  try {
    VIGIL_RETURN_IF_ERROR(DecodeConfig(doc, root, opts, &cfg));
  } catch (const std::exception& e) {
    // yaml-cpp may still throw while walking a document (e.g. recursion limits).
    return doc.Error(0, std::string("yaml: ") + e.what());
  }
  SetDirectory(opts.base_dir, &cfg);
  return cfg;
}

Result<Config> LoadFile(const std::string& path, bool agent_mode) {
  LoadOptions opts;
  VIGIL_ASSIGN_OR_RETURN(std::string data, ReadFileBytes(path, opts.max_bytes));
  opts.base_dir = DirOf(path);
  opts.file_name = path;
  opts.agent_mode = agent_mode;
  VIGIL_ASSIGN_OR_RETURN(Config cfg, Load(data, opts));
  cfg.source_file = path;
  return cfg;
}

Result<std::vector<StaticConfig>> LoadTargetGroups(std::string_view data,
                                                   std::string_view file_name, bool json) {
  YamlDoc doc{std::string(file_name)};
  if (data.size() > LoadOptions().max_bytes) return doc.Error(0, "input too large");
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, ParseYAML(doc, data));
  std::vector<StaticConfig> out;
  try {
    if (root.IsNull()) return out;
    if (!root.IsSequence()) {
      return doc.Error(NodeLine(root),
                       "cannot unmarshal " + NodeTag(root) + " into []*targetgroup.Group");
    }
    size_t i = 0;
    for (const auto& item : root) {
      int line = NodeLine(item);
      if (item.IsNull()) {
        return doc.Error(line, "nil target group item found (index " + std::to_string(i) + ")");
      }
      out.emplace_back();
      VIGIL_RETURN_IF_ERROR(DecodeStatic(doc, item, line, &out.back(), /*strict=*/!json));
      ++i;
    }
  } catch (const std::exception& e) {
    return doc.Error(0, std::string("yaml: ") + e.what());
  }
  return out;
}

Result<std::vector<StaticConfig>> LoadTargetGroupsFile(const std::string& path) {
  std::string ext = Lower(std::filesystem::path(path).extension().string());
  if (ext != ".json" && ext != ".yml" && ext != ".yaml") {
    return Status::InvalidArgument("invalid file extension: " +
                                   GoQuote(std::filesystem::path(path).extension().string()));
  }
  VIGIL_ASSIGN_OR_RETURN(std::string data, ReadFileBytes(path, LoadOptions().max_bytes));
  return LoadTargetGroups(data, path, ext == ".json");
}

Result<std::vector<relabel::Config>> LoadRelabelConfigs(std::string_view yaml,
                                                        relabel::NameValidation scheme,
                                                        std::string_view file_name) {
  YamlDoc doc{std::string(file_name)};
  if (yaml.size() > LoadOptions().max_bytes) return doc.Error(0, "input too large");
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, ParseYAML(doc, yaml));
  std::vector<relabel::Config> out;
  std::vector<int> lines;
  try {
    if (root.IsNull()) return out;
    if (!root.IsSequence()) {
      return doc.Error(NodeLine(root),
                       "cannot unmarshal " + NodeTag(root) + " into []relabel.Config");
    }
    for (const auto& item : root) {
      int line = NodeLine(item);
      if (item.IsNull()) return doc.Error(line, "empty or null relabeling rule");
      out.emplace_back();
      lines.push_back(line);
      VIGIL_RETURN_IF_ERROR(DecodeRelabel(doc, item, line, &out.back()));
    }
  } catch (const std::exception& e) {
    return doc.Error(0, std::string("yaml: ") + e.what());
  }
  VIGIL_RETURN_IF_ERROR(ValidateRelabels(doc, &out, lines, scheme));
  return out;
}

Result<std::vector<ScrapeConfig>> Config::GetScrapeConfigs() const {
  std::vector<ScrapeConfig> out = scrape_configs;
  std::map<std::string, std::string> jobs;
  for (const auto& s : scrape_configs) jobs[s.job_name] = "main config file";
  for (const auto& pattern : scrape_config_files) {
    glob_t g{};
    int rc = glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return Status::IOError("error retrieving scrape config files for " + GoQuote(pattern));
    }
    for (const auto& file : files) {
      YamlDoc doc(file);
      VIGIL_ASSIGN_OR_RETURN(std::string data, ReadFileBytes(file, LoadOptions().max_bytes));
      VIGIL_ASSIGN_OR_RETURN(YAML::Node root, ParseYAML(doc, data));
      std::vector<RawScrape> scrapes;
      try {
        MapReader r(doc, root, "config.ScrapeConfigs", 1);
        r.List("scrape_configs", &scrapes, "empty or null scrape config section",
               [&](const YAML::Node& item, int line, RawScrape* s) {
                 return DecodeScrape(doc, item, line, s);
               });
        VIGIL_RETURN_IF_ERROR(r.Finish());
      } catch (const std::exception& e) {
        return doc.Error(0, std::string("yaml: ") + e.what());
      }
      std::string abs = std::filesystem::absolute(file).lexically_normal().string();
      for (auto& s : scrapes) {
        VIGIL_RETURN_IF_ERROR(ValidateScrape(doc, global, &s));
        auto it = jobs.find(s.cfg.job_name);
        if (it != jobs.end()) {
          return doc.Error(s.line, "found multiple scrape configs with job name " +
                                       GoQuote(s.cfg.job_name) + ", first found in " + it->second);
        }
        jobs[s.cfg.job_name] = GoQuote(abs);
        SetScrapeDirectory(DirOf(file), &s.cfg);
        s.cfg.source_file = file;
        out.push_back(std::move(s.cfg));
      }
    }
  }
  return out;
}

}  // namespace vigil::config
