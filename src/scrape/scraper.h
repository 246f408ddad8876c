// Scraper: runs the scrape loops. One I/O thread drives every HTTP request through one
// libcurl multi handle (no thread per target) and keeps the schedule; a few worker threads
// parse and append the bodies (ScrapeLoop::Process).
//
// Schedule (as Prometheus): a loop's first scrape happens at an offset within its interval
// derived from the target's hash, so that targets spread evenly and a target keeps its phase
// across restarts; then every interval. A tick that comes while the previous scrape of the
// same loop is still running is skipped. Each request carries Prometheus' headers (Accept
// from the job's scrape protocols, Accept-Encoding: gzip or identity, User-Agent,
// X-Prometheus-Scrape-Timeout-Seconds) and honours the scrape timeout and body_size_limit
// (uncompressed). Body buffers come from a bounded pool and go back after processing.
//
// Back-pressure: at most max_pending_bodies fetched bodies wait for (or are in) processing.
// When parsing and appending fall behind (a first scrape of a large fleet creates millions
// of series), due scrapes wait in a queue instead of piling up bodies in memory, and start
// as soon as a body is processed; their samples carry the time they actually start. The
// deferred ones are let go only as processing slots free up (their fetches count against
// max_pending_bodies), so a backlog never turns into a burst of concurrent downloads.
//
// Removing a loop with stale markers follows Prometheus' end-of-run staleness: at the next
// tick its time is recorded; one interval (+10%) later every series of the last scrape gets
// a StaleNaN at that time (if the target reappeared meanwhile, the markers are out of order
// and ignored). Stop() ends everything without markers (a restart continues the series).
//
// Thread-safety: Add/Remove/ScrapeNow are thread-safe; Start/Stop from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "scrape/scrape_loop.h"

namespace vigil::scrape {

struct ScraperOptions {
  int workers = 2;                // threads that parse and append
  uint64_t offset_seed = 0;       // mixed into each target's offset (Prometheus: hostname
                                  // and external labels)
  size_t max_idle_buffers = 16;   // bound of the body-buffer pool
  size_t max_pending_bodies = 8;  // fetched bodies not yet processed (>= 1)
  std::string user_agent = "Vigil/0.1";
  int max_connections = 0;  // CURLMOPT_MAX_TOTAL_CONNECTIONS, 0 = unlimited
};

struct ScraperStats {
  uint64_t requests = 0;        // HTTP requests started
  uint64_t skipped_ticks = 0;   // ticks skipped because the previous scrape still ran
  uint64_t deferred_ticks = 0;  // scrapes that waited for processing to catch up
  uint64_t in_flight = 0;       // requests running now
  uint64_t peak_in_flight = 0;  // the most requests that ran at once
  uint64_t loops = 0;           // loops scheduled now
  uint64_t idle_buffers = 0;
};

class Scraper {
 public:
  explicit Scraper(ScraperOptions options = {});
  ~Scraper();
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;

  // Starts the I/O thread and the workers. Internal error if libcurl cannot be set up.
  Status Start();
  // Stops all loops without staleness markers and joins the threads. Idempotent.
  void Stop();

  // Schedules `loop` (first scrape at its offset). Adding a loop twice is a no-op.
  void Add(std::shared_ptr<ScrapeLoop> loop);
  // Unschedules `loop`; with stale_markers, end-of-run staleness as described above.
  // `done` (optional) runs on a worker once the loop will never be touched again.
  void Remove(const std::shared_ptr<ScrapeLoop>& loop, bool stale_markers,
              std::function<void()> done = nullptr);
  // Runs one scrape of an added loop as soon as possible (tests, tools); its regular
  // schedule is unchanged.
  void ScrapeNow(const std::shared_ptr<ScrapeLoop>& loop);

  ScraperStats stats() const;

  // The delay (ns) from `now_unix_ns` to a target's first scrape: Prometheus' offset
  // (base pinned to absolute time, plus hash ^ seed modulo the interval).
  static int64_t FirstScrapeDelayNs(uint64_t target_hash, uint64_t seed, int64_t interval_ns,
                                    int64_t now_unix_ns);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Go's http.Status text for an HTTP status line: "404 Not Found".
std::string HttpStatusText(int code);

}  // namespace vigil::scrape
