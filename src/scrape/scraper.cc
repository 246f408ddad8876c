#include "scrape/scraper.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/context.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "textparse/content_type.h"

namespace vigil::scrape {
namespace {

int64_t SteadyNs() { return Context::NowNs(); }

int64_t UnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// strconv.FormatFloat(seconds, 'f', -1, 64) for a millisecond duration.
std::string FormatSeconds(int64_t ms) {
  std::string s = std::to_string(ms / 1000);
  int64_t frac = ms % 1000;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03lld", static_cast<long long>(frac));
    std::string f = buf;
    while (!f.empty() && f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s;
}

bool IEqualsPrefix(std::string_view line, std::string_view lower_prefix) {
  if (line.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != lower_prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string HttpStatusText(int code) {
  static const std::unordered_map<int, const char*> kText = {
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {406, "Not Acceptable"},
      {408, "Request Timeout"},
      {413, "Request Entity Too Large"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
  };
  auto it = kText.find(code);
  return std::to_string(code) + (it != kText.end() ? std::string(" ") + it->second : "");
}

int64_t Scraper::FirstScrapeDelayNs(uint64_t target_hash, uint64_t seed, int64_t interval_ns,
                                    int64_t now_unix_ns) {
  if (interval_ns <= 0) return 0;
  int64_t base = interval_ns - now_unix_ns % interval_ns;
  int64_t offset = int64_t((target_hash ^ seed) % uint64_t(interval_ns));
  int64_t next = base + offset;
  if (next > interval_ns) next -= interval_ns;
  return next;
}

class Scraper::Impl {
 public:
  explicit Impl(ScraperOptions o) : options(std::move(o)) {}

  struct Job {
    uint64_t id = 0;
    std::shared_ptr<ScrapeLoop> loop;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::unique_ptr<std::string> body;
    std::string content_type;
    int64_t body_limit = 0;
    bool body_too_large = false;
    int64_t interval_ns = 0;
    int64_t next_due_ns = 0;
    bool in_flight = false;
    bool deferred = false;       // waiting in `deferred` for a processing slot
    bool from_deferral = false;  // started by StartDeferred; counted in deferred_fetching
    bool has_body = false;       // counted in pending_bodies
    bool removed = false;
    bool stale = false;
    bool stale_scheduled = false;
    int64_t stale_t_ms = 0;
    std::function<void()> done;
    int64_t start_ns = 0;
    int64_t t_ms = 0;
    char errbuf[CURL_ERROR_SIZE] = {0};
  };

  enum class TimerKind { kTick, kStaleWrite };
  struct Timer {
    int64_t due_ns;
    uint64_t seq;
    uint64_t job;
    TimerKind kind;
    bool operator>(const Timer& o) const {
      return due_ns != o.due_ns ? due_ns > o.due_ns : seq > o.seq;
    }
  };

  enum class CmdKind { kAdd, kRemove, kScrapeNow, kDone };
  struct Command {
    CmdKind kind;
    std::shared_ptr<ScrapeLoop> loop;
    bool stale = false;
    std::function<void()> done;
    uint64_t job = 0;
    std::unique_ptr<std::string> buffer;
  };

  // --- called from any thread ---
  void Post(Command c) {
    {
      MutexLock l(&inbox_mu);
      inbox.push_back(std::move(c));
    }
    if (multi != nullptr) curl_multi_wakeup(multi);
  }
  void Work(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> l(work_mu);
      work.push_back(std::move(f));
    }
    work_cv.notify_one();
  }
  std::unique_ptr<std::string> AcquireBuffer(size_t hint) {
    std::unique_ptr<std::string> b;
    {
      MutexLock l(&pool_mu);
      if (!pool.empty()) {
        b = std::move(pool.back());
        pool.pop_back();
      }
    }
    if (b == nullptr) b = std::make_unique<std::string>();
    b->clear();
    if (hint > b->capacity()) b->reserve(hint + hint / 8);
    return b;
  }
  void ReleaseBuffer(std::unique_ptr<std::string> b) {
    if (b == nullptr) return;
    MutexLock l(&pool_mu);
    if (pool.size() < options.max_idle_buffers) pool.push_back(std::move(b));
  }

  // --- I/O thread ---
  void Run();
  void Apply(Command c);
  void OnTimer(const Timer& t);
  void StartFetch(Job* job);
  // Starts deferred scrapes while processing slots are free.
  void StartDeferred();
  void OnFetchDone(Job* job, CURLcode rc);
  void Finalize(Job* job);
  bool SetUpEasy(Job* job);
  void Schedule(Job* job, int64_t due_ns, TimerKind kind) {
    timers.push(Timer{due_ns, ++timer_seq, job->id, kind});
  }
  Job* FindJob(uint64_t id) {
    auto it = jobs.find(id);
    return it == jobs.end() ? nullptr : it->second.get();
  }

  static size_t OnBody(char* p, size_t size, size_t n, void* ud);
  static size_t OnHeader(char* p, size_t size, size_t n, void* ud);

  void WorkerMain();

  ScraperOptions options;
  CURLM* multi = nullptr;
  std::thread io_thread;
  std::vector<std::thread> workers;
  std::atomic<bool> stopping{false};
  bool started = false;

  // I/O thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Job>> jobs;
  std::unordered_map<ScrapeLoop*, uint64_t> job_of_loop;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
  uint64_t timer_seq = 0;
  uint64_t next_job_id = 0;

  Mutex inbox_mu;
  std::vector<Command> inbox VIGIL_GUARDED_BY(inbox_mu);

  std::mutex work_mu;
  std::condition_variable work_cv;
  std::deque<std::function<void()>> work;

  Mutex pool_mu;
  std::vector<std::unique_ptr<std::string>> pool VIGIL_GUARDED_BY(pool_mu);

  // Back-pressure (I/O thread only): bodies handed to the workers and not yet done, and
  // the jobs whose scrape waits for one of them to finish.
  size_t pending_bodies = 0;
  std::deque<uint64_t> deferred;
  // Fetches StartDeferred started that have not been processed yet. With pending_bodies
  // they bound the deferred scrapes let go at once: when processing catches up after a
  // first scrape, hundreds of deferred targets would otherwise fetch (and buffer ~1 MB
  // bodies) all at the same moment.
  size_t deferred_fetching = 0;

  std::atomic<uint64_t> requests{0}, skipped{0}, deferred_ticks{0}, in_flight{0}, loops{0},
      peak_in_flight{0};
  void CountInFlight() {
    const uint64_t n = ++in_flight;
    if (n > peak_in_flight.load(std::memory_order_relaxed)) peak_in_flight.store(n);
  }
};

size_t Scraper::Impl::OnBody(char* p, size_t size, size_t n, void* ud) {
  auto* job = static_cast<Job*>(ud);
  size_t len = size * n;
  if (job->body_limit > 0 && int64_t(job->body->size() + len) >= job->body_limit) {
    job->body_too_large = true;
    return 0;  // aborts the transfer
  }
  job->body->append(p, len);
  return len;
}

size_t Scraper::Impl::OnHeader(char* p, size_t size, size_t n, void* ud) {
  auto* job = static_cast<Job*>(ud);
  std::string_view line(p, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    job->content_type.clear();  // a new response (after a redirect)
  } else if (IEqualsPrefix(line, "content-type:")) {
    std::string_view v = line.substr(13);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
      v.remove_suffix(1);
    job->content_type = std::string(v);
  }
  return size * n;
}

bool Scraper::Impl::SetUpEasy(Job* job) {
  CURL* c = curl_easy_init();
  if (c == nullptr) return false;
  job->easy = c;
  const Target& t = *job->loop->target();
  const LoopOptions& o = job->loop->options();
  job->body_limit = o.body_size_limit_bytes;
  curl_easy_setopt(c, CURLOPT_URL, t.url().c_str());
  curl_easy_setopt(c, CURLOPT_PRIVATE, job);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(t.timeout_ms()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, job);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, job);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, job->errbuf);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str());
  if (o.http.follow_redirects) {
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  }
  std::vector<std::string> hdrs;
  hdrs.push_back("Accept: " +
                 (o.accept_header.empty() ? textparse::DefaultAcceptHeader() : o.accept_header));
  if (o.enable_compression) {
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
  } else {
    hdrs.push_back("Accept-Encoding: identity");
  }
  hdrs.push_back("X-Prometheus-Scrape-Timeout-Seconds: " + FormatSeconds(t.timeout_ms()));
  if (!o.http.authorization_type.empty()) {
    hdrs.push_back("Authorization: " + o.http.authorization_type + " " +
                   o.http.authorization_credentials);
  }
  for (const auto& [k, v] : o.http.headers) hdrs.push_back(k + ": " + v);
  for (const auto& h : hdrs) job->headers = curl_slist_append(job->headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, job->headers);
  if (!o.http.basic_auth_username.empty() || !o.http.basic_auth_password.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, o.http.basic_auth_username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, o.http.basic_auth_password.c_str());
  }
  if (!o.http.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.http.ca_file.c_str());
  if (!o.http.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, o.http.cert_file.c_str());
  if (!o.http.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, o.http.key_file.c_str());
  if (o.http.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return true;
}

void Scraper::Impl::Apply(Command c) {
  switch (c.kind) {
    case CmdKind::kAdd: {
      if (job_of_loop.count(c.loop.get())) return;
      auto job = std::make_unique<Job>();
      job->id = ++next_job_id;
      job->loop = std::move(c.loop);
      if (!SetUpEasy(job.get())) {
        VIGIL_LOG_ERROR("scrape", "curl_easy_init failed", "target={}",
                        LogQuote(job->loop->target()->url()));
        return;
      }
      const Target& t = *job->loop->target();
      job->interval_ns = t.interval_ms() * 1000000;
      int64_t delay = FirstScrapeDelayNs(t.hash(), options.offset_seed, job->interval_ns, UnixNs());
      job->next_due_ns = SteadyNs() + delay;
      Schedule(job.get(), job->next_due_ns, TimerKind::kTick);
      job_of_loop[job->loop.get()] = job->id;
      jobs[job->id] = std::move(job);
      loops++;
      return;
    }
    case CmdKind::kRemove: {
      auto it = job_of_loop.find(c.loop.get());
      if (it == job_of_loop.end()) {
        if (c.done) Work(std::move(c.done));
        return;
      }
      Job* job = FindJob(it->second);
      job->removed = true;
      job->stale = c.stale;
      job->done = std::move(c.done);
      if (!job->stale && !job->in_flight) Finalize(job);
      return;
    }
    case CmdKind::kScrapeNow: {
      auto it = job_of_loop.find(c.loop.get());
      if (it == job_of_loop.end()) return;
      Job* job = FindJob(it->second);
      if (!job->in_flight && !job->removed) StartFetch(job);
      return;
    }
    case CmdKind::kDone: {
      Job* job = FindJob(c.job);
      if (job == nullptr) return;
      job->in_flight = false;
      in_flight--;
      ReleaseBuffer(std::move(c.buffer));
      if (job->from_deferral) {
        job->from_deferral = false;
        deferred_fetching--;
      }
      if (job->has_body) {
        job->has_body = false;
        pending_bodies--;
      }
      StartDeferred();
      if (job->removed && (!job->stale || job->stale_scheduled)) {
        // Either no markers wanted, or the stale write just finished.
        if (!job->stale || job->stale_t_ms < 0) Finalize(job);
      }
      return;
    }
  }
}

void Scraper::Impl::Finalize(Job* job) {
  if (job->easy != nullptr) curl_easy_cleanup(job->easy);
  if (job->headers != nullptr) curl_slist_free_all(job->headers);
  job_of_loop.erase(job->loop.get());
  if (job->done) Work(std::move(job->done));
  uint64_t id = job->id;
  jobs.erase(id);
  loops--;
}

void Scraper::Impl::OnTimer(const Timer& t) {
  Job* job = FindJob(t.job);
  if (job == nullptr) return;
  int64_t now = SteadyNs();
  if (t.kind == TimerKind::kStaleWrite) {
    if (job->in_flight) {
      Schedule(job, now + 100 * 1000000, TimerKind::kStaleWrite);
      return;
    }
    job->in_flight = true;
    CountInFlight();
    int64_t stale_t = job->stale_t_ms;
    job->stale_t_ms = -1;  // marks "written" for kDone
    std::shared_ptr<ScrapeLoop> loop = job->loop;
    uint64_t id = job->id;
    Work([this, loop, stale_t, id] {
      loop->WriteStaleMarkers(stale_t);
      Post(Command{CmdKind::kDone, nullptr, false, nullptr, id, nullptr});
    });
    return;
  }
  if (job->removed) {
    if (!job->stale) return;  // finalized when its fetch completes
    if (job->stale_scheduled) return;
    // Prometheus: the time of the next would-be scrape is the markers' timestamp; they are
    // written one more interval (+10%) later, when a recreated target has been scraped.
    job->stale_scheduled = true;
    job->stale_t_ms = job->loop->last_scrape_ms() == 0
                          ? 0
                          : std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    if (job->stale_t_ms == 0) {
      job->stale = false;
      if (!job->in_flight) Finalize(job);
      return;
    }
    Schedule(job, now + job->interval_ns + job->interval_ns / 10, TimerKind::kStaleWrite);
    return;
  }
  int64_t next = job->next_due_ns + job->interval_ns;
  while (next <= now) {
    next += job->interval_ns;
    skipped++;
  }
  job->next_due_ns = next;
  Schedule(job, next, TimerKind::kTick);
  if (job->in_flight || job->deferred) {
    skipped++;
    return;
  }
  if (pending_bodies >= std::max<size_t>(1, options.max_pending_bodies)) {
    job->deferred = true;
    deferred.push_back(job->id);
    deferred_ticks++;
    return;
  }
  StartFetch(job);
}

void Scraper::Impl::StartDeferred() {
  while (!deferred.empty() &&
         pending_bodies + deferred_fetching < std::max<size_t>(1, options.max_pending_bodies)) {
    Job* job = FindJob(deferred.front());
    deferred.pop_front();
    if (job == nullptr || !job->deferred) continue;
    job->deferred = false;
    if (job->removed || job->in_flight) continue;
    job->from_deferral = true;
    deferred_fetching++;
    StartFetch(job);
  }
}

void Scraper::Impl::StartFetch(Job* job) {
  job->in_flight = true;
  CountInFlight();
  job->start_ns = SteadyNs();
  job->t_ms = job->loop->ScrapeTimestamp();
  Status forced = job->loop->forced_error();
  if (!forced.ok()) {
    std::shared_ptr<ScrapeLoop> loop = job->loop;
    int64_t t = job->t_ms, start = job->start_ns;
    uint64_t id = job->id;
    Work([this, loop, forced, t, start, id] {
      FetchResult f;
      f.error = forced;
      loop->Process(f, t, start).IgnoreError();
      Post(Command{CmdKind::kDone, nullptr, false, nullptr, id, nullptr});
    });
    return;
  }
  job->body = AcquireBuffer(job->loop->last_body_bytes());
  job->content_type.clear();
  job->body_too_large = false;
  job->errbuf[0] = 0;
  requests++;
  CURLMcode mc = curl_multi_add_handle(multi, job->easy);
  if (mc != CURLM_OK) {
    OnFetchDone(job, CURLE_FAILED_INIT);
  }
}

void Scraper::Impl::OnFetchDone(Job* job, CURLcode rc) {
  long code = 0;
  curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &code);
  const Target& t = *job->loop->target();
  FetchResult f;
  if (job->body_too_large) {
    f.error = Status::ResourceExhausted("body size limit exceeded");
  } else if (rc == CURLE_OPERATION_TIMEDOUT) {
    f.error = Status::DeadlineExceeded("Get \"" + t.url() + "\": context deadline exceeded");
  } else if (rc == CURLE_COULDNT_CONNECT) {
    f.error = Status::Unavailable("Get \"" + t.url() + "\": dial tcp " + t.address() +
                                  ": connect: connection refused");
  } else if (rc != CURLE_OK) {
    std::string detail = job->errbuf[0] ? job->errbuf : curl_easy_strerror(rc);
    f.error = Status::IOError("Get \"" + t.url() + "\": " + detail);
  } else if (code != 200) {
    f.error = Status::Unavailable("server returned HTTP status " + HttpStatusText(int(code)));
  }
  std::shared_ptr<ScrapeLoop> loop = job->loop;
  auto body = std::move(job->body);
  std::string content_type = job->content_type;
  int64_t t_ms = job->t_ms, start = job->start_ns;
  uint64_t id = job->id;
  auto shared_body = std::make_shared<std::unique_ptr<std::string>>(std::move(body));
  job->has_body = true;
  pending_bodies++;
  Work([this, loop, f, shared_body, content_type, t_ms, start, id]() mutable {
    FetchResult fr = f;
    if (fr.error.ok() && *shared_body) {
      fr.body = **shared_body;
      fr.content_type = content_type;
    }
    loop->Process(fr, t_ms, start).IgnoreError();
    Post(Command{CmdKind::kDone, nullptr, false, nullptr, id, std::move(*shared_body)});
  });
}

void Scraper::Impl::Run() {
  while (!stopping.load()) {
    std::vector<Command> cmds;
    {
      MutexLock l(&inbox_mu);
      cmds.swap(inbox);
    }
    for (auto& c : cmds) Apply(std::move(c));
    int64_t now = SteadyNs();
    while (!timers.empty() && timers.top().due_ns <= now) {
      Timer t = timers.top();
      timers.pop();
      OnTimer(t);
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL* easy = m->easy_handle;
      CURLcode rc = m->data.result;
      Job* job = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &job);
      curl_multi_remove_handle(multi, easy);
      if (job != nullptr) OnFetchDone(job, rc);
    }
    int64_t timeout_ms = 1000;
    if (!timers.empty()) {
      int64_t until = (timers.top().due_ns - SteadyNs()) / 1000000;
      timeout_ms = std::clamp<int64_t>(until, 0, 1000);
    }
    if (timeout_ms > 0 || running > 0) {
      curl_multi_poll(multi, nullptr, 0, int(std::max<int64_t>(timeout_ms, 0)), nullptr);
    }
  }
}

void Scraper::Impl::WorkerMain() {
  for (;;) {
    std::function<void()> f;
    {
      std::unique_lock<std::mutex> l(work_mu);
      work_cv.wait(l, [&] { return stopping.load() || !work.empty(); });
      if (work.empty()) return;
      if (stopping.load()) return;
      f = std::move(work.front());
      work.pop_front();
    }
    try {
      f();
    } catch (const std::exception& e) {
      VIGIL_LOG_ERROR("scrape", "worker task threw", "err={}", LogQuote(e.what()));
    }
  }
}

Scraper::Scraper(ScraperOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Scraper::~Scraper() { Stop(); }

Status Scraper::Start() {
  if (impl_->started) return Status::OK();
  CurlGlobalInit();
  impl_->multi = curl_multi_init();
  if (impl_->multi == nullptr) return Status::Internal("curl_multi_init failed");
  if (impl_->options.max_connections > 0) {
    curl_multi_setopt(impl_->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      long(impl_->options.max_connections));
  }
  impl_->started = true;
  impl_->io_thread = std::thread([this] { impl_->Run(); });
  for (int i = 0; i < std::max(1, impl_->options.workers); ++i) {
    impl_->workers.emplace_back([this] { impl_->WorkerMain(); });
  }
  return Status::OK();
}

void Scraper::Stop() {
  if (!impl_ || !impl_->started || impl_->stopping.exchange(true)) return;
  curl_multi_wakeup(impl_->multi);
  impl_->io_thread.join();
  impl_->work_cv.notify_all();
  for (auto& w : impl_->workers) w.join();
  impl_->workers.clear();
  for (auto& [id, job] : impl_->jobs) {
    if (job->in_flight && job->easy) curl_multi_remove_handle(impl_->multi, job->easy);
    if (job->easy) curl_easy_cleanup(job->easy);
    if (job->headers) curl_slist_free_all(job->headers);
  }
  impl_->jobs.clear();
  impl_->job_of_loop.clear();
  curl_multi_cleanup(impl_->multi);
  impl_->multi = nullptr;
  {
    std::lock_guard<std::mutex> l(impl_->work_mu);
    impl_->work.clear();
  }
  MutexLock l(&impl_->inbox_mu);
  impl_->inbox.clear();
}

void Scraper::Add(std::shared_ptr<ScrapeLoop> loop) {
  impl_->Post(Impl::Command{Impl::CmdKind::kAdd, std::move(loop), false, nullptr, 0, nullptr});
}

void Scraper::Remove(const std::shared_ptr<ScrapeLoop>& loop, bool stale_markers,
                     std::function<void()> done) {
  impl_->Post(
      Impl::Command{Impl::CmdKind::kRemove, loop, stale_markers, std::move(done), 0, nullptr});
}

void Scraper::ScrapeNow(const std::shared_ptr<ScrapeLoop>& loop) {
  impl_->Post(Impl::Command{Impl::CmdKind::kScrapeNow, loop, false, nullptr, 0, nullptr});
}

ScraperStats Scraper::stats() const {
  ScraperStats s;
  s.requests = impl_->requests.load();
  s.skipped_ticks = impl_->skipped.load();
  s.deferred_ticks = impl_->deferred_ticks.load();
  s.in_flight = impl_->in_flight.load();
  s.peak_in_flight = impl_->peak_in_flight.load();
  s.loops = impl_->loops.load();
  MutexLock l(&impl_->pool_mu);
  s.idle_buffers = impl_->pool.size();
  return s;
}

}  // namespace vigil::scrape
