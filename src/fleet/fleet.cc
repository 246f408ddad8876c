#include "fleet/fleet.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/logging.h"
#include "fleet/multi_port_server.h"
#include "net/http_server.h"

namespace vigil::fleet {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ContainsToken(std::string_view header, std::string_view token) {
  return header.find(token) != std::string_view::npos;
}

}  // namespace

Format NegotiateFormat(std::string_view accept) {
  double om_q = -1, text_q = -1;
  size_t om_pos = 0, text_pos = 0, pos = 0;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view part = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    ++pos;
    size_t semi = part.find(';');
    std::string_view type = Trim(part.substr(0, semi));
    double q = 1;
    while (semi != std::string_view::npos) {
      part = part.substr(semi + 1);
      semi = part.find(';');
      std::string_view param = Trim(part.substr(0, semi));
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        q = std::atof(std::string(param.substr(2)).c_str());
      }
    }
    if (type == "application/openmetrics-text") {
      if (q > om_q) om_q = q, om_pos = pos;
    } else if (type == "text/plain" || type == "*/*" || type == "text/*") {
      if (q > text_q) text_q = q, text_pos = pos;
    }
  }
  if (om_q > 0 && (om_q > text_q || (om_q == text_q && om_pos < text_pos))) {
    return Format::kOpenMetrics;
  }
  return Format::kText;
}

Fleet::Fleet(FleetOptions options, const Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

Fleet::~Fleet() { Stop(); }

Status Fleet::Build() {
  if (topology_ != nullptr) return Status::OK();
  VIGIL_RETURN_IF_ERROR(options_.Validate());
  auto t0 = std::chrono::steady_clock::now();
  topology_ = std::make_unique<Topology>(options_);
  int n = topology_->num_targets();
  targets_.resize(size_t(n));
  int64_t now = clock_->NowMs();
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int i = next++; i < n; i = next++) {
      auto slot = std::make_unique<Slot>();
      slot->info = topology_->Target(i);
      auto target = BuildTarget(*topology_, slot->info, options_, now, &slot->mix);
      slot->num_series = target->num_series();
      {
        MutexLock l(&slot->mu);
        slot->target = std::move(target);
      }
      targets_[size_t(i)] = std::move(slot);
    }
  };
  int workers = std::clamp(int(std::thread::hardware_concurrency()), 1, 8);
  std::vector<std::thread> threads;
  for (int w = 1; w < std::min(workers, n); ++w) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::OK();
}

Status Fleet::Start() {
  VIGIL_RETURN_IF_ERROR(Build());
  if (server_ != nullptr) return Status::OK();
  server_ = std::make_unique<MultiPortServer>(
      options_.threads, [this](size_t i, const net::HttpRequest& req, net::HttpResponse* resp) {
        HandleTarget(i, req, resp);
      });
  for (int i = 0; i < num_targets(); ++i) {
    uint16_t port = options_.base_port == 0 ? 0 : uint16_t(options_.base_port + i);
    auto r = server_->Listen(options_.listen_host, port);
    if (!r.has_value()) {
      server_.reset();
      return r.error();
    }
  }
  if (options_.control_port >= 0) {
    net::HttpServerOptions o;
    o.listen_address = options_.listen_host + ":" + std::to_string(options_.control_port);
    o.threads = 1;
    control_ = std::make_unique<net::HttpServer>(o);
    control_->Handle("/", [this](const net::HttpRequest& req, net::HttpResponse* resp) {
      HandleControl(req, resp);
    });
    Status s = control_->Start();
    if (!s.ok()) {
      control_.reset();
      server_.reset();
      return s;
    }
  }
  start_ms_ = clock_->NowMs();
  return server_->Start();
}

void Fleet::Stop() {
  if (control_ != nullptr) control_->Stop();
  if (server_ != nullptr) server_->Stop();
}

size_t Fleet::num_series(int target) const { return targets_[target]->num_series; }

uint16_t Fleet::port(int target) const { return server_ ? server_->port(size_t(target)) : 0; }

uint16_t Fleet::control_port() const { return control_ ? control_->port() : 0; }

void Fleet::SetIncident(bool on) {
  bool was = incident_.exchange(on);
  if (was != on) {
    VIGIL_LOG_INFO("fleet", on ? "incident on" : "incident off", "service={} version={}",
                   topology_->services()[topology_->incident_service()],
                   topology_->versions()[topology_->incident_version()]);
  }
}

void Fleet::CheckIncidentTimer() {
  if (options_.incident_after_ms <= 0 || incident_timer_fired_.load()) return;
  if (clock_->NowMs() - start_ms_ < options_.incident_after_ms) return;
  if (!incident_timer_fired_.exchange(true)) SetIncident(true);
}

size_t Fleet::Scrape(int target, Format format, std::string* out) {
  CheckIncidentTimer();
  Slot& slot = *targets_[size_t(target)];
  auto t0 = std::chrono::steady_clock::now();
  size_t samples;
  size_t before = out->size();
  {
    MutexLock l(&slot.mu);
    samples = slot.target->Render(clock_->NowMs(), format, incident_.load(), out);
  }
  uint64_t ns = uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  scrapes_++;
  renders_++;
  samples_ += samples;
  bytes_ += out->size() - before;
  render_ns_ += ns;
  uint64_t prev = max_render_ns_.load();
  while (ns > prev && !max_render_ns_.compare_exchange_weak(prev, ns)) {
  }
  if (format == Format::kOpenMetrics) om_scrapes_++;
  return samples;
}

void Fleet::HandleTarget(size_t i, const net::HttpRequest& req, net::HttpResponse* resp) {
  if (req.path == "/metrics") {
    Format f = NegotiateFormat(req.Header("Accept"));
    resp->content_type =
        std::string(f == Format::kText ? kTextContentType : kOpenMetricsContentType);
    Scrape(int(i), f, &resp->body);
    if (options_.gzip && ContainsToken(req.Header("Accept-Encoding"), "gzip")) {
      size_t raw = resp->body.size();
      resp->body = net::Gzip(resp->body, 1);
      resp->SetHeader("Content-Encoding", "gzip");
      bytes_ -= raw - std::min(raw, resp->body.size());
      gzip_scrapes_++;
    }
    return;
  }
  if (req.path == "/stats") {
    resp->content_type = "application/json";
    resp->body = StatsJson();
    return;
  }
  if (req.path == "/" || req.path == "/-/healthy" || req.path == "/-/ready") {
    resp->body = "OK\n";
    return;
  }
  resp->status = 404;
  resp->body = "404 page not found\n";
}

void Fleet::HandleControl(const net::HttpRequest& req, net::HttpResponse* resp) {
  if (req.path == "/incident/on" || req.path == "/incident/off") {
    if (req.method != "POST") {
      resp->status = 405;
      resp->body = "use POST\n";
      return;
    }
    SetIncident(req.path == "/incident/on");
    resp->content_type = "application/json";
    resp->body = StatsJson();
    return;
  }
  if (req.path == "/stats") {
    resp->content_type = "application/json";
    resp->body = StatsJson();
    return;
  }
  if (req.path == "/targets") {
    resp->content_type = "application/json";
    resp->body = FileSdJson();
    return;
  }
  if (req.path == "/" || req.path == "/-/healthy" || req.path == "/-/ready") {
    resp->body = "OK\n";
    return;
  }
  resp->status = 404;
  resp->body = "404 page not found\n";
}

FleetStats Fleet::stats() const {
  FleetStats s;
  s.scrapes = scrapes_.load();
  s.samples_served = samples_.load();
  s.bytes_served = bytes_.load();
  s.renders = renders_.load();
  s.openmetrics_scrapes = om_scrapes_.load();
  s.gzip_scrapes = gzip_scrapes_.load();
  s.render_seconds = double(render_ns_.load()) / 1e9;
  s.max_render_seconds = double(max_render_ns_.load()) / 1e9;
  s.build_seconds = build_seconds_;
  return s;
}

std::string Fleet::StatsJson() const {
  FleetStats s = stats();
  size_t series = 0;
  for (const auto& t : targets_) series += t->num_series;
  std::string incident_service, incident_version;
  if (topology_) {
    incident_service = topology_->services()[topology_->incident_service()];
    incident_version = topology_->versions()[topology_->incident_version()];
  }
  double uptime = start_ms_ > 0 ? double(clock_->NowMs() - start_ms_) / 1000.0 : 0;
  return fmt::format(
      "{{\"targets\":{},\"series_per_target\":{},\"series\":{},\"scrapes\":{},"
      "\"samples_served\":{},\"bytes_served\":{},\"renders\":{},\"render_seconds\":{:.6f},"
      "\"max_render_seconds\":{:.6f},\"openmetrics_scrapes\":{},\"gzip_scrapes\":{},"
      "\"build_seconds\":{:.3f},\"started\":{:.3f},\"uptime\":{:.3f},\"incident\":{},"
      "\"incident_service\":\"{}\",\"incident_version\":\"{}\",\"profile\":\"{}\"}}\n",
      targets_.size(), options_.series_per_target, series, s.scrapes, s.samples_served,
      s.bytes_served, s.renders, s.render_seconds, s.max_render_seconds, s.openmetrics_scrapes,
      s.gzip_scrapes, s.build_seconds, double(start_ms_) / 1000.0, uptime,
      incident_.load() ? "true" : "false", incident_service, incident_version, options_.profile);
}

std::string Fleet::FileSdJson() const {
  std::string host = options_.listen_host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  std::string out = "[\n";
  for (int i = 0; i < num_targets(); ++i) {
    const TargetInfo& t = info(i);
    int port = server_ ? this->port(i) : options_.base_port + i;
    out += fmt::format(
        "  {{\"targets\": [\"{}:{}\"], \"labels\": {{\"service\": \"{}\", \"version\": "
        "\"{}\"}}}}{}\n",
        host, port, t.service_name, t.version_name, i + 1 < num_targets() ? "," : "");
  }
  out += "]\n";
  return out;
}

}  // namespace vigil::fleet
