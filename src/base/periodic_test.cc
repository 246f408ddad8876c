#include "base/periodic.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace vigil {
namespace {

TEST(Periodic, RunsRepeatedlyUntilStopped) {
  std::atomic<int> runs{0};
  Periodic p(std::chrono::milliseconds(1), [&] { runs++; });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (runs.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  p.Stop();
  int at_stop = runs.load();
  EXPECT_GE(at_stop, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runs.load(), at_stop);  // nothing runs after Stop() returned
  p.Stop();                         // idempotent
}

TEST(Periodic, StopDoesNotWaitForTheInterval) {
  auto t0 = std::chrono::steady_clock::now();
  {
    Periodic p(std::chrono::hours(1), [] {});
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace vigil
