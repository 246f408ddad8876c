// FleetOptions and Topology: who is in the simulated fleet. Services × versions × instances
// pods, each one scrape target on its own port; pods alternate between two data centres;
// every service calls a few others (the mesh's call graph, which the Istio series follow);
// one service version can be switched into an incident. Immutable after construction;
// thread-safe to read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace vigil::fleet {

struct FleetOptions {
  int services = 20;
  int versions = 2;
  int instances = 3;  // pods per service version
  int targets = 0;    // > 0: serve only the first N targets (fleet.py's --targets)
  int series_per_target = 2000;
  uint64_t seed = 1;
  double churn = 0;  // fraction of series (whole groups) whose pod rotates
  int64_t churn_interval_ms = 600000;
  bool gzip = false;                // gzip responses when the scraper accepts gzip
  std::string profile = "default";  // "default" or "compliance" (adds the demo service)
  std::string incident_service;     // default: the second service
  std::string incident_version;     // default: the last version
  int64_t incident_after_ms = 0;    // > 0: the incident starts this long after Start()
  std::string listen_host = "127.0.0.1";
  int base_port = 10000;  // target i listens on base_port + i; 0: free ports
  int control_port = -1;  // < 0: no control server; 0: a free port
  int threads = 4;        // HTTP server threads

  // InvalidArgument with a message naming the bad option.
  Status Validate() const;
};

struct TargetInfo {
  int index = 0;
  int service = 0, version = 0, instance = 0;
  std::string service_name, version_name, namespace_name, dc;
  std::string pod;         // stable pod name: <service>-<version>-<replicaset>-<suffix>
  std::string pod_prefix;  // pod name without the suffix (churned series get new suffixes)
  double load = 1;         // request-rate multiplier of this pod
  double uptime_s = 3600;  // counters start as if the pod had been up this long
  bool incident = false;   // this pod belongs to the incident service version
};

class Topology {
 public:
  explicit Topology(const FleetOptions& options);

  int num_targets() const { return num_targets_; }
  TargetInfo Target(int index) const;

  const std::vector<std::string>& services() const { return services_; }
  const std::vector<std::string>& versions() const { return versions_; }
  std::string NamespaceOf(int service) const;
  // Services that `service` sends requests to / receives requests from.
  const std::vector<int>& Callees(int service) const { return callees_[service]; }
  const std::vector<int>& Callers(int service) const { return callers_[service]; }

  int incident_service() const { return incident_service_; }
  int incident_version() const { return incident_version_; }

 private:
  FleetOptions options_;
  int num_targets_ = 0;
  std::vector<std::string> services_, versions_;
  std::vector<std::vector<int>> callees_, callers_;
  int incident_service_ = 0, incident_version_ = 0;
};

}  // namespace vigil::fleet
