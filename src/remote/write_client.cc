#include "remote/write_client.h"

#include <algorithm>
#include <chrono>

#include "net/http_client.h"

namespace vigil::remote {

WriteClient::WriteClient(WriteClientOptions options) : options_(std::move(options)) {}

Status WriteClient::Store(std::string_view compressed_body) {
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = options_.url;
  req.timeout_ms = options_.timeout_ms;
  req.max_response_bytes = 1 << 20;
  req.headers = {{"Content-Encoding", "snappy"},
                 {"Content-Type", "application/x-protobuf"},
                 {"User-Agent", "vigil"},
                 {"X-Prometheus-Remote-Write-Version", "0.1.0"},
                 // libcurl would otherwise wait for "100 Continue" before sending large bodies.
                 {"Expect", ""}};
  for (const auto& h : options_.headers) req.headers.push_back(h);
  req.body.assign(compressed_body);

  int backoff_ms = std::max(1, options_.min_backoff_ms);
  uint64_t retries = 0;
  Status last;
  for (int attempt = 0;; ++attempt) {
    auto resp = net::HttpDo(req);
    if (resp.has_value()) {
      int code = resp->status;
      if (code >= 200 && code < 300) {
        std::lock_guard<std::mutex> l(mu_);
        stats_.requests++;
        stats_.retries += retries;
        stats_.bytes += compressed_body.size();
        return Status::OK();
      }
      std::string body = resp->body.substr(0, 512);
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
      std::string msg =
          "remote write to " + options_.url + ": HTTP " + std::to_string(code) + ": " + body;
      if (code != 429 && code < 500) return Status::InvalidArgument(msg);
      last = Status::Unavailable(msg);
    } else {
      last = Status::Unavailable("remote write to " + options_.url + ": " +
                                 std::string(resp.error().message()));
    }
    if (attempt >= options_.max_retries) break;
    ++retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, std::max(1, options_.max_backoff_ms));
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    stats_.retries += retries;
  }
  return last.WithPrefix("giving up after " + std::to_string(retries) + " retries");
}

WriteClientStats WriteClient::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

WriteFanout::WriteFanout(std::vector<WriteClientOptions> endpoints, size_t shards,
                         size_t max_pending)
    : shards_(std::max<size_t>(1, shards)), max_pending_(std::max<size_t>(1, max_pending)) {
  for (auto& o : endpoints) {
    auto e = std::make_unique<Endpoint>(std::move(o));
    for (size_t i = 0; i < shards_; ++i) e->streams.push_back(std::make_unique<Stream>());
    endpoints_.push_back(std::move(e));
  }
  for (auto& e : endpoints_) {
    for (auto& s : e->streams) {
      Endpoint* ep = e.get();
      Stream* st = s.get();
      st->thread = std::thread([this, ep, st] { Run(ep, st); });
    }
  }
}

WriteFanout::~WriteFanout() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& e : endpoints_) {
    for (auto& s : e->streams) {
      if (s->thread.joinable()) s->thread.join();
    }
  }
}

bool WriteFanout::Idle() const {
  for (const auto& e : endpoints_) {
    for (const auto& s : e->streams) {
      if (s->busy || !s->queue.empty()) return false;
    }
  }
  return true;
}

void WriteFanout::Run(Endpoint* e, Stream* st) {
  for (;;) {
    std::shared_ptr<const std::string> body;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stop_ || !st->queue.empty(); });
      if (stop_) return;
      body = std::move(st->queue.front());
      st->queue.pop_front();
      st->busy = true;
    }
    Status s = e->client.Store(*body);
    {
      std::lock_guard<std::mutex> l(mu_);
      st->busy = false;
      if (!s.ok()) {
        if (error_.ok()) error_ = s;
        // Nothing after a failed body may reach this endpoint (it would leave a gap).
        for (auto& other : e->streams) other->queue.clear();
      }
    }
    cv_.notify_all();
  }
}

Status WriteFanout::Send(std::shared_ptr<const std::string> body, size_t shard) {
  shard %= shards_;
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] {
    if (!error_.ok()) return true;
    for (const auto& e : endpoints_) {
      if (e->streams[shard]->queue.size() >= max_pending_) return false;
    }
    return true;
  });
  if (!error_.ok()) return error_;
  for (auto& e : endpoints_) e->streams[shard]->queue.push_back(body);
  l.unlock();
  cv_.notify_all();
  return Status::OK();
}

Status WriteFanout::Flush() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return Idle(); });
  return error_;
}

}  // namespace vigil::remote
