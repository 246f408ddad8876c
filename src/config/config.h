// Config: prometheus.yml decoded into validated structs, with Prometheus 2.x/3.x semantics.
//
// Load()/LoadFile() decode strictly (unknown keys, repeated keys and values of the wrong type
// are errors that name the file, line and key), apply Prometheus' defaults (global values
// inherited by each scrape config, HTTP client defaults, queue defaults), run Prometheus'
// validations with its error wording, and resolve relative file paths against the config file's
// directory. Keys Prometheus accepts that Vigil does not implement yet are accepted and kept
// (service discovery kinds other than static/file/http are kept verbatim in
// ServiceDiscoveryConfigs::other; sigv4/azuread/google_iam as YamlValue). ToYAML() renders
// the effective configuration the way Prometheus' /api/v1/status/config does.
//
// A loaded Config is an immutable value; const access from many threads is safe. Durations are
// int64 milliseconds (`*_ms`), sizes int64 bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/yaml_value.h"
#include "model/labels.h"
#include "relabel/relabel.h"

namespace vigil::config {

// ---- HTTP client (prometheus/common config.HTTPClientConfig, inlined into many sections) --

struct TLSConfig {
  std::string ca, cert, key;  // inline PEM; `key` is a secret
  std::string ca_file, cert_file, key_file;
  std::string ca_ref, cert_ref, key_ref;
  std::string server_name;
  bool insecure_skip_verify = false;
  std::string min_version, max_version;  // "TLS10".."TLS13" or empty

  bool operator==(const TLSConfig&) const = default;
};

struct BasicAuth {
  std::string username, username_file, username_ref;
  std::string password, password_file, password_ref;  // `password` is a secret
};

struct Authorization {
  std::string type;                                            // "Bearer" when not set
  std::string credentials, credentials_file, credentials_ref;  // `credentials` is a secret
};

struct ProxyConfig {
  std::string proxy_url;
  std::string no_proxy;
  bool proxy_from_environment = false;
  std::map<std::string, std::vector<std::string>> proxy_connect_header;  // values are secrets
};

struct OAuth2 {
  std::string client_id;
  std::string client_secret, client_secret_file, client_secret_ref;
  std::string client_certificate_key_id;
  std::string client_certificate_key, client_certificate_key_file, client_certificate_key_ref;
  std::string grant_type, signature_algorithm, iss, audience;
  YamlValue claims;  // free-form map
  std::vector<std::string> scopes;
  std::string token_url;
  std::map<std::string, std::string> endpoint_params;
  TLSConfig tls_config;
  ProxyConfig proxy;
};

struct HTTPHeader {
  std::vector<std::string> values;
  std::vector<std::string> secrets;
  std::vector<std::string> files;
};

struct HTTPClientConfig {
  std::optional<BasicAuth> basic_auth;
  // After loading, bearer_token / bearer_token_file are folded into `authorization` (type
  // Bearer) as Prometheus does, and are empty.
  std::optional<Authorization> authorization;
  std::optional<OAuth2> oauth2;
  std::string bearer_token, bearer_token_file;
  TLSConfig tls_config;
  bool follow_redirects = true;
  bool enable_http2 = true;
  ProxyConfig proxy;
  std::map<std::string, HTTPHeader> http_headers;
};

// ---- Service discovery -------------------------------------------------------------------

// One target group of static_configs.
struct StaticConfig {
  std::vector<std::string> targets;  // "host:port"
  Labels labels;
};

struct FileSDConfig {
  std::vector<std::string> files;  // globs; relative paths are resolved against the config dir
  int64_t refresh_interval_ms = 5 * 60 * 1000;
};

struct HTTPSDConfig {
  HTTPClientConfig http;
  int64_t refresh_interval_ms = 60 * 1000;
  std::string url;
};

// An SD mechanism Vigil does not implement yet (e.g. kubernetes_sd_configs), kept verbatim.
struct RawSDConfig {
  std::string kind;  // "kubernetes" for kubernetes_sd_configs
  YamlValue value;
  int line = 0;
};

struct ServiceDiscoveryConfigs {
  std::vector<StaticConfig> static_configs;
  std::vector<FileSDConfig> file_sd_configs;
  std::vector<HTTPSDConfig> http_sd_configs;
  std::vector<RawSDConfig> other;
};

// ---- Sections ----------------------------------------------------------------------------

struct GlobalConfig {
  int64_t scrape_interval_ms = 60 * 1000;
  int64_t scrape_timeout_ms = 10 * 1000;
  std::vector<std::string> scrape_protocols;  // empty: per-job default
  int64_t evaluation_interval_ms = 60 * 1000;
  int64_t rule_query_offset_ms = 0;
  std::string query_log_file;
  std::string scrape_failure_log_file;
  Labels external_labels;  // ${VAR} / $VAR expanded from the environment
  int64_t body_size_limit_bytes = 0;
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t keep_dropped_targets = 0;
  relabel::NameValidation metric_name_validation_scheme = relabel::NameValidation::kUTF8;
  std::string metric_name_escaping_scheme;  // "", allow-utf-8, underscores, dots, values
  bool scrape_native_histograms = false;
  bool convert_classic_histograms_to_nhcb = false;
  bool always_scrape_classic_histograms = false;
  bool extra_scrape_metrics = false;
};

struct ScrapeConfig {
  std::string job_name;
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool track_timestamps_staleness = false;
  std::map<std::string, std::vector<std::string>> params;
  // The following are resolved against GlobalConfig when loading (0 / unset inherit).
  int64_t scrape_interval_ms = 0;
  int64_t scrape_timeout_ms = 0;
  std::vector<std::string> scrape_protocols;
  std::string fallback_scrape_protocol;
  bool scrape_native_histograms = false;
  bool always_scrape_classic_histograms = false;
  bool convert_classic_histograms_to_nhcb = false;
  std::string scrape_failure_log_file;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  bool enable_compression = true;
  int64_t body_size_limit_bytes = 0;
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t native_histogram_bucket_limit = 0;
  double native_histogram_min_bucket_factor = 0;
  uint64_t keep_dropped_targets = 0;
  relabel::NameValidation metric_name_validation_scheme = relabel::NameValidation::kUTF8;
  std::string metric_name_escaping_scheme;
  bool extra_scrape_metrics = false;

  HTTPClientConfig http;
  ServiceDiscoveryConfigs sd;
  std::vector<relabel::Config> relabel_configs;
  std::vector<relabel::Config> metric_relabel_configs;

  // Where the job was defined ("" for the main file), for messages.
  std::string source_file;
};

struct AlertmanagerConfig {
  HTTPClientConfig http;
  std::optional<YamlValue> sigv4;
  std::string scheme = "http";
  std::string path_prefix;
  int64_t timeout_ms = 10 * 1000;
  std::string api_version = "v2";
  std::vector<relabel::Config> relabel_configs;
  std::vector<relabel::Config> alert_relabel_configs;
  ServiceDiscoveryConfigs sd;
};

struct AlertingConfig {
  std::vector<relabel::Config> alert_relabel_configs;
  std::vector<AlertmanagerConfig> alertmanagers;
};

struct QueueConfig {
  int64_t capacity = 10000;
  int64_t max_shards = 50;
  int64_t min_shards = 1;
  int64_t max_samples_per_send = 2000;
  int64_t batch_send_deadline_ms = 5000;
  int64_t min_backoff_ms = 30;
  int64_t max_backoff_ms = 5000;
  bool retry_on_http_429 = false;
  int64_t sample_age_limit_ms = 0;
};

struct MetadataConfig {
  bool send = true;
  int64_t send_interval_ms = 60 * 1000;
  int64_t max_samples_per_send = 2000;
};

struct RemoteWriteConfig {
  std::string url;
  int64_t remote_timeout_ms = 30 * 1000;
  std::map<std::string, std::string> headers;
  std::vector<relabel::Config> write_relabel_configs;
  std::string name;
  bool send_exemplars = false;
  bool send_native_histograms = false;
  bool round_robin_dns = false;
  std::string protobuf_message = "prometheus.WriteRequest";
  bool failed_request_logging = false;
  HTTPClientConfig http = [] {
    HTTPClientConfig h;
    h.enable_http2 = false;  // Prometheus' remote-write default
    return h;
  }();
  QueueConfig queue_config;
  MetadataConfig metadata_config;
  std::optional<YamlValue> sigv4, azuread, google_iam;
};

struct RemoteReadConfig {
  std::string url;
  int64_t remote_timeout_ms = 60 * 1000;
  uint64_t chunked_read_limit = 50000000;
  std::map<std::string, std::string> headers;
  bool read_recent = false;
  std::string name;
  HTTPClientConfig http;
  std::map<std::string, std::string> required_matchers;
  bool filter_external_labels = true;
};

struct StorageConfig {
  struct TSDB {
    int64_t out_of_order_time_window_ms = 0;
    double stale_series_compaction_threshold = 0;
    std::string chunk_encoding_floats;  // "", "xor", "xor2"
    int64_t retention_time_ms = 0;      // 0: use the flag / default
    int64_t retention_size_bytes = 0;
    double retention_percentage = 0;
  };
  std::optional<TSDB> tsdb;
  std::optional<int64_t> exemplars_max_exemplars;
};

struct TracingConfig {
  std::string client_type = "grpc";
  std::string endpoint;
  double sampling_fraction = 0;
  bool insecure = false;
  TLSConfig tls_config;
  std::map<std::string, std::string> headers;
  std::string compression;
  int64_t timeout_ms = 0;
};

struct OTLPConfig {
  bool promote_all_resource_attributes = false;
  std::vector<std::string> promote_resource_attributes;
  std::vector<std::string> ignore_resource_attributes;
  std::string translation_strategy = "UnderscoreEscapingWithSuffixes";
  bool keep_identifying_resource_attributes = false;
  bool convert_histograms_to_nhcb = false;
  bool promote_scope_metadata = false;
  bool label_name_underscore_sanitization = true;
  bool label_name_preserve_multiple_underscores = true;
};

struct Config {
  GlobalConfig global;
  std::optional<int64_t> runtime_gogc;  // accepted for compatibility; Vigil has no GC
  AlertingConfig alerting;
  std::vector<std::string> rule_files;           // globs, resolved against the config dir
  std::vector<std::string> scrape_config_files;  // globs, resolved against the config dir
  std::vector<ScrapeConfig> scrape_configs;      // from the main file only
  StorageConfig storage;
  std::optional<TracingConfig> tracing;
  std::vector<RemoteWriteConfig> remote_write;
  std::vector<RemoteReadConfig> remote_read;
  OTLPConfig otlp;

  // The file it was loaded from ("" for Load()).
  std::string source_file;

  // Scrape configs of the main file plus those of scrape_config_files (read now, validated
  // against `global`). Errors name the file; duplicate job names are rejected with
  // `found multiple scrape configs with job name "x", first found in ...`.
  Result<std::vector<ScrapeConfig>> GetScrapeConfigs() const;

  // The effective configuration (defaults applied, secrets as <secret>) in Prometheus' YAML
  // layout, as served by /api/v1/status/config.
  std::string ToYAML() const;
};

// Environment lookup used for ${VAR} in external_labels; tests substitute their own.
using EnvLookup = std::string (*)(std::string_view name);

struct LoadOptions {
  // Relative paths in the file are resolved against this directory ("" leaves them).
  std::string base_dir;
  // Name for messages ("prometheus.yml"); LoadFile uses the path.
  std::string file_name = "config";
  bool agent_mode = false;  // reject alerting, rule_files, remote_read like --agent
  EnvLookup env = nullptr;  // nullptr: getenv
  size_t max_bytes = 64 << 20;
};

// Decodes and validates a configuration. InvalidArgument with "file:line: ..." messages.
Result<Config> Load(std::string_view yaml, const LoadOptions& opts = {});
// Reads `path` (IOError if unreadable) and Load()s it with base_dir = its directory.
Result<Config> LoadFile(const std::string& path, bool agent_mode = false);

// Parses target groups as file_sd and http_sd deliver them: a list of {targets, labels}. JSON
// input (json = true) ignores unknown keys like Go's encoding/json; YAML is strict. Label names
// and values are validated ("\"x\" is not a valid label name"); a null item is an error.
Result<std::vector<StaticConfig>> LoadTargetGroups(std::string_view data,
                                                   std::string_view file_name, bool json);
// Reads a file_sd file, choosing the format by extension (.json, .yml, .yaml, any case);
// another extension is InvalidArgument `invalid file extension: ".txt"`.
Result<std::vector<StaticConfig>> LoadTargetGroupsFile(const std::string& path);

// Decodes and validates a YAML list of relabel rules on its own (e.g. a selector relabel config
// given by flag). Errors as for Load().
Result<std::vector<relabel::Config>> LoadRelabelConfigs(
    std::string_view yaml, relabel::NameValidation scheme = relabel::NameValidation::kUTF8,
    std::string_view file_name = "relabel_config");

}  // namespace vigil::config
