// Config::ToYAML: the effective configuration in the field order and omit-empty rules of
// Prometheus' Go structs (yaml.v2 Marshal), secrets replaced by "<secret>".
#include <algorithm>

#include "config/config.h"
#include "config/duration.h"

namespace vigil::config {

namespace {

constexpr const char* kSecret = "<secret>";

using V = YamlValue;

// Appends key: value unless the value is empty (yaml ",omitempty").
void AddStr(V& m, const char* key, const std::string& s) {
  if (!s.empty()) m.Add(key, V::Str(s));
}
void AddSecret(V& m, const char* key, const std::string& s) {
  if (!s.empty()) m.Add(key, V::Str(kSecret));
}
void AddBoolOE(V& m, const char* key, bool b) {
  if (b) m.Add(key, V::Bool(true));
}
void AddUintOE(V& m, const char* key, uint64_t u) {
  if (u != 0) m.Add(key, V::Uint(u));
}
void AddIntOE(V& m, const char* key, int64_t i) {
  if (i != 0) m.Add(key, V::Int(i));
}
void AddDurOE(V& m, const char* key, int64_t ms) {
  if (ms != 0) m.Add(key, V::Str(FormatDuration(ms)));
}
void AddBytesOE(V& m, const char* key, int64_t b) {
  if (b != 0) m.Add(key, V::Str(FormatBytes(b)));
}
void AddStrList(V& m, const char* key, const std::vector<std::string>& l) {
  if (!l.empty()) m.Add(key, V::StrSeq(l));
}
V StrMap(const std::map<std::string, std::string>& m) {
  V out = V::Map();
  for (const auto& [k, v] : m) out.Add(k, V::Str(v));
  return out;
}
V LabelsMap(const Labels& l) {
  V out = V::Map();
  for (const auto& p : l) out.Add(std::string(p.name), V::Str(std::string(p.value)));
  return out;
}
std::string SchemeName(relabel::NameValidation s) {
  return s == relabel::NameValidation::kLegacy ? "legacy" : "utf8";
}

V TLS(const TLSConfig& t) {
  V m = V::Map();
  AddStr(m, "ca", t.ca);
  AddStr(m, "cert", t.cert);
  AddSecret(m, "key", t.key);
  AddStr(m, "ca_file", t.ca_file);
  AddStr(m, "cert_file", t.cert_file);
  AddStr(m, "key_file", t.key_file);
  AddStr(m, "ca_ref", t.ca_ref);
  AddStr(m, "cert_ref", t.cert_ref);
  AddStr(m, "key_ref", t.key_ref);
  AddStr(m, "server_name", t.server_name);
  m.Add("insecure_skip_verify", V::Bool(t.insecure_skip_verify));
  AddStr(m, "min_version", t.min_version);
  AddStr(m, "max_version", t.max_version);
  return m;
}

void AddProxy(V& m, const ProxyConfig& p) {
  AddStr(m, "proxy_url", p.proxy_url);
  AddStr(m, "no_proxy", p.no_proxy);
  AddBoolOE(m, "proxy_from_environment", p.proxy_from_environment);
  if (!p.proxy_connect_header.empty()) {
    V h = V::Map();
    for (const auto& [k, vals] : p.proxy_connect_header) {
      h.Add(k, V::StrSeq(std::vector<std::string>(vals.size(), kSecret)));
    }
    m.Add("proxy_connect_header", std::move(h));
  }
}

// The inlined prometheus/common HTTPClientConfig fields.
void AddHTTP(V& m, const HTTPClientConfig& h) {
  if (h.basic_auth) {
    const BasicAuth& b = *h.basic_auth;
    V ba = V::Map();
    AddStr(ba, "username", b.username);
    AddStr(ba, "username_file", b.username_file);
    AddStr(ba, "username_ref", b.username_ref);
    AddSecret(ba, "password", b.password);
    AddStr(ba, "password_file", b.password_file);
    AddStr(ba, "password_ref", b.password_ref);
    m.Add("basic_auth", std::move(ba));
  }
  if (h.authorization) {
    const Authorization& a = *h.authorization;
    V au = V::Map();
    AddStr(au, "type", a.type);
    AddSecret(au, "credentials", a.credentials);
    AddStr(au, "credentials_file", a.credentials_file);
    AddStr(au, "credentials_ref", a.credentials_ref);
    m.Add("authorization", std::move(au));
  }
  if (h.oauth2) {
    const OAuth2& o = *h.oauth2;
    V om = V::Map();
    AddStr(om, "client_id", o.client_id);
    AddSecret(om, "client_secret", o.client_secret);
    AddStr(om, "client_secret_file", o.client_secret_file);
    AddStr(om, "client_secret_ref", o.client_secret_ref);
    AddStr(om, "client_certificate_key_id", o.client_certificate_key_id);
    AddSecret(om, "client_certificate_key", o.client_certificate_key);
    AddStr(om, "client_certificate_key_file", o.client_certificate_key_file);
    AddStr(om, "client_certificate_key_ref", o.client_certificate_key_ref);
    AddStr(om, "grant_type", o.grant_type);
    AddStr(om, "signature_algorithm", o.signature_algorithm);
    AddStr(om, "iss", o.iss);
    AddStr(om, "audience", o.audience);
    if (!o.claims.empty()) om.Add("claims", o.claims);
    AddStrList(om, "scopes", o.scopes);
    AddStr(om, "token_url", o.token_url);
    if (!o.endpoint_params.empty()) om.Add("endpoint_params", StrMap(o.endpoint_params));
    om.Add("tls_config", TLS(o.tls_config));
    AddProxy(om, o.proxy);
    m.Add("oauth2", std::move(om));
  }
  AddSecret(m, "bearer_token", h.bearer_token);
  AddStr(m, "bearer_token_file", h.bearer_token_file);
  if (!(h.tls_config == TLSConfig())) m.Add("tls_config", TLS(h.tls_config));
  m.Add("follow_redirects", V::Bool(h.follow_redirects));
  m.Add("enable_http2", V::Bool(h.enable_http2));
  AddProxy(m, h.proxy);
  if (!h.http_headers.empty()) {
    V hs = V::Map();
    for (const auto& [name, hdr] : h.http_headers) {
      V one = V::Map();
      AddStrList(one, "values", hdr.values);
      if (!hdr.secrets.empty()) {
        one.Add("secrets", V::StrSeq(std::vector<std::string>(hdr.secrets.size(), kSecret)));
      }
      AddStrList(one, "files", hdr.files);
      hs.Add(name, std::move(one));
    }
    m.Add("http_headers", std::move(hs));
  }
}

V Relabel(const relabel::Config& c) {
  V m = V::Map();
  if (!c.source_labels.empty()) m.Add("source_labels", V::StrSeq(c.source_labels, true));
  m.Add("separator", V::Str(c.separator));
  if (!c.regex.is_default()) m.Add("regex", V::Str(c.regex.pattern()));
  AddUintOE(m, "modulus", c.modulus);
  AddStr(m, "target_label", c.target_label);
  m.Add("replacement", V::Str(c.replacement));
  m.Add("action", V::Str(std::string(relabel::ActionName(c.action))));
  return m;
}

void AddRelabels(V& m, const char* key, const std::vector<relabel::Config>& cfgs) {
  if (cfgs.empty()) return;
  V seq = V::Seq();
  for (const auto& c : cfgs) seq.seq.push_back(Relabel(c));
  m.Add(key, std::move(seq));
}

// Service discovery sections go last, sorted by key, as Prometheus' inline SD configs do.
void AddSD(V& m, const ServiceDiscoveryConfigs& sd) {
  std::vector<std::pair<std::string, V>> sections;
  if (!sd.static_configs.empty()) {
    V seq = V::Seq();
    for (const auto& sc : sd.static_configs) {
      V g = V::Map();
      g.Add("targets", V::StrSeq(sc.targets));
      if (!sc.labels.empty()) g.Add("labels", LabelsMap(sc.labels));
      seq.seq.push_back(std::move(g));
    }
    sections.emplace_back("static_configs", std::move(seq));
  }
  if (!sd.file_sd_configs.empty()) {
    V seq = V::Seq();
    for (const auto& f : sd.file_sd_configs) {
      V g = V::Map();
      g.Add("files", V::StrSeq(f.files));
      AddDurOE(g, "refresh_interval", f.refresh_interval_ms);
      seq.seq.push_back(std::move(g));
    }
    sections.emplace_back("file_sd_configs", std::move(seq));
  }
  if (!sd.http_sd_configs.empty()) {
    V seq = V::Seq();
    for (const auto& h : sd.http_sd_configs) {
      V g = V::Map();
      AddHTTP(g, h.http);
      AddDurOE(g, "refresh_interval", h.refresh_interval_ms);
      g.Add("url", V::Str(h.url));
      seq.seq.push_back(std::move(g));
    }
    sections.emplace_back("http_sd_configs", std::move(seq));
  }
  for (const auto& raw : sd.other) {
    std::string key = raw.kind + "_sd_configs";
    auto it = std::find_if(sections.begin(), sections.end(),
                           [&](const auto& s) { return s.first == key; });
    if (it == sections.end()) {
      sections.emplace_back(key, V::Seq());
      it = sections.end() - 1;
    }
    it->second.seq.push_back(raw.value);
  }
  std::stable_sort(sections.begin(), sections.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [k, v] : sections) m.Add(k, std::move(v));
}

V Global(const GlobalConfig& g) {
  V m = V::Map();
  m.Add("scrape_interval", V::Str(FormatDuration(g.scrape_interval_ms)));
  m.Add("scrape_timeout", V::Str(FormatDuration(g.scrape_timeout_ms)));
  AddStrList(m, "scrape_protocols", g.scrape_protocols);
  m.Add("evaluation_interval", V::Str(FormatDuration(g.evaluation_interval_ms)));
  AddDurOE(m, "rule_query_offset", g.rule_query_offset_ms);
  AddStr(m, "query_log_file", g.query_log_file);
  AddStr(m, "scrape_failure_log_file", g.scrape_failure_log_file);
  if (!g.external_labels.empty()) m.Add("external_labels", LabelsMap(g.external_labels));
  AddBytesOE(m, "body_size_limit", g.body_size_limit_bytes);
  AddUintOE(m, "sample_limit", g.sample_limit);
  AddUintOE(m, "target_limit", g.target_limit);
  AddUintOE(m, "label_limit", g.label_limit);
  AddUintOE(m, "label_name_length_limit", g.label_name_length_limit);
  AddUintOE(m, "label_value_length_limit", g.label_value_length_limit);
  AddUintOE(m, "keep_dropped_targets", g.keep_dropped_targets);
  m.Add("metric_name_validation_scheme", V::Str(SchemeName(g.metric_name_validation_scheme)));
  AddStr(m, "metric_name_escaping_scheme", g.metric_name_escaping_scheme);
  m.Add("scrape_native_histograms", V::Bool(g.scrape_native_histograms));
  AddBoolOE(m, "convert_classic_histograms_to_nhcb", g.convert_classic_histograms_to_nhcb);
  AddBoolOE(m, "always_scrape_classic_histograms", g.always_scrape_classic_histograms);
  m.Add("extra_scrape_metrics", V::Bool(g.extra_scrape_metrics));
  return m;
}

V Scrape(const ScrapeConfig& c) {
  V m = V::Map();
  m.Add("job_name", V::Str(c.job_name));
  AddBoolOE(m, "honor_labels", c.honor_labels);
  m.Add("honor_timestamps", V::Bool(c.honor_timestamps));
  m.Add("track_timestamps_staleness", V::Bool(c.track_timestamps_staleness));
  if (!c.params.empty()) {
    V p = V::Map();
    for (const auto& [k, vals] : c.params) p.Add(k, V::StrSeq(vals));
    m.Add("params", std::move(p));
  }
  AddDurOE(m, "scrape_interval", c.scrape_interval_ms);
  AddDurOE(m, "scrape_timeout", c.scrape_timeout_ms);
  AddStrList(m, "scrape_protocols", c.scrape_protocols);
  AddStr(m, "fallback_scrape_protocol", c.fallback_scrape_protocol);
  m.Add("scrape_native_histograms", V::Bool(c.scrape_native_histograms));
  m.Add("always_scrape_classic_histograms", V::Bool(c.always_scrape_classic_histograms));
  m.Add("convert_classic_histograms_to_nhcb", V::Bool(c.convert_classic_histograms_to_nhcb));
  AddStr(m, "scrape_failure_log_file", c.scrape_failure_log_file);
  AddStr(m, "metrics_path", c.metrics_path);
  AddStr(m, "scheme", c.scheme);
  m.Add("enable_compression", V::Bool(c.enable_compression));
  AddBytesOE(m, "body_size_limit", c.body_size_limit_bytes);
  AddUintOE(m, "sample_limit", c.sample_limit);
  AddUintOE(m, "target_limit", c.target_limit);
  AddUintOE(m, "label_limit", c.label_limit);
  AddUintOE(m, "label_name_length_limit", c.label_name_length_limit);
  AddUintOE(m, "label_value_length_limit", c.label_value_length_limit);
  AddUintOE(m, "native_histogram_bucket_limit", c.native_histogram_bucket_limit);
  if (c.native_histogram_min_bucket_factor != 0) {
    m.Add("native_histogram_min_bucket_factor", V::Float(c.native_histogram_min_bucket_factor));
  }
  AddUintOE(m, "keep_dropped_targets", c.keep_dropped_targets);
  m.Add("metric_name_validation_scheme", V::Str(SchemeName(c.metric_name_validation_scheme)));
  AddStr(m, "metric_name_escaping_scheme", c.metric_name_escaping_scheme);
  m.Add("extra_scrape_metrics", V::Bool(c.extra_scrape_metrics));
  AddHTTP(m, c.http);
  AddRelabels(m, "relabel_configs", c.relabel_configs);
  AddRelabels(m, "metric_relabel_configs", c.metric_relabel_configs);
  AddSD(m, c.sd);
  return m;
}

V Alertmanager(const AlertmanagerConfig& a) {
  V m = V::Map();
  AddHTTP(m, a.http);
  if (a.sigv4) m.Add("sigv4", *a.sigv4);
  AddStr(m, "scheme", a.scheme);
  AddStr(m, "path_prefix", a.path_prefix);
  AddDurOE(m, "timeout", a.timeout_ms);
  m.Add("api_version", V::Str(a.api_version));
  AddRelabels(m, "relabel_configs", a.relabel_configs);
  AddRelabels(m, "alert_relabel_configs", a.alert_relabel_configs);
  AddSD(m, a.sd);
  return m;
}

V RemoteWrite(const RemoteWriteConfig& r) {
  V m = V::Map();
  m.Add("url", V::Str(r.url));
  AddDurOE(m, "remote_timeout", r.remote_timeout_ms);
  if (!r.headers.empty()) m.Add("headers", StrMap(r.headers));
  AddRelabels(m, "write_relabel_configs", r.write_relabel_configs);
  AddStr(m, "name", r.name);
  AddBoolOE(m, "send_exemplars", r.send_exemplars);
  AddBoolOE(m, "send_native_histograms", r.send_native_histograms);
  AddBoolOE(m, "round_robin_dns", r.round_robin_dns);
  AddStr(m, "protobuf_message", r.protobuf_message);
  AddBoolOE(m, "failed_request_logging", r.failed_request_logging);
  AddHTTP(m, r.http);
  V q = V::Map();
  const QueueConfig& qc = r.queue_config;
  AddIntOE(q, "capacity", qc.capacity);
  AddIntOE(q, "max_shards", qc.max_shards);
  AddIntOE(q, "min_shards", qc.min_shards);
  AddIntOE(q, "max_samples_per_send", qc.max_samples_per_send);
  AddDurOE(q, "batch_send_deadline", qc.batch_send_deadline_ms);
  AddDurOE(q, "min_backoff", qc.min_backoff_ms);
  AddDurOE(q, "max_backoff", qc.max_backoff_ms);
  AddBoolOE(q, "retry_on_http_429", qc.retry_on_http_429);
  AddDurOE(q, "sample_age_limit", qc.sample_age_limit_ms);
  m.Add("queue_config", std::move(q));
  V md = V::Map();
  md.Add("send", V::Bool(r.metadata_config.send));
  md.Add("send_interval", V::Str(FormatDuration(r.metadata_config.send_interval_ms)));
  AddIntOE(md, "max_samples_per_send", r.metadata_config.max_samples_per_send);
  m.Add("metadata_config", std::move(md));
  if (r.sigv4) m.Add("sigv4", *r.sigv4);
  if (r.azuread) m.Add("azuread", *r.azuread);
  if (r.google_iam) m.Add("google_iam", *r.google_iam);
  return m;
}

V RemoteRead(const RemoteReadConfig& r) {
  V m = V::Map();
  m.Add("url", V::Str(r.url));
  AddDurOE(m, "remote_timeout", r.remote_timeout_ms);
  AddUintOE(m, "chunked_read_limit", r.chunked_read_limit);
  if (!r.headers.empty()) m.Add("headers", StrMap(r.headers));
  AddBoolOE(m, "read_recent", r.read_recent);
  AddStr(m, "name", r.name);
  AddHTTP(m, r.http);
  if (!r.required_matchers.empty()) m.Add("required_matchers", StrMap(r.required_matchers));
  AddBoolOE(m, "filter_external_labels", r.filter_external_labels);
  return m;
}

}  // namespace

std::string Config::ToYAML() const {
  V root = V::Map();
  root.Add("global", Global(global));
  if (runtime_gogc) {
    V rt = V::Map();
    rt.Add("gogc", V::Int(*runtime_gogc));
    root.Add("runtime", std::move(rt));
  }
  if (!alerting.alert_relabel_configs.empty() || !alerting.alertmanagers.empty()) {
    V al = V::Map();
    AddRelabels(al, "alert_relabel_configs", alerting.alert_relabel_configs);
    if (!alerting.alertmanagers.empty()) {
      V seq = V::Seq();
      for (const auto& a : alerting.alertmanagers) seq.seq.push_back(Alertmanager(a));
      al.Add("alertmanagers", std::move(seq));
    }
    root.Add("alerting", std::move(al));
  }
  AddStrList(root, "rule_files", rule_files);
  AddStrList(root, "scrape_config_files", scrape_config_files);
  if (!scrape_configs.empty()) {
    V seq = V::Seq();
    for (const auto& s : scrape_configs) seq.seq.push_back(Scrape(s));
    root.Add("scrape_configs", std::move(seq));
  }
  if (storage.tsdb || storage.exemplars_max_exemplars) {
    V st = V::Map();
    if (storage.tsdb) {
      const StorageConfig::TSDB& t = *storage.tsdb;
      V ts = V::Map();
      AddDurOE(ts, "out_of_order_time_window", t.out_of_order_time_window_ms);
      if (t.stale_series_compaction_threshold != 0) {
        ts.Add("stale_series_compaction_threshold", V::Float(t.stale_series_compaction_threshold));
      }
      if (!t.chunk_encoding_floats.empty()) {
        V ce = V::Map();
        ce.Add("floats", V::Str(t.chunk_encoding_floats));
        ts.Add("chunk_encoding", std::move(ce));
      }
      V ret = V::Map();
      AddDurOE(ret, "time", t.retention_time_ms);
      AddBytesOE(ret, "size", t.retention_size_bytes);
      if (t.retention_percentage != 0) ret.Add("percentage", V::Float(t.retention_percentage));
      ts.Add("retention", std::move(ret));
      st.Add("tsdb", std::move(ts));
    }
    if (storage.exemplars_max_exemplars) {
      V ex = V::Map();
      AddIntOE(ex, "max_exemplars", *storage.exemplars_max_exemplars);
      st.Add("exemplars", std::move(ex));
    }
    root.Add("storage", std::move(st));
  }
  if (tracing) {
    const TracingConfig& t = *tracing;
    V tr = V::Map();
    AddStr(tr, "client_type", t.client_type);
    AddStr(tr, "endpoint", t.endpoint);
    if (t.sampling_fraction != 0) tr.Add("sampling_fraction", V::Float(t.sampling_fraction));
    AddBoolOE(tr, "insecure", t.insecure);
    tr.Add("tls_config", TLS(t.tls_config));
    if (!t.headers.empty()) tr.Add("headers", StrMap(t.headers));
    AddStr(tr, "compression", t.compression);
    AddDurOE(tr, "timeout", t.timeout_ms);
    root.Add("tracing", std::move(tr));
  }
  if (!remote_write.empty()) {
    V seq = V::Seq();
    for (const auto& r : remote_write) seq.seq.push_back(RemoteWrite(r));
    root.Add("remote_write", std::move(seq));
  }
  if (!remote_read.empty()) {
    V seq = V::Seq();
    for (const auto& r : remote_read) seq.seq.push_back(RemoteRead(r));
    root.Add("remote_read", std::move(seq));
  }
  V otlp_map = V::Map();
  AddBoolOE(otlp_map, "promote_all_resource_attributes", otlp.promote_all_resource_attributes);
  AddStrList(otlp_map, "promote_resource_attributes", otlp.promote_resource_attributes);
  AddStrList(otlp_map, "ignore_resource_attributes", otlp.ignore_resource_attributes);
  AddStr(otlp_map, "translation_strategy", otlp.translation_strategy);
  AddBoolOE(otlp_map, "keep_identifying_resource_attributes",
            otlp.keep_identifying_resource_attributes);
  AddBoolOE(otlp_map, "convert_histograms_to_nhcb", otlp.convert_histograms_to_nhcb);
  AddBoolOE(otlp_map, "promote_scope_metadata", otlp.promote_scope_metadata);
  AddBoolOE(otlp_map, "label_name_underscore_sanitization",
            otlp.label_name_underscore_sanitization);
  AddBoolOE(otlp_map, "label_name_preserve_multiple_underscores",
            otlp.label_name_preserve_multiple_underscores);
  if (!otlp_map.map.empty()) root.Add("otlp", std::move(otlp_map));
  return EmitYaml(root);
}

}  // namespace vigil::config
