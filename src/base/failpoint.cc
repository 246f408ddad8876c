#include "base/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace vigil::failpoint {
namespace {

struct Point {
  uint64_t kill_at = 0;  // hit number that kills
  uint64_t hits = 0;
};

std::mutex mu;
std::map<std::string, Point, std::less<>>* points = nullptr;  // guarded by mu; leaked

Status Parse(std::string_view spec, std::map<std::string, Point, std::less<>>* out) {
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t end = spec.find_first_of(";,", pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view item = spec.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::InvalidArgument("failpoint \"" + std::string(item) +
                                     "\": want name=kill or name=kill@N");
    }
    const std::string_view name = item.substr(0, eq), action = item.substr(eq + 1);
    Point p;
    if (action == "kill") {
      p.kill_at = 1;
    } else if (action.substr(0, 5) == "kill@") {
      const std::string_view n = action.substr(5);
      auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), p.kill_at);
      if (ec != std::errc() || ptr != n.data() + n.size() || p.kill_at == 0) {
        return Status::InvalidArgument("failpoint " + std::string(name) + ": bad hit count \"" +
                                       std::string(n) + "\"");
      }
    } else {
      return Status::InvalidArgument("failpoint " + std::string(name) + ": unknown action \"" +
                                     std::string(action) + "\" (want kill or kill@N)");
    }
    (*out)[std::string(name)] = p;
  }
  return Status::OK();
}

// mu held.
void Install(std::map<std::string, Point, std::less<>> m) {
  if (points == nullptr) points = new std::map<std::string, Point, std::less<>>();
  *points = std::move(m);
  internal::state.store(points->empty() ? 0 : 2, std::memory_order_relaxed);
}

}  // namespace

namespace internal {

void HitSlow(std::string_view name) {
  std::lock_guard<std::mutex> l(mu);
  if (state.load(std::memory_order_relaxed) == 1) {
    std::map<std::string, Point, std::less<>> m;
    const char* env = std::getenv("VIGIL_FAILPOINTS");
    if (Status s = Parse(env != nullptr ? env : "", &m); !s.ok()) {
      std::fprintf(stderr, "VIGIL_FAILPOINTS ignored: %s\n", s.ToString().c_str());
      m.clear();
    }
    Install(std::move(m));
  }
  if (points == nullptr) return;
  auto it = points->find(name);
  if (it == points->end()) return;
  if (++it->second.hits != it->second.kill_at) return;
  std::fprintf(stderr, "failpoint %.*s hit %llu: raising SIGKILL\n", int(name.size()), name.data(),
               static_cast<unsigned long long>(it->second.hits));
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
  ::pause();  // SIGKILL cannot be caught; never returns
}

}  // namespace internal

Status Configure(std::string_view spec) {
  std::map<std::string, Point, std::less<>> m;
  Status s = Parse(spec, &m);
  std::lock_guard<std::mutex> l(mu);
  if (!s.ok()) m.clear();
  Install(std::move(m));
  return s;
}

}  // namespace vigil::failpoint
