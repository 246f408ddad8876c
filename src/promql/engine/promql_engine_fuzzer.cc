// Fuzzes query evaluation: any text that parses is evaluated as an instant and as a range
// query over a small fixed dataset (counters, gauges with NaN/Inf, staleness markers, classic
// histogram buckets). The engine must return a value or an error, never crash; the sample
// limit and timeout keep pathological queries cheap.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "promql/engine/engine.h"
#include "storage/memory_storage.h"

namespace {

vigil::storage::MemoryStorage* Data() {
  static vigil::storage::MemoryStorage* st = [] {
    auto* s = new vigil::storage::MemoryStorage();
    auto app = s->NewAppender();
    auto add = [&](vigil::Labels l, double start, double inc, int stale_at) {
      for (int i = 0; i < 40; ++i) {
        double v = i == stale_at ? vigil::StaleNaN() : start + inc * i;
        (void)app->Append(0, l, int64_t(i) * 15000, v);
      }
    };
    add(vigil::Labels{{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}}, 0, 3,
        -1);
    add(vigil::Labels{{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "500"}}, 5, 1,
        30);
    add(vigil::Labels{{"__name__", "temp"}, {"job", "db"}}, -3, 0.5, 10);
    add(vigil::Labels{{"__name__", "odd"}, {"job", "db"}}, std::numeric_limits<double>::infinity(),
        -1, -1);
    for (const char* le : {"0.1", "1", "10", "+Inf", "x"}) {
      add(vigil::Labels{{"__name__", "lat_bucket"}, {"job", "api"}, {"le", le}}, 1, 2, -1);
    }
    (void)app->Commit();
    return s;
  }();
  return st;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  std::string_view q(reinterpret_cast<const char*>(data), size);
  static const vigil::promql::Engine* engine = [] {
    vigil::promql::EngineOptions o;
    o.max_samples = 200000;
    o.timeout_ms = 2000;
    o.enable_delayed_name_removal = true;
    return new vigil::promql::Engine(o);
  }();
  if (auto iq = engine->NewInstantQuery(Data(), q, 300000); iq.has_value()) {
    (*iq)->Exec(vigil::Context::Background()).IgnoreError();
  }
  if (auto rq = engine->NewRangeQuery(Data(), q, 0, 600000, 30000); rq.has_value()) {
    (*rq)->Exec(vigil::Context::Background()).IgnoreError();
  }
  return 0;
}
