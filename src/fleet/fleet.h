// Fleet: the simulated microservice fleet behind `vigil fleet` — services × versions ×
// instances pods, each a scrape target on its own port (127.0.0.1:base_port + i) exposing
// application, Istio and OS metrics (see mix.h), with an injectable incident.
//
// Values advance only when a target is scraped, by the time since its previous scrape, so
// an idle fleet costs nothing. The incident makes one service version answer a large share
// of requests with Envoy response flags UC and UH (503) and CPU-throttles its pods; it is
// switched by SetIncident(), by --incident-after, or over HTTP on the control port
// (POST /incident/on, /incident/off; GET /stats). GET /stats works on every port.
//
// Thread-safety: all public methods are thread-safe after Build(); Start()/Stop() from one
// thread. Renders of different targets run in parallel; one target renders at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/status.h"
#include "fleet/mix.h"
#include "fleet/target.h"
#include "fleet/topology.h"

namespace vigil::net {
class HttpServer;
struct HttpRequest;
struct HttpResponse;
}  // namespace vigil::net

namespace vigil::fleet {

class MultiPortServer;

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// Picks the exposition format for an Accept header: OpenMetrics when the client ranks
// application/openmetrics-text above text/plain (by q, then by order), else text.
Format NegotiateFormat(std::string_view accept);

struct FleetStats {
  uint64_t scrapes = 0;
  uint64_t samples_served = 0;
  uint64_t bytes_served = 0;
  uint64_t renders = 0;
  uint64_t openmetrics_scrapes = 0;
  uint64_t gzip_scrapes = 0;
  double render_seconds = 0;
  double max_render_seconds = 0;
  double build_seconds = 0;
};

class Fleet {
 public:
  explicit Fleet(FleetOptions options, const Clock* clock = RealClock::Default());
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Validates the options and builds every target. InvalidArgument on bad options.
  Status Build();
  // Builds if needed, binds the target ports (and the control port) and starts serving.
  // IOError when a port cannot be bound.
  Status Start();
  // Stops serving and closes open connections (scrapers see the targets die). Idempotent.
  void Stop();

  const FleetOptions& options() const { return options_; }
  const Topology& topology() const { return *topology_; }
  int num_targets() const { return int(targets_.size()); }
  const TargetInfo& info(int target) const { return targets_[target]->info; }
  size_t num_series(int target) const;
  MixReport mix(int target) const { return targets_[target]->mix; }
  // Valid after Start().
  uint16_t port(int target) const;
  uint16_t control_port() const;

  // Renders target `target` as a scrape at the clock's current time would, counting it in
  // the stats. Appends to *out and returns the number of samples.
  size_t Scrape(int target, Format format, std::string* out);

  void SetIncident(bool on);
  bool incident() const { return incident_.load(); }

  FleetStats stats() const;
  std::string StatsJson() const;
  // A file_sd JSON document listing every target with service/version/dc labels.
  std::string FileSdJson() const;

 private:
  struct Slot {
    TargetInfo info;
    MixReport mix;
    Mutex mu;
    std::unique_ptr<Target> target VIGIL_GUARDED_BY(mu);
    size_t num_series = 0;
  };
  void HandleTarget(size_t i, const net::HttpRequest& req, net::HttpResponse* resp);
  void HandleControl(const net::HttpRequest& req, net::HttpResponse* resp);
  void CheckIncidentTimer();

  FleetOptions options_;
  const Clock* clock_;
  std::unique_ptr<Topology> topology_;
  std::vector<std::unique_ptr<Slot>> targets_;
  std::unique_ptr<MultiPortServer> server_;
  std::unique_ptr<net::HttpServer> control_;
  int64_t start_ms_ = 0;
  std::atomic<bool> incident_{false};
  std::atomic<bool> incident_timer_fired_{false};

  std::atomic<uint64_t> scrapes_{0}, samples_{0}, bytes_{0}, renders_{0}, om_scrapes_{0},
      gzip_scrapes_{0}, render_ns_{0}, max_render_ns_{0};
  double build_seconds_ = 0;
};

}  // namespace vigil::fleet
