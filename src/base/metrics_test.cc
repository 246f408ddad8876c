#include "base/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vigil {
namespace {

TEST(MetricsTest, RendersSortedFamiliesWithEscapes) {
  MetricsRegistry r;
  Counter c;
  c.Inc(3);
  r.Register([&](std::vector<MetricFamily>* out) {
    MetricFamily f{"b_total", "Things.", "counter", {}};
    f.Add(double(c.Get()), {{"path", "a\"b"}});
    out->push_back(f);
  });
  r.Register([](std::vector<MetricFamily>* out) {
    out->push_back(MetricFamily{"a", "Line1\nline2", "gauge", {}}.Add(0.5));
  });
  EXPECT_EQ(r.Render(),
            "# HELP a Line1\\nline2\n# TYPE a gauge\na 0.5\n"
            "# HELP b_total Things.\n# TYPE b_total counter\nb_total{path=\"a\\\"b\"} 3\n");
}

TEST(MetricsTest, SpecialValues) {
  EXPECT_EQ(FormatMetricValue(NAN), "NaN");
  EXPECT_EQ(FormatMetricValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatMetricValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatMetricValue(1e6), "1000000");
}

}  // namespace
}  // namespace vigil
