#include "api/api.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "api/json_writer.h"
#include "api/params.h"
#include "model/labels.h"

namespace vigil::api {

namespace {

enum Method : unsigned {
  kGet = 1,
  kPost = 2,
  kPut = 4,
  kDelete = 8,
  kHead = 16,
  kOptions = 32,
  kPatch = 64,
};

unsigned MethodBit(std::string_view m) {
  if (m == "GET") return kGet;
  if (m == "POST") return kPost;
  if (m == "PUT") return kPut;
  if (m == "DELETE") return kDelete;
  if (m == "HEAD") return kHead;
  if (m == "OPTIONS") return kOptions;
  if (m == "PATCH") return kPatch;
  return 0;
}

std::string AllowHeader(unsigned methods) {
  static constexpr std::pair<unsigned, std::string_view> kNames[] = {
      {kDelete, "DELETE"}, {kGet, "GET"},   {kHead, "HEAD"}, {kOptions, "OPTIONS"},
      {kPatch, "PATCH"},   {kPost, "POST"}, {kPut, "PUT"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((methods & bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

void MethodNotAllowed(unsigned allowed, net::HttpResponse* resp) {
  resp->SetHeader("Allow", AllowHeader(allowed));
  WritePlainError(405, "Method Not Allowed", resp);
}

void NotFound(net::HttpResponse* resp) { WritePlainError(404, "404 page not found", resp); }

constexpr size_t kMaxAnnotations = 10;
constexpr std::string_view kTruncated = "results truncated due to limit";
constexpr std::string_view kLabelPrefix = "/api/v1/label/";
constexpr std::string_view kValuesSuffix = "/values";

// Saturating a + b for non-negative b.
int64_t SatAdd(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

// Go's end.Sub(start) in ns (saturating) for ms timestamps.
int64_t SubNs(int64_t end_ms, int64_t start_ms) {
  __int128 d = (__int128(end_ms) - start_ms) * 1000000;
  if (d > INT64_MAX) return INT64_MAX;
  if (d < INT64_MIN) return INT64_MIN;
  return int64_t(d);
}

// parseTimeParam: absent -> default; bad -> `invalid time value for 'name': ...`.
ApiError TimeParam(const net::HttpRequest& r, std::string_view name, int64_t def, int64_t* out) {
  std::string_view v = r.FormValue(name);
  if (v.empty()) {
    *out = def;
    return {};
  }
  Result<int64_t> t = ParseTimeMs(v);
  if (!t.has_value()) {
    return ApiError::InvalidParam(name, "invalid time value for '" + std::string(name) +
                                            "': " + std::string(t.error().message()));
  }
  *out = *t;
  return {};
}

ApiError TimeoutParam(const net::HttpRequest& r, std::optional<int64_t>* out) {
  std::string_view v = r.FormValue("timeout");
  if (v.empty()) return {};
  Result<int64_t> d = ParseDurationNs(v);
  if (!d.has_value()) return ApiError::InvalidParam("timeout", d.error().message());
  *out = *d;
  return {};
}

void WriteStats(const QueryStats& s, bool per_step, JsonWriter* w) {
  w->BeginObject();
  w->Key("timings");
  w->BeginObject();
  w->Key("evalTotalTime");
  w->Double(s.eval_total_time);
  w->Key("resultSortTime");
  w->Double(s.result_sort_time);
  w->Key("queryPreparationTime");
  w->Double(s.query_preparation_time);
  w->Key("innerEvalTime");
  w->Double(s.inner_eval_time);
  w->Key("execQueueTime");
  w->Double(s.exec_queue_time);
  w->Key("execTotalTime");
  w->Double(s.exec_total_time);
  w->EndObject();
  w->Key("samples");
  w->BeginObject();
  if (per_step && !s.total_queryable_samples_per_step.empty()) {
    w->Key("totalQueryableSamplesPerStep");
    w->BeginArray();
    for (const auto& [t, n] : s.total_queryable_samples_per_step) {
      w->BeginArray();
      w->Double(double(t) / 1000);
      w->Int(n);
      w->EndArray();
    }
    w->EndArray();
  }
  w->Key("totalQueryableSamples");
  w->Int(s.total_queryable_samples);
  w->Key("samplesRead");
  w->Int(s.samples_read);
  w->Key("peakSamples");
  w->Int(s.peak_samples);
  w->EndObject();
  w->EndObject();
}

void WriteQueryData(const QueryResult& res, std::string_view stats_param, JsonWriter* w) {
  w->BeginObject();
  w->Key("resultType");
  w->String(ValueTypeName(res.type));
  w->Key("result");
  switch (res.type) {
    case ValueType::kScalar: {
      // promql.Scalar.MarshalJSON: encoding/json float seconds, value in 'f' format.
      w->BeginArray();
      w->Double(double(res.scalar.t) / 1000);
      std::string v;
      AppendGoFloat(&v, res.scalar.v, 'f');
      w->String(v);
      w->EndArray();
      break;
    }
    case ValueType::kString:
      w->BeginArray();
      w->Double(double(res.string_t) / 1000);
      w->String(res.string_value);
      w->EndArray();
      break;
    case ValueType::kVector:
      w->BeginArray();
      for (const ResultSeries& s : res.series) {
        w->BeginObject();
        w->Key("metric");
        w->Labels(s.metric);
        w->Key("value");
        w->BeginArray();
        Sample smp = s.samples.empty() ? Sample{} : s.samples.front();
        w->Timestamp(smp.t);
        w->SampleValue(smp.v);
        w->EndArray();
        w->EndObject();
      }
      w->EndArray();
      break;
    case ValueType::kMatrix:
      w->BeginArray();
      for (const ResultSeries& s : res.series) {
        w->BeginObject();
        w->Key("metric");
        w->Labels(s.metric);
        if (!s.samples.empty()) {
          w->Key("values");
          w->BeginArray();
          for (const Sample& p : s.samples) {
            w->BeginArray();
            w->Timestamp(p.t);
            w->SampleValue(p.v);
            w->EndArray();
          }
          w->EndArray();
        }
        w->EndObject();
      }
      w->EndArray();
      break;
  }
  if (!stats_param.empty()) {
    w->Key("stats");
    WriteStats(res.stats, stats_param == "all", w);
  }
  w->EndObject();
}

void WriteStringList(const std::vector<std::string>& v, JsonWriter* w) {
  w->BeginArray();
  for (const auto& s : v) w->String(s);
  w->EndArray();
}

// Splits "scheme://authority/rest" into its parts; false if there is no "://".
bool SplitUrl(std::string_view url, std::string_view* scheme, std::string_view* authority,
              std::string_view* rest) {
  size_t p = url.find("://");
  if (p == std::string_view::npos) return false;
  *scheme = url.substr(0, p);
  std::string_view after = url.substr(p + 3);
  size_t end = after.find_first_of("/?#");
  *authority = after.substr(0, end);
  *rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  return true;
}

// Go's net.SplitHostPort, tolerating a missing port (Prometheus' sanitizeSplitHostPort).
void SplitHostPort(std::string_view hp, std::string_view* host, std::string_view* port) {
  if (!hp.empty() && hp.front() == '[') {
    size_t close = hp.find(']');
    if (close != std::string_view::npos) {
      *host = hp.substr(1, close - 1);
      std::string_view after = hp.substr(close + 1);
      *port = !after.empty() && after.front() == ':' ? after.substr(1) : std::string_view();
      return;
    }
  }
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos || hp.find(':') != colon) {
    *host = hp;  // no port, or a bare IPv6 address
    *port = {};
    return;
  }
  *host = hp.substr(0, colon);
  *port = hp.substr(colon + 1);
}

std::string JoinHostPort(std::string_view host, std::string_view port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  if (port.empty()) return h;
  return h + ":" + std::string(port);
}

}  // namespace

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kString:
      return "string";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
  }
  return "vector";
}

std::string_view TargetHealthName(TargetHealth h) {
  switch (h) {
    case TargetHealth::kUp:
      return "up";
    case TargetHealth::kDown:
      return "down";
    case TargetHealth::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string GlobalUrlFor(std::string_view scrape_url, std::string_view listen_address,
                         std::string_view external_scheme, std::string_view external_host) {
  std::string_view scheme, authority, rest;
  if (external_host.empty() || !SplitUrl(scrape_url, &scheme, &authority, &rest)) {
    return std::string(scrape_url);
  }
  std::string_view host, port;
  SplitHostPort(authority, &host, &port);
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") return std::string(scrape_url);
  std::string_view own_host, own_port;
  SplitHostPort(listen_address, &own_host, &own_port);
  if (port == own_port) {
    return std::string(external_scheme) + "://" + std::string(external_host) + std::string(rest);
  }
  std::string_view ext_host, ext_port;
  SplitHostPort(external_host, &ext_host, &ext_port);
  return std::string(scheme) + "://" + JoinHostPort(ext_host, port) + std::string(rest);
}

struct Api::Route {
  std::string_view path;
  unsigned methods;
  ApiFunc fn;
};

Api::Api(ApiOptions options, ApiDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      clock_(deps_.clock != nullptr ? deps_.clock : RealClock::Default()) {
  if (options_.cors_origin != ".*") {
    RE2::Options o;
    o.set_log_errors(false);
    cors_re_ = std::make_unique<re2::RE2>("^(?:" + options_.cors_origin + ")$", o);
  }
  if (options_.enable_remote_write_receiver && deps_.appendable != nullptr) {
    write_handler_ =
        std::make_unique<remote::WriteHandler>(deps_.appendable, clock_, options_.remote_write);
  }
}

Api::~Api() = default;

void Api::Register(net::HttpServer* server) {
  auto h = [this](const net::HttpRequest& r, net::HttpResponse* w) { Serve(r, w); };
  server->Handle("/api/v1/", h);
  server->Handle("/-/healthy", h);
  server->Handle("/-/ready", h);
  server->Handle("/-/reload", h);
  server->Handle("/metrics", h);
}

void Api::SetReady(ReadyState state) { ready_.store(state, std::memory_order_release); }

bool Api::CheckReady(net::HttpResponse* resp) const {
  ReadyState s = ready();
  if (s == ReadyState::kReady) return true;
  resp->SetHeader("X-Prometheus-Stopping", s == ReadyState::kStopping ? "true" : "false");
  resp->status = 503;
  resp->content_type = "text/plain; charset=utf-8";
  resp->body = "Service Unavailable";
  return false;
}

void Api::SetCors(const net::HttpRequest& req, net::HttpResponse* resp) const {
  resp->SetHeader("Vary", "Origin");
  std::string_view origin = req.Header("Origin");
  if (origin.empty()) return;
  resp->SetHeader("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin");
  resp->SetHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  resp->SetHeader("Access-Control-Expose-Headers", "Date");
  if (cors_re_ == nullptr) {
    resp->SetHeader("Access-Control-Allow-Origin", "*");
  } else if (cors_re_->ok() && RE2::FullMatch(origin, *cors_re_)) {
    resp->SetHeader("Access-Control-Allow-Origin", std::string(origin));
  }
}

void Api::Serve(const net::HttpRequest& req, net::HttpResponse* resp) {
  const std::string& path = req.path;
  const unsigned m = MethodBit(req.method);
  if (path.rfind("/api/v1/", 0) == 0) {
    ServeApi(req, resp);
    return;
  }
  if (path == "/-/healthy") {
    if (m == kGet || m == kHead) {
      resp->status = 200;
      resp->body = m == kGet ? options_.app_name + " is Healthy.\n" : "";
    } else {
      MethodNotAllowed(kGet | kHead, resp);
    }
    return;
  }
  if (path == "/-/ready") {
    if (m != kGet && m != kHead) {
      MethodNotAllowed(kGet | kHead, resp);
      return;
    }
    if (!CheckReady(resp)) return;
    resp->status = 200;
    resp->body = m == kGet ? options_.app_name + " is Ready.\n" : "";
    return;
  }
  if (path == "/-/reload") {
    if (m == kGet) {
      resp->status = 405;
      resp->body = "Only POST or PUT requests allowed";
      return;
    }
    if (m != kPost && m != kPut) {
      MethodNotAllowed(kGet | kPost | kPut, resp);
      return;
    }
    if (!options_.enable_lifecycle) {
      resp->status = 403;
      resp->body = "Lifecycle API is not enabled.";
      return;
    }
    Status s = deps_.reload ? deps_.reload() : Status::Unavailable("reload is not supported");
    if (!s.ok()) {
      WritePlainError(500, "failed to reload config: " + std::string(s.message()), resp);
      return;
    }
    resp->status = 200;
    resp->body.clear();
    return;
  }
  if (path == "/metrics") {
    if (m != kGet && m != kHead) {
      MethodNotAllowed(kGet | kHead, resp);
      return;
    }
    if (!deps_.metrics) {
      NotFound(resp);
      return;
    }
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    resp->body = m == kGet ? deps_.metrics() : "";
    return;
  }
  NotFound(resp);
}

void Api::ServeApi(const net::HttpRequest& req, net::HttpResponse* resp) {
  static const Route kRoutes[] = {
      {"/api/v1/query", kGet | kPost, &Api::Query},
      {"/api/v1/query_range", kGet | kPost, &Api::QueryRange},
      {"/api/v1/format_query", kGet | kPost, &Api::FormatQuery},
      {"/api/v1/parse_query", kGet | kPost, &Api::ParseQuery},
      {"/api/v1/labels", kGet | kPost, &Api::LabelNames},
      {"/api/v1/series", kGet | kPost, &Api::Series},
      {"/api/v1/targets", kGet, &Api::Targets},
      {"/api/v1/metadata", kGet, &Api::Metadata},
      {"/api/v1/status/config", kGet, &Api::StatusConfig},
      {"/api/v1/status/flags", kGet, &Api::StatusFlags},
      {"/api/v1/status/buildinfo", kGet, &Api::StatusBuildInfo},
      {"/api/v1/status/runtimeinfo", kGet, &Api::StatusRuntimeInfo},
      {"/api/v1/status/tsdb", kGet, &Api::StatusTsdb},
  };
  static const Route kLabelValues{"", kGet, &Api::LabelValues};

  const std::string& path = req.path;
  const unsigned m = MethodBit(req.method);
  if (m == kOptions) {
    RunJson(&Api::Options, req, resp);
    return;
  }
  if (path == "/api/v1/write") {
    if (m != kPost) {
      MethodNotAllowed(kPost | kOptions, resp);
      return;
    }
    if (!CheckReady(resp)) return;
    if (write_handler_ == nullptr) {
      WritePlainError(404,
                      "remote write receiver needs to be enabled with "
                      "--web.enable-remote-write-receiver",
                      resp);
      return;
    }
    write_handler_->ServeHttp(req, resp);
    return;
  }
  const Route* route = nullptr;
  for (const Route& r : kRoutes) {
    if (r.path == path) route = &r;
  }
  if (route == nullptr && path.size() > kLabelPrefix.size() + kValuesSuffix.size() &&
      path.compare(0, kLabelPrefix.size(), kLabelPrefix) == 0 &&
      path.compare(path.size() - kValuesSuffix.size(), kValuesSuffix.size(), kValuesSuffix) == 0) {
    std::string_view name(path);
    name =
        name.substr(kLabelPrefix.size(), path.size() - kLabelPrefix.size() - kValuesSuffix.size());
    if (name.find('/') == std::string_view::npos) route = &kLabelValues;
  }
  if (route == nullptr) {
    NotFound(resp);
    return;
  }
  if ((route->methods & m) == 0) {
    MethodNotAllowed(route->methods | kOptions, resp);
    return;
  }
  RunJson(route->fn, req, resp);
}

void Api::RunJson(ApiFunc fn, const net::HttpRequest& req, net::HttpResponse* resp) {
  if (!CheckReady(resp)) return;
  SetCors(req, resp);
  std::string& body = resp->body;
  body.clear();
  constexpr std::string_view kPrefix = R"({"status":"success","data":)";
  body.append(kPrefix);
  JsonWriter w(&body);
  Annotations a;
  ApiError err = (this->*fn)(req, &w, &a);
  if (!err.ok()) {
    WriteErrorResponse(err, resp);
    return;
  }
  if (body.size() == kPrefix.size()) {
    resp->status = 204;
    body.clear();
    return;
  }
  if (!a.warnings.empty()) {
    w.Key("warnings");
    WriteStringList(a.warnings, &w);
  }
  if (!a.infos.empty()) {
    w.Key("infos");
    WriteStringList(a.infos, &w);
  }
  body.push_back('}');
  resp->status = 200;
  resp->content_type = "application/json";
}

void Api::AddWarning(Annotations* a, std::string w) {
  if (std::find(a->warnings.begin(), a->warnings.end(), w) == a->warnings.end()) {
    a->warnings.push_back(std::move(w));
  }
}

ApiError Api::Options(const net::HttpRequest&, JsonWriter*, Annotations*) { return {}; }

ApiError Api::Query(const net::HttpRequest& r, JsonWriter* w, Annotations* a) {
  Result<int64_t> limit = ParseLimit(r.FormValue("limit"));
  if (!limit.has_value()) return ApiError::InvalidParam("limit", limit.error().message());
  QueryParams p;
  if (ApiError e = TimeParam(r, "time", clock_->NowMs(), &p.start_ms); !e.ok()) return e;
  p.end_ms = p.start_ms;
  std::optional<int64_t> timeout;
  if (ApiError e = TimeoutParam(r, &timeout); !e.ok()) return e;
  if (std::string_view lb = r.FormValue("lookback_delta"); !lb.empty()) {
    Result<int64_t> d = ParseDurationNs(lb);
    if (!d.has_value()) {
      return ApiError::BadData("error parsing lookback delta duration: " +
                               std::string(d.error().message()));
    }
    p.lookback_delta_ms = *d / 1000000;
  }
  p.query = std::string(r.FormValue("query"));
  p.per_step_stats = r.FormValue("stats") == "all";
  return RunQuery(r, p, *limit, timeout.value_or(-1), w, a);
}

ApiError Api::QueryRange(const net::HttpRequest& r, JsonWriter* w, Annotations* a) {
  Result<int64_t> limit = ParseLimit(r.FormValue("limit"));
  if (!limit.has_value()) return ApiError::InvalidParam("limit", limit.error().message());
  Result<int64_t> start = ParseTimeMs(r.FormValue("start"));
  if (!start.has_value()) return ApiError::InvalidParam("start", start.error().message());
  Result<int64_t> end = ParseTimeMs(r.FormValue("end"));
  if (!end.has_value()) return ApiError::InvalidParam("end", end.error().message());
  if (*end < *start) {
    return ApiError::InvalidParam("end", "end timestamp must not be before start time");
  }
  Result<int64_t> step = ParseDurationNs(r.FormValue("step"));
  if (!step.has_value()) return ApiError::InvalidParam("step", step.error().message());
  if (*step <= 0) {
    return ApiError::InvalidParam(
        "step",
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  // For safety, limit the number of returned points per time series (Prometheus: 11000).
  if (SubNs(*end, *start) / *step > 11000) {
    return ApiError::BadData(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
        "resolution (?step=XX)");
  }
  std::optional<int64_t> timeout;
  if (ApiError e = TimeoutParam(r, &timeout); !e.ok()) return e;
  QueryParams p;
  if (std::string_view lb = r.FormValue("lookback_delta"); !lb.empty()) {
    Result<int64_t> d = ParseDurationNs(lb);
    if (!d.has_value()) {
      return ApiError::BadData("error parsing lookback delta duration: " +
                               std::string(d.error().message()));
    }
    p.lookback_delta_ms = *d / 1000000;
  }
  p.query = std::string(r.FormValue("query"));
  p.start_ms = *start;
  p.end_ms = *end;
  // The engine works in ms; a sub-millisecond step is rounded up to 1ms.
  p.step_ms = std::max<int64_t>(1, *step / 1000000);
  p.per_step_stats = r.FormValue("stats") == "all";
  return RunQuery(r, p, *limit, timeout.value_or(-1), w, a);
}

ApiError Api::RunQuery(const net::HttpRequest& r, const QueryParams& params, int64_t limit,
                       int64_t timeout_ns, JsonWriter* w, Annotations* a) {
  if (deps_.engine == nullptr) {
    return ApiError::Make(kErrorUnavailable, "no query engine is configured");
  }
  Result<std::unique_ptr<vigil::api::Query>> q = deps_.engine->NewQuery(deps_.queryable, params);
  if (!q.has_value()) return ApiError::InvalidParam("query", q.error().message());

  // The earlier of --query.timeout and the `timeout` parameter (-1: none given).
  const int64_t now = Context::NowNs();
  int64_t deadline = 0;
  if (options_.query_timeout_ms > 0) deadline = SatAdd(now, options_.query_timeout_ms * 1000000);
  if (timeout_ns >= 0) {
    int64_t d = SatAdd(now, timeout_ns);
    if (deadline == 0 || d < deadline) deadline = d;
  }
  Context ctx(deadline, {});

  QueryResult res;
  Status s = (*q)->Exec(ctx, &res);
  if (!s.ok()) return ApiError::FromExecStatus(s);
  for (auto& warning : res.warnings) AddWarning(a, std::move(warning));
  for (auto& info : res.infos) {
    if (std::find(a->infos.begin(), a->infos.end(), info) == a->infos.end()) {
      a->infos.push_back(std::move(info));
    }
  }
  if (limit > 0 && (res.type == ValueType::kVector || res.type == ValueType::kMatrix) &&
      res.series.size() > size_t(limit)) {
    res.series.resize(size_t(limit));
    AddWarning(a, std::string(kTruncated));
  }
  std::string_view stats = r.FormValue("stats");
  if (!stats.empty() && stats != "true" && stats != "all") {
    AddWarning(a, "value " + GoQuote(stats) +
                      " for parameter \"stats\" is deprecated and will be rejected in the next "
                      "major release, use \"true\" or \"all\"");
  }
  // Prometheus caps each list at 10 entries plus a count of the omitted ones.
  auto cap = [](std::vector<std::string>* v, std::string_view what) {
    if (v->size() <= kMaxAnnotations) return;
    size_t omitted = v->size() - kMaxAnnotations;
    v->resize(kMaxAnnotations);
    v->push_back(std::to_string(omitted) + " more " + std::string(what) + " annotations omitted");
  };
  cap(&a->warnings, "warning");
  cap(&a->infos, "info");
  WriteQueryData(res, stats, w);
  return {};
}

ApiError Api::FormatQuery(const net::HttpRequest& r, JsonWriter* w, Annotations*) {
  if (deps_.parser == nullptr) {
    return ApiError::Make(kErrorInternal, "no PromQL parser is configured");
  }
  Result<std::string> f = deps_.parser->FormatQuery(r.FormValue("query"));
  if (!f.has_value()) return ApiError::InvalidParam("query", f.error().message());
  w->String(*f);
  return {};
}

ApiError Api::ParseQuery(const net::HttpRequest& r, JsonWriter* w, Annotations*) {
  if (deps_.parser == nullptr) {
    return ApiError::Make(kErrorInternal, "no PromQL parser is configured");
  }
  Status s = deps_.parser->WriteAst(r.FormValue("query"), w);
  if (!s.ok()) return ApiError::InvalidParam("query", s.message());
  return {};
}

ApiError Api::ParseMatcherSets(const std::vector<std::string_view>& selectors,
                               std::vector<std::vector<Matcher>>* out) const {
  out->clear();
  if (selectors.empty()) return {};
  if (deps_.parser == nullptr) {
    return ApiError::Make(kErrorInternal, "no PromQL parser is configured");
  }
  for (std::string_view sel : selectors) {
    Result<std::vector<Matcher>> ms = deps_.parser->ParseMetricSelector(sel);
    if (!ms.has_value()) return ApiError::BadData(ms.error().message());
    out->push_back(std::move(*ms));
  }
  for (const auto& ms : *out) {
    bool any =
        std::any_of(ms.begin(), ms.end(), [](const Matcher& m) { return !m.MatchesEmpty(); });
    if (!any) return ApiError::BadData("match[] must contain at least one non-empty matcher");
  }
  return {};
}

ApiError Api::LabelNames(const net::HttpRequest& r, JsonWriter* w, Annotations* a) {
  Result<int64_t> limit = ParseLimit(r.FormValue("limit"));
  if (!limit.has_value()) return ApiError::InvalidParam("limit", limit.error().message());
  int64_t start, end;
  if (ApiError e = TimeParam(r, "start", kMinTimeMs, &start); !e.ok()) return e;
  if (ApiError e = TimeParam(r, "end", kMaxTimeMs, &end); !e.ok()) return e;
  std::vector<std::vector<Matcher>> sets;
  if (ApiError e = ParseMatcherSets(r.FormValues("match[]"), &sets); !e.ok()) return e;
  std::vector<std::string> names;
  if (deps_.queryable != nullptr) {
    Result<std::unique_ptr<storage::Querier>> q = deps_.queryable->NewQuerier(start, end);
    if (!q.has_value()) return ApiError::FromExecStatus(q.error());
    const size_t hint = *limit > 0 ? size_t(*limit) + 1 : 0;
    Context ctx = Context::WithTimeout(options_.query_timeout_ms);
    if (sets.size() <= 1) {
      Result<std::vector<std::string>> r2 =
          (*q)->LabelNames(ctx, sets.empty() ? std::vector<Matcher>{} : sets[0], hint);
      if (!r2.has_value()) return ApiError::Make(kErrorExecution, r2.error().message());
      names = std::move(*r2);
    } else {
      std::set<std::string> all;
      for (const auto& ms : sets) {
        Result<std::vector<std::string>> r2 = (*q)->LabelNames(ctx, ms, hint);
        if (!r2.has_value()) return ApiError::FromExecStatus(r2.error());
        all.insert(r2->begin(), r2->end());
      }
      names.assign(all.begin(), all.end());
    }
  }
  if (*limit > 0 && names.size() > size_t(*limit)) {
    names.resize(size_t(*limit));
    AddWarning(a, std::string(kTruncated));
  }
  WriteStringList(names, w);
  return {};
}

ApiError Api::LabelValues(const net::HttpRequest& r, JsonWriter* w, Annotations* a) {
  std::string_view raw(r.path);
  raw = raw.substr(kLabelPrefix.size(), raw.size() - kLabelPrefix.size() - kValuesSuffix.size());
  std::string name = raw.substr(0, 3) == "U__" ? UnescapeLabelName(raw) : std::string(raw);
  if (name.empty() || !IsValidUtf8(name)) {
    return ApiError::BadData("invalid label name: " + GoQuote(name));
  }
  Result<int64_t> limit = ParseLimit(r.FormValue("limit"));
  if (!limit.has_value()) return ApiError::InvalidParam("limit", limit.error().message());
  int64_t start, end;
  if (ApiError e = TimeParam(r, "start", kMinTimeMs, &start); !e.ok()) return e;
  if (ApiError e = TimeParam(r, "end", kMaxTimeMs, &end); !e.ok()) return e;
  std::vector<std::vector<Matcher>> sets;
  if (ApiError e = ParseMatcherSets(r.FormValues("match[]"), &sets); !e.ok()) return e;
  std::vector<std::string> vals;
  if (deps_.queryable != nullptr) {
    Result<std::unique_ptr<storage::Querier>> q = deps_.queryable->NewQuerier(start, end);
    if (!q.has_value()) return ApiError::Make(kErrorExecution, q.error().message());
    const size_t hint = *limit > 0 ? size_t(*limit) + 1 : 0;
    Context ctx = Context::WithTimeout(options_.query_timeout_ms);
    if (sets.size() <= 1) {
      Result<std::vector<std::string>> r2 =
          (*q)->LabelValues(ctx, name, sets.empty() ? std::vector<Matcher>{} : sets[0], hint);
      if (!r2.has_value()) return ApiError::Make(kErrorExecution, r2.error().message());
      vals = std::move(*r2);
    } else {
      std::set<std::string> all;
      for (const auto& ms : sets) {
        Result<std::vector<std::string>> r2 = (*q)->LabelValues(ctx, name, ms, hint);
        if (!r2.has_value()) return ApiError::Make(kErrorExecution, r2.error().message());
        all.insert(r2->begin(), r2->end());
      }
      vals.assign(all.begin(), all.end());
    }
  }
  std::sort(vals.begin(), vals.end());
  if (*limit > 0 && vals.size() > size_t(*limit)) {
    vals.resize(size_t(*limit));
    AddWarning(a, std::string(kTruncated));
  }
  WriteStringList(vals, w);
  return {};
}

ApiError Api::Series(const net::HttpRequest& r, JsonWriter* w, Annotations* a) {
  std::vector<std::string_view> selectors = r.FormValues("match[]");
  if (selectors.empty()) return ApiError::BadData("no match[] parameter provided");
  Result<int64_t> limit = ParseLimit(r.FormValue("limit"));
  if (!limit.has_value()) return ApiError::InvalidParam("limit", limit.error().message());
  int64_t start, end;
  if (ApiError e = TimeParam(r, "start", kMinTimeMs, &start); !e.ok()) return e;
  if (ApiError e = TimeParam(r, "end", kMaxTimeMs, &end); !e.ok()) return e;
  std::vector<std::vector<Matcher>> sets;
  if (ApiError e = ParseMatcherSets(selectors, &sets); !e.ok()) {
    return ApiError::InvalidParam("match[]", e.message);
  }
  std::vector<Labels> out;
  if (deps_.queryable != nullptr) {
    Result<std::unique_ptr<storage::Querier>> q = deps_.queryable->NewQuerier(start, end);
    if (!q.has_value()) return ApiError::FromExecStatus(q.error());
    storage::SelectHints hints;
    hints.start = start;
    hints.end = end;
    hints.func = "series";  // metadata only, no samples needed
    Context ctx = Context::WithTimeout(options_.query_timeout_ms);
    const bool merge = sets.size() > 1;
    bool truncated = false;
    for (const auto& ms : sets) {
      std::unique_ptr<storage::SeriesSet> set = (*q)->Select(ctx, merge, &hints, ms);
      size_t i = 0;
      while (set->Next()) {
        if (++i % 128 == 0) {
          if (Status s = ctx.Err(); !s.ok()) return ApiError::FromExecStatus(s);
        }
        out.push_back(set->At().labels());
        if (!merge && *limit > 0 && out.size() > size_t(*limit)) {
          truncated = true;
          break;
        }
      }
      if (Status s = set->Err(); !s.ok()) return ApiError::FromExecStatus(s);
      for (auto& warning : set->Warnings()) AddWarning(a, std::move(warning));
      if (truncated) break;
    }
    if (merge) {
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
    }
  }
  if (*limit > 0 && out.size() > size_t(*limit)) {
    out.resize(size_t(*limit));
    AddWarning(a, std::string(kTruncated));
  }
  w->BeginArray();
  for (const Labels& l : out) w->Labels(l);
  w->EndArray();
  return {};
}

std::string Api::GlobalUrl(const std::string& scrape_url) const {
  return GlobalUrlFor(scrape_url, options_.listen_address, options_.external_scheme,
                      options_.external_host);
}

ApiError Api::Targets(const net::HttpRequest& r, JsonWriter* w, Annotations*) {
  std::string state(r.FormValue("state"));
  std::transform(state.begin(), state.end(), state.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  const std::string_view pool(r.FormValue("scrapePool"));
  const bool show_active = state.empty() || state == "any" || state == "active";
  const bool show_dropped = state.empty() || state == "any" || state == "dropped";

  w->BeginObject();
  w->Key("activeTargets");
  w->BeginArray();
  if (show_active && deps_.targets != nullptr) {
    std::vector<ActiveTarget> ts = deps_.targets->ActiveTargets();
    std::stable_sort(ts.begin(), ts.end(), [](const ActiveTarget& x, const ActiveTarget& y) {
      return x.scrape_pool < y.scrape_pool;
    });
    for (const ActiveTarget& t : ts) {
      if (!pool.empty() && t.scrape_pool != pool) continue;
      w->BeginObject();
      w->Key("discoveredLabels");
      w->Labels(t.discovered_labels);
      w->Key("labels");
      w->Labels(t.labels);
      w->Key("scrapePool");
      w->String(t.scrape_pool);
      w->Key("scrapeUrl");
      w->String(t.scrape_url);
      w->Key("globalUrl");
      w->String(t.global_url.empty() ? GlobalUrl(t.scrape_url) : t.global_url);
      w->Key("lastError");
      w->String(t.last_error);
      w->Key("lastScrape");
      w->Time(t.last_scrape_ns);
      w->Key("lastScrapeDuration");
      w->Double(t.last_scrape_duration_s);
      w->Key("health");
      w->String(TargetHealthName(t.health));
      w->Key("scrapeInterval");
      w->String(t.scrape_interval);
      w->Key("scrapeTimeout");
      w->String(t.scrape_timeout);
      w->EndObject();
    }
  }
  w->EndArray();
  w->Key("droppedTargets");
  w->BeginArray();
  if (show_dropped && deps_.targets != nullptr) {
    std::vector<DroppedTarget> ts = deps_.targets->DroppedTargets();
    std::stable_sort(ts.begin(), ts.end(), [](const DroppedTarget& x, const DroppedTarget& y) {
      return x.scrape_pool < y.scrape_pool;
    });
    for (const DroppedTarget& t : ts) {
      if (!pool.empty() && t.scrape_pool != pool) continue;
      w->BeginObject();
      w->Key("discoveredLabels");
      w->Labels(t.discovered_labels);
      w->Key("scrapePool");
      w->String(t.scrape_pool);
      w->EndObject();
    }
  }
  w->EndArray();
  w->Key("droppedTargetCounts");
  if (show_dropped) {
    w->BeginObject();
    if (deps_.targets != nullptr) {
      for (const auto& [p, n] : deps_.targets->DroppedTargetCounts()) {
        w->Key(p);
        w->Int(n);
      }
    }
    w->EndObject();
  } else {
    w->Null();
  }
  w->EndObject();
  return {};
}

ApiError Api::Metadata(const net::HttpRequest& r, JsonWriter* w, Annotations*) {
  int64_t limit = -1, limit_per_metric = -1;
  bool range_error;
  if (std::string_view s = r.FormValue("limit");
      !s.empty() && !ParseGoInt(s, &limit, &range_error)) {
    return ApiError::BadData("limit must be a number");
  }
  if (std::string_view s = r.FormValue("limit_per_metric");
      !s.empty() && !ParseGoInt(s, &limit_per_metric, &range_error)) {
    return ApiError::BadData("limit_per_metric must be a number");
  }
  std::map<std::string, std::vector<MetricMetadata>> metrics;
  if (deps_.metadata != nullptr) {
    for (MetricMetadata& md : deps_.metadata->Metadata(r.FormValue("metric"))) {
      auto& list = metrics[md.metric_family];
      if (limit_per_metric > 0 && list.size() >= size_t(limit_per_metric)) continue;
      bool dup = std::any_of(list.begin(), list.end(), [&](const MetricMetadata& o) {
        return o.type == md.type && o.help == md.help && o.unit == md.unit;
      });
      if (!dup) list.push_back(std::move(md));
    }
  }
  w->BeginObject();
  int64_t n = 0;
  for (const auto& [name, list] : metrics) {
    if (limit >= 0 && n >= limit) break;
    ++n;
    w->Key(name);
    w->BeginArray();
    for (const MetricMetadata& md : list) {
      w->BeginObject();
      w->Key("type");
      w->String(md.type);
      w->Key("help");
      w->String(md.help);
      w->Key("unit");
      w->String(md.unit);
      w->EndObject();
    }
    w->EndArray();
  }
  w->EndObject();
  return {};
}

ApiError Api::StatusConfig(const net::HttpRequest&, JsonWriter* w, Annotations*) {
  w->BeginObject();
  w->Key("yaml");
  w->String(deps_.status != nullptr ? deps_.status->ConfigYaml() : std::string());
  w->EndObject();
  return {};
}

ApiError Api::StatusFlags(const net::HttpRequest&, JsonWriter* w, Annotations*) {
  std::map<std::string, std::string> flags;
  if (deps_.status != nullptr) {
    for (auto& [k, v] : deps_.status->Flags()) flags[k] = v;
  }
  w->BeginObject();
  for (const auto& [k, v] : flags) {
    w->Key(k);
    w->String(v);
  }
  w->EndObject();
  return {};
}

ApiError Api::StatusBuildInfo(const net::HttpRequest&, JsonWriter* w, Annotations*) {
  BuildInfo b = deps_.status != nullptr ? deps_.status->GetBuildInfo() : BuildInfo();
  w->BeginObject();
  w->Key("version");
  w->String(b.version);
  w->Key("revision");
  w->String(b.revision);
  w->Key("branch");
  w->String(b.branch);
  w->Key("buildUser");
  w->String(b.build_user);
  w->Key("buildDate");
  w->String(b.build_date);
  w->Key("goVersion");
  w->String(b.go_version);
  w->EndObject();
  return {};
}

ApiError Api::StatusRuntimeInfo(const net::HttpRequest&, JsonWriter* w, Annotations*) {
  if (deps_.status == nullptr) {
    return ApiError::Make(kErrorInternal, "runtime information is not available");
  }
  Result<RuntimeInfo> ri = deps_.status->GetRuntimeInfo();
  if (!ri.has_value()) return ApiError::Make(kErrorInternal, ri.error().message());
  const RuntimeInfo& i = *ri;
  w->BeginObject();
  w->Key("startTime");
  w->Time(i.start_time_ns);
  w->Key("CWD");
  w->String(i.cwd);
  w->Key("hostname");
  w->String(i.hostname);
  w->Key("serverTime");
  w->Time(i.server_time_ns);
  w->Key("reloadConfigSuccess");
  w->Bool(i.reload_config_success);
  w->Key("lastConfigTime");
  w->Time(i.last_config_time_ns);
  w->Key("corruptionCount");
  w->Int(i.corruption_count);
  w->Key("goroutineCount");
  w->Int(i.goroutine_count);
  w->Key("GOMAXPROCS");
  w->Int(i.gomaxprocs);
  w->Key("GOMEMLIMIT");
  w->Int(i.gomemlimit);
  w->Key("GOGC");
  w->String(i.gogc);
  w->Key("GODEBUG");
  w->String(i.godebug);
  w->Key("storageRetention");
  w->String(i.storage_retention);
  w->EndObject();
  return {};
}

ApiError Api::StatusTsdb(const net::HttpRequest& r, JsonWriter* w, Annotations*) {
  constexpr int64_t kMaxTsdbLimit = 10000;
  int64_t limit = 10;
  if (std::string_view s = r.FormValue("limit"); !s.empty()) {
    bool range_error;
    if (!ParseGoInt(s, &limit, &range_error) || limit < 1) {
      return ApiError::BadData("limit must be a positive number");
    }
    if (limit > kMaxTsdbLimit) {
      return ApiError::BadData("limit must not exceed " + std::to_string(kMaxTsdbLimit));
    }
  }
  if (deps_.tsdb == nullptr) return ApiError::Make(kErrorInternal, "TSDB status is not available");
  Result<TsdbStatus> st = deps_.tsdb->Stats(size_t(limit));
  if (!st.has_value()) return ApiError::Make(kErrorInternal, st.error().message());
  auto list = [&](std::string_view key, const std::vector<TsdbStat>& v) {
    w->Key(key);
    w->BeginArray();
    for (const TsdbStat& s : v) {
      w->BeginObject();
      w->Key("name");
      w->String(s.name);
      w->Key("value");
      w->Uint(s.value);
      w->EndObject();
    }
    w->EndArray();
  };
  w->BeginObject();
  w->Key("headStats");
  w->BeginObject();
  w->Key("numSeries");
  w->Uint(st->num_series);
  w->Key("numLabelPairs");
  w->Int(st->num_label_pairs);
  w->Key("chunkCount");
  w->Int(st->chunk_count);
  w->Key("minTime");
  w->Int(st->min_time);
  w->Key("maxTime");
  w->Int(st->max_time);
  w->EndObject();
  list("seriesCountByMetricName", st->series_count_by_metric_name);
  list("labelValueCountByLabelName", st->label_value_count_by_label_name);
  list("memoryInBytesByLabelName", st->memory_in_bytes_by_label_name);
  list("seriesCountByLabelValuePair", st->series_count_by_label_value_pair);
  w->EndObject();
  return {};
}

}  // namespace vigil::api
