// Context: a deadline plus a cancellation token, passed to every long operation
// (queries, scrapes, object-store calls, probes) and checked at set points in loops.
// Copyable; thread-safe to read.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>

#include "base/status.h"

namespace vigil {

class Context {
 public:
  Context() = default;
  // deadline_ns: std::chrono::steady_clock nanoseconds; 0 means none.
  Context(int64_t deadline_ns, std::stop_token stop)
      : deadline_ns_(deadline_ns), stop_(std::move(stop)) {}

  static Context Background() { return Context(); }
  // A context that expires `timeout_ms` from now (0: never).
  static Context WithTimeout(int64_t timeout_ms, std::stop_token stop = {}) {
    return Context(timeout_ms > 0 ? NowNs() + timeout_ms * 1000000 : 0, std::move(stop));
  }

  int64_t deadline_ns() const { return deadline_ns_; }
  const std::stop_token& stop_token() const { return stop_; }

  // OK while neither cancelled nor past the deadline.
  Status Err() const {
    if (stop_.stop_requested()) return Status::Cancelled("context canceled");
    if (deadline_ns_ != 0 && NowNs() > deadline_ns_)
      return Status::DeadlineExceeded("context deadline exceeded");
    return Status::OK();
  }
  bool Done() const { return !Err().ok(); }

  static int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  int64_t deadline_ns_ = 0;
  std::stop_token stop_;
};

}  // namespace vigil
