#include "scrape/target.h"

#include <algorithm>
#include <unordered_set>

#include "config/duration.h"

namespace vigil::scrape {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Go's url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

std::string EncodeQuery(const std::map<std::string, std::vector<std::string>>& params) {
  std::string out;
  for (const auto& [k, vs] : params) {
    for (const auto& v : vs) {
      if (!out.empty()) out += '&';
      out += QueryEscape(k);
      out += '=';
      out += QueryEscape(v);
    }
  }
  return out;
}

PopulateResult PopulateLabels(const Labels& target, const Labels& group,
                              const TargetDefaults& defaults,
                              std::span<const relabel::Config> relabel_configs) {
  PopulateResult res;
  relabel::Builder lb;
  lb.Reset(target);
  for (const auto& l : group) {
    if (!target.Has(l.name)) lb.Set(l.name, l.value);
  }
  const std::pair<std::string_view, std::string> scrape_labels[] = {
      {kJobLabel, defaults.job_name},
      {kScrapeIntervalLabel, config::FormatDuration(defaults.scrape_interval_ms)},
      {kScrapeTimeoutLabel, config::FormatDuration(defaults.scrape_timeout_ms)},
      {kMetricsPathLabel, defaults.metrics_path},
      {kSchemeLabel, defaults.scheme},
  };
  for (const auto& [name, value] : scrape_labels) {
    if (lb.Get(name).empty()) lb.Set(name, value);
  }
  for (const auto& [k, vs] : defaults.params) {
    std::string name = std::string(kParamLabelPrefix) + k;
    if (!vs.empty() && lb.Get(name).empty()) lb.Set(name, vs[0]);
  }
  Labels pre = lb.Build();
  if (!relabel::ProcessBuilder(&lb, relabel_configs)) {
    res.discovered = std::move(pre);
    return res;
  }
  std::string addr(lb.Get(kAddressLabel));
  if (addr.empty()) {
    res.error = Status::InvalidArgument("no address");
    return res;
  }
  if (addr.find('/') != std::string::npos) {
    res.error = Status::InvalidArgument(relabel::GoQuote(addr) + " is not a valid hostname");
    return res;
  }
  std::string interval(lb.Get(kScrapeIntervalLabel));
  auto interval_ms = config::ParseDuration(interval);
  if (!interval_ms.has_value()) {
    res.error = Status::InvalidArgument("error parsing scrape interval: " +
                                        std::string(interval_ms.error().message()));
    return res;
  }
  if (*interval_ms == 0) {
    res.error = Status::InvalidArgument("scrape interval cannot be 0");
    return res;
  }
  std::string timeout(lb.Get(kScrapeTimeoutLabel));
  auto timeout_ms = config::ParseDuration(timeout);
  if (!timeout_ms.has_value()) {
    res.error = Status::InvalidArgument("error parsing scrape timeout: " +
                                        std::string(timeout_ms.error().message()));
    return res;
  }
  if (*timeout_ms == 0) {
    res.error = Status::InvalidArgument("scrape timeout cannot be 0");
    return res;
  }
  if (*timeout_ms > *interval_ms) {
    res.error = Status::InvalidArgument("scrape timeout cannot be greater than scrape interval (" +
                                        relabel::GoQuote(timeout) + " > " +
                                        relabel::GoQuote(interval) + ")");
    return res;
  }
  std::vector<std::string> meta;
  lb.Range([&](std::string_view name, std::string_view) {
    if (StartsWith(name, kMetaLabelPrefix)) meta.emplace_back(name);
  });
  for (const auto& m : meta) lb.Del(m);
  if (lb.Get(kInstanceLabel).empty()) lb.Set(kInstanceLabel, addr);
  Labels out = lb.Build();
  for (const auto& l : out) {
    if (!relabel::IsValidUTF8(l.value)) {
      res.error = Status::InvalidArgument("invalid label value for " + relabel::GoQuote(l.name) +
                                          ": " + relabel::GoQuote(l.value));
      return res;
    }
  }
  res.labels = std::move(out);
  res.discovered = std::move(pre);
  return res;
}

std::string_view TargetHealthName(TargetHealth h) {
  switch (h) {
    case TargetHealth::kUp:
      return "up";
    case TargetHealth::kDown:
      return "down";
    case TargetHealth::kUnknown:
      break;
  }
  return "unknown";
}

Target::Target(Labels labels, Labels discovered,
               std::map<std::string, std::vector<std::string>> params)
    : labels_(std::move(labels)), discovered_(std::move(discovered)) {
  for (const auto& l : labels_) {
    if (!StartsWith(l.name, kReservedLabelPrefix)) public_.emplace_back(l.name, l.value);
    if (StartsWith(l.name, kParamLabelPrefix)) {
      auto& vs = params[std::string(l.name.substr(kParamLabelPrefix.size()))];
      if (vs.empty()) {
        vs.emplace_back(l.value);
      } else {
        vs[0] = std::string(l.value);
      }
    }
  }
  address_ = std::string(labels_.Get(kAddressLabel));
  url_ = std::string(labels_.Get(kSchemeLabel)) + "://" + address_ +
         std::string(labels_.Get(kMetricsPathLabel));
  std::string q = EncodeQuery(params);
  if (!q.empty()) url_ += "?" + q;
  interval_ms_ = config::ParseDuration(labels_.Get(kScrapeIntervalLabel)).value_or(60000);
  timeout_ms_ = config::ParseDuration(labels_.Get(kScrapeTimeoutLabel)).value_or(10000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llu", static_cast<unsigned long long>(labels_.Hash()));
  hash_ = Fnv1a(Fnv1a(0xcbf29ce484222325ull, buf), url_);
}

Labels Target::PublicLabels() const {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const auto& [n, v] : public_) pairs.emplace_back(n, v);
  return Labels::FromPairs(std::move(pairs));
}

TargetStatus Target::status() const {
  MutexLock l(&mu_);
  return status_;
}

void Target::SetStatus(TargetStatus s) {
  MutexLock l(&mu_);
  status_ = std::move(s);
}

void TargetsFromGroups(std::span<const TargetGroup> groups, const TargetDefaults& defaults,
                       std::span<const relabel::Config> relabel_configs, size_t keep_dropped,
                       std::vector<std::shared_ptr<Target>>* active,
                       std::vector<DroppedTarget>* dropped, std::vector<Status>* errors) {
  std::unordered_set<uint64_t> seen;
  for (const auto& g : groups) {
    for (const auto& t : g.targets) {
      PopulateResult r = PopulateLabels(t, g.labels, defaults, relabel_configs);
      if (!r.error.ok()) {
        errors->push_back(r.error.WithPrefix("instance " + std::string(t.Get(kAddressLabel))));
        continue;
      }
      if (r.labels.empty()) {
        if (keep_dropped == 0 || dropped->size() < keep_dropped) {
          dropped->push_back(DroppedTarget{std::move(r.discovered)});
        }
        continue;
      }
      auto target =
          std::make_shared<Target>(std::move(r.labels), std::move(r.discovered), defaults.params);
      if (!seen.insert(target->hash()).second) continue;
      active->push_back(std::move(target));
    }
  }
}

}  // namespace vigil::scrape
