#include "base/memory.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace vigil {
namespace {

size_t RssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

#if defined(__GLIBC__)
// A burst of small allocations on another thread (its own arena), freed except a few
// scattered survivors: without a trim the pages stay resident; with it most go back.
TEST(ReleaseFreeMemory, ReturnsFreedArenaPages) {
  std::vector<std::unique_ptr<char[]>> survivors;
  size_t before_burst = RssKb();
  std::thread([&] {
    std::vector<std::unique_ptr<char[]>> burst;
    for (int i = 0; i < 400000; ++i) {
      burst.emplace_back(new char[600]);
      std::memset(burst.back().get(), 1, 600);
    }
    for (size_t i = 0; i < burst.size(); i += 5000) survivors.push_back(std::move(burst[i]));
  }).join();
  size_t after_free = RssKb();
  ASSERT_GT(after_free, before_burst + 100 * 1024) << "the burst's pages should still be resident";
  double secs = ReleaseFreeMemory();
  size_t after_trim = RssKb();
  EXPECT_LT(after_trim, before_burst + (after_free - before_burst) / 4)
      << "before burst " << before_burst << " KiB, after free " << after_free << " KiB, after trim "
      << after_trim << " KiB";
  EXPECT_GE(secs, 0.0);
}
#endif

}  // namespace
}  // namespace vigil
