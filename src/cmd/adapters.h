// Adapters from Vigil's concrete components to the narrow interfaces of the HTTP API
// (api/query_engine.h, api/providers.h). Only cmd/ includes both sides.
//
// Thread-safety: every adapter is thread-safe as the API requires; each holds non-owning
// pointers that must outlive it.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "api/providers.h"
#include "api/query_engine.h"
#include "promql/engine/engine.h"
#include "scrape/manager.h"
#include "tsdb/head/head.h"

namespace vigil::cmd {

// api::QueryEngine over promql::Engine, with --query.max-concurrency: at most `max_concurrent`
// queries execute at once; the others wait (until their deadline) like Prometheus' gate.
class EngineAdapter final : public api::QueryEngine {
 public:
  EngineAdapter(const promql::Engine* engine, int max_concurrent)
      : engine_(engine), max_(max_concurrent > 0 ? max_concurrent : 1) {}
  Result<std::unique_ptr<api::Query>> NewQuery(storage::Queryable* queryable,
                                               const api::QueryParams& params) override;

  // Blocks until a slot is free or ctx ends (its error then).
  Status Acquire(const Context& ctx);
  void Release();

 private:
  const promql::Engine* engine_;
  const int max_;
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
};

class TargetsAdapter final : public api::TargetsRetriever {
 public:
  explicit TargetsAdapter(scrape::Manager* m) : m_(m) {}
  std::vector<api::ActiveTarget> ActiveTargets() override;
  std::vector<api::DroppedTarget> DroppedTargets() override;
  std::map<std::string, int64_t> DroppedTargetCounts() override;

 private:
  scrape::Manager* m_;
};

class MetadataAdapter final : public api::MetadataProvider {
 public:
  explicit MetadataAdapter(scrape::Manager* m) : m_(m) {}
  std::vector<api::MetricMetadata> Metadata(std::string_view metric) override;

 private:
  scrape::Manager* m_;
};

class TsdbStatusAdapter final : public api::TsdbStatusProvider {
 public:
  explicit TsdbStatusAdapter(tsdb::Head* head) : head_(head) {}
  Result<api::TsdbStatus> Stats(size_t limit) override;

 private:
  tsdb::Head* head_;
};

// Status pages: the callbacks supply what changes at run time.
class StatusAdapter final : public api::StatusProvider {
 public:
  std::function<std::string()> config_yaml;
  std::function<bool()> reload_success;
  std::function<int64_t()> last_config_time_ns;
  std::vector<std::pair<std::string, std::string>> flags;
  std::string retention;
  int64_t start_time_ns = 0;

  std::string ConfigYaml() override { return config_yaml ? config_yaml() : ""; }
  std::vector<std::pair<std::string, std::string>> Flags() override { return flags; }
  api::BuildInfo GetBuildInfo() override;
  Result<api::RuntimeInfo> GetRuntimeInfo() override;
};

}  // namespace vigil::cmd
