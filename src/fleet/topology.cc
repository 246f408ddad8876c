#include "fleet/topology.h"

#include <algorithm>
#include <cstdio>

#include "fleet/rng.h"

namespace vigil::fleet {
namespace {

constexpr const char* kServiceNames[] = {
    "frontend",  "checkout",     "cart",     "payment",   "shipping", "catalog", "search",
    "recommend", "user-profile", "auth",     "inventory", "pricing",  "orders",  "notification",
    "email",     "currency",     "ads",      "reviews",   "loyalty",  "gateway", "fraud",
    "invoice",   "warehouse",    "tracking", "coupon",
};
constexpr int kNumServiceNames = int(sizeof kServiceNames / sizeof kServiceNames[0]);
constexpr const char* kNamespaces[] = {"shop", "shop", "payments", "platform", "customer"};

std::vector<std::string> ServiceNames(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string name = kServiceNames[i % kNumServiceNames];
    if (i >= kNumServiceNames) name += "-" + std::to_string(i / kNumServiceNames + 1);
    out.push_back(std::move(name));
  }
  return out;
}

std::string Hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llx", digits,
                static_cast<unsigned long long>(v & ((uint64_t(1) << (4 * digits)) - 1)));
  return buf;
}

}  // namespace

Status FleetOptions::Validate() const {
  if (services < 1 || services > 10000)
    return Status::InvalidArgument("--services must be 1..10000");
  if (versions < 1 || versions > 26) return Status::InvalidArgument("--versions must be 1..26");
  if (instances < 1 || instances > 10000) {
    return Status::InvalidArgument("--instances must be 1..10000");
  }
  if (targets < 0) return Status::InvalidArgument("--targets must be >= 0");
  if (series_per_target < 0 || series_per_target > 10000000) {
    return Status::InvalidArgument("--series-per-target must be 0..10000000");
  }
  if (profile == "default" && series_per_target == 0) {
    return Status::InvalidArgument("--series-per-target must be > 0 (or use --profile=compliance)");
  }
  if (profile != "default" && profile != "compliance") {
    return Status::InvalidArgument("--profile must be default or compliance, got " + profile);
  }
  if (!(churn >= 0 && churn <= 1)) return Status::InvalidArgument("--churn must be in [0, 1]");
  if (churn > 0 && churn_interval_ms <= 0) {
    return Status::InvalidArgument("--churn-interval must be > 0");
  }
  if (threads < 1 || threads > 256) return Status::InvalidArgument("--threads must be 1..256");
  long total = targets > 0 ? targets : long(services) * versions * instances;
  if (total > 100000) return Status::InvalidArgument("at most 100000 targets");
  if (base_port < 0 || (base_port > 0 && base_port + total - 1 > 65535)) {
    return Status::InvalidArgument("--base-port: ports would exceed 65535");
  }
  if (!incident_service.empty()) {
    int n = targets > 0 ? std::max<long>(services, (targets + versions * instances - 1) /
                                                       (versions * instances))
                        : services;
    auto names = ServiceNames(n);
    if (std::find(names.begin(), names.end(), incident_service) == names.end()) {
      return Status::InvalidArgument("--incident-service: no service named " + incident_service);
    }
  }
  if (!incident_version.empty()) {
    bool ok = incident_version.size() >= 2 && incident_version[0] == 'v';
    int v = ok ? std::atoi(incident_version.c_str() + 1) : 0;
    if (!ok || v < 1 || v > versions) {
      return Status::InvalidArgument("--incident-version must be v1..v" + std::to_string(versions));
    }
  }
  return Status::OK();
}

Topology::Topology(const FleetOptions& options) : options_(options) {
  int per_service = options.versions * options.instances;
  int services = options.services;
  if (options.targets > 0) {
    services = std::max(services, (options.targets + per_service - 1) / per_service);
    num_targets_ = options.targets;
  } else {
    num_targets_ = services * per_service;
  }
  services_ = ServiceNames(services);
  for (int v = 1; v <= options.versions; ++v) versions_.push_back("v" + std::to_string(v));

  // Call graph: service s calls s+1, s+2 and s+5 (mod n), a connected mesh with a few
  // callers per service.
  callees_.resize(services);
  callers_.resize(services);
  for (int s = 0; s < services; ++s) {
    for (int d : {1, 2, 5}) {
      int c = (s + d) % services;
      if (c == s || std::find(callees_[s].begin(), callees_[s].end(), c) != callees_[s].end()) {
        continue;
      }
      callees_[s].push_back(c);
      callers_[c].push_back(s);
    }
  }

  incident_service_ = services > 1 ? 1 : 0;
  if (!options.incident_service.empty()) {
    auto it = std::find(services_.begin(), services_.end(), options.incident_service);
    if (it != services_.end()) incident_service_ = int(it - services_.begin());
  }
  incident_version_ = options.versions - 1;
  if (options.incident_version.size() >= 2) {
    int v = std::atoi(options.incident_version.c_str() + 1);
    if (v >= 1 && v <= options.versions) incident_version_ = v - 1;
  }
}

std::string Topology::NamespaceOf(int service) const {
  return kNamespaces[(service / 4) % (sizeof kNamespaces / sizeof kNamespaces[0])];
}

TargetInfo Topology::Target(int index) const {
  TargetInfo t;
  int per_service = options_.versions * options_.instances;
  t.index = index;
  t.service = index / per_service;
  t.version = (index / options_.instances) % options_.versions;
  t.instance = index % options_.instances;
  t.service_name = services_[t.service];
  t.version_name = versions_[t.version];
  t.namespace_name = NamespaceOf(t.service);
  // Instances alternate between the two data centres, so each version runs in both.
  t.dc = (t.instance % 2 == 0) ? "dc1" : "dc2";
  Rng r(MixSeed(options_.seed, uint64_t(index), 0x7a26e7));
  // All pods of one service version share a replicaset hash.
  Rng rs(MixSeed(options_.seed, uint64_t(t.service), uint64_t(t.version) + 1));
  t.pod_prefix = t.service_name + "-" + t.version_name + "-" + Hex(rs.Next(), 9) + "-";
  t.pod = t.pod_prefix + Hex(r.Next(), 5);
  t.load = r.Uniform(0.3, 3.0);
  t.uptime_s = r.Uniform(3600, 14 * 86400);
  t.incident = t.service == incident_service_ && t.version == incident_version_;
  return t;
}

}  // namespace vigil::fleet
