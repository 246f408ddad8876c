// MemoryStorage: a simple, fully in-memory Storage (a sorted map from label set to
// samples). For tests of components above storage (promql, scrape, api) and for tools;
// never used by the server. Thread-safe (one mutex).
#pragma once

#include <map>
#include <vector>

#include "base/mutex.h"
#include "storage/interface.h"

namespace vigil::storage {

class MemoryStorage final : public Storage {
 public:
  std::unique_ptr<Appender> NewAppender() override;
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Removes everything.
  void Clear();
  size_t NumSeries();

 private:
  friend class MemoryAppender;
  friend class MemoryQuerier;
  struct LabelsLess {
    bool operator()(const Labels& a, const Labels& b) const { return Labels::Compare(a, b) < 0; }
  };
  Mutex mu_;
  std::map<Labels, std::vector<Sample>, LabelsLess> series_ VIGIL_GUARDED_BY(mu_);
};

}  // namespace vigil::storage
