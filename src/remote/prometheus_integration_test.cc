// Integration test with a real remote-write sender: Prometheus (Debian's /usr/bin/prometheus,
// or $VIGIL_PROMETHEUS_BIN) scrapes itself every second and remote-writes to our receiver on
// 127.0.0.1, backed by storage::MemoryStorage. Skipped when the binary is absent.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/http_server.h"
#include "remote/write_handler.h"
#include "storage/memory_storage.h"

extern char** environ;

namespace vigil::remote {
namespace {

std::string PrometheusBinary() {
  const char* env = std::getenv("VIGIL_PROMETHEUS_BIN");
  return env != nullptr ? env : "/usr/bin/prometheus";
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// Runs a child process and always stops it (SIGTERM, then SIGKILL) when destroyed.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ <= 0 || exited_) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  bool running() {
    if (pid_ <= 0 || exited_) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-rw-XXXXXX").string();
    path = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// The newest sample of every series named `name` with label job="prometheus".
std::vector<std::pair<Labels, Sample>> Latest(storage::MemoryStorage* mem, std::string_view name) {
  std::vector<std::pair<Labels, Sample>> out;
  auto q = mem->NewQuerier(INT64_MIN, INT64_MAX);
  if (!q.has_value()) return out;
  std::vector<Matcher> ms = {*Matcher::Make(MatchType::kEqual, "__name__", name),
                             *Matcher::Make(MatchType::kEqual, "job", "prometheus")};
  auto set = (*q)->Select(Context::Background(), true, nullptr, ms);
  while (set->Next()) {
    auto it = set->At().Iterator();
    Sample last;
    bool any = false;
    while (it->Next()) {
      last = {it->AtT(), it->AtV()};
      any = true;
    }
    if (any) out.emplace_back(set->At().labels(), last);
  }
  return out;
}

TEST(PrometheusRemoteWriteTest, SelfScrapeArrivesWithCorrectLabels) {
  const std::string bin = PrometheusBinary();
  if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " not found";

  storage::MemoryStorage mem;
  WriteHandler handler(&mem, RealClock::Default());
  net::HttpServerOptions so;
  so.listen_address = "127.0.0.1:0";
  so.threads = 2;
  net::HttpServer server(so);
  server.Handle("/api/v1/write",
                [&](const net::HttpRequest& r, net::HttpResponse* w) { handler.ServeHttp(r, w); });
  ASSERT_TRUE(server.Start().ok());

  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  const int prom_port = FreePort();
  ASSERT_GT(prom_port, 0);
  const std::string target = "127.0.0.1:" + std::to_string(prom_port);
  const std::string config = dir.path + "/prometheus.yml";
  {
    std::ofstream f(config);
    f << "global:\n"
         "  scrape_interval: 1s\n"
         "  evaluation_interval: 1s\n"
         "scrape_configs:\n"
         "  - job_name: prometheus\n"
         "    static_configs:\n"
         "      - targets: ['"
      << target
      << "']\n"
         "remote_write:\n"
         "  - url: http://127.0.0.1:"
      << server.port()
      << "/api/v1/write\n"
         "    queue_config:\n"
         "      batch_send_deadline: 1s\n"
         "      min_backoff: 100ms\n"
         "      max_backoff: 1s\n"
         "    metadata_config:\n"
         "      send_interval: 1s\n";
  }
  Child prom({bin, "--config.file=" + config, "--storage.tsdb.path=" + dir.path + "/data",
              "--web.listen-address=" + target, "--log.level=warn"});
  ASSERT_TRUE(prom.running()) << "could not start " << bin;

  std::vector<std::pair<Labels, Sample>> up, build;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    up = Latest(&mem, "up");
    build = Latest(&mem, "prometheus_build_info");
    if (!up.empty() && !build.empty()) break;
    ASSERT_TRUE(prom.running()) << "prometheus exited";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(up.size(), 1u) << "no up samples arrived";
  EXPECT_EQ(up[0].first, (Labels{{"__name__", "up"}, {"instance", target}, {"job", "prometheus"}}));
  EXPECT_EQ(up[0].second.v, 1);
  const int64_t now_ms = RealClock::Default()->NowMs();
  EXPECT_LT(std::abs(now_ms - up[0].second.t), 120000);

  ASSERT_EQ(build.size(), 1u);
  const Labels& bl = build[0].first;
  EXPECT_EQ(bl.Get("instance"), target);
  EXPECT_EQ(bl.Get("version").substr(0, 2), "2.") << bl.ToString();
  EXPECT_FALSE(bl.Get("goversion").empty()) << bl.ToString();
  EXPECT_EQ(build[0].second.v, 1);
  EXPECT_GT(handler.counters().samples_appended.load(), 10u);
  EXPECT_EQ(handler.counters().invalid_requests.load(), 0u);
  server.Stop();
}

}  // namespace
}  // namespace vigil::remote
