#include "cmd/adapters.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cmd/build_info.h"
#include "promql/parser/printer.h"
#include "textparse/parser.h"

namespace vigil::cmd {
namespace {

// One query: holds a concurrency slot while executing.
class AdaptedQuery final : public api::Query {
 public:
  AdaptedQuery(EngineAdapter* gate, std::unique_ptr<promql::Query> q, std::string qs)
      : gate_(gate), q_(std::move(q)), qs_(std::move(qs)) {}

  Status Exec(const Context& ctx, api::QueryResult* out) override {
    auto t0 = std::chrono::steady_clock::now();
    VIGIL_RETURN_IF_ERROR(gate_->Acquire(ctx));
    auto t1 = std::chrono::steady_clock::now();
    auto r = q_->Exec(ctx);
    gate_->Release();
    auto t2 = std::chrono::steady_clock::now();
    if (!r.has_value()) return r.error();
    promql::QueryResult& res = *r;
    out->warnings = res.annotations.Warnings(qs_);
    out->infos = res.annotations.Infos(qs_);
    const promql::Value& v = res.value;
    switch (v.type) {
      case promql::ValueType::kScalar:
        out->type = api::ValueType::kScalar;
        out->scalar = Sample{v.t, v.scalar};
        break;
      case promql::ValueType::kString:
        out->type = api::ValueType::kString;
        out->string_t = v.t;
        out->string_value = v.str;
        break;
      case promql::ValueType::kMatrix:
        out->type = api::ValueType::kMatrix;
        out->series.reserve(v.matrix.size());
        for (const auto& s : v.matrix) out->series.push_back({s.labels, s.points});
        break;
      default:
        out->type = api::ValueType::kVector;
        out->series.reserve(v.vector.size());
        for (const auto& e : v.vector) out->series.push_back({e.labels, {Sample{e.t, e.v}}});
        break;
    }
    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    out->stats.exec_queue_time = secs(t1 - t0);
    out->stats.eval_total_time = secs(t2 - t1);
    out->stats.inner_eval_time = secs(t2 - t1);
    out->stats.exec_total_time = secs(t2 - t0);
    out->stats.samples_read = res.samples_read;
    out->stats.total_queryable_samples = res.samples_read;
    out->stats.peak_samples = res.peak_samples;
    return Status::OK();
  }

 private:
  EngineAdapter* gate_;
  std::unique_ptr<promql::Query> q_;
  std::string qs_;
};

}  // namespace

Status EngineAdapter::Acquire(const Context& ctx) {
  std::unique_lock<std::mutex> l(mu_);
  while (running_ >= max_) {
    if (Status s = ctx.Err(); !s.ok()) return s.WithPrefix("query queued");
    cv_.wait_for(l, std::chrono::milliseconds(20));
  }
  ++running_;
  return Status::OK();
}

void EngineAdapter::Release() {
  {
    std::lock_guard<std::mutex> l(mu_);
    --running_;
  }
  cv_.notify_one();
}

Result<std::unique_ptr<api::Query>> EngineAdapter::NewQuery(storage::Queryable* queryable,
                                                            const api::QueryParams& p) {
  Result<std::unique_ptr<promql::Query>> q =
      p.step_ms == 0 ? engine_->NewInstantQuery(queryable, p.query, p.start_ms)
                     : engine_->NewRangeQuery(queryable, p.query, p.start_ms, p.end_ms, p.step_ms);
  if (!q.has_value()) return q.error();
  return std::unique_ptr<api::Query>(std::make_unique<AdaptedQuery>(this, std::move(*q), p.query));
}

std::vector<api::ActiveTarget> TargetsAdapter::ActiveTargets() {
  std::vector<api::ActiveTarget> out;
  for (const auto& [pool, targets] : m_->TargetsActive()) {
    for (const auto& t : targets) {
      scrape::TargetStatus st = t->status();
      api::ActiveTarget a;
      a.discovered_labels = t->discovered_labels();
      a.labels = t->PublicLabels();
      a.scrape_pool = pool;
      a.scrape_url = t->url();
      a.last_error = st.last_error;
      a.last_scrape_ns = st.last_scrape_ms * 1000000;
      a.last_scrape_duration_s = st.last_scrape_duration_s;
      a.health = st.health == scrape::TargetHealth::kUp     ? api::TargetHealth::kUp
                 : st.health == scrape::TargetHealth::kDown ? api::TargetHealth::kDown
                                                            : api::TargetHealth::kUnknown;
      a.scrape_interval = promql::parser::FormatDuration(t->interval_ms());
      a.scrape_timeout = promql::parser::FormatDuration(t->timeout_ms());
      out.push_back(std::move(a));
    }
  }
  return out;
}

std::vector<api::DroppedTarget> TargetsAdapter::DroppedTargets() {
  std::vector<api::DroppedTarget> out;
  for (const auto& [pool, targets] : m_->TargetsDropped()) {
    for (const auto& t : targets) out.push_back({t.discovered, pool});
  }
  return out;
}

std::map<std::string, int64_t> TargetsAdapter::DroppedTargetCounts() {
  std::map<std::string, int64_t> out;
  for (const auto& [pool, n] : m_->DroppedCounts()) out[pool] = int64_t(n);
  return out;
}

std::vector<api::MetricMetadata> MetadataAdapter::Metadata(std::string_view metric) {
  std::vector<api::MetricMetadata> out;
  for (const auto& pool : m_->ScrapePools()) {
    for (const auto& loop : m_->Loops(pool)) {
      for (const auto& [name, md] : loop->metadata()) {
        if (!metric.empty() && name != metric) continue;
        out.push_back({name, std::string(textparse::MetricTypeName(md.type)), md.help, md.unit});
      }
    }
  }
  return out;
}

Result<api::TsdbStatus> TsdbStatusAdapter::Stats(size_t limit) {
  tsdb::HeadStats s = head_->Stats(limit);
  api::TsdbStatus out;
  out.num_series = s.num_series;
  out.num_label_pairs = int64_t(s.num_label_pairs);
  out.chunk_count = int64_t(s.num_chunks);
  out.min_time = s.mint;
  out.max_time = s.maxt;
  auto conv = [](const std::vector<tsdb::IndexStat>& in) {
    std::vector<api::TsdbStat> o;
    for (const auto& x : in) o.push_back({x.name, x.value});
    return o;
  };
  out.series_count_by_metric_name = conv(s.series_count_by_metric_name);
  out.label_value_count_by_label_name = conv(s.label_value_count_by_label_name);
  out.memory_in_bytes_by_label_name = conv(s.memory_in_bytes_by_label_name);
  out.series_count_by_label_value_pair = conv(s.series_count_by_label_value_pair);
  return out;
}

api::BuildInfo StatusAdapter::GetBuildInfo() {
  api::BuildInfo b;
  b.version = kVersion;
  b.revision = kRevision;
  b.branch = "main";
  b.build_user = "vigil";
  b.build_date = __DATE__;
  b.go_version = std::string("g++ ") + __VERSION__;
  return b;
}

Result<api::RuntimeInfo> StatusAdapter::GetRuntimeInfo() {
  api::RuntimeInfo r;
  r.start_time_ns = start_time_ns;
  std::error_code ec;
  r.cwd = std::filesystem::current_path(ec).string();
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  r.hostname = host;
  r.server_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  r.reload_config_success = reload_success ? reload_success() : true;
  r.last_config_time_ns = last_config_time_ns ? last_config_time_ns() : 0;
  r.gomaxprocs = std::thread::hardware_concurrency();
  std::ifstream st("/proc/self/status");
  for (std::string line; std::getline(st, line);) {
    if (line.rfind("Threads:", 0) == 0) r.goroutine_count = std::stoll(line.substr(8));
  }
  r.gogc = "";
  r.storage_retention = retention;
  return r;
}

}  // namespace vigil::cmd
