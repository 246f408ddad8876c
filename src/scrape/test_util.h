// Test helpers for the scrape tests: reading everything back from a MemoryStorage.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/matcher.h"
#include "model/value.h"
#include "storage/memory_storage.h"

namespace vigil::scrape::testing {

// All series (by Labels::ToString()) with their samples.
inline std::map<std::string, std::vector<Sample>> Dump(storage::MemoryStorage* s) {
  std::map<std::string, std::vector<Sample>> out;
  auto q = s->NewQuerier(INT64_MIN, INT64_MAX);
  if (!q.has_value()) return out;
  std::vector<Matcher> ms = {*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")};
  auto set = (*q)->Select(Context::Background(), true, nullptr, ms);
  while (set->Next()) {
    auto it = set->At().Iterator();
    auto& v = out[set->At().labels().ToString()];
    while (it->Next()) v.push_back(Sample{it->AtT(), it->AtV()});
  }
  return out;
}

// Series whose metric name is `name`, keyed by labels string.
inline std::map<std::string, std::vector<Sample>> DumpName(storage::MemoryStorage* s,
                                                           const std::string& name) {
  std::map<std::string, std::vector<Sample>> out;
  for (auto& [k, v] : Dump(s)) {
    if (k.rfind("{__name__=\"" + name + "\"", 0) == 0) out[k] = v;
  }
  return out;
}

}  // namespace vigil::scrape::testing
