#include "base/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::failpoint {
namespace {

// What a point does at the hits in [first, last].
struct Point {
  std::string filter;     // "" : every hit counts
  bool anchored = false;  // filter must end the subject
  int err = 0;            // 0: kill; else the errno to inject
  uint64_t first = 1;
  uint64_t last = 1;
  uint64_t hits = 0;
};

using Points = std::map<std::string, std::vector<Point>, std::less<>>;

struct Verb {
  std::string_view name;
  int err;
  std::string_view err_name;
};
constexpr Verb kVerbs[] = {{"kill", 0, ""}, {"eio", EIO, "EIO"}, {"enospc", ENOSPC, "ENOSPC"}};

std::mutex mu;
Points* points = nullptr;  // guarded by mu; leaked

bool ParseCount(std::string_view s, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && *out > 0;
}

Status Bad(std::string_view item, std::string_view why) {
  return Status::InvalidArgument("failpoint \"" + std::string(item) + "\": " + std::string(why));
}

// One "point=action" item.
Status ParseItem(std::string_view item, Points* out) {
  Point p;
  std::string_view name, action;
  const size_t eq = item.find('=');
  const size_t open = item.find('[');
  if (open != std::string_view::npos && (eq == std::string_view::npos || open < eq)) {
    const size_t close = item.find(']', open);
    if (close == std::string_view::npos || close + 1 >= item.size() || item[close + 1] != '=') {
      return Bad(item, "want name[filter]=action");
    }
    name = item.substr(0, open);
    std::string_view filter = item.substr(open + 1, close - open - 1);
    if (!filter.empty() && filter.back() == '$') {
      p.anchored = true;
      filter.remove_suffix(1);
    }
    if (filter.empty()) return Bad(item, "empty filter");
    p.filter = std::string(filter);
    action = item.substr(close + 2);
  } else {
    if (eq == std::string_view::npos) return Bad(item, "want name=action");
    name = item.substr(0, eq);
    action = item.substr(eq + 1);
  }
  if (name.empty()) return Bad(item, "empty name");
  const Verb* verb = nullptr;
  for (const Verb& v : kVerbs) {
    if (action.substr(0, v.name.size()) == v.name) {
      verb = &v;
      break;
    }
  }
  if (verb == nullptr) return Bad(item, "unknown action (want kill, eio or enospc)");
  p.err = verb->err;
  std::string_view hits = action.substr(verb->name.size());
  if (hits.empty()) {
    p.first = p.last = 1;
  } else if (hits == "*") {
    p.first = 1;
    p.last = UINT64_MAX;
  } else if (hits.front() == '@') {
    hits.remove_prefix(1);
    const size_t dots = hits.find("..");
    if (dots == std::string_view::npos) {
      if (!ParseCount(hits, &p.first)) return Bad(item, "bad hit number");
      p.last = p.first;
    } else {
      if (!ParseCount(hits.substr(0, dots), &p.first)) return Bad(item, "bad first hit");
      const std::string_view last = hits.substr(dots + 2);
      if (last.empty()) {
        p.last = UINT64_MAX;
      } else if (!ParseCount(last, &p.last) || p.last < p.first) {
        return Bad(item, "bad last hit");
      }
    }
  } else {
    return Bad(item, "want VERB, VERB@N, VERB@N..M, VERB@N.. or VERB*");
  }
  (*out)[std::string(name)].push_back(std::move(p));
  return Status::OK();
}

Status Parse(std::string_view spec, Points* out) {
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t end = spec.find_first_of(";,", pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view item = spec.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    VIGIL_RETURN_IF_ERROR(ParseItem(item, out));
  }
  return Status::OK();
}

// mu held.
void Install(Points m) {
  if (points == nullptr) points = new Points();
  *points = std::move(m);
  internal::state.store(points->empty() ? 0 : 2, std::memory_order_relaxed);
}

bool Matches(const Point& p, std::string_view subject) {
  if (p.filter.empty()) return true;
  if (p.anchored) return subject.ends_with(p.filter);
  return subject.find(p.filter) != std::string_view::npos;
}

const char* ErrName(int err) {
  for (const Verb& v : kVerbs) {
    if (v.err == err) return v.err_name.data();
  }
  return "?";
}

}  // namespace

namespace internal {

int HitSlow(std::string_view name, std::string_view subject, bool can_fail) {
  std::lock_guard<std::mutex> l(mu);
  if (state.load(std::memory_order_relaxed) == 1) {
    Points m;
    const char* env = std::getenv("VIGIL_FAILPOINTS");
    if (Status s = Parse(env != nullptr ? env : "", &m); !s.ok()) {
      std::fprintf(stderr, "VIGIL_FAILPOINTS ignored: %s\n", s.ToString().c_str());
      m.clear();
    }
    Install(std::move(m));
  }
  if (points == nullptr) return 0;
  auto it = points->find(name);
  if (it == points->end()) return 0;
  int inject = 0;
  for (Point& p : it->second) {
    if (!Matches(p, subject)) continue;
    const uint64_t n = ++p.hits;
    if (n < p.first || n > p.last) continue;
    if (p.err == 0) {
      std::fprintf(stderr, "failpoint %.*s hit %llu: raising SIGKILL\n", int(name.size()),
                   name.data(), static_cast<unsigned long long>(n));
      std::fflush(stderr);
      ::kill(::getpid(), SIGKILL);
      ::pause();  // SIGKILL cannot be caught; never returns
    }
    if (!can_fail || inject != 0) continue;  // the first firing point wins; all count
    inject = p.err;
    const std::string about = subject.empty() ? "" : " (" + std::string(subject) + ")";
    std::fprintf(stderr, "failpoint %.*s hit %llu%s: injecting %s\n", int(name.size()), name.data(),
                 static_cast<unsigned long long>(n), about.c_str(), ErrName(p.err));
    std::fflush(stderr);
  }
  return inject;
}

Status ErrorSlow(std::string_view name, std::string_view subject) {
  const int err = HitSlow(name, subject, true);
  if (err == 0) return Status::OK();
  std::string msg = "failpoint " + std::string(name);
  if (!subject.empty()) msg += " " + std::string(subject);
  msg += ": ";
  msg += std::strerror(err);
  return Status::IOError(msg);
}

}  // namespace internal

Status Configure(std::string_view spec) {
  Points m;
  Status s = Parse(spec, &m);
  std::lock_guard<std::mutex> l(mu);
  if (!s.ok()) m.clear();
  Install(std::move(m));
  return s;
}

}  // namespace vigil::failpoint
