// WriteHandler: the remote-write 1.0 receiver (POST /api/v1/write, as Prometheus'
// --web.enable-remote-write-receiver). It decodes a snappy block-compressed
// prometheus.WriteRequest, validates every series, and appends all samples through one
// storage::Appender (one transaction per request).
//
// What a sender sees:
//   204  everything was appended;
//   400  the body is not snappy, not a WriteRequest, or a series is invalid (no __name__,
//        an empty or non-UTF-8 label name, labels unsorted or repeated). Nothing is appended:
//        the whole request is checked before the first sample goes in;
//   400  some samples were refused by storage (out of order, duplicate timestamp, out of
//        bounds incl. more than 10 minutes in the future, a series limit) or were native
//        histograms (not supported yet). The other samples ARE committed; the body counts the
//        refusals per reason. (Prometheus rolls back the whole request on the first such
//        sample; committing the rest loses less data and the 400 still stops retries.)
//   413  the decoded message would exceed options.max_decoded_bytes;
//   415  a Content-Type other than application/x-protobuf (proto=prometheus.WriteRequest)
//        or a Content-Encoding other than snappy;
//   500  storage failed (append or commit error); the transaction was rolled back, the
//        sender retries. 503 when storage reports itself unavailable.
// Exemplars and metadata are accepted and dropped (counted).
//
// Thread-safety: ServeHttp/Write may run concurrently; the Appendable must be thread-safe.
// Per-thread decode buffers are reused between requests and released when they grow past
// 8 MiB, so steady-state ingestion allocates one Labels buffer per series and nothing per
// sample.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "net/http_server.h"
#include "storage/interface.h"

namespace vigil::remote {

struct WriteHandlerOptions {
  // Upper bound on the snappy-decoded message size.
  size_t max_decoded_bytes = 64 << 20;
  // Samples newer than now + this are refused as out of bounds (Prometheus: 10m).
  int64_t max_ahead_ms = 10 * 60 * 1000;
};

// What one request did.
struct WriteStats {
  size_t series = 0;
  size_t samples = 0;             // float samples in the request
  size_t appended = 0;            // committed
  size_t out_of_order = 0;        // storage: OutOfOrder
  size_t duplicate = 0;           // storage: AlreadyExists
  size_t out_of_bounds = 0;       // storage: OutOfBounds, or too far in the future
  size_t limited = 0;             // storage: ResourceExhausted (series limits)
  size_t histograms_dropped = 0;  // native histogram samples (unsupported)
  size_t exemplars_dropped = 0;
  size_t metadata_dropped = 0;

  size_t rejected() const {
    return out_of_order + duplicate + out_of_bounds + limited + histograms_dropped;
  }
};

// Totals since start, for the server's own /metrics.
struct WriteCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> requests_failed{0};  // any non-204 answer
  std::atomic<uint64_t> samples_appended{0};
  std::atomic<uint64_t> samples_rejected{0};
  std::atomic<uint64_t> invalid_requests{0};  // 400 before appending (decode/validation)
};

class WriteHandler {
 public:
  // `appendable` and `clock` must outlive the handler.
  WriteHandler(storage::Appendable* appendable, const Clock* clock,
               WriteHandlerOptions options = {});

  // The HTTP endpoint (any method other than POST: 405).
  void ServeHttp(const net::HttpRequest& req, net::HttpResponse* resp);

  // Decodes and appends one snappy-compressed WriteRequest. Errors:
  //   InvalidArgument   bad snappy/protobuf/series; nothing appended;
  //   ResourceExhausted decoded size over the limit; nothing appended;
  //   OutOfOrder        some samples were refused or dropped (see the message and *stats);
  //                     the rest were committed;
  //   other codes       storage failure; the transaction was rolled back.
  Status Write(std::string_view compressed, WriteStats* stats);

  // Decodes and appends an uncompressed WriteRequest (same contract as Write).
  Status WriteDecoded(std::string_view message, WriteStats* stats);

  const WriteCounters& counters() const { return counters_; }

 private:
  storage::Appendable* appendable_;
  const Clock* clock_;
  WriteHandlerOptions options_;
  WriteCounters counters_;
};

// The HTTP status Prometheus' receiver answers for a Write() error.
int WriteStatusToHttp(const Status& s);

}  // namespace vigil::remote
