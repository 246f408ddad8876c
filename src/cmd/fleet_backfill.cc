#include "cmd/fleet_backfill.h"

#include <fmt/format.h>

#include <cstdio>

#include "backfill/backfill.h"
#include "base/clock.h"
#include "remote/write_client.h"

namespace vigil::cmd {
namespace {

class FanoutSink final : public backfill::RequestSink {
 public:
  explicit FanoutSink(remote::WriteFanout* f) : f_(f) {}
  Status Send(std::shared_ptr<const std::string> body, size_t shard) override {
    return f_->Send(std::move(body), shard);
  }
  Status Flush() override { return f_->Flush(); }

 private:
  remote::WriteFanout* f_;
};

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", int(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int RunFleetBackfill(const fleet::FleetOptions& fo, const FleetBackfillFlags& flags) {
  if (flags.urls.empty()) {
    std::fprintf(stderr, "vigil fleet: --backfill needs at least one --remote-write.url\n");
    return 2;
  }
  if (fo.incident_after_ms > 0) {
    std::fprintf(stderr, "vigil fleet: --incident-after is not supported with --backfill\n");
    return 2;
  }
  backfill::BackfillOptions o;
  o.end_ms = flags.end_ms > 0 ? flags.end_ms : RealClock::Default()->NowMs();
  o.start_ms = o.end_ms - flags.duration_ms;
  o.interval_ms = flags.interval_ms;
  o.job = flags.job;
  o.instance_host = fo.listen_host;
  o.base_port = fo.base_port;
  o.max_samples_per_request = flags.max_samples_per_send;
  o.shards = flags.shards;
  o.rounds_per_send = flags.rounds_per_send;
  auto b = backfill::Backfiller::Create(fo, o);
  if (!b.has_value()) {
    std::fprintf(stderr, "vigil fleet: %s\n", std::string(b.error().message()).c_str());
    return 2;
  }
  std::vector<remote::WriteClientOptions> endpoints;
  for (const auto& url : flags.urls) {
    remote::WriteClientOptions w;
    w.url = url;
    w.timeout_ms = int(flags.timeout_ms);
    endpoints.push_back(std::move(w));
  }
  remote::WriteFanout fanout(std::move(endpoints), flags.shards);
  FanoutSink sink(&fanout);
  backfill::BackfillStats st;
  Status s = (*b)->Run(&sink, &st);
  if (!s.ok()) {
    std::fprintf(stderr, "vigil fleet: backfill failed: %s\n", s.ToString().c_str());
    return 1;
  }
  // One JSON line: the window, every target's scrape offset (for up to 1000 targets), counts.
  std::string targets;
  const auto& sched = (*b)->schedule();
  if (sched.size() <= 1000) {
    for (size_t i = 0; i < sched.size(); ++i) {
      targets += fmt::format("{}{{\"instance\":{},\"offset_ms\":{}}}", i ? "," : "",
                             JsonString(sched[i].instance), sched[i].offset_ms);
    }
  }
  std::string endpoints_json;
  for (size_t i = 0; i < fanout.num_endpoints(); ++i) {
    remote::WriteClientStats ws = fanout.stats(i);
    endpoints_json += fmt::format("{}{{\"url\":{},\"requests\":{},\"retries\":{}}}", i ? "," : "",
                                  JsonString(flags.urls[i]), ws.requests, ws.retries);
  }
  std::printf(
      "{\"start_ms\":%lld,\"end_ms\":%lld,\"interval_ms\":%lld,\"job\":%s,\"targets\":[%s],"
      "\"scrapes\":%llu,\"samples\":%llu,\"stale_markers\":%llu,\"series\":%llu,"
      "\"requests\":%llu,\"request_bytes\":%llu,\"seconds\":%.3f,\"samples_per_second\":%.0f,"
      "\"endpoints\":[%s]}\n",
      static_cast<long long>(o.start_ms), static_cast<long long>(o.end_ms),
      static_cast<long long>(o.interval_ms), JsonString(o.job).c_str(), targets.c_str(),
      static_cast<unsigned long long>(st.scrapes), static_cast<unsigned long long>(st.samples),
      static_cast<unsigned long long>(st.stale_markers), static_cast<unsigned long long>(st.series),
      static_cast<unsigned long long>(st.requests),
      static_cast<unsigned long long>(st.request_bytes), st.seconds,
      st.seconds > 0 ? double(st.samples) / st.seconds : 0.0, endpoints_json.c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace vigil::cmd
