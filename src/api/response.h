// The Prometheus HTTP API response envelope and error types.
//
//   success: {"status":"success","data":<data>[,"warnings":[...]][,"infos":[...]]}
//   error:   {"status":"error","errorType":"bad_data","error":"<message>"}
//
// Error types and their HTTP codes are those of Prometheus' web/api/v1 (getDefaultErrorCode):
// bad_data 400, execution 422, canceled 499, timeout 503, internal 500, not_found 404,
// not_acceptable 406, and unavailable 500 (Prometheus has no case for it and falls back to 500).
// Pure functions and a value type; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/http_server.h"

namespace vigil::api {

inline constexpr std::string_view kErrorBadData = "bad_data";
inline constexpr std::string_view kErrorExecution = "execution";
inline constexpr std::string_view kErrorCanceled = "canceled";
inline constexpr std::string_view kErrorTimeout = "timeout";
inline constexpr std::string_view kErrorInternal = "internal";
inline constexpr std::string_view kErrorUnavailable = "unavailable";
inline constexpr std::string_view kErrorNotFound = "not_found";

// An API error: errorType plus message. The default value means "no error".
struct ApiError {
  std::string type;
  std::string message;

  bool ok() const { return type.empty(); }

  static ApiError Make(std::string_view type, std::string_view message) {
    return ApiError{std::string(type), std::string(message)};
  }
  static ApiError BadData(std::string_view message) { return Make(kErrorBadData, message); }
  // Prometheus' invalidParamError: bad_data `invalid parameter "name": message`.
  static ApiError InvalidParam(std::string_view name, std::string_view message);
  // errorType from Status::ErrorType() (InvalidArgument -> bad_data, ...).
  static ApiError FromStatus(const Status& s);
  // Prometheus' returnAPIError for evaluation and storage errors: canceled, timeout,
  // internal (storage), unavailable, otherwise execution.
  static ApiError FromExecStatus(const Status& s);
};

// The HTTP status code for an errorType.
int HttpStatusForErrorType(std::string_view type);

// Fills `resp` with the JSON error envelope and the matching status code.
void WriteErrorResponse(const ApiError& err, net::HttpResponse* resp);

// Like Go's http.Error: text/plain body `message\n` with X-Content-Type-Options: nosniff.
void WritePlainError(int code, std::string_view message, net::HttpResponse* resp);

}  // namespace vigil::api
