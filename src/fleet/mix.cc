#include "fleet/mix.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleet/rng.h"
#include "fleet/value_format.h"

namespace vigil::fleet {
namespace {

// ---------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------

const std::vector<std::string>& HttpBuckets() {
  static const std::vector<std::string> v = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                             "0.5",   "1.0",  "2.5",   "5.0",  "10.0"};
  return v;
}
const std::vector<std::string>& IstioMsBuckets() {
  static const std::vector<std::string> v = {
      "0.5",  "1",    "5",     "10",    "25",    "50",     "100",    "250",     "500",    "1000",
      "2500", "5000", "10000", "30000", "60000", "300000", "600000", "1800000", "3600000"};
  return v;
}
const std::vector<std::string>& IstioBytesBuckets() {
  static const std::vector<std::string> v = {"1",      "10",    "100",   "1000", "10000",
                                             "100000", "1e+06", "1e+07", "1e+08"};
  return v;
}
// The demo service's classic buckets: 25 exponential buckets from 0.0001 s, factor 1.5.
const std::vector<std::string>& DemoBuckets() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    double b = 0.0001;
    for (int i = 0; i < 25; ++i, b *= 1.5) {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, b);
      out.emplace_back(buf, r.ptr);
    }
    return out;
  }();
  return v;
}

constexpr const char* kResources[] = {
    "orders",  "users",   "carts",     "products",      "payments",      "invoices",   "shipments",
    "reviews", "coupons", "addresses", "sessions",      "wishlists",     "categories", "prices",
    "stock",   "returns", "refunds",   "subscriptions", "notifications", "accounts"};

struct Action {
  const char* pattern;  // "%s" is the resource
  std::vector<const char*> methods;
};
const std::vector<Action>& Actions() {
  static const std::vector<Action> v = {
      {"/api/v1/%s", {"GET", "POST"}},
      {"/api/v1/%s/{id}", {"GET", "PUT", "DELETE"}},
      {"/api/v1/%s/{id}/items", {"GET", "POST"}},
      {"/api/v1/%s/{id}/status", {"GET", "PATCH"}},
      {"/api/v2/%s", {"GET", "POST"}},
      {"/api/v2/%s/{id}", {"GET", "PUT"}},
      {"/api/v1/%s/search", {"GET"}},
      {"/api/v1/%s/{id}/history", {"GET"}},
      {"/internal/%s/sync", {"POST"}},
      {"/api/v1/%s/batch", {"POST"}},
  };
  return v;
}

struct HttpStatus {
  const char* status;
  const char* outcome;
  const char* exception;
  double weight;
};
constexpr HttpStatus kHttpStatuses[] = {
    {"200", "SUCCESS", "None", 1.0},
    {"201", "SUCCESS", "None", 0.15},
    {"204", "SUCCESS", "None", 0.05},
    {"400", "CLIENT_ERROR", "None", 0.02},
    {"401", "CLIENT_ERROR", "None", 0.01},
    {"404", "CLIENT_ERROR", "None", 0.03},
    {"409", "CLIENT_ERROR", "None", 0.005},
    {"500", "SERVER_ERROR", "NullPointerException", 0.003},
    {"503", "SERVER_ERROR", "ServiceUnavailableException", 0.002},
    {"504", "SERVER_ERROR", "SocketTimeoutException", 0.001},
};

// Envoy response flags with the response code they come with and a relative weight. The
// incident's flags (UC, UH) come right after the normal case so that even small targets
// have those series.
struct IstioFlag {
  const char* flags;
  const char* code;
  double weight;
};
constexpr IstioFlag kIstioFlags[] = {
    {"-", "200", 1.0},      {"UC", "503", 0.002},  {"UH", "503", 0.0008}, {"-", "201", 0.1},
    {"-", "404", 0.02},     {"-", "500", 0.005},   {"-", "503", 0.003},   {"DC", "0", 0.001},
    {"NR", "404", 0.001},   {"UO", "503", 0.0005}, {"UT", "504", 0.0005}, {"UF", "503", 0.0004},
    {"URX", "503", 0.0003},
};
constexpr size_t kNumIstioFlags = sizeof kIstioFlags / sizeof kIstioFlags[0];

constexpr const char* kDevices[] = {"vda", "vdb", "nvme0n1", "nvme1n1",
                                    "sda", "sdb", "dm-0",    "dm-1"};
constexpr const char* kCpuModes[] = {"idle",    "iowait", "irq",    "nice",
                                     "softirq", "steal",  "system", "user"};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

void AppendEscaped(std::string* out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

using LabelList = std::vector<std::pair<std::string, std::string>>;

// Renders `a="x",b="y"` in the given order.
std::string Render(const LabelList& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += ',';
    out += k;
    out += "=\"";
    AppendEscaped(&out, v);
    out += '"';
  }
  return out;
}

std::string Concat(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "," + b;
}

struct GroupItem {
  bool hist = false;
  SeriesDef s;
  HistDef h;
};
using Group = std::vector<GroupItem>;
// Fills *g with the next group; false when the generator is exhausted.
using Gen = std::function<bool(Group*)>;

size_t GroupSize(const Group& g) {
  size_t n = 0;
  for (const auto& it : g) n += it.hist ? it.h.les->size() + 3 : 1;
  return n;
}

Gen FromList(std::vector<Group> groups) {
  auto list = std::make_shared<std::vector<Group>>(std::move(groups));
  auto pos = std::make_shared<size_t>(0);
  return [list, pos](Group* g) {
    if (*pos >= list->size()) return false;
    *g = (*list)[(*pos)++];
    return true;
  };
}

GroupItem Item(SeriesDef s) {
  GroupItem it;
  it.s = std::move(s);
  return it;
}
GroupItem Item(HistDef h) {
  GroupItem it;
  it.hist = true;
  it.h = std::move(h);
  return it;
}

// One child of the Micrometer http_server / http_client histograms.
struct HttpChild {
  std::string uri;
  const char* method;
  const HttpStatus* status;
};

// The endpoints of one pod in a per-pod order; "200" is always there, rarer statuses appear
// with a probability that grows with how common they are. The same seed gives the same
// sequence, so the histogram and its _max gauge name the same children.
class HttpChildren {
 public:
  explicit HttpChildren(uint64_t seed) : rng_(seed) {}
  HttpChild Next() {
    while (buf_.empty()) Refill();
    HttpChild c = std::move(buf_.back());
    buf_.pop_back();
    return c;
  }

 private:
  void Refill() {
    if (endpoints_.empty() || pos_ >= endpoints_.size()) {
      endpoints_.clear();
      for (size_t a = 0; a < Actions().size(); ++a) {
        for (size_t r = 0; r < std::size(kResources); ++r) endpoints_.emplace_back(a, r);
      }
      for (size_t i = endpoints_.size(); i > 1; --i) {
        std::swap(endpoints_[i - 1], endpoints_[rng_.Next() % i]);
      }
      pos_ = 0;
      ++round_;
    }
    auto [a, r] = endpoints_[pos_++];
    const Action& act = Actions()[a];
    char uri[128];
    std::snprintf(uri, sizeof uri, act.pattern, kResources[r]);
    std::string u = uri;
    if (round_ > 1) u += "/v" + std::to_string(round_ - 1);
    std::vector<HttpChild> out;
    for (const char* m : act.methods) {
      for (const HttpStatus& st : kHttpStatuses) {
        if (std::string_view(st.status) != "200" && rng_.Uniform() >= std::min(1.0, st.weight * 3))
          continue;
        out.push_back(HttpChild{u, m, &st});
      }
    }
    // buf_ is consumed from the back.
    buf_.assign(out.rbegin(), out.rend());
  }

  Rng rng_;
  std::vector<std::pair<size_t, size_t>> endpoints_;
  size_t pos_ = 0;
  int round_ = 0;
  std::vector<HttpChild> buf_;
};

// ---------------------------------------------------------------------------------------
// The mix of one target
// ---------------------------------------------------------------------------------------

class Mix {
 public:
  Mix(const Topology& topo, const TargetInfo& t, const FleetOptions& o, int64_t now_ms)
      : topo_(topo),
        t_(t),
        o_(o),
        now_s_(double(now_ms) / 1000.0),
        rng_(MixSeed(o.seed, uint64_t(t.index), 1)),
        churn_rng_(MixSeed(o.seed, uint64_t(t.index), 2)) {
    me_workload_ = Workload(t.service_name, t.version_name);
  }

  void Build(TargetBuilder* b, MixReport* report) {
    size_t s = size_t(o_.series_per_target);
    size_t app = size_t(std::llround(double(s) * 0.4));
    size_t mesh = std::min(s - app, size_t(std::llround(double(s) * 0.4)));
    size_t os = s - app - mesh;
    size_t got_app = FillLayer(b, app, AppGens(), {3, 1, 1, 1, 1, 1, 1, 2, 3, 1, 1}, AppFiller());
    size_t got_mesh = FillLayer(b, mesh, MeshGens(), {1, 5, 2, 1, 1, 1}, MeshFiller());
    size_t got_os = FillLayer(b, os, OsGens(), {2, 1, 1, 1, 2, 1, 1, 1}, OsFiller());
    size_t demo = 0;
    if (o_.profile == "compliance") demo = AddDemo(b);
    if (report != nullptr) *report = MixReport{got_app, got_mesh, got_os, demo};
  }

 private:
  // --- series constructors ---------------------------------------------------------
  double Up() const { return t_.uptime_s; }
  SeriesDef Def(std::string name, std::string labels, Kind kind, double p0, double p1, double p2,
                double init) {
    SeriesDef d;
    d.name = std::move(name);
    d.labels = std::move(labels);
    d.kind = kind;
    d.p0 = p0, d.p1 = p1, d.p2 = p2;
    d.init = init;
    return d;
  }
  SeriesDef Ci(std::string n, std::string l, double rate) {
    return Def(std::move(n), std::move(l), Kind::kCounter, rate, 0, 0,
               std::floor(rate * Up() * rng_.Uniform(0.5, 1.0)));
  }
  SeriesDef Cf(std::string n, std::string l, double rate) {
    return Def(std::move(n), std::move(l), Kind::kCounterFloat, rate, 0, 0,
               rate * Up() * rng_.Uniform(0.5, 1.0));
  }
  SeriesDef Cb(std::string n, std::string l, double rate) {
    return Def(std::move(n), std::move(l), Kind::kCounterBytes, rate, 0, 0,
               std::floor(rate * Up() * rng_.Uniform(0.5, 1.0)));
  }
  SeriesDef Gw(std::string n, std::string l, double mu, double sd) {
    return Def(std::move(n), std::move(l), Kind::kGaugeWalk, mu, sd, 0, mu);
  }
  SeriesDef Gi(std::string n, std::string l, double mu, double sd) {
    return Def(std::move(n), std::move(l), Kind::kGaugeIntWalk, mu, sd, 0, std::floor(mu));
  }
  SeriesDef Gs(std::string n, std::string l, double lo, double hi, double rate) {
    return Def(std::move(n), std::move(l), Kind::kGaugeSaw, lo, hi, rate,
               std::floor(rng_.Uniform(lo, hi)));
  }
  SeriesDef Gt(std::string n, std::string l, double lo, double hi, double p) {
    return Def(std::move(n), std::move(l), Kind::kGaugeStep, lo, hi, p,
               double(rng_.Int(int64_t(lo), int64_t(hi))));
  }
  SeriesDef Gk(std::string n, std::string l, double v) {
    return Def(std::move(n), std::move(l), Kind::kConst, 0, 0, 0, v);
  }
  // A summary's _count/_sum pair (Micrometer timers without percentiles).
  Group SummaryCountSum(const std::string& base, const std::string& l, double rate, double mean) {
    SeriesDef c = Ci(base + "_count", l, rate);
    SeriesDef s = Cf(base + "_sum", l, rate * mean);
    for (SeriesDef* d : {&c, &s}) {
      d->family = base;
      d->family_type = FamilyType::kSummary;
      d->family_type_set = true;
    }
    return {Item(std::move(c)), Item(std::move(s))};
  }
  // A classic histogram with log-normal-ish latencies around `median`.
  HistDef Hist(std::string name, std::string labels, const std::vector<std::string>& les,
               double median, double rate) {
    HistDef h;
    h.name = std::move(name);
    h.labels = std::move(labels);
    h.les = &les;
    double sigma = rng_.Uniform(0.6, 1.2);
    for (const std::string& le : les) {
      double x = std::strtod(le.c_str(), nullptr);
      double z = (std::log(x) - std::log(median)) / sigma;
      h.cdf.push_back(float(0.5 * std::erfc(-z / std::sqrt(2.0))));
    }
    h.rate = rate;
    h.mean = median * 1.3;
    h.count0 = std::floor(rate * Up() * 0.7);
    return h;
  }

  // --- layer filling ------------------------------------------------------------------
  size_t FillLayer(TargetBuilder* b, size_t budget, std::vector<Gen> gens, std::vector<int> weights,
                   Gen filler) {
    size_t used = 0;
    std::vector<Group> pending(gens.size());
    std::vector<bool> alive(gens.size(), true);
    bool any = true;
    while (any) {
      bool progressed = false;
      for (size_t i = 0; i < gens.size(); ++i) {
        for (int w = 0; w < weights[i] && alive[i]; ++w) {
          if (pending[i].empty() && !gens[i](&pending[i])) {
            alive[i] = false;
            break;
          }
          size_t n = GroupSize(pending[i]);
          if (used + n > budget) {
            alive[i] = false;
            break;
          }
          Add(b, &pending[i]);
          used += n;
          progressed = true;
        }
      }
      any = progressed && std::find(alive.begin(), alive.end(), true) != alive.end();
    }
    Group g;
    while (used < budget) {
      g.clear();
      if (!filler(&g)) break;
      size_t n = GroupSize(g);
      if (used + n > budget) continue;
      Add(b, &g);
      used += n;
    }
    return used;
  }

  void Add(TargetBuilder* b, Group* g) {
    bool churn = o_.churn > 0 && churn_rng_.Uniform() < o_.churn;
    for (auto& it : *g) {
      if (it.hist) {
        b->AddHistogram(std::move(it.h), churn);
      } else {
        b->AddSeries(std::move(it.s), churn);
      }
    }
    g->clear();
  }

  // --- application layer --------------------------------------------------------------
  std::vector<Gen> AppGens() {
    std::vector<Gen> gens;
    {  // jvm_memory_used_bytes
      std::vector<Group> g;
      const std::pair<const char*, const char*> mem[] = {
          {"heap", "G1 Eden Space"},
          {"heap", "G1 Old Gen"},
          {"heap", "G1 Survivor Space"},
          {"nonheap", "Metaspace"},
          {"nonheap", "CodeHeap 'non-nmethods'"},
          {"nonheap", "CodeHeap 'profiled nmethods'"},
          {"nonheap", "CodeHeap 'non-profiled nmethods'"},
          {"nonheap", "Compressed Class Space"}};
      for (auto [area, id] : mem) {
        double base = rng_.Uniform(2e7, 4e8);
        std::string l = Render({{"area", area}, {"id", id}});
        if (std::string_view(id) == "G1 Eden Space") {
          g.push_back({Item(Gs("jvm_memory_used_bytes", l, 1e7, base * 2, base / 30))});
        } else {
          g.push_back({Item(Gi("jvm_memory_used_bytes", l, base, base * 0.002))});
        }
      }
      gens.push_back(FromList(std::move(g)));
    }
    const std::pair<const char*, const char*> pools[] = {{"heap", "G1 Eden Space"},
                                                         {"heap", "G1 Old Gen"},
                                                         {"heap", "G1 Survivor Space"},
                                                         {"nonheap", "Metaspace"},
                                                         {"nonheap", "Compressed Class Space"}};
    {  // jvm_memory_committed_bytes
      std::vector<Group> g;
      for (auto [area, id] : pools) {
        double v = std::floor(rng_.Uniform(5e7, 6e8) / 4096) * 4096;
        g.push_back(
            {Item(Gk("jvm_memory_committed_bytes", Render({{"area", area}, {"id", id}}), v))});
      }
      gens.push_back(FromList(std::move(g)));
    }
    {  // jvm_memory_max_bytes
      std::vector<Group> g;
      for (auto [area, id] : pools) {
        double v = std::string_view(id) == "Metaspace" ? -1 : 1073741824;
        g.push_back({Item(Gk("jvm_memory_max_bytes", Render({{"area", area}, {"id", id}}), v))});
      }
      gens.push_back(FromList(std::move(g)));
    }
    {  // threads
      std::vector<Group> g;
      g.push_back({Item(Gt("jvm_threads_live_threads", "", 40, 80, 0.2))});
      g.push_back({Item(Gt("jvm_threads_daemon_threads", "", 30, 60, 0.2))});
      g.push_back({Item(Gk("jvm_threads_peak_threads", "", double(rng_.Int(80, 120))))});
      for (const char* st :
           {"runnable", "blocked", "waiting", "timed-waiting", "new", "terminated"})
        g.push_back({Item(Gt("jvm_threads_states_threads", Render({{"state", st}}), 0, 30, 0.3))});
      gens.push_back(FromList(std::move(g)));
    }
    {  // tomcat
      std::vector<Group> g;
      std::string tn = Render({{"name", "http-nio-8080"}});
      double ld = t_.load;
      g.push_back({Item(Gt("tomcat_threads_busy_threads", tn, 0, 40, 0.6))});
      g.push_back({Item(Gt("tomcat_threads_current_threads", tn, 10, 200, 0.05))});
      g.push_back({Item(Gk("tomcat_threads_config_max_threads", tn, 200))});
      g.push_back({Item(Gt("tomcat_sessions_active_current_sessions", "", 0, 500, 0.7))});
      g.push_back({Item(Gk("tomcat_sessions_active_max_sessions", "", 1000))});
      g.push_back({Item(Ci("tomcat_sessions_created_sessions_total", "", 0.5 * ld))});
      g.push_back({Item(Ci("tomcat_sessions_expired_sessions_total", "", 0.45 * ld))});
      g.push_back({Item(Ci("tomcat_sessions_rejected_sessions_total", "", 0))});
      g.push_back({Item(Ci("tomcat_global_error_total", tn, 0.01 * ld))});
      g.push_back({Item(Cb("tomcat_global_sent_bytes_total", tn, 200000 * ld))});
      g.push_back({Item(Cb("tomcat_global_received_bytes_total", tn, 40000 * ld))});
      gens.push_back(FromList(std::move(g)));
    }
    {  // hikaricp
      std::vector<Group> g;
      for (const char* pool : {"HikariPool-1", "HikariPool-2"}) {
        std::string p = Render({{"pool", pool}});
        g.push_back({Item(Gt("hikaricp_connections_active", p, 0, 10, 0.5))});
        g.push_back({Item(Gt("hikaricp_connections_idle", p, 0, 10, 0.5))});
        g.push_back({Item(Gt("hikaricp_connections_pending", p, 0, 3, 0.1))});
        g.push_back({Item(Gk("hikaricp_connections_max", p, 10))});
        g.push_back({Item(Gk("hikaricp_connections_min", p, 10))});
        g.push_back({Item(Ci("hikaricp_connections_timeout_total", p, 0.0005))});
        g.push_back(SummaryCountSum("hikaricp_connections_acquire_seconds", p, 5 * t_.load, 4e-4));
      }
      gens.push_back(FromList(std::move(g)));
    }
    {  // logback
      std::vector<Group> g;
      const std::pair<const char*, double> levels[] = {
          {"error", 0.01}, {"warn", 0.1}, {"info", 3.0}, {"debug", 0}, {"trace", 0}};
      for (auto [lv, r] : levels)
        g.push_back({Item(Ci("logback_events_total", Render({{"level", lv}}), r * t_.load))});
      gens.push_back(FromList(std::move(g)));
    }
    {  // process, classes, buffers, gc
      std::vector<Group> g;
      SeriesDef cpu = Gw("process_cpu_usage", "", 0.05 * t_.load, 0.02);
      if (t_.incident) cpu.incident_p0 = 0.97;  // CPU-bound near its limit
      g.push_back({Item(std::move(cpu))});
      const std::tuple<const char*, const char*, double> gcs[] = {
          {"end of minor GC", "G1 Evacuation Pause", 0.2},
          {"end of major GC", "G1 Humongous Allocation", 0.002},
          {"end of minor GC", "Metadata GC Threshold", 0.0001}};
      for (auto [action, cause, r] : gcs) {
        std::string l = Render({{"action", action}, {"cause", cause}});
        g.push_back(SummaryCountSum("jvm_gc_pause_seconds", l, r * t_.load, 0.012));
        g.push_back({Item(Gw("jvm_gc_pause_seconds_max", l, 0.02, 0.005))});
      }
      g.push_back({Item(Gw("system_cpu_usage", "", 0.3, 0.05))});
      g.push_back({Item(Gk("system_cpu_count", "", 4))});
      g.push_back({Item(Gw("system_load_average_1m", "", 1.5, 0.3))});
      g.push_back({Item(Gt("process_files_open_files", "", 80, 200, 0.3))});
      g.push_back({Item(Gk("process_files_max_files", "", 1048576))});
      g.push_back(
          {Item(Gk("process_start_time_seconds", "", std::round((now_s_ - Up()) * 1000) / 1000))});
      g.push_back({Item(Cf("process_uptime_seconds", "", 1.0))});
      g.push_back({Item(Gt("jvm_classes_loaded_classes", "", 14000, 14100, 0.05))});
      g.push_back({Item(Ci("jvm_classes_unloaded_classes_total", "", 0.001))});
      for (const char* id : {"direct", "mapped", "mapped - 'non-volatile memory'"}) {
        std::string l = Render({{"id", id}});
        g.push_back({Item(Gi("jvm_buffer_memory_used_bytes", l, rng_.Uniform(0, 5e6), 2e4))});
        g.push_back({Item(Gt("jvm_buffer_count_buffers", l, 0, 40, 0.05))});
      }
      gens.push_back(FromList(std::move(g)));
    }
    // http_server_requests_seconds (histogram) and its _max gauge share one child sequence.
    uint64_t child_seed = MixSeed(o_.seed, uint64_t(t_.index), 31);
    auto server = std::make_shared<HttpChildren>(child_seed);
    gens.push_back([this, server](Group* g) {
      HttpChild c = server->Next();
      double rate = t_.load * c.status->weight * rng_.Uniform(0.05, 2.0) *
                    (std::string_view(c.method) == "GET" ? 1.0 : 0.3);
      std::string l = ServerLabels(c);
      HistDef h =
          Hist("http_server_requests_seconds", l, HttpBuckets(), rng_.Uniform(0.004, 0.2), rate);
      if (t_.incident && std::string_view(c.status->status) == "503") {
        h.incident_rate = t_.load * 0.5;
      }
      g->push_back(Item(std::move(h)));
      return true;
    });
    auto server_max = std::make_shared<HttpChildren>(child_seed);
    gens.push_back([this, server_max](Group* g) {
      HttpChild c = server_max->Next();
      g->push_back(Item(
          Gw("http_server_requests_seconds_max", ServerLabels(c), rng_.Uniform(0.01, 1.0), 0.05)));
      return true;
    });
    auto client = std::make_shared<HttpChildren>(MixSeed(o_.seed, uint64_t(t_.index), 37));
    gens.push_back([this, client](Group* g) {
      HttpChild c = client->Next();
      std::string peer = PeerForUri(c.uri);
      double rate = t_.load * c.status->weight * rng_.Uniform(0.02, 1.0);
      std::string l =
          Render({{"client_name", peer + "." + t_.namespace_name + ".svc.cluster.local"},
                  {"method", c.method},
                  {"outcome", c.status->outcome},
                  {"status", c.status->status},
                  {"uri", c.uri}});
      g->push_back(Item(
          Hist("http_client_requests_seconds", l, HttpBuckets(), rng_.Uniform(0.002, 0.1), rate)));
      return true;
    });
    return gens;
  }

  std::string ServerLabels(const HttpChild& c) {
    return Render({{"exception", c.status->exception},
                   {"method", c.method},
                   {"outcome", c.status->outcome},
                   {"status", c.status->status},
                   {"uri", c.uri}});
  }

  std::string PeerForUri(const std::string& uri) {
    const auto& callees = topo_.Callees(t_.service);
    if (callees.empty()) return "external-api";
    return topo_.services()[callees[HashName(uri) % callees.size()]];
  }

  Gen AppFiller() {
    auto i = std::make_shared<int>(0);
    return [this, i](Group* g) {
      int n = (*i)++;
      std::string cache = "cache-" + std::to_string(n / 2);
      g->push_back(Item(
          Ci("cache_gets_total",
             Render({{"cache", cache}, {"name", cache}, {"result", n % 2 == 0 ? "hit" : "miss"}}),
             rng_.Uniform(0, 20) * t_.load)));
      return true;
    };
  }

  // --- mesh layer -----------------------------------------------------------------------
  struct Pair {
    bool inbound;      // reporter=destination: the peer calls this pod
    int peer;          // service index, -1 for an external peer
    int peer_version;  // version index
  };

  std::vector<Pair> MeshPairs() {
    std::vector<Pair> in, out, all;
    for (int c : topo_.Callers(t_.service)) {
      for (int v = 0; v < int(topo_.versions().size()); ++v) in.push_back(Pair{true, c, v});
    }
    for (int c : topo_.Callees(t_.service)) {
      for (int v = 0; v < int(topo_.versions().size()); ++v) out.push_back(Pair{false, c, v});
    }
    for (size_t i = 0; i < std::max(in.size(), out.size()); ++i) {
      if (i < in.size()) all.push_back(in[i]);
      if (i < out.size()) all.push_back(out[i]);
    }
    if (all.empty()) all.push_back(Pair{false, -1, 0});
    return all;
  }

  static std::string Workload(const std::string& service, const std::string& version) {
    return service + "-" + version;
  }

  struct Combo {
    Pair pair;
    int round;  // 0: the real mesh; k > 0: synthetic peers "<peer>-k" to reach larger counts
    const IstioFlag* flag;
  };
  // The i-th (pair, flag) combination, flags tier by tier so that every pair has its
  // normal series before any pair has rare ones.
  Combo ComboAt(const std::vector<Pair>& pairs, size_t i) const {
    size_t per_round = pairs.size() * kNumIstioFlags;
    size_t round = i / per_round, j = i % per_round;
    return Combo{pairs[j % pairs.size()], int(round), &kIstioFlags[j / pairs.size()]};
  }

  std::string PeerName(const Combo& c) const {
    std::string n = c.pair.peer < 0 ? std::string("external-api") : topo_.services()[c.pair.peer];
    if (c.round > 0) n += "-" + std::to_string(c.round);
    return n;
  }

  // True when this pod calls the incident service version over `pair`.
  bool CallsIncident(const Pair& pair) const {
    return !pair.inbound && pair.peer == topo_.incident_service() &&
           pair.peer_version == topo_.incident_version() && !t_.incident;
  }

  // The order in which a pod's (pair, flag) combinations become series: first the calls to
  // the incident service version with the normal, UC and UH flags (what the calling sidecar
  // reports when the incident starts), so that even small targets show the incident; then
  // ComboAt's order without those.
  class ComboSeq {
   public:
    ComboSeq(const Mix* mix, std::shared_ptr<std::vector<Pair>> pairs)
        : mix_(mix), pairs_(std::move(pairs)) {
      for (const Pair& p : *pairs_) {
        if (!mix_->CallsIncident(p)) continue;
        for (size_t f = 0; f < 3; ++f) first_.push_back(Combo{p, 0, &kIstioFlags[f]});
      }
    }
    Combo Next() {
      if (next_first_ < first_.size()) return first_[next_first_++];
      for (;;) {
        Combo c = mix_->ComboAt(*pairs_, k_++);
        bool listed = c.round == 0 && mix_->CallsIncident(c.pair) && c.flag < kIstioFlags + 3;
        if (!listed) return c;
      }
    }

   private:
    const Mix* mix_;
    std::shared_ptr<std::vector<Pair>> pairs_;
    std::vector<Combo> first_;
    size_t next_first_ = 0;
    size_t k_ = 0;
  };

  // The incident's extra UC/UH rate for this combination, or NaN.
  double IncidentRate(const Combo& c) const {
    if (c.round != 0 || c.pair.peer < 0) return kNoIncident;
    std::string_view f = c.flag->flags;
    if (f != "UC" && f != "UH") return kNoIncident;
    bool dst_is_incident = c.pair.inbound ? t_.incident
                                          : (c.pair.peer == topo_.incident_service() &&
                                             c.pair.peer_version == topo_.incident_version());
    if (!dst_is_incident) return kNoIncident;
    return t_.load * (f == "UC" ? 1.2 : 0.8);
  }

  std::string IstioLabels(const Combo& c) const {
    std::string peer = PeerName(c);
    std::string peer_version = topo_.versions()[c.pair.peer_version];
    std::string peer_ns =
        c.pair.peer < 0 ? std::string("external") : topo_.NamespaceOf(c.pair.peer);
    const std::string& me = t_.service_name;
    std::string sa, sv, sns, da, dv, dns;
    if (c.pair.inbound) {
      sa = peer, sv = peer_version, sns = peer_ns, da = me, dv = t_.version_name,
      dns = t_.namespace_name;
    } else {
      sa = me, sv = t_.version_name, sns = t_.namespace_name, da = peer, dv = peer_version,
      dns = peer_ns;
    }
    return Render({
        {"connection_security_policy", c.pair.inbound ? "mutual_tls" : "unknown"},
        {"destination_app", da},
        {"destination_canonical_revision", dv},
        {"destination_canonical_service", da},
        {"destination_cluster", t_.dc},
        {"destination_principal", "spiffe://cluster.local/ns/" + dns + "/sa/" + da},
        {"destination_service", da + "." + dns + ".svc.cluster.local"},
        {"destination_service_name", da},
        {"destination_service_namespace", dns},
        {"destination_version", dv},
        {"destination_workload", Workload(da, dv)},
        {"destination_workload_namespace", dns},
        {"grpc_response_status", ""},
        {"reporter", c.pair.inbound ? "destination" : "source"},
        {"request_protocol", "http"},
        {"response_code", c.flag->code},
        {"response_flags", c.flag->flags},
        {"source_app", sa},
        {"source_canonical_revision", sv},
        {"source_canonical_service", sa},
        {"source_cluster", t_.dc},
        {"source_principal", "spiffe://cluster.local/ns/" + sns + "/sa/" + sa},
        {"source_version", sv},
        {"source_workload", Workload(sa, sv)},
        {"source_workload_namespace", sns},
    });
  }

  Gen IstioRequests(std::shared_ptr<std::vector<Pair>> pairs) {
    auto seq = std::make_shared<ComboSeq>(this, pairs);
    return [this, seq](Group* g) {
      Combo c = seq->Next();
      SeriesDef d = Ci("istio_requests_total", IstioLabels(c),
                       t_.load * c.flag->weight * rng_.Uniform(0.1, 3.0));
      d.incident_p0 = IncidentRate(c);
      g->push_back(Item(std::move(d)));
      return true;
    };
  }

  Gen IstioHist(std::shared_ptr<std::vector<Pair>> pairs, const char* name,
                const std::vector<std::string>& les, double med_lo, double med_hi) {
    auto seq = std::make_shared<ComboSeq>(this, pairs);
    return [this, seq, name, &les, med_lo, med_hi](Group* g) {
      Combo c = seq->Next();
      double rate = t_.load * c.flag->weight * rng_.Uniform(0.1, 3.0);
      HistDef h = Hist(name, IstioLabels(c), les, rng_.Uniform(med_lo, med_hi), rate);
      h.mean = h.mean / 1.3 * 1.4;
      h.incident_rate = IncidentRate(c);
      g->push_back(Item(std::move(h)));
      return true;
    };
  }

  std::vector<Gen> MeshGens() {
    std::vector<Gen> gens;
    {
      std::vector<Group> g;
      g.push_back(
          {Item(Gk("istio_build", Render({{"component", "proxy"}, {"tag", "1.20.3"}}), 1))});
      g.push_back({Item(Gk("envoy_server_live", "", 1))});
      g.push_back({Item(Cf("envoy_server_uptime", "", 1.0))});
      g.push_back({Item(Gi("envoy_server_memory_allocated", "", 3e7, 1e5))});
      g.push_back({Item(Gi("envoy_server_memory_heap_size", "", 5e7, 1e5))});
      g.push_back({Item(Gk("envoy_server_concurrency", "", 2))});
      g.push_back({Item(Gt("envoy_server_total_connections", "", 5, 80, 0.5))});
      g.push_back({Item(Ci("envoy_cluster_manager_cds_update_success", "", 0.01))});
      g.push_back({Item(Ci("envoy_listener_manager_lds_update_success", "", 0.01))});
      gens.push_back(FromList(std::move(g)));
    }
    auto pairs = std::make_shared<std::vector<Pair>>(MeshPairs());
    gens.push_back(IstioRequests(pairs));
    gens.push_back(
        IstioHist(pairs, "istio_request_duration_milliseconds", IstioMsBuckets(), 3.0, 120.0));
    gens.push_back(IstioHist(pairs, "istio_request_bytes", IstioBytesBuckets(), 200.0, 5000.0));
    gens.push_back(IstioHist(pairs, "istio_response_bytes", IstioBytesBuckets(), 500.0, 50000.0));
    // TCP traffic to each callee's database.
    auto k = std::make_shared<size_t>(0);
    gens.push_back([this, k](Group* g) {
      const auto& callees = topo_.Callees(t_.service);
      size_t n = std::max<size_t>(1, callees.size());
      size_t i = (*k)++;
      std::string peer =
          callees.empty() ? std::string("external") : topo_.services()[callees[i % n]];
      if (i >= n) peer += "-" + std::to_string(i / n);
      std::string l =
          Render({{"destination_service", peer + "-db." + t_.namespace_name + ".svc.cluster.local"},
                  {"destination_workload", peer + "-db"},
                  {"reporter", "source"},
                  {"request_protocol", "tcp"},
                  {"response_flags", "-"},
                  {"source_workload", me_workload_}});
      g->push_back(Item(Cb("istio_tcp_sent_bytes_total", l, rng_.Uniform(1e3, 1e5))));
      g->push_back(Item(Cb("istio_tcp_received_bytes_total", l, rng_.Uniform(1e3, 1e6))));
      g->push_back(Item(Ci("istio_tcp_connections_opened_total", l, rng_.Uniform(0.01, 1))));
      g->push_back(Item(Ci("istio_tcp_connections_closed_total", l, rng_.Uniform(0.01, 1))));
      return true;
    });
    return gens;
  }

  Gen MeshFiller() {
    auto i = std::make_shared<size_t>(0);
    return [this, i](Group* g) {
      size_t n = (*i)++;
      std::string cluster = "outbound|8080||upstream-" + std::to_string(n / 2) + "." +
                            t_.namespace_name + ".svc.cluster.local";
      std::string l = Render({{"cluster_name", cluster}});
      if (n % 2 == 0) {
        g->push_back(Item(Ci("envoy_cluster_upstream_cx_total", l, rng_.Uniform(0, 0.5))));
      } else {
        g->push_back(Item(Ci("envoy_cluster_upstream_rq_retry", l, rng_.Uniform(0, 0.01))));
      }
      return true;
    };
  }

  // --- OS layer -------------------------------------------------------------------------
  std::string ContainerLabels(const std::string& c) {
    auto it = container_ids_.find(c);
    if (it == container_ids_.end()) {
      char buf[80];
      std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx",
                    static_cast<unsigned long long>(rng_.Next()),
                    static_cast<unsigned long long>(rng_.Next()),
                    static_cast<unsigned long long>(rng_.Next()),
                    static_cast<unsigned long long>(rng_.Next()));
      it = container_ids_.emplace(c, buf).first;
    }
    if (pod_uid_.empty()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                    static_cast<unsigned long long>(rng_.Bits(32)),
                    static_cast<unsigned long long>(rng_.Bits(16)),
                    static_cast<unsigned long long>(rng_.Bits(16)),
                    static_cast<unsigned long long>(rng_.Bits(16)),
                    static_cast<unsigned long long>(rng_.Bits(48)));
      pod_uid_ = buf;
    }
    std::string image = c == "istio-proxy" ? "docker.io/istio/proxyv2:1.20.3"
                        : c == "POD"       ? "registry.k8s.io/pause:3.9"
                                           : "registry.example.com/" + t_.service_name + ":" +
                                           t_.version_name + ".4." + std::to_string(t_.index % 7);
    return Render({{"container", c == "POD" ? "" : c},
                   {"id", "/kubepods/burstable/pod" + pod_uid_ + "/" + it->second},
                   {"image", image},
                   {"name", "k8s_" + c + "_" + it->second.substr(0, 12)}});
  }

  std::vector<std::string> Containers() const { return {t_.service_name, "istio-proxy", "POD"}; }

  std::vector<Gen> OsGens() {
    std::vector<Gen> gens;
    {  // container CPU (the incident throttles the service container at its 4-core limit)
      std::vector<Group> g;
      for (const std::string& c : Containers()) {
        std::string l = ContainerLabels(c);
        bool app = c == t_.service_name, pod = c == "POD";
        bool hot = app && t_.incident;
        double cpu = app ? 0.2 * t_.load : (pod ? 0.0001 : 0.05);
        SeriesDef usage =
            Cf("container_cpu_usage_seconds_total", Concat(l, Render({{"cpu", "total"}})), cpu);
        SeriesDef user = Cf("container_cpu_user_seconds_total", l, cpu * 0.7);
        SeriesDef sys = Cf("container_cpu_system_seconds_total", l, cpu * 0.3);
        SeriesDef periods = Ci("container_cpu_cfs_periods_total", l, pod ? 0 : 10);
        SeriesDef throttled =
            Ci("container_cpu_cfs_throttled_periods_total", l, pod ? 0 : rng_.Uniform(0, 0.8));
        SeriesDef throttled_s =
            Cf("container_cpu_cfs_throttled_seconds_total", l, pod ? 0 : rng_.Uniform(0, 0.05));
        if (hot) {
          usage.incident_p0 = 3.9;
          user.incident_p0 = 2.8;
          sys.incident_p0 = 1.1;
          throttled.incident_p0 = 9.0;
          throttled_s.incident_p0 = 1.5;
        }
        double quota = pod ? 0 : (app ? 400000 : 200000);
        SeriesDef quota_d = Gk("container_spec_cpu_quota", l, quota);
        SeriesDef period_d = Gk("container_spec_cpu_period", l, 100000);
        SeriesDef shares_d = Gk("container_spec_cpu_shares", l, app ? 1024 : 2);
        // Utilisation (usage / quota × period) and saturation (throttled / periods) first, so
        // that small targets have them (and show the incident).
        for (SeriesDef* d : {&usage, &quota_d, &period_d, &periods, &throttled, &user, &sys,
                             &throttled_s, &shares_d}) {
          g.push_back({Item(std::move(*d))});
        }
      }
      gens.push_back(FromList(std::move(g)));
    }
    {  // container memory
      std::vector<Group> g;
      for (const std::string& c : Containers()) {
        std::string l = ContainerLabels(c);
        bool app = c == t_.service_name, pod = c == "POD";
        double base = pod ? 5e5 : (app ? 6e8 : 9e7);
        g.push_back({Item(Gi("container_memory_working_set_bytes", l, base, base * 0.002))});
        g.push_back({Item(Gi("container_memory_usage_bytes", l, base * 1.2, base * 0.002))});
        g.push_back({Item(Gi("container_memory_rss", l, base * 0.9, base * 0.001))});
        g.push_back({Item(Gi("container_memory_cache", l, base * 0.3, base * 0.003))});
        g.push_back({Item(Gi("container_memory_mapped_file", l, base * 0.05, base * 0.0001))});
        g.push_back({Item(Gk("container_memory_swap", l, 0))});
        g.push_back({Item(Ci("container_memory_failcnt", l, 0))});
        g.push_back({Item(Gk("container_spec_memory_limit_bytes", l,
                             pod ? 0 : (app ? 2147483648.0 : 1073741824.0)))});
        g.push_back({Item(Gi("container_memory_max_usage_bytes", l, base * 1.5, base * 0.0002))});
        g.push_back({Item(Ci("container_oom_events_total", l, 0))});
        for (const char* scope : {"container", "hierarchy"}) {
          for (const char* type : {"pgfault", "pgmajfault"}) {
            bool minor = std::string_view(type) == "pgfault";
            g.push_back({Item(Ci("container_memory_failures_total",
                                 Concat(l, Render({{"failure_type", type}, {"scope", scope}})),
                                 minor ? rng_.Uniform(0, 200) : rng_.Uniform(0, 0.01)))});
          }
        }
      }
      gens.push_back(FromList(std::move(g)));
    }
    {  // container file system, per device x container
      auto k = std::make_shared<size_t>(0);
      gens.push_back([this, k](Group* g) {
        auto cs = Containers();
        size_t i = (*k)++;
        size_t per_round = std::size(kDevices) * cs.size();
        size_t round = i / per_round, j = i % per_round;
        std::string d = kDevices[j / cs.size()];
        const std::string& c = cs[j % cs.size()];
        std::string dev = "/dev/" + d + (round > 0 ? std::to_string(round) : "");
        std::string l = Concat(ContainerLabels(c), Render({{"device", dev}}));
        bool active = c != "POD" && (d == "vda" || d == "nvme0n1") && round == 0;
        g->push_back(
            Item(Cb("container_fs_reads_bytes_total", l, active ? rng_.Uniform(0, 5e4) : 0)));
        g->push_back(
            Item(Cb("container_fs_writes_bytes_total", l, active ? rng_.Uniform(0, 2e5) : 0)));
        g->push_back(Item(Ci("container_fs_reads_total", l, active ? rng_.Uniform(0, 10) : 0)));
        g->push_back(Item(Ci("container_fs_writes_total", l, active ? rng_.Uniform(0, 40) : 0)));
        return true;
      });
    }
    {  // container network, per interface
      auto k = std::make_shared<size_t>(0);
      gens.push_back([this, k](Group* g) {
        static constexpr const char* kIfaces[] = {"eth0", "tunl0", "cni0", "lo"};
        size_t i = (*k)++;
        std::string ifc = kIfaces[i % 4];
        bool active = ifc == "eth0" && i < 4;
        if (i >= 4) ifc += "." + std::to_string(i / 4);
        std::string l = Concat(ContainerLabels("POD"), Render({{"interface", ifc}}));
        g->push_back(Item(
            Cb("container_network_receive_bytes_total", l, active ? rng_.Uniform(1e4, 1e6) : 0)));
        g->push_back(Item(
            Cb("container_network_transmit_bytes_total", l, active ? rng_.Uniform(1e4, 1e6) : 0)));
        g->push_back(Item(
            Ci("container_network_receive_packets_total", l, active ? rng_.Uniform(10, 500) : 0)));
        g->push_back(Item(
            Ci("container_network_transmit_packets_total", l, active ? rng_.Uniform(10, 500) : 0)));
        g->push_back(
            Item(Ci("container_network_receive_packets_dropped_total", l, active ? 0.001 : 0)));
        g->push_back(
            Item(Ci("container_network_transmit_packets_dropped_total", l, active ? 0.0005 : 0)));
        g->push_back(Item(Ci("container_network_receive_errors_total", l, 0)));
        return true;
      });
    }
    {  // node CPU, per cpu x mode
      auto k = std::make_shared<size_t>(0);
      gens.push_back([this, k](Group* g) {
        size_t i = (*k)++;
        const char* mode = kCpuModes[i % std::size(kCpuModes)];
        std::string_view m = mode;
        double r = m == "idle"      ? 0.7
                   : m == "user"    ? 0.18
                   : m == "system"  ? 0.06
                   : m == "iowait"  ? 0.02
                   : m == "softirq" ? 0.02
                   : m == "nice"    ? 0.001
                   : m == "steal"   ? 0.005
                                    : 0.0;
        SeriesDef d =
            Def("node_cpu_seconds_total",
                Render({{"cpu", std::to_string(i / std::size(kCpuModes))}, {"mode", mode}}),
                Kind::kCounterFloat, r * rng_.Uniform(0.5, 1.4), 0, 0,
                std::round(r * Up() * 100) / 100);
        g->push_back(Item(std::move(d)));
        return true;
      });
    }
    {  // node disks
      auto k = std::make_shared<size_t>(0);
      gens.push_back([this, k](Group* g) {
        size_t i = (*k)++;
        std::string dev = kDevices[i % std::size(kDevices)];
        if (i >= std::size(kDevices)) dev += std::to_string(i / std::size(kDevices));
        std::string l = Render({{"device", dev}});
        g->push_back(Item(Cf("node_disk_io_time_seconds_total", l, rng_.Uniform(0.001, 0.2))));
        g->push_back(
            Item(Cf("node_disk_io_time_weighted_seconds_total", l, rng_.Uniform(0.001, 0.5))));
        g->push_back(Item(Cb("node_disk_read_bytes_total", l, rng_.Uniform(0, 2e6))));
        g->push_back(Item(Cb("node_disk_written_bytes_total", l, rng_.Uniform(0, 5e6))));
        g->push_back(Item(Ci("node_disk_reads_completed_total", l, rng_.Uniform(0, 50))));
        g->push_back(Item(Ci("node_disk_writes_completed_total", l, rng_.Uniform(0, 150))));
        g->push_back(Item(Gt("node_disk_io_now", l, 0, 4, 0.3)));
        return true;
      });
    }
    {  // node memory, load, file systems
      std::vector<Group> g;
      const std::pair<const char*, double> mem[] = {
          {"MemTotal", 6.7e10}, {"MemFree", 2e10},     {"MemAvailable", 4e10}, {"Buffers", 1e9},
          {"Cached", 1.5e10},   {"SwapTotal", 0},      {"SwapFree", 0},        {"Active", 2e10},
          {"Inactive", 1e10},   {"Dirty", 1e6},        {"Writeback", 0},       {"Slab", 1e9},
          {"Shmem", 5e7},       {"Committed_AS", 5e10}};
      for (auto [f, v] : mem) {
        std::string name = std::string("node_memory_") + f + "_bytes";
        if (v == 0 || std::string_view(f) == "MemTotal") {
          g.push_back({Item(Gk(name, "", v))});
        } else {
          g.push_back({Item(Gi(name, "", v, v * 0.001))});
        }
      }
      g.push_back({Item(Gw("node_load1", "", 2.0, 0.3))});
      g.push_back({Item(Gw("node_load5", "", 2.0, 0.1))});
      g.push_back({Item(Gw("node_load15", "", 2.0, 0.05))});
      const std::pair<const char*, const char*> fss[] = {
          {"/", "/dev/vda1"}, {"/var/lib/kubelet", "/dev/vdb"}, {"/boot", "/dev/vda15"}};
      for (auto [mp, dev] : fss) {
        std::string l = Render({{"device", dev}, {"fstype", "ext4"}, {"mountpoint", mp}});
        g.push_back({Item(Gk("node_filesystem_size_bytes", l, 107374182400.0))});
        g.push_back({Item(Gi("node_filesystem_avail_bytes", l, 5e10, 1e6))});
        g.push_back({Item(Gi("node_filesystem_free_bytes", l, 5.5e10, 1e6))});
        g.push_back({Item(Gk("node_filesystem_files", l, 6553600))});
        g.push_back({Item(Gi("node_filesystem_files_free", l, 6e6, 50))});
      }
      gens.push_back(FromList(std::move(g)));
    }
    {  // node network
      auto k = std::make_shared<size_t>(0);
      gens.push_back([this, k](Group* g) {
        static constexpr const char* kNics[] = {"eth0", "eth1", "cni0", "flannel.1", "lo"};
        size_t i = (*k)++;
        std::string dev = kNics[i % 5];
        bool active = dev == "eth0" || dev == "cni0" || i >= 5;
        if (i >= 5) dev = "veth" + std::to_string(i);
        std::string l = Render({{"device", dev}});
        g->push_back(
            Item(Cb("node_network_receive_bytes_total", l, active ? rng_.Uniform(1e4, 5e6) : 0)));
        g->push_back(
            Item(Cb("node_network_transmit_bytes_total", l, active ? rng_.Uniform(1e4, 5e6) : 0)));
        g->push_back(Item(Ci("node_network_receive_drop_total", l, active ? 0.001 : 0)));
        return true;
      });
    }
    return gens;
  }

  Gen OsFiller() {
    auto i = std::make_shared<size_t>(0);
    return [this, i](Group* g) {
      size_t n = (*i)++;
      g->push_back(Item(Ci(
          "node_interrupts_total",
          Render({{"cpu", std::to_string(n % 16)},
                  {"devices", "virtio" + std::to_string(n / 16) + "-req." + std::to_string(n % 4)},
                  {"info", "PCI-MSI-edge"},
                  {"type", std::to_string(24 + n)}}),
          rng_.Uniform(0, 100))));
      return true;
    };
  }

  // --- the PromLabs demo service (compliance profile) --------------------------------------
  size_t AddDemo(TargetBuilder* b) {
    size_t before = b->num_series();
    auto demo = [](SeriesDef d) {
      d.pod_labels = false;
      return d;
    };
    for (const char* path : {"/api/foo", "/api/bar"}) {
      for (const char* method : {"GET", "POST"}) {
        for (const char* status : {"200", "500"}) {
          double rate =
              std::string_view(status) == "200" ? rng_.Uniform(2, 10) : rng_.Uniform(0.01, 0.1);
          HistDef h = Hist("demo_api_request_duration_seconds",
                           Render({{"method", method}, {"path", path}, {"status", status}}),
                           DemoBuckets(), rng_.Uniform(0.01, 0.05), rate);
          h.pod_labels = false;
          b->AddHistogram(std::move(h), false);
        }
      }
    }
    b->AddSeries(demo(Gt("demo_api_http_requests_in_progress", "", 0, 5, 0.5)), false);
    for (const char* q : {"0.5", "0.9", "0.99"}) {
      SeriesDef d = demo(
          Gw("demo_api_response_size_bytes", Render({{"quantile", q}}), std::atof(q) * 2000, 50));
      d.family_type = FamilyType::kSummary;
      d.family_type_set = true;
      b->AddSeries(std::move(d), false);
    }
    for (auto [suffix, kind] : {std::pair<const char*, Kind>{"_sum", Kind::kCounterFloat},
                                std::pair<const char*, Kind>{"_count", Kind::kCounter}}) {
      SeriesDef d = demo(kind == Kind::kCounter ? Ci("", "", 5) : Cf("", "", 5 * 1100));
      d.name = std::string("demo_api_response_size_bytes") + suffix;
      d.family = "demo_api_response_size_bytes";
      d.family_type = FamilyType::kSummary;
      d.family_type_set = true;
      b->AddSeries(std::move(d), false);
    }
    SeriesDef success = demo(
        Def("demo_batch_last_success_timestamp_seconds", "", Kind::kBatchSuccess, 0.25, 0, 0, 0));
    b->AddSeries(std::move(success), false);
    b->AddSeries(
        demo(Def("demo_batch_last_run_timestamp_seconds", "", Kind::kBatchRun, 0, 0, 0, 0)), false);
    b->AddSeries(
        demo(Def("demo_batch_last_run_duration_seconds", "", Kind::kBatchDuration, 0, 0, 0, 0)),
        false);
    b->AddSeries(demo(Gi("demo_batch_last_run_processed_bytes", "", 1.05e6, 3e4)), false);
    for (auto [mode, r] :
         {std::pair<const char*, double>{"user", 1.2}, {"system", 0.4}, {"idle", 2.3}}) {
      b->AddSeries(demo(Cf("demo_cpu_usage_seconds_total", Render({{"mode", mode}}), r)), false);
    }
    b->AddSeries(demo(Gk("demo_num_cpus", "", 4)), false);
    const double total = 16e9;
    for (auto [type, v] : {std::pair<const char*, double>{"used", 6e9},
                           {"cached", 3e9},
                           {"buffers", 1e9},
                           {"free", 6e9}}) {
      b->AddSeries(demo(Gi("demo_memory_usage_bytes", Render({{"type", type}}), v, 3e7)), false);
    }
    b->AddSeries(demo(Gk("demo_memory_total_bytes", "", total)), false);
    // Disk usage grows slowly (a counter-like walk exposed as a gauge).
    SeriesDef disk = demo(Cb("demo_disk_usage_bytes", "", 2e4));
    disk.family_type = FamilyType::kGauge;
    disk.family_type_set = true;
    b->AddSeries(std::move(disk), false);
    b->AddSeries(demo(Gk("demo_disk_total_bytes", "", 1e12)), false);
    b->AddSeries(demo(Gk("demo_is_holiday", "", 0)), false);
    b->AddSeries(demo(Ci("demo_items_shipped_total", "", 3)), false);
    SeriesDef intermittent = demo(Gw("demo_intermittent_metric", "", 1, 0.1));
    intermittent.intermittent = true;
    b->AddSeries(std::move(intermittent), false);
    return b->num_series() - before;
  }

  const Topology& topo_;
  const TargetInfo& t_;
  const FleetOptions& o_;
  double now_s_;
  Rng rng_, churn_rng_;
  std::string me_workload_;
  std::string pod_uid_;
  std::unordered_map<std::string, std::string> container_ids_;
};

}  // namespace

std::unique_ptr<Target> BuildTarget(const Topology& topology, const TargetInfo& info,
                                    const FleetOptions& options, int64_t now_ms,
                                    MixReport* report) {
  std::string pod_labels = "namespace=\"" + info.namespace_name + "\",dc=\"" + info.dc + "\"";
  TargetBuilder b(pod_labels, info.pod, info.pod_prefix,
                  MixSeed(options.seed, uint64_t(info.index), 3));
  Mix mix(topology, info, options, now_ms);
  mix.Build(&b, report);
  return b.Build(options.churn > 0 ? options.churn_interval_ms : 0, now_ms);
}

}  // namespace vigil::fleet
