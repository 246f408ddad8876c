#include "base/status.h"

namespace vigil {

Status::Status(StatusCode code, std::string_view msg) {
  if (code != StatusCode::kOk) rep_ = std::make_shared<const Rep>(Rep{code, std::string(msg)});
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kIOError:
      return "I/O error";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kDeadlineExceeded:
      return "deadline exceeded";
    case StatusCode::kResourceExhausted:
      return "resource exhausted";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kOutOfOrder:
      return "out of order";
    case StatusCode::kOutOfBounds:
      return "out of bounds";
    case StatusCode::kExecution:
      return "execution";
    case StatusCode::kAlreadyExists:
      return "already exists";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code()));
  s += ": ";
  s += rep_->msg;
  return s;
}

Status Status::WithPrefix(std::string_view prefix) const {
  if (ok()) return *this;
  std::string m(prefix);
  m += ": ";
  m += rep_->msg;
  return Status(code(), m);
}

std::string_view Status::ErrorType() const {
  switch (code()) {
    case StatusCode::kOk:
      return "";
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfOrder:
    case StatusCode::kOutOfBounds:
    case StatusCode::kAlreadyExists:
      return "bad_data";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kCancelled:
      return "canceled";
    case StatusCode::kDeadlineExceeded:
      return "timeout";
    case StatusCode::kResourceExhausted:
    case StatusCode::kExecution:
      return "execution";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace vigil
