// Service discovery for scrape jobs: static_configs, file_sd and http_sd, each a Discoverer
// that produces the job's TargetGroups, and DiscoveryManager, which refreshes them and tells
// the scrape manager when a job's groups changed.
//
// file_sd: JSON (*.json) or YAML (*.yml, *.yaml) files holding a list of {targets, labels}
// (paths may be globs). A file is re-read when its mtime/size/inode change (polled) and every
// refresh_interval; a file that fails to read or parse keeps its last good groups; a file that
// disappears loses its groups. Every group gets __meta_filepath. http_sd: GET the URL every
// refresh_interval; it must answer 200 with Content-Type application/json and the same list;
// errors keep the last good groups; groups get __meta_url. Both validate like Prometheus
// (label names valid UTF-8, targets strings).
//
// Thread-safety: a Discoverer is used by one thread at a time (the manager's). The
// DiscoveryManager is thread-safe; its callback runs on its own thread (or on the caller's
// thread for the synchronous first refresh in SetJob).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "scrape/target.h"

namespace vigil::scrape {

// Parses a target-group list. `yaml`: YAML (strict keys) instead of JSON. Each group gets
// source "<source_prefix>:<i>" and `meta` added to its labels. InvalidArgument on errors.
Result<std::vector<TargetGroup>> ParseTargetGroups(
    std::string_view data, bool yaml, std::string_view source_prefix,
    const std::vector<std::pair<std::string, std::string>>& meta);

class Discoverer {
 public:
  virtual ~Discoverer() = default;
  // Refreshes if something may have changed or `force`. Returns true if Groups() changed.
  virtual bool Refresh(int64_t now_ms, bool force) = 0;
  virtual const std::vector<TargetGroup>& Groups() const = 0;
  // The last refresh error (OK if the last refresh succeeded).
  virtual Status LastError() const { return Status::OK(); }
  // Whether Refresh may block on the network (refreshed off the caller's thread).
  virtual bool Blocking() const { return false; }
};

class StaticDiscoverer final : public Discoverer {
 public:
  // One group per static_configs entry; source "<index>".
  explicit StaticDiscoverer(std::vector<TargetGroup> groups) : groups_(std::move(groups)) {}
  bool Refresh(int64_t, bool) override { return false; }
  const std::vector<TargetGroup>& Groups() const override { return groups_; }

 private:
  std::vector<TargetGroup> groups_;
};

class FileDiscoverer final : public Discoverer {
 public:
  FileDiscoverer(std::vector<std::string> patterns, int64_t refresh_interval_ms);
  bool Refresh(int64_t now_ms, bool force) override;
  const std::vector<TargetGroup>& Groups() const override { return groups_; }
  Status LastError() const override { return last_error_; }
  uint64_t read_errors() const { return read_errors_; }

 private:
  struct FileState {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    uint64_t ino = 0;
    std::vector<TargetGroup> groups;  // last good
  };
  std::vector<std::string> patterns_;
  int64_t refresh_interval_ms_;
  int64_t last_full_ms_ = -1;
  std::map<std::string, FileState> files_;
  std::vector<TargetGroup> groups_;
  Status last_error_;
  uint64_t read_errors_ = 0;
};

struct HttpSdOptions {
  std::string url;
  int64_t refresh_interval_ms = 60000;
  int timeout_ms = 30000;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Authorization
};

class HttpDiscoverer final : public Discoverer {
 public:
  explicit HttpDiscoverer(HttpSdOptions options) : options_(std::move(options)) {}
  bool Refresh(int64_t now_ms, bool force) override;
  const std::vector<TargetGroup>& Groups() const override { return groups_; }
  Status LastError() const override { return last_error_; }
  bool Blocking() const override { return true; }
  uint64_t failures() const { return failures_; }

 private:
  HttpSdOptions options_;
  int64_t last_ms_ = -1;
  std::vector<TargetGroup> groups_;
  Status last_error_;
  uint64_t failures_ = 0;
};

// Refreshes the discoverers of every job on its own thread (every poll interval; each
// discoverer decides whether it is due) and reports changed jobs.
class DiscoveryManager {
 public:
  // Called with a job's complete list of groups whenever it changes.
  using Callback = std::function<void(const std::string& job, std::vector<TargetGroup> groups)>;

  DiscoveryManager(Callback callback, int64_t poll_interval_ms = 1000,
                   const Clock* clock = RealClock::Default());
  ~DiscoveryManager();

  void Start();
  void Stop();

  // Replaces the discoverers of `job`. Non-blocking discoverers are refreshed at once and
  // the callback runs before SetJob returns; blocking ones (http_sd) on the next poll.
  void SetJob(const std::string& job, std::vector<std::unique_ptr<Discoverer>> discoverers);
  void RemoveJob(const std::string& job);
  // Refresh everything now (tests).
  void RefreshNow();

 private:
  struct Job {
    std::vector<std::unique_ptr<Discoverer>> discoverers;
    bool initialised = false;
  };
  void Poll(bool force);
  void Run();
  std::vector<TargetGroup> Collect(const Job& job) const;

  Callback callback_;
  int64_t poll_interval_ms_;
  const Clock* clock_;
  // Serialises refreshes (the poller thread, SetJob, RefreshNow).
  std::mutex refresh_mu_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<Job>> jobs_ VIGIL_GUARDED_BY(mu_);
  std::thread thread_;
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool stop_ = false;
  bool poke_ = false;
  bool started_ = false;
};

}  // namespace vigil::scrape
