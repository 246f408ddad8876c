// Backfiller: history for a simulated fleet without waiting for it. It renders every target
// of a `vigil fleet` (src/fleet) at the times Prometheus would have scraped it over a past
// window, turns each simulated scrape into the samples Prometheus' scrape loop would have
// stored, and streams them in time order as remote-write 1.0 requests to a RequestSink
// (WriteFanout: one or more receivers, each getting the identical stream).
//
// What a simulated scrape of target i at time t stores (as Prometheus with honor_labels:
// false and default scrape settings would):
//   * every sample of the exposition, labelled with the target labels job=<job> and
//     instance=<host>:<base_port+i> (an exposed job/instance becomes exported_job/
//     exported_instance) and stamped t (or the exposition's own timestamp);
//   * a staleness marker (the StaleNaN bit pattern, model/value.h) at t for every series the
//     previous scrape of the target had and this one has not (e.g. demo_intermittent_metric,
//     which only exists in even minutes, or a churned pod's series);
//   * the report series up, scrape_duration_seconds (the measured render + parse time),
//     scrape_samples_scraped, scrape_samples_post_metric_relabeling, scrape_series_added.
// Scrape times: each target has a fixed offset in [0, interval) derived from its index and
// the seed, with millisecond resolution like Prometheus' per-target offsets, so samples do
// not sit on a round grid; target i is scraped at k*interval + offset_i for every k with
// that time in [start, end].
//
// Streaming: samples are buffered up to max_samples_per_request x shards (or, with
// rounds_per_send > 0, for that many scrape rounds of every target), then grouped by series
// (a series' samples stay in time order) into requests. Buffering several rounds puts
// several samples under one label set, which is how a remote-write sender catching up after
// an outage sends, and makes receivers' per-sample cost dominate rather than their per-series
// lookup cost. Like Prometheus' remote-write shards, a
// series always goes to the same of `shards` request streams (series id modulo shards), each
// sent in order, one request at a time, so the streams can be sent in parallel.
// Memory is bounded by the number of live series (their encoded labels and a 64-bit hash of
// their exposition line, the scrape cache) plus one request, not by the length of the
// window. Series not seen for a while are evicted from the cache. Two exposition lines with
// equal 64-bit xxh3 hashes would be merged into one series (for a million series the odds
// are about 3e-8).
//
// Thread-safety: a Backfiller is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "fleet/topology.h"

namespace vigil::backfill {

struct BackfillOptions {
  int64_t start_ms = 0;  // first possible scrape time (inclusive)
  int64_t end_ms = 0;    // last possible scrape time (inclusive)
  int64_t interval_ms = 15000;
  std::string job = "fleet";
  std::string instance_host = "127.0.0.1";  // instance = <instance_host>:<base_port + i>
  int base_port = 10000;
  bool report_series = true;  // up, scrape_duration_seconds, ...
  size_t max_samples_per_request = 5000;
  size_t shards = 1;  // parallel request streams (see RequestSink::Send)
  // 0: send whenever max_samples_per_request x shards samples are buffered; K in 1..64:
  // send after every K scrape rounds (memory: K rounds of samples, 24 bytes each).
  int rounds_per_send = 0;

  // InvalidArgument naming the bad option.
  Status Validate() const;
};

struct BackfillStats {
  uint64_t scrapes = 0;
  uint64_t samples = 0;        // including stale markers and report samples
  uint64_t stale_markers = 0;  // of those, staleness markers
  uint64_t series = 0;         // distinct series created (a series evicted and seen again
                               // counts twice)
  uint64_t requests = 0;
  uint64_t request_bytes = 0;  // snappy-compressed
  double seconds = 0;
};

// Where requests go: e.g. a WriteFanout, or a test's capture.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // Takes one snappy-compressed WriteRequest for stream `shard` (< BackfillOptions::shards).
  // The requests of one shard must reach a receiver in the order they are sent. An error
  // stops the backfill.
  virtual Status Send(std::shared_ptr<const std::string> body, size_t shard) = 0;
  // Returns once everything sent was delivered; the first error.
  virtual Status Flush() = 0;
};

struct TargetSchedule {
  std::string instance;
  int64_t offset_ms = 0;  // scrapes at k*interval + offset_ms
};

class Backfiller {
 public:
  // Builds the fleet (as if started at start_ms - interval_ms).
  static Result<std::unique_ptr<Backfiller>> Create(const fleet::FleetOptions& fleet,
                                                    const BackfillOptions& options);
  ~Backfiller();

  // The scrape schedule of every target, in target order.
  const std::vector<TargetSchedule>& schedule() const;

  // Runs the whole window into `sink` and flushes it. Errors: the sink's, or Internal for
  // an exposition the parser rejects (a fleet bug). *stats is filled either way.
  Status Run(RequestSink* sink, BackfillStats* stats);

 private:
  class Impl;
  explicit Backfiller(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::backfill
