#include "scrape/discovery.h"

#include <glob.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/logging.h"
#include "net/http_client.h"
#include "relabel/relabel.h"

namespace vigil::scrape {
namespace {

constexpr std::string_view kFilepathLabel = "__meta_filepath";
constexpr std::string_view kUrlLabel = "__meta_url";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Status ValidateGroupLabels(const std::vector<std::pair<std::string, std::string>>& labels) {
  for (const auto& [n, v] : labels) {
    if (!relabel::IsValidLabelName(n, relabel::NameValidation::kUTF8)) {
      return Status::InvalidArgument("invalid label name " + relabel::GoQuote(n));
    }
    if (!relabel::IsValidUTF8(v)) {
      return Status::InvalidArgument("invalid label value " + relabel::GoQuote(v));
    }
  }
  return Status::OK();
}

TargetGroup MakeGroup(std::string source, const std::vector<std::string>& targets,
                      std::vector<std::pair<std::string, std::string>> labels,
                      const std::vector<std::pair<std::string, std::string>>& meta) {
  TargetGroup g;
  g.source = std::move(source);
  for (const auto& t : targets) g.targets.push_back(Labels{{kAddressLabel, t}});
  for (const auto& m : meta) labels.push_back(m);
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const auto& [n, v] : labels) pairs.emplace_back(n, v);
  g.labels = Labels::FromPairs(std::move(pairs));
  return g;
}

Result<std::vector<TargetGroup>> ParseJson(
    std::string_view data, std::string_view prefix,
    const std::vector<std::pair<std::string, std::string>>& meta) {
  nlohmann::json doc = nlohmann::json::parse(data.begin(), data.end(), nullptr, false);
  if (doc.is_discarded()) return Status::InvalidArgument("invalid JSON");
  if (!doc.is_array()) return Status::InvalidArgument("expected a list of target groups");
  std::vector<TargetGroup> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const auto& g = doc[i];
    if (g.is_null()) return Status::InvalidArgument("nil target group item found");
    if (!g.is_object()) return Status::InvalidArgument("target group must be an object");
    std::vector<std::string> targets;
    if (g.contains("targets") && !g["targets"].is_null()) {
      if (!g["targets"].is_array()) return Status::InvalidArgument("targets must be a list");
      for (const auto& t : g["targets"]) {
        if (!t.is_string()) return Status::InvalidArgument("target must be a string");
        targets.push_back(t.get<std::string>());
      }
    }
    std::vector<std::pair<std::string, std::string>> labels;
    if (g.contains("labels") && !g["labels"].is_null()) {
      if (!g["labels"].is_object()) return Status::InvalidArgument("labels must be a map");
      for (const auto& [k, v] : g["labels"].items()) {
        if (!v.is_string()) {
          return Status::InvalidArgument("label value of " + relabel::GoQuote(k) +
                                         " must be a string");
        }
        labels.emplace_back(k, v.get<std::string>());
      }
    }
    VIGIL_RETURN_IF_ERROR(ValidateGroupLabels(labels));
    out.push_back(
        MakeGroup(std::string(prefix) + ":" + std::to_string(i), targets, std::move(labels), meta));
  }
  return out;
}

Result<std::vector<TargetGroup>> ParseYaml(
    std::string_view data, std::string_view prefix,
    const std::vector<std::pair<std::string, std::string>>& meta) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(data));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("invalid YAML: ") + e.what());
  }
  std::vector<TargetGroup> out;
  if (doc.IsNull()) return out;
  if (!doc.IsSequence()) return Status::InvalidArgument("expected a list of target groups");
  try {
    for (size_t i = 0; i < doc.size(); ++i) {
      const YAML::Node& g = doc[i];
      if (g.IsNull()) return Status::InvalidArgument("nil target group item found");
      if (!g.IsMap()) return Status::InvalidArgument("target group must be a map");
      std::vector<std::string> targets;
      std::vector<std::pair<std::string, std::string>> labels;
      for (const auto& kv : g) {
        std::string key = kv.first.as<std::string>();
        const YAML::Node& v = kv.second;
        if (key == "targets") {
          if (v.IsNull()) continue;
          if (!v.IsSequence()) return Status::InvalidArgument("targets must be a list");
          for (const auto& t : v) {
            if (!t.IsScalar()) return Status::InvalidArgument("target must be a string");
            targets.push_back(t.as<std::string>());
          }
        } else if (key == "labels") {
          if (v.IsNull()) continue;
          if (!v.IsMap()) return Status::InvalidArgument("labels must be a map");
          for (const auto& l : v) {
            if (!l.second.IsScalar()) {
              return Status::InvalidArgument("label value must be a string");
            }
            labels.emplace_back(l.first.as<std::string>(), l.second.as<std::string>());
          }
        } else {
          return Status::InvalidArgument("field " + key + " not found in type targetgroup.Group");
        }
      }
      VIGIL_RETURN_IF_ERROR(ValidateGroupLabels(labels));
      out.push_back(MakeGroup(std::string(prefix) + ":" + std::to_string(i), targets,
                              std::move(labels), meta));
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("invalid YAML: ") + e.what());
  }
  return out;
}

}  // namespace

Result<std::vector<TargetGroup>> ParseTargetGroups(
    std::string_view data, bool yaml, std::string_view source_prefix,
    const std::vector<std::pair<std::string, std::string>>& meta) {
  return yaml ? ParseYaml(data, source_prefix, meta) : ParseJson(data, source_prefix, meta);
}

// ---------------------------------------------------------------------------------------
// file_sd

FileDiscoverer::FileDiscoverer(std::vector<std::string> patterns, int64_t refresh_interval_ms)
    : patterns_(std::move(patterns)), refresh_interval_ms_(refresh_interval_ms) {}

bool FileDiscoverer::Refresh(int64_t now_ms, bool force) {
  bool full = force || last_full_ms_ < 0 ||
              (refresh_interval_ms_ > 0 && now_ms - last_full_ms_ >= refresh_interval_ms_);
  if (full) last_full_ms_ = now_ms;
  std::vector<std::string> paths;
  for (const auto& p : patterns_) {
    glob_t g{};
    if (::glob(p.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());

  bool changed = false;
  std::map<std::string, FileState> next;
  Status err;
  for (const auto& path : paths) {
    bool yaml = EndsWith(path, ".yml") || EndsWith(path, ".yaml");
    bool json = EndsWith(path, ".json");
    FileState st;
    auto old = files_.find(path);
    if (old != files_.end()) st = old->second;
    if (!yaml && !json) {
      err = Status::InvalidArgument("retrieving target groups from file " + path +
                                    ": only .json, .yml and .yaml files are supported");
      next[path] = st;
      continue;
    }
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0) continue;  // vanished between glob and stat
    int64_t mtime = int64_t(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
    bool same = st.mtime_ns == mtime && st.size == int64_t(sb.st_size) && st.ino == sb.st_ino;
    if (same && !full) {
      next[path] = std::move(st);
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in.good() && !in.eof()) {
      ++read_errors_;
      err = Status::IOError("reading file " + path);
      next[path] = std::move(st);
      continue;
    }
    auto groups = ParseTargetGroups(ss.str(), yaml, path, {{std::string(kFilepathLabel), path}});
    if (!groups.has_value()) {
      // Keep the last good groups; try again when the file changes or on the next refresh.
      ++read_errors_;
      err = groups.error().WithPrefix("error reading file " + path);
      st.mtime_ns = mtime, st.size = int64_t(sb.st_size), st.ino = sb.st_ino;
      next[path] = std::move(st);
      continue;
    }
    st.mtime_ns = mtime, st.size = int64_t(sb.st_size), st.ino = sb.st_ino;
    if (st.groups != *groups) {
      st.groups = std::move(*groups);
      changed = true;
    }
    next[path] = std::move(st);
  }
  if (next.size() != files_.size()) changed = true;
  for (const auto& [p, s] : files_) {
    if (!next.count(p)) changed = true;
  }
  files_ = std::move(next);
  last_error_ = err;
  if (!err.ok()) {
    VIGIL_LOG_WARN("discovery", "file_sd error", "err={}", LogQuote(err.ToString()));
  }
  if (changed) {
    groups_.clear();
    for (const auto& [p, s] : files_) {
      groups_.insert(groups_.end(), s.groups.begin(), s.groups.end());
    }
  }
  return changed;
}

// ---------------------------------------------------------------------------------------
// http_sd

bool HttpDiscoverer::Refresh(int64_t now_ms, bool force) {
  if (!force && last_ms_ >= 0 && now_ms - last_ms_ < options_.refresh_interval_ms) return false;
  last_ms_ = now_ms;
  net::HttpClientRequest req;
  req.url = options_.url;
  req.timeout_ms = options_.timeout_ms;
  req.max_response_bytes = 64 << 20;
  req.headers = options_.headers;
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("X-Prometheus-Refresh-Interval-Seconds",
                           std::to_string(options_.refresh_interval_ms / 1000));
  auto resp = net::HttpDo(req);
  Status err;
  if (!resp.has_value()) {
    err = resp.error();
  } else if (resp->status != 200) {
    err = Status::Unavailable("server returned HTTP status " + std::to_string(resp->status));
  } else {
    std::string ct = resp->Header("content-type");
    std::string_view media = std::string_view(ct).substr(0, ct.find(';'));
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    if (media != "application/json") {
      err = Status::InvalidArgument("unsupported content type " + relabel::GoQuote(ct));
    } else {
      auto groups = ParseTargetGroups(resp->body, false, options_.url,
                                      {{std::string(kUrlLabel), options_.url}});
      if (!groups.has_value()) {
        err = groups.error();
      } else {
        last_error_ = Status::OK();
        if (*groups == groups_) return false;
        groups_ = std::move(*groups);
        return true;
      }
    }
  }
  ++failures_;
  last_error_ = err.WithPrefix("http_sd " + options_.url);
  VIGIL_LOG_WARN("discovery", "http_sd refresh failed", "url={} err={}", LogQuote(options_.url),
                 LogQuote(err.ToString()));
  return false;  // keep the last good groups
}

// ---------------------------------------------------------------------------------------
// DiscoveryManager

DiscoveryManager::DiscoveryManager(Callback callback, int64_t poll_interval_ms, const Clock* clock)
    : callback_(std::move(callback)), poll_interval_ms_(poll_interval_ms), clock_(clock) {}

DiscoveryManager::~DiscoveryManager() { Stop(); }

void DiscoveryManager::Start() {
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void DiscoveryManager::Stop() {
  {
    std::lock_guard<std::mutex> l(wake_mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DiscoveryManager::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> l(wake_mu_);
      wake_cv_.wait_for(l, std::chrono::milliseconds(poll_interval_ms_),
                        [&] { return stop_ || poke_; });
      if (stop_) return;
      poke_ = false;
    }
    try {
      Poll(false);
    } catch (const std::exception& e) {
      VIGIL_LOG_ERROR("discovery", "poll threw", "err={}", LogQuote(e.what()));
    }
  }
}

std::vector<TargetGroup> DiscoveryManager::Collect(const Job& job) const {
  std::vector<TargetGroup> out;
  for (size_t i = 0; i < job.discoverers.size(); ++i) {
    for (TargetGroup g : job.discoverers[i]->Groups()) {
      // Sources are unique per job: prefix the discoverer's index.
      g.source = std::to_string(i) + "/" + g.source;
      out.push_back(std::move(g));
    }
  }
  return out;
}

void DiscoveryManager::Poll(bool force) {
  std::lock_guard<std::mutex> rl(refresh_mu_);
  std::map<std::string, std::shared_ptr<Job>> jobs;
  {
    MutexLock l(&mu_);
    jobs = jobs_;
  }
  int64_t now = clock_->NowMs();
  for (auto& [name, job] : jobs) {
    bool changed = !job->initialised;
    job->initialised = true;
    for (auto& d : job->discoverers) changed = d->Refresh(now, force) || changed;
    if (!changed) continue;
    {
      MutexLock l(&mu_);
      auto it = jobs_.find(name);
      if (it == jobs_.end() || it->second != job) continue;  // replaced meanwhile
    }
    callback_(name, Collect(*job));
  }
}

void DiscoveryManager::SetJob(const std::string& job,
                              std::vector<std::unique_ptr<Discoverer>> discoverers) {
  auto j = std::make_shared<Job>();
  j->discoverers = std::move(discoverers);
  std::lock_guard<std::mutex> rl(refresh_mu_);
  int64_t now = clock_->NowMs();
  for (auto& d : j->discoverers) {
    if (!d->Blocking()) d->Refresh(now, true);
  }
  bool has_blocking = false;
  for (auto& d : j->discoverers) has_blocking = has_blocking || d->Blocking();
  // With only non-blocking discoverers the job is complete now; otherwise the poller
  // reports it after the first network refresh as well.
  j->initialised = !has_blocking;
  {
    MutexLock l(&mu_);
    jobs_[job] = j;
  }
  callback_(job, Collect(*j));
  if (has_blocking) {
    {
      std::lock_guard<std::mutex> l(wake_mu_);
      poke_ = true;
    }
    wake_cv_.notify_all();
  }
}

void DiscoveryManager::RemoveJob(const std::string& job) {
  std::lock_guard<std::mutex> rl(refresh_mu_);
  MutexLock l(&mu_);
  jobs_.erase(job);
}

void DiscoveryManager::RefreshNow() { Poll(true); }

}  // namespace vigil::scrape
