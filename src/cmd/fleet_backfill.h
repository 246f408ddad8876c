// `vigil fleet --backfill=DURATION ...`: instead of serving the fleet, simulate Prometheus
// scraping it over the past DURATION and remote-write the samples to --remote-write.url
// (src/backfill). Called by RunFleet once its flags are parsed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fleet/topology.h"

namespace vigil::cmd {

struct FleetBackfillFlags {
  int64_t duration_ms = 0;
  int64_t end_ms = 0;  // 0: now
  int64_t interval_ms = 15000;
  std::string job = "fleet";
  std::vector<std::string> urls;
  size_t max_samples_per_send = 5000;
  size_t shards = 1;        // parallel request streams per receiver
  int rounds_per_send = 0;  // see backfill::BackfillOptions
  int64_t timeout_ms = 30000;
};

// Runs the backfill and prints one JSON summary line on stdout. Returns the exit code.
int RunFleetBackfill(const fleet::FleetOptions& fleet, const FleetBackfillFlags& flags);

}  // namespace vigil::cmd
