// Test helpers for tests that run a real Prometheus (Debian's 2.42) beside Vigil's TSDB code:
// where its binary is, a free loopback port, a self-scraping configuration and command line,
// the child process, and a plain HTTP GET.
// Header-only; for gtest tests in src/tsdb/*.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace vigil::tsdb::testing {

// $VIGIL_PROMETHEUS_BIN, else Debian's /usr/bin/prometheus.
inline std::string PrometheusBinary() {
  const char* env = std::getenv("VIGIL_PROMETHEUS_BIN");
  return env != nullptr ? env : "/usr/bin/prometheus";
}

// A loopback TCP port that was free a moment ago; -1 on error.
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// Writes `dir`/prometheus.yml: one job, "self", scraping Prometheus itself at `addr`;
// `global` is the body of the global section (YAML lines indented by two spaces). False if
// the file could not be written.
inline bool WriteSelfScrapeConfig(const std::string& dir, const std::string& addr,
                                  const std::string& global) {
  std::ofstream cfg(dir + "/prometheus.yml");
  cfg << "global:\n"
      << global << "scrape_configs:\n  - job_name: self\n    static_configs:\n"
      << "      - targets: ['" << addr << "']\n";
  cfg.close();
  return cfg.good();
}

// The command line of Prometheus `bin` with `dir`/prometheus.yml, its data in `dir`/data,
// listening on `addr`, and the `extra` flags.
inline std::vector<std::string> PrometheusArgs(const std::string& bin, const std::string& dir,
                                               const std::string& addr,
                                               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {bin, "--config.file=" + dir + "/prometheus.yml",
                                   "--storage.tsdb.path=" + dir + "/data",
                                   "--web.listen-address=" + addr};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// "127.0.0.1:port".
inline std::string LoopbackAddress(int port) { return "127.0.0.1:" + std::to_string(port); }

// Owns a child process (stdout and stderr to a log file); kills it if the test ends early.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Starts argv (argv[0] a path); false if fork failed.
  bool Start(const std::vector<std::string>& argv, const std::string& log) {
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return true;
  }
  // SIGTERM and wait; returns the wait status.
  int Stop() {
    int status = -1;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  bool Running() { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

// `method` http://127.0.0.1:port`path` without a body (HTTP/1.0, whole response including
// headers; "" on error).
inline std::string HttpRequest(int port, const std::string& method, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    const std::string req =
        method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == ssize_t(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    }
  }
  ::close(fd);
  return out;
}

// Starts `bin` into *child as a Prometheus scraping itself on a free loopback port (*port):
// `dir`/prometheus.yml from WriteSelfScrapeConfig with `global`, the command line from
// PrometheusArgs with `extra`, its output in `dir`/prometheus.log. Fails (with the step that
// failed) when no port is free, the file cannot be written or the process cannot start.
inline ::testing::AssertionResult StartSelfScraping(Child* child, const std::string& bin,
                                                    const std::string& dir,
                                                    const std::string& global, int* port,
                                                    const std::vector<std::string>& extra = {}) {
  *port = FreePort();
  if (*port <= 0) return ::testing::AssertionFailure() << "no free port";
  const std::string addr = LoopbackAddress(*port);
  if (!WriteSelfScrapeConfig(dir, addr, global)) {
    return ::testing::AssertionFailure() << "cannot write " << dir << "/prometheus.yml";
  }
  if (!child->Start(PrometheusArgs(bin, dir, addr, extra), dir + "/prometheus.log")) {
    return ::testing::AssertionFailure() << "cannot start " << bin;
  }
  return ::testing::AssertionSuccess();
}

// GET http://127.0.0.1:port`path` (see HttpRequest).
inline std::string HttpGet(int port, const std::string& path) {
  return HttpRequest(port, "GET", path);
}

}  // namespace vigil::tsdb::testing
