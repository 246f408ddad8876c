// Remote-write 1.0 senders.
//
// WriteClient POSTs snappy-compressed `prometheus.WriteRequest` bodies (see
// remote/write_request_encoder.h) to one endpoint with the protocol's headers
// (Content-Encoding: snappy, Content-Type: application/x-protobuf,
// X-Prometheus-Remote-Write-Version: 0.1.0) and retries what Prometheus retries: connection
// errors, timeouts, 5xx and 429, with exponential backoff. Any other non-2xx answer is final.
//
// WriteFanout sends the same bodies to several endpoints. Like Prometheus' remote-write
// shards, each endpoint has `shards` parallel streams, each with its own sender thread; a
// body is queued on one stream (Send's `shard`) of every endpoint, and a stream sends its
// bodies in the order they were queued, one at a time. So a receiver sees every series'
// samples in time order as long as the producer puts a series always on the same shard
// and its bodies in time order. Each stream's queue is bounded: Send() blocks while the
// slowest endpoint's stream is `max_pending` bodies behind, which bounds memory and lets
// encoding overlap sending.
//
// Thread-safety: WriteClient::Store may be called from several threads. WriteFanout's
// Send/Flush are called from one producer thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil::remote {

struct WriteClientOptions {
  std::string url;  // e.g. http://127.0.0.1:9090/api/v1/write
  int timeout_ms = 30000;
  // Further attempts after a retryable failure; the last failure is returned after them.
  int max_retries = 10;
  int min_backoff_ms = 30;
  int max_backoff_ms = 5000;
  // Extra request headers (e.g. authorization), sent after the protocol's own.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct WriteClientStats {
  uint64_t requests = 0;  // successful stores
  uint64_t retries = 0;
  uint64_t bytes = 0;  // compressed bytes of successful stores
};

class WriteClient {
 public:
  explicit WriteClient(WriteClientOptions options);

  const std::string& url() const { return options_.url; }

  // Sends one snappy-compressed WriteRequest and returns once it was accepted (2xx).
  // Errors: InvalidArgument for a final rejection (4xx other than 429; the message holds
  // the URL, status and response body), Unavailable when the retries are used up (the last
  // failure). Retries sleep on the calling thread.
  Status Store(std::string_view compressed_body);

  WriteClientStats stats() const;

 private:
  WriteClientOptions options_;
  mutable std::mutex mu_;
  WriteClientStats stats_;
};

class WriteFanout {
 public:
  // Starts `shards` (>= 1) sender threads per endpoint. max_pending >= 1.
  explicit WriteFanout(std::vector<WriteClientOptions> endpoints, size_t shards = 1,
                       size_t max_pending = 4);
  // Stops the threads; bodies not yet sent are dropped (call Flush() first to send them).
  ~WriteFanout();
  WriteFanout(const WriteFanout&) = delete;
  WriteFanout& operator=(const WriteFanout&) = delete;

  // Queues `body` (a snappy-compressed WriteRequest) on stream `shard % shards` of every
  // endpoint, blocking while any of those queues is full. Returns the first error any
  // endpoint has hit so far; once an endpoint failed, nothing more is queued anywhere.
  Status Send(std::shared_ptr<const std::string> body, size_t shard = 0);
  // Waits until every queued body has been sent (or an endpoint failed); returns the first
  // error, naming the endpoint.
  Status Flush();

  size_t num_endpoints() const { return endpoints_.size(); }
  size_t shards() const { return shards_; }
  WriteClientStats stats(size_t endpoint) const { return endpoints_[endpoint]->client.stats(); }

 private:
  struct Stream {
    std::deque<std::shared_ptr<const std::string>> queue;  // guarded by mu_
    bool busy = false;                                     // guarded by mu_
    std::thread thread;
  };
  struct Endpoint {
    explicit Endpoint(WriteClientOptions o) : client(std::move(o)) {}
    WriteClient client;
    std::vector<std::unique_ptr<Stream>> streams;
  };
  void Run(Endpoint* e, Stream* s);
  bool Idle() const;  // requires mu_

  const size_t shards_;
  const size_t max_pending_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Status error_;  // guarded by mu_: the first failure
  bool stop_ = false;
};

}  // namespace vigil::remote
