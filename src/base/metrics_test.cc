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

TEST(MetricsTest, HistogramRendersCumulativeBuckets) {
  EXPECT_EQ(Histogram::ExponentialBounds(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  Histogram h(Histogram::ExponentialBounds(1, 2, 3));  // 1, 2, 4
  for (double v : {0.5, 1.0, 1.5, 3.0, 100.0}) h.Observe(v);
  MetricsRegistry r;
  r.Register([&](std::vector<MetricFamily>* out) {
    MetricFamily f{"d_seconds", "Durations.", "histogram", {}};
    h.AppendTo(&f);
    out->push_back(f);
  });
  EXPECT_EQ(r.Render(),
            "# HELP d_seconds Durations.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"1\"} 2\nd_seconds_bucket{le=\"2\"} 3\n"
            "d_seconds_bucket{le=\"4\"} 4\nd_seconds_bucket{le=\"+Inf\"} 5\n"
            "d_seconds_sum 106\nd_seconds_count 5\n");
}

TEST(MetricsTest, SpecialValues) {
  EXPECT_EQ(FormatMetricValue(NAN), "NaN");
  EXPECT_EQ(FormatMetricValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatMetricValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatMetricValue(1e6), "1000000");
}

}  // namespace
}  // namespace vigil
