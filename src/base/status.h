// Status: the outcome of an operation, an error code plus a message.
//
// A Status is a small value type; copying is cheap when OK (no allocation). It is
// [[nodiscard]]: ignoring one is a compile error unless written as `s.IgnoreError()`.
// Codes map one-to-one onto the Prometheus HTTP API error types (see ErrorType()).
// Thread-safety: a const Status may be read from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace vigil {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,    // bad input from a user or peer       -> bad_data
  kNotFound,           //                                     -> not_found
  kCorruption,         // checksum/format damage on disk      -> internal
  kIOError,            // file system / network I/O failed    -> internal
  kCancelled,          //                                     -> canceled
  kDeadlineExceeded,   //                                     -> timeout
  kResourceExhausted,  // a limit was hit (samples, series)   -> execution
  kUnavailable,        // not ready / shutting down           -> unavailable
  kOutOfOrder,         // sample older than the series' last  -> bad_data
  kOutOfBounds,        // sample outside the appendable range -> bad_data
  kExecution,          // query evaluation error              -> execution
  kAlreadyExists,      // duplicate sample for a timestamp    -> bad_data
  kInternal,           // a bug                               -> internal
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string_view msg);

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string_view m) { return {StatusCode::kInvalidArgument, m}; }
  static Status NotFound(std::string_view m) { return {StatusCode::kNotFound, m}; }
  static Status Corruption(std::string_view m) { return {StatusCode::kCorruption, m}; }
  static Status IOError(std::string_view m) { return {StatusCode::kIOError, m}; }
  static Status Cancelled(std::string_view m) { return {StatusCode::kCancelled, m}; }
  static Status DeadlineExceeded(std::string_view m) { return {StatusCode::kDeadlineExceeded, m}; }
  static Status ResourceExhausted(std::string_view m) {
    return {StatusCode::kResourceExhausted, m};
  }
  static Status Unavailable(std::string_view m) { return {StatusCode::kUnavailable, m}; }
  static Status OutOfOrder(std::string_view m) { return {StatusCode::kOutOfOrder, m}; }
  static Status OutOfBounds(std::string_view m) { return {StatusCode::kOutOfBounds, m}; }
  static Status Execution(std::string_view m) { return {StatusCode::kExecution, m}; }
  static Status AlreadyExists(std::string_view m) { return {StatusCode::kAlreadyExists, m}; }
  static Status Internal(std::string_view m) { return {StatusCode::kInternal, m}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message without the code name; empty when OK.
  std::string_view message() const {
    return rep_ ? std::string_view(rep_->msg) : std::string_view();
  }
  // "code: message", or "OK".
  std::string ToString() const;

  // Returns a Status with the same code and "prefix: message".
  Status WithPrefix(std::string_view prefix) const;

  // The Prometheus API errorType for this code ("bad_data", "timeout", ...).
  std::string_view ErrorType() const;

  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }
  bool IsIOError() const { return code() == StatusCode::kIOError; }
  bool IsResourceExhausted() const { return code() == StatusCode::kResourceExhausted; }

  // Explicitly drops the status; greppable.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string msg;
  };
  std::shared_ptr<const Rep> rep_;  // null when OK; immutable, so sharing on copy is safe
};

std::string_view StatusCodeName(StatusCode code);

}  // namespace vigil

#define VIGIL_STATUS_CONCAT_INNER(a, b) a##b
#define VIGIL_STATUS_CONCAT(a, b) VIGIL_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define VIGIL_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::vigil::Status vigil_status_ = (expr);        \
    if (!vigil_status_.ok()) return vigil_status_; \
  } while (0)
