#include "textparse/content_type.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::textparse {
namespace {

TEST(ContentTypeTest, DefaultAcceptHeaderMatchesPrometheus) {
  EXPECT_EQ(DefaultAcceptHeader(),
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
            "application/openmetrics-text;version=0.0.1;q=0.5,"
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
            "text/plain;version=0.0.4;q=0.3,"
            "*/*;q=0.2");
}

TEST(ContentTypeTest, AcceptHeaderCustomOrder) {
  const ScrapeProtocol protos[] = {ScrapeProtocol::kPrometheusText0_0_4,
                                   ScrapeProtocol::kOpenMetricsText1_0_0};
  EXPECT_EQ(AcceptHeader(protos, "underscores"),
            "text/plain;version=0.0.4;q=0.6,"
            "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,*/*;q=0.4");
}

TEST(ContentTypeTest, ScrapeProtocolNames) {
  for (ScrapeProtocol p : kDefaultScrapeProtocols) {
    auto parsed = ParseScrapeProtocol(ScrapeProtocolName(p));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(ScrapeProtocolFormat(ScrapeProtocol::kOpenMetricsText0_0_1), Format::kOpenMetrics);
  EXPECT_EQ(ScrapeProtocolFormat(ScrapeProtocol::kPrometheusText1_0_0), Format::kPrometheusText);
  EXPECT_FALSE(ParseScrapeProtocol("PrometheusProto").has_value());
  EXPECT_FALSE(ParseScrapeProtocol("prometheustext0.0.4").has_value());
}

struct Case {
  const char* content_type;
  bool with_fallback;  // fallback = Prometheus text
  bool ok;
  Format format;
  const char* message_part;  // in the warning (ok) or the error
};

const Case kCases[] = {
    {"text/plain; version=0.0.4", false, true, Format::kPrometheusText, ""},
    {"text/plain;version=0.0.4;charset=utf-8", false, true, Format::kPrometheusText, ""},
    {"text/plain", false, true, Format::kPrometheusText, ""},
    {"TEXT/Plain; Version=1.0.0", false, true, Format::kPrometheusText, ""},
    {"application/openmetrics-text; version=1.0.0; charset=utf-8", false, true,
     Format::kOpenMetrics, ""},
    {"application/openmetrics-text;version=0.0.1", false, true, Format::kOpenMetrics, ""},
    {"application/openmetrics-text; version=\"1.0.0\";", false, true, Format::kOpenMetrics, ""},
    {"", false, false, Format::kPrometheusText,
     "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol"},
    {"", true, true, Format::kPrometheusText,
     "non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol "
     "\"text/plain\""},
    {"application/json", false, false, Format::kPrometheusText,
     "received unsupported Content-Type \"application/json\" and no fallback_scrape_protocol"},
    {"application/json", true, true, Format::kPrometheusText,
     "received unsupported Content-Type \"application/json\", using fallback"},
    {"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
     "encoding=delimited",
     false, false, Format::kPrometheusText, "received unsupported Content-Type"},
    {"text/plain; version", false, false, Format::kPrometheusText,
     "cannot parse Content-Type \"text/plain; version\""},
    {"text/plain; a=1; a=2", true, true, Format::kPrometheusText, "cannot parse Content-Type"},
    {"text/", false, false, Format::kPrometheusText, "cannot parse Content-Type"},
    {"/plain", false, false, Format::kPrometheusText, "cannot parse Content-Type"},
    {"text/plain; version=\"0.0.4", false, false, Format::kPrometheusText,
     "cannot parse Content-Type"},
};

TEST(ContentTypeTest, ChooseFormat) {
  for (const Case& c : kCases) {
    auto got = ChooseFormat(c.content_type, c.with_fallback
                                                ? std::optional<Format>(Format::kPrometheusText)
                                                : std::nullopt);
    ASSERT_EQ(got.has_value(), c.ok) << c.content_type << ": " << got.error().ToString();
    if (c.ok) {
      EXPECT_EQ(got->format, c.format) << c.content_type;
      EXPECT_NE(got->warning.find(c.message_part), std::string::npos)
          << c.content_type << ": " << got->warning;
      if (std::string_view(c.message_part).empty()) {
        EXPECT_EQ(got->warning, "");
      }
    } else {
      EXPECT_NE(got.error().message().find(c.message_part), std::string::npos)
          << c.content_type << ": " << got.error().ToString();
    }
  }
}

TEST(ContentTypeTest, OpenMetricsFallback) {
  auto got = ChooseFormat("", Format::kOpenMetrics);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->format, Format::kOpenMetrics);
  EXPECT_NE(got->warning.find("\"application/openmetrics-text\""), std::string::npos);
}

}  // namespace
}  // namespace vigil::textparse
