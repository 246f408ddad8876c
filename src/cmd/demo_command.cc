// `vigil demo`: the whole stack on one machine, on embedded defaults — a simulated fleet
// (about 20 services × 2 versions × 3 pods in two data centres, ~50k series), a Vigil server
// scraping it (and Debian's node_exporter when installed, and itself), the UI; after a
// couple of minutes an incident starts (one destination version answers with UC/UH response
// flags and its pods get CPU-throttled) so the dashboards have something to find.
// Ctrl-C stops everything it started. Data lives in a temp dir unless --data is given.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/logging.h"
#include "cmd/commands.h"
#include "cmd/server.h"
#include "config/duration.h"
#include "fleet/fleet.h"

namespace vigil::cmd {
namespace {

// Starts Debian's node_exporter on a free port if it is installed; returns its pid or -1.
pid_t StartNodeExporter(int port, const std::string& log) {
  const char* bin = "/usr/bin/prometheus-node-exporter";
  if (access(bin, X_OK) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    FILE* f = std::freopen(log.c_str(), "a", stdout);
    (void)f;
    dup2(1, 2);
    std::string addr = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    execl(bin, bin, addr.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int FreePort() {
  // Let the kernel pick: bind port 0 on loopback, read it back, release it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

int RunDemo(int argc, char** argv) {
  CLI::App app{"The Vigil demo: a simulated fleet, Vigil monitoring it, and the UI.", "vigil demo"};
  std::string data, listen = "0.0.0.0:9090", incident_after = "2m", interval = "5s";
  fleet::FleetOptions fo;
  fo.series_per_target = 400;
  fo.base_port = 0;
  fo.control_port = 0;
  app.add_option("--data", data, "Data directory (default: a new temporary directory).");
  app.add_option("--web.listen-address", listen, "Address of the UI and API.")
      ->capture_default_str();
  app.add_option("--services", fo.services, "Services in the fleet.")->capture_default_str();
  app.add_option("--versions", fo.versions, "Versions per service.")->capture_default_str();
  app.add_option("--instances", fo.instances, "Pods per service version.")->capture_default_str();
  app.add_option("--series-per-target", fo.series_per_target, "Series each pod exposes.")
      ->capture_default_str();
  app.add_option("--incident-after", incident_after,
                 "Switch the incident on this long after start (0: never).")
      ->capture_default_str();
  app.add_option("--scrape-interval", interval, "Scrape interval.")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto inc = config::ParseDuration(incident_after);
  auto iv = config::ParseDuration(interval);
  if (!inc.has_value() || !iv.has_value()) {
    std::fprintf(stderr, "vigil demo: invalid duration\n");
    return 2;
  }
  fo.incident_after_ms = *inc;

  std::error_code ec;
  if (data.empty()) {
    char tmpl[] = "/tmp/vigil-demo-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("vigil demo: mkdtemp");
      return 1;
    }
    data = tmpl;
  }
  std::filesystem::create_directories(data, ec);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  fleet::Fleet fl(fo);
  if (Status s = fl.Start(); !s.ok()) {
    std::fprintf(stderr, "vigil demo: starting the fleet: %s\n", s.ToString().c_str());
    return 1;
  }
  std::string sd_file = data + "/fleet_sd.json";
  std::ofstream(sd_file) << fl.FileSdJson();

  int node_port = FreePort();
  pid_t node = StartNodeExporter(node_port, data + "/node_exporter.log");

  std::string host_port = listen;
  if (!host_port.empty() && host_port.front() == ':') host_port = "0.0.0.0" + host_port;
  std::string self = host_port.substr(0, host_port.rfind(':'));
  if (self == "0.0.0.0" || self.empty()) self = "127.0.0.1";
  self += host_port.substr(host_port.rfind(':'));
  std::string cfg = "global:\n  scrape_interval: " + interval + "\n  scrape_timeout: " + interval +
                    "\n  external_labels:\n    cluster: demo\n"
                    "scrape_configs:\n"
                    "  - job_name: fleet\n    file_sd_configs:\n      - files: ['" +
                    sd_file + "']\n" +
                    "  - job_name: vigil\n    static_configs:\n      - targets: ['" + self + "']\n";
  if (node > 0) {
    cfg += "  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:" +
           std::to_string(node_port) + "']\n";
  }
  std::string cfg_file = data + "/prometheus.yml";
  std::ofstream(cfg_file) << cfg;

  ServerOptions so;
  so.config_file = cfg_file;
  so.tsdb_path = data + "/data";
  so.listen_address = listen;
  so.enable_lifecycle = true;
  so.enable_remote_write_receiver = true;
  Server server(so);
  if (Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "vigil demo: starting the server: %s\n", s.ToString().c_str());
    fl.Stop();
    if (node > 0) kill(node, SIGTERM);
    return 1;
  }
  size_t series = 0;
  for (int i = 0; i < fl.num_targets(); ++i) series += fl.num_series(i);
  std::printf(
      "\nVigil demo is running.\n\n"
      "  UI and API:   http://%s/\n"
      "  fleet:        %d pods (%zu series) scraped every %s; incident control on "
      "http://127.0.0.1:%u/incident/on\n"
      "  incident:     %s\n"
      "  node_exporter: %s\n"
      "  data:         %s\n\nPress Ctrl-C to stop.\n",
      self.c_str(), fl.num_targets(), series, interval.c_str(), fl.control_port(),
      *inc > 0 ? ("starts after " + incident_after).c_str() : "off",
      node > 0 ? "scraped" : "not installed", data.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&set, &sig);
  std::printf("\nstopping...\n");
  server.Stop();
  fl.Stop();
  if (node > 0) {
    kill(node, SIGTERM);
    waitpid(node, nullptr, 0);
  }
  return 0;
}

}  // namespace vigil::cmd
