// The metric mix of one simulated pod: which series a target of `vigil fleet` exposes.
//
// Three layers fill fixed shares of --series-per-target: 40% application (Micrometer /
// Spring Boot: http_server_requests_seconds histograms by method/uri/status/outcome,
// http_client_requests_seconds, jvm_*, tomcat_*, hikaricp_*, logback_*, process_*), 40% mesh
// (Istio/Envoy: istio_requests_total with the usual source/destination labels and
// response_flags, istio_request_duration_milliseconds / _bytes histograms, istio_tcp_*,
// envoy_*) and 20% OS (cAdvisor container_* and node_exporter node_*). Each layer takes
// whole groups (a histogram, a set of counters) from its generators in weighted turns until
// the next group would not fit, then tops up with single-series fillers, so the count is
// exact. What the incident changes comes first in its layer (a caller's UC/UH series for the
// incident service version; each container's CPU usage, quota and CFS throttling), so that
// small targets (vigil demo's 400 series) show it too. The compliance profile adds the
// PromLabs demo service's series on top.
//
// Pure function of (topology, target, options): the same seed builds the same series.
#pragma once

#include <cstdint>
#include <memory>

#include "fleet/target.h"
#include "fleet/topology.h"

namespace vigil::fleet {

struct MixReport {
  size_t app = 0, mesh = 0, os = 0, demo = 0;
};

// Builds target `info`. now_ms: the build time (process start times, churn generation).
std::unique_ptr<Target> BuildTarget(const Topology& topology, const TargetInfo& info,
                                    const FleetOptions& options, int64_t now_ms,
                                    MixReport* report = nullptr);

}  // namespace vigil::fleet
