#include "api/response.h"

#include "api/json_writer.h"
#include "api/params.h"

namespace vigil::api {

ApiError ApiError::InvalidParam(std::string_view name, std::string_view message) {
  std::string m = "invalid parameter " + GoQuote(name) + ": ";
  m += message;
  return Make(kErrorBadData, m);
}

ApiError ApiError::FromStatus(const Status& s) {
  if (s.ok()) return ApiError();
  return Make(s.ErrorType(), s.message());
}

ApiError ApiError::FromExecStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return ApiError();
    case StatusCode::kCancelled:
      return Make(kErrorCanceled, s.message());
    case StatusCode::kDeadlineExceeded:
      return Make(kErrorTimeout, s.message());
    case StatusCode::kIOError:
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      return Make(kErrorInternal, s.message());
    case StatusCode::kUnavailable:
      return Make(kErrorUnavailable, s.message());
    default:
      return Make(kErrorExecution, s.message());
  }
}

int HttpStatusForErrorType(std::string_view type) {
  if (type == kErrorBadData) return 400;
  if (type == kErrorExecution) return 422;
  if (type == kErrorCanceled) return 499;
  if (type == kErrorTimeout) return 503;
  if (type == kErrorInternal) return 500;
  if (type == kErrorNotFound) return 404;
  if (type == "not_acceptable") return 406;
  return 500;
}

void WriteErrorResponse(const ApiError& err, net::HttpResponse* resp) {
  resp->status = HttpStatusForErrorType(err.type);
  resp->content_type = "application/json";
  resp->body.clear();
  JsonWriter w(&resp->body);
  w.BeginObject();
  w.Key("status");
  w.String("error");
  w.Key("errorType");
  w.String(err.type);
  w.Key("error");
  w.String(err.message);
  w.EndObject();
}

void WritePlainError(int code, std::string_view message, net::HttpResponse* resp) {
  resp->status = code;
  resp->content_type = "text/plain; charset=utf-8";
  resp->SetHeader("X-Content-Type-Options", "nosniff");
  resp->body = std::string(message);
  resp->body += '\n';
}

}  // namespace vigil::api
