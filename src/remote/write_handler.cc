#include "remote/write_handler.h"

#include <snappy.h>

#include <algorithm>
#include <cctype>

#include "base/coding.h"
#include "base/logging.h"
#include "model/labels.h"
#include "remote/write_request.h"

namespace vigil::remote {

namespace {

constexpr size_t kMaxRetainedBuffer = 8 << 20;
constexpr std::string_view kProtoContentType = "application/x-protobuf";
constexpr std::string_view kV1Message = "prometheus.WriteRequest";
constexpr std::string_view kV2Message = "io.prometheus.write.v2.Request";

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c < 0xE0) {
      n = 2;
    } else if (c >= 0xE0 && c < 0xF0) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c < 0xF5) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (size_t k = 2; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// {a="1", b="2"} from wire labels, for error messages.
std::string SeriesString(const WriteRequestView& v, const TimeSeriesRef& ts) {
  std::string s = "{";
  for (uint32_t i = ts.labels_begin; i < ts.labels_end; ++i) {
    if (i != ts.labels_begin) s += ", ";
    s += v.labels[i].name;
    s += '=';
    s += QuoteString(v.labels[i].value);
  }
  s += '}';
  return s;
}

Status ValidateSeries(const WriteRequestView& v, const TimeSeriesRef& ts) {
  bool has_name = false;
  for (uint32_t i = ts.labels_begin; i < ts.labels_end; ++i) {
    const LabelRef& l = v.labels[i];
    if (l.name.empty()) {
      return Status::InvalidArgument("invalid labels: empty label name in series " +
                                     SeriesString(v, ts));
    }
    if (!ValidUtf8(l.name) || !ValidUtf8(l.value)) {
      return Status::InvalidArgument("invalid labels: label " + QuoteString(l.name) +
                                     " is not valid UTF-8 in series " + SeriesString(v, ts));
    }
    if (i > ts.labels_begin) {
      std::string_view prev = v.labels[i - 1].name;
      if (prev == l.name) {
        return Status::InvalidArgument("invalid labels: duplicate label name " +
                                       QuoteString(l.name) + " in series " + SeriesString(v, ts));
      }
      if (prev > l.name) {
        return Status::InvalidArgument("invalid labels: labels not sorted by name (" +
                                       QuoteString(l.name) + " after " + QuoteString(prev) +
                                       ") in series " + SeriesString(v, ts));
      }
    }
    if (l.name == kMetricName && !l.value.empty()) has_name = true;
  }
  if (!has_name) {
    return Status::InvalidArgument("invalid labels: series without a metric name (__name__): " +
                                   SeriesString(v, ts));
  }
  return Status::OK();
}

// Builds the flat Labels encoding (see model/labels.h) of a validated, sorted series,
// dropping empty values as Labels does.
Labels BuildLabels(const WriteRequestView& v, const TimeSeriesRef& ts, std::string* scratch) {
  scratch->clear();
  for (uint32_t i = ts.labels_begin; i < ts.labels_end; ++i) {
    const LabelRef& l = v.labels[i];
    if (l.value.empty()) continue;
    PutUvarint(scratch, l.name.size());
    scratch->append(l.name);
    PutUvarint(scratch, l.value.size());
    scratch->append(l.value);
  }
  return Labels::FromEncoded(*scratch);
}

std::string RejectionMessage(const WriteStats& st, const std::string& first) {
  std::string m = std::to_string(st.rejected()) + " of " +
                  std::to_string(st.samples + st.histograms_dropped) +
                  " samples were not appended (";
  bool any = false;
  auto part = [&](size_t n, std::string_view what) {
    if (n == 0) return;
    if (any) m += ", ";
    any = true;
    m += what;
    m += ": ";
    m += std::to_string(n);
  };
  part(st.out_of_order, "out of order sample");
  part(st.duplicate, "duplicate sample for timestamp");
  part(st.out_of_bounds, "out of bounds");
  part(st.limited, "series limit");
  part(st.histograms_dropped, "native histograms not supported");
  m += ")";
  if (!first.empty()) m += "; first: " + first;
  m += "; the other samples were appended";
  return m;
}

void HttpError(net::HttpResponse* resp, int code, std::string_view msg) {
  resp->status = code;
  resp->content_type = "text/plain; charset=utf-8";
  resp->SetHeader("X-Content-Type-Options", "nosniff");
  resp->body = std::string(msg);
  resp->body += '\n';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Prometheus' parseProtoMsg: returns the message name or an error text.
bool ParseContentType(std::string_view ct, std::string* msg, std::string* err) {
  std::string_view full = Trim(ct);
  std::string_view rest = full;
  size_t semi = rest.find(';');
  if (rest.substr(0, semi) != kProtoContentType) {
    *err = "expected " + std::string(kProtoContentType) + " as the first (media) part, got " +
           std::string(full) + " content-type";
    return false;
  }
  while (semi != std::string_view::npos) {
    rest = rest.substr(semi + 1);
    semi = rest.find(';');
    std::string_view p = rest.substr(0, semi);
    size_t eq = p.find('=');
    if (eq == std::string_view::npos || p.find('=', eq + 1) != std::string_view::npos) {
      *err =
          "as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be "
          "key-values, got " +
          std::string(p) + " in " + std::string(full) + " content-type";
      return false;
    }
    if (p.substr(0, eq) == "proto") {
      *msg = std::string(p.substr(eq + 1));
      if (*msg != kV1Message && *msg != kV2Message) {
        *err = "got " + std::string(full) +
               " content type; unknown remote write protobuf message " + *msg +
               ", supported: " + std::string(kV1Message) + ", " + std::string(kV2Message);
        return false;
      }
      return true;
    }
  }
  *msg = std::string(kV1Message);
  return true;
}

}  // namespace

WriteHandler::WriteHandler(storage::Appendable* appendable, const Clock* clock,
                           WriteHandlerOptions options)
    : appendable_(appendable), clock_(clock), options_(options) {}

int WriteStatusToHttp(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 204;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfOrder:
    case StatusCode::kOutOfBounds:
    case StatusCode::kAlreadyExists:
      return 400;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

Status WriteHandler::Write(std::string_view compressed, WriteStats* stats) {
  thread_local std::string decoded;
  size_t len = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &len)) {
    counters_.invalid_requests.fetch_add(1, std::memory_order_relaxed);
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (len > options_.max_decoded_bytes) {
    counters_.invalid_requests.fetch_add(1, std::memory_order_relaxed);
    return Status::ResourceExhausted("decoded remote write message of " + std::to_string(len) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(options_.max_decoded_bytes) + " bytes");
  }
  decoded.resize(len);
  if (!snappy::RawUncompress(compressed.data(), compressed.size(), decoded.data())) {
    counters_.invalid_requests.fetch_add(1, std::memory_order_relaxed);
    return Status::InvalidArgument("snappy: corrupt input");
  }
  Status s = WriteDecoded(decoded, stats);
  if (decoded.capacity() > kMaxRetainedBuffer) std::string().swap(decoded);
  return s;
}

Status WriteHandler::WriteDecoded(std::string_view message, WriteStats* stats) {
  thread_local WriteRequestView view;
  thread_local std::string scratch;
  *stats = WriteStats();
  struct Release {
    ~Release() {
      if (view.labels.capacity() * sizeof(LabelRef) > kMaxRetainedBuffer ||
          view.samples.capacity() * sizeof(Sample) > kMaxRetainedBuffer) {
        view = WriteRequestView();
      }
    }
  } release;

  if (Status s = DecodeWriteRequest(message, &view); !s.ok()) {
    counters_.invalid_requests.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  stats->series = view.series.size();
  stats->samples = view.samples.size();
  stats->histograms_dropped = view.histograms;
  stats->exemplars_dropped = view.exemplars;
  stats->metadata_dropped = view.metadata;
  // Check every series before appending anything.
  for (const TimeSeriesRef& ts : view.series) {
    if (ts.samples_begin == ts.samples_end && ts.histograms == 0) continue;
    if (Status s = ValidateSeries(view, ts); !s.ok()) {
      counters_.invalid_requests.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
  }

  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  const int64_t max_t = clock_->NowMs() + options_.max_ahead_ms;
  std::string first_rejection;
  for (const TimeSeriesRef& ts : view.series) {
    if (ts.samples_begin == ts.samples_end) continue;
    Labels labels = BuildLabels(view, ts, &scratch);
    storage::SeriesRef ref = 0;
    for (uint32_t i = ts.samples_begin; i < ts.samples_end; ++i) {
      const Sample& smp = view.samples[i];
      Status err;
      if (smp.t > max_t) {
        err = Status::OutOfBounds("out of bounds: timestamp is too far in the future");
      } else {
        Result<storage::SeriesRef> r = app->Append(ref, labels, smp.t, smp.v);
        if (r.has_value()) {
          ref = *r;
          ++stats->appended;
          continue;
        }
        err = r.error();
      }
      switch (err.code()) {
        case StatusCode::kOutOfOrder:
          ++stats->out_of_order;
          break;
        case StatusCode::kAlreadyExists:
          ++stats->duplicate;
          break;
        case StatusCode::kOutOfBounds:
          ++stats->out_of_bounds;
          break;
        case StatusCode::kResourceExhausted:
        case StatusCode::kInvalidArgument:
          ++stats->limited;
          break;
        default: {
          app->Rollback().IgnoreError();
          stats->appended = 0;
          return err.WithPrefix("appending to storage");
        }
      }
      if (first_rejection.empty()) {
        first_rejection = std::string(err.message()) + " for series " + labels.ToString() +
                          " at timestamp " + std::to_string(smp.t);
      }
    }
  }
  if (Status s = app->Commit(); !s.ok()) {
    stats->appended = 0;
    return s.WithPrefix("committing remote write samples");
  }
  counters_.samples_appended.fetch_add(stats->appended, std::memory_order_relaxed);
  if (stats->rejected() > 0) {
    counters_.samples_rejected.fetch_add(stats->rejected(), std::memory_order_relaxed);
    return Status::OutOfOrder(RejectionMessage(*stats, first_rejection));
  }
  return Status::OK();
}

void WriteHandler::ServeHttp(const net::HttpRequest& req, net::HttpResponse* resp) {
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  auto fail = [&](int code, std::string_view msg) {
    counters_.requests_failed.fetch_add(1, std::memory_order_relaxed);
    HttpError(resp, code, msg);
  };
  if (req.method != "POST") {
    resp->SetHeader("Allow", "POST");
    fail(405, "Method Not Allowed");
    return;
  }
  std::string_view ct = req.Header("Content-Type");
  std::string msg_type, err;
  if (ct.empty()) ct = kProtoContentType;  // old 1.0 senders send none
  if (!ParseContentType(ct, &msg_type, &err)) {
    fail(415, err);
    return;
  }
  if (msg_type != kV1Message) {
    fail(415, msg_type + " protobuf message is not accepted by this server; accepted [" +
                  std::string(kV1Message) + "]");
    return;
  }
  std::string enc(Trim(req.Header("Content-Encoding")));
  std::transform(enc.begin(), enc.end(), enc.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (!enc.empty() && enc != "snappy") {
    fail(415, std::string(req.Header("Content-Encoding")) +
                  " encoding (compression) is not accepted by this server; only snappy is "
                  "acceptable");
    return;
  }
  WriteStats stats;
  Status s = Write(req.body, &stats);
  if (s.ok()) {
    resp->status = 204;
    resp->body.clear();
    return;
  }
  int code = WriteStatusToHttp(s);
  if (code >= 500) {
    VIGIL_LOG_ERROR("remote", "remote write failed", "err={}", LogQuote(s.message()));
  } else {
    VIGIL_LOG_DEBUG("remote", "remote write refused", "code={} err={}", code,
                    LogQuote(s.message()));
  }
  fail(code, s.message());
}

}  // namespace vigil::remote
