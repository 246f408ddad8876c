// Content negotiation for scrapes: the Accept header Vigil sends, and the choice of parser
// for the Content-Type a target answers with - both as Prometheus 3 does them
// (config.ScrapeProtocolsHeaders, scrape.acceptHeader, textparse.extractMediaType).
//
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "textparse/parser.h"

namespace vigil::textparse {

// The text scrape protocols of Prometheus' `scrape_protocols` setting (PrometheusProto is not
// supported: Vigil has no protobuf exposition parser).
enum class ScrapeProtocol : uint8_t {
  kOpenMetricsText1_0_0,
  kOpenMetricsText0_0_1,
  kPrometheusText1_0_0,
  kPrometheusText0_0_4,
};

// Prometheus' default order: OpenMetrics 1.0.0, 0.0.1, Prometheus text 1.0.0, 0.0.4.
inline constexpr ScrapeProtocol kDefaultScrapeProtocols[] = {
    ScrapeProtocol::kOpenMetricsText1_0_0,
    ScrapeProtocol::kOpenMetricsText0_0_1,
    ScrapeProtocol::kPrometheusText1_0_0,
    ScrapeProtocol::kPrometheusText0_0_4,
};

// The config spelling ("OpenMetricsText1.0.0", "PrometheusText0.0.4", ...).
std::string_view ScrapeProtocolName(ScrapeProtocol p);
// Parses the config spelling; InvalidArgument for unknown names (and for "PrometheusProto",
// which Vigil does not support).
Result<ScrapeProtocol> ParseScrapeProtocol(std::string_view name);
// The media type with parameters, e.g. "application/openmetrics-text;version=1.0.0".
std::string_view ScrapeProtocolHeader(ScrapeProtocol p);
// The parser for a protocol.
Format ScrapeProtocolFormat(ScrapeProtocol p);

// The Accept header for `protocols` in order of preference, built like Prometheus: entries get
// q=0.6, 0.5, ... (Prometheus starts at one more than its five protocols, PrometheusProto
// included), the 1.0.0 formats carry ";escaping=<escaping>", and "*/*" comes last with the
// next weight.
std::string AcceptHeader(std::span<const ScrapeProtocol> protocols,
                         std::string_view escaping = "allow-utf-8");
// AcceptHeader(kDefaultScrapeProtocols): what Prometheus 3 sends by default.
const std::string& DefaultAcceptHeader();

// The outcome of looking at a Content-Type.
struct ContentTypeChoice {
  Format format = Format::kPrometheusText;
  // Non-empty when the fallback was used: a warning to log (Prometheus logs the same).
  std::string warning;
};

// Chooses the parser for a scrape response's Content-Type. "text/plain" -> Prometheus text,
// "application/openmetrics-text" -> OpenMetrics (parameters such as version and charset are
// ignored, as in Prometheus). A blank, unparsable or unsupported Content-Type (including
// protobuf) uses `fallback` with a warning; without a fallback it is an InvalidArgument error
// (Prometheus 3's behaviour when fallback_scrape_protocol is unset; Prometheus 2 behaved as
// if the fallback were Prometheus text).
Result<ContentTypeChoice> ChooseFormat(std::string_view content_type,
                                       std::optional<Format> fallback);

}  // namespace vigil::textparse
