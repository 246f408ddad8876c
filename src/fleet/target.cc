#include "fleet/target.h"

#include <algorithm>
#include <cstdio>

#include "fleet/value_format.h"

namespace vigil::fleet {
namespace {

constexpr const char* kHelp = "Simulated by vigil fleet.";

bool IsCounterKind(Kind k) {
  return k == Kind::kCounter || k == Kind::kCounterFloat || k == Kind::kCounterBytes;
}

const char* TextTypeName(FamilyType t) {
  switch (t) {
    case FamilyType::kCounter:
      return "counter";
    case FamilyType::kGauge:
      return "gauge";
    case FamilyType::kHistogram:
      return "histogram";
    case FamilyType::kSummary:
      return "summary";
    case FamilyType::kUnknown:
      break;
  }
  return "untyped";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Interns text pieces into one arena.
class PieceTable {
 public:
  PieceTable(std::string* arena, std::vector<std::pair<uint32_t, uint32_t>>* pieces)
      : arena_(arena), pieces_(pieces) {}
  uint32_t Intern(const std::string& s) {
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    uint32_t id = uint32_t(pieces_->size());
    pieces_->emplace_back(uint32_t(arena_->size()), uint32_t(s.size()));
    arena_->append(s);
    index_.emplace(s, id);
    return id;
  }

 private:
  std::string* arena_;
  std::vector<std::pair<uint32_t, uint32_t>>* pieces_;
  std::unordered_map<std::string, uint32_t> index_;
};

}  // namespace

TargetBuilder::TargetBuilder(std::string pod_labels, std::string stable_pod,
                             std::string churn_pod_prefix, uint64_t seed)
    : pod_labels_(std::move(pod_labels)),
      stable_pod_(std::move(stable_pod)),
      churn_pod_prefix_(std::move(churn_pod_prefix)),
      seed_(seed) {}

TargetBuilder::Family& TargetBuilder::FamilyFor(const std::string& name, FamilyType type) {
  auto [it, inserted] = family_index_.emplace(name, families_.size());
  if (inserted) families_.push_back(Family{name, type, {}});
  return families_[it->second];
}

void TargetBuilder::AddSeries(SeriesDef def, bool churn) {
  FamilyType type = def.family_type_set       ? def.family_type
                    : IsCounterKind(def.kind) ? FamilyType::kCounter
                                              : FamilyType::kGauge;
  std::string fam = def.family.empty() ? def.name : def.family;
  FamilyFor(fam, type).items.push_back(Item{false, churn, std::move(def), HistDef{}});
  ++num_series_;
}

void TargetBuilder::AddHistogram(HistDef def, bool churn) {
  num_series_ += def.les->size() + 3;
  std::string fam = def.name;
  FamilyFor(fam, FamilyType::kHistogram)
      .items.push_back(Item{true, churn, SeriesDef{}, std::move(def)});
}

std::unique_ptr<Target> TargetBuilder::Build(int64_t churn_interval_ms, int64_t now_ms) {
  std::unique_ptr<Target> t(new Target());
  PieceTable pieces(&t->arena_, &t->pieces_);
  t->stable_pod_ = stable_pod_;
  t->churn_pod_prefix_ = churn_pod_prefix_;
  t->churn_interval_ms_ = churn_interval_ms;
  t->seed_ = seed_;
  t->rng_ = Rng(MixSeed(seed_, 0x5ca1e));
  t->last_ms_ = now_ms;
  t->text_.reserve(num_series_);
  t->vals_.reserve(num_series_);

  // Adds one sample's text; `extra` is an additional label such as le="0.5".
  auto add_text = [&](const std::string& name, const std::string& labels, const std::string& extra,
                      bool pod, uint8_t flags) {
    Target::SeriesText st{};
    st.flags = flags;
    std::string tail;
    if (pod) {
      st.flags |= Target::kPod;
      st.name = pieces.Intern(name + "{");
      st.labels = pieces.Intern(labels);
      if (!labels.empty()) tail += ',';
      if (!extra.empty()) {
        tail.append(extra);
        tail.push_back(',');
      }
      if (!pod_labels_.empty()) {
        tail.append(pod_labels_);
        tail.push_back(',');
      }
      tail.append("pod=\"");
    } else if (labels.empty() && extra.empty()) {
      st.name = pieces.Intern(name);
      st.labels = pieces.Intern("");
      tail.push_back(' ');
    } else {
      st.name = pieces.Intern(name + "{");
      st.labels = pieces.Intern(labels);
      if (!extra.empty()) {
        if (!labels.empty()) tail.push_back(',');
        tail.append(extra);
      }
      tail.append("} ");
    }
    st.tail = pieces.Intern(tail);
    t->text_.push_back(st);
  };

  for (const Family& fam : families_) {
    Target::FamilyText ft{};
    ft.first_series = uint32_t(t->text_.size());
    ft.text_header = pieces.Intern(std::string("# HELP ") + fam.name + " " + kHelp + "\n# TYPE " +
                                   fam.name + " " + TextTypeName(fam.type) + "\n");
    // OpenMetrics names a counter family without its _total suffix; a "counter" whose
    // samples lack the suffix can only be exposed as unknown.
    std::string om_name = fam.name;
    const char* om_type = TextTypeName(fam.type);
    if (fam.type == FamilyType::kCounter) {
      if (EndsWith(fam.name, "_total")) {
        om_name = fam.name.substr(0, fam.name.size() - 6);
      } else {
        om_type = "unknown";
      }
    } else if (fam.type == FamilyType::kUnknown) {
      om_type = "unknown";
    }
    ft.om_header = pieces.Intern("# TYPE " + om_name + " " + om_type + "\n# HELP " + om_name + " " +
                                 kHelp + "\n");
    t->families_.push_back(ft);

    for (const Item& item : fam.items) {
      uint8_t churn = item.churn ? Target::kChurn : 0;
      if (item.churn) t->has_churn_ = true;
      if (!item.hist) {
        const SeriesDef& s = item.s;
        uint8_t flags = churn | (IsCounterKind(s.kind) ? Target::kCounterLike : 0) |
                        (s.intermittent ? Target::kIntermittent : 0);
        uint32_t index = uint32_t(t->vals_.size());
        add_text(s.name, s.labels, "", s.pod_labels, flags);
        t->vals_.push_back(s.init);
        if (s.kind != Kind::kConst) {
          Target::Update u{};
          u.kind = s.kind;
          u.index = index;
          u.p0 = s.p0, u.p1 = s.p1, u.p2 = s.p2;
          if (!std::isnan(s.incident_p0)) u.incident = 1, u.alt = s.incident_p0;
          t->updates_.push_back(u);
        }
        continue;
      }
      const HistDef& h = item.h;
      uint8_t flags = churn | Target::kCounterLike;
      uint32_t index = uint32_t(t->vals_.size());
      size_t nb = h.les->size();
      for (size_t j = 0; j < nb; ++j) {
        add_text(h.name + "_bucket", h.labels, "le=\"" + (*h.les)[j] + "\"", h.pod_labels, flags);
        float c = j < h.cdf.size() ? h.cdf[j] : 1.0f;
        t->vals_.push_back(std::floor(h.count0 * c));
      }
      add_text(h.name + "_bucket", h.labels, "le=\"+Inf\"", h.pod_labels, flags);
      t->vals_.push_back(h.count0);
      add_text(h.name + "_sum", h.labels, "", h.pod_labels, flags);
      t->vals_.push_back(h.count0 * h.mean);
      add_text(h.name + "_count", h.labels, "", h.pod_labels, flags);
      t->vals_.push_back(h.count0);
      Target::Update u{};
      u.kind = Kind::kHistogram;
      u.buckets = uint16_t(nb);
      u.index = index;
      u.cdf = uint32_t(t->cdfs_.size());
      for (size_t j = 0; j < nb; ++j) t->cdfs_.push_back(j < h.cdf.size() ? h.cdf[j] : 1.0f);
      u.p0 = h.rate;
      u.p1 = h.mean;
      if (!std::isnan(h.incident_rate)) u.incident = 1, u.alt = h.incident_rate;
      t->updates_.push_back(u);
    }
  }
  t->init_vals_ = t->vals_;
  if (!t->has_churn_ || churn_interval_ms <= 0) t->has_churn_ = false;
  t->text_.shrink_to_fit();
  t->arena_.shrink_to_fit();
  t->MaybeChurn(now_ms);
  return t;
}

std::string_view Target::PodOf(size_t i) const {
  if (has_churn_ && (text_[i].flags & kChurn)) return churn_pod_;
  return stable_pod_;
}

void Target::MaybeChurn(int64_t now_ms) {
  if (!has_churn_) return;
  int64_t gen = now_ms / churn_interval_ms_;
  if (gen == churn_gen_) return;
  bool first = churn_gen_ < 0;
  churn_gen_ = gen;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%05llx",
                static_cast<unsigned long long>(MixSeed(seed_, uint64_t(gen)) & 0xfffff));
  churn_pod_ = churn_pod_prefix_ + suffix;
  if (first) return;
  // A new pod: its counters start from zero, its gauges from their initial values.
  for (size_t i = 0; i < text_.size(); ++i) {
    if (!(text_[i].flags & kChurn)) continue;
    vals_[i] = (text_[i].flags & kCounterLike) ? 0.0 : init_vals_[i];
  }
}

void Target::Advance(double dt, bool incident) {
  double* v = vals_.data();
  Rng& r = rng_;
  for (const Update& u : updates_) {
    double p0 = (incident && u.incident) ? u.alt : u.p0;
    double& x = v[u.index];
    switch (u.kind) {
      case Kind::kConst:
        break;
      case Kind::kCounter:
        x += double(r.Poisson(p0 * dt));
        break;
      case Kind::kCounterFloat:
        if (p0 > 0) x += p0 * dt * r.Uniform(0.6, 1.4);
        break;
      case Kind::kCounterBytes:
        if (p0 > 0 && r.Uniform() < 0.8) x += std::floor(p0 * dt * r.Uniform(0.2, 1.8));
        break;
      case Kind::kGaugeWalk:
        x = std::max(0.0, x + 0.2 * (p0 - x) + u.p1 * r.Uniform(-1, 1));
        break;
      case Kind::kGaugeIntWalk:
        x = std::max(0.0, std::floor(x + 0.1 * (p0 - x) + u.p1 * r.Uniform(-2, 2)));
        break;
      case Kind::kGaugeSaw: {
        double nx = x + std::floor(u.p2 * dt * r.Uniform(0.5, 1.5));
        x = nx < u.p1 ? nx : std::floor(p0 * r.Uniform(0.8, 1.2));
        break;
      }
      case Kind::kGaugeStep:
        if (r.Uniform() < u.p2) {
          double nx = x + (r.Uniform() < 0.5 ? 1.0 : -1.0);
          if (nx >= p0 && nx <= u.p1) x = nx;
        }
        break;
      case Kind::kHistogram: {
        int64_t n = r.Poisson(p0 * dt);
        if (n == 0) break;
        const float* cdf = cdfs_.data() + u.cdf;
        int64_t prev = 0;
        for (uint32_t j = 0; j < u.buckets; ++j) {
          int64_t m = int64_t(double(n) * cdf[j] + r.Uniform());
          m = std::clamp(m, prev, n);
          v[u.index + j] += double(m);
          prev = m;
        }
        v[u.index + u.buckets] += double(n);                                   // +Inf
        v[u.index + u.buckets + 1] += double(n) * u.p1 * r.Uniform(0.7, 1.3);  // _sum
        v[u.index + u.buckets + 2] += double(n);                               // _count
        break;
      }
      case Kind::kBatchSuccess:
      case Kind::kBatchRun:
      case Kind::kBatchDuration:
        break;  // UpdateTimeBased
    }
  }
}

void Target::UpdateTimeBased(int64_t now_ms) {
  for (const Update& u : updates_) {
    if (u.kind != Kind::kBatchSuccess && u.kind != Kind::kBatchRun &&
        u.kind != Kind::kBatchDuration) {
      continue;
    }
    // A batch job starts every minute, runs about a second and fails with probability p0.
    int64_t minute = now_ms / 60000;
    double value = double(minute - 60) * 60;
    for (int64_t m = minute; m > minute - 60; --m) {
      uint64_t h = MixSeed(seed_, u.index, uint64_t(m));
      double duration = 1.0 + double(h % 1000) / 1000.0;
      double end_s = double(m) * 60 + duration;
      if (end_s * 1000 > double(now_ms)) continue;
      if (u.kind == Kind::kBatchRun) {
        value = end_s;
      } else if (u.kind == Kind::kBatchDuration) {
        value = duration;
      } else if (double((h >> 20) % 1000) / 1000.0 < u.p0) {
        continue;  // failed run
      } else {
        value = end_s;
      }
      break;
    }
    vals_[u.index] = value;
  }
}

size_t Target::Render(int64_t now_ms, Format format, bool incident, std::string* out) {
  MaybeChurn(now_ms);
  double dt = double(now_ms - last_ms_) / 1000.0;
  if (dt >= 1.0) {
    Advance(std::min(dt, 300.0), incident);
    last_ms_ = now_ms;
  }
  UpdateTimeBased(now_ms);

  size_t start = out->size();
  out->reserve(start + last_body_bytes_ + 4096);
  bool odd_minute = (now_ms / 60000) % 2 == 1;
  const std::string_view pod = stable_pod_;
  const std::string_view churn_pod = churn_pod_;
  size_t samples = 0;
  char num[32];
  for (size_t f = 0; f < families_.size(); ++f) {
    const FamilyText& ft = families_[f];
    out->append(Piece(format == Format::kText ? ft.text_header : ft.om_header));
    size_t end = f + 1 < families_.size() ? families_[f + 1].first_series : text_.size();
    for (size_t i = ft.first_series; i < end; ++i) {
      const SeriesText& st = text_[i];
      if ((st.flags & kIntermittent) && odd_minute) continue;
      out->append(Piece(st.name));
      out->append(Piece(st.labels));
      out->append(Piece(st.tail));
      if (st.flags & kPod) {
        out->append((st.flags & kChurn) && has_churn_ ? churn_pod : pod);
        out->append("\"} ", 3);
      }
      char* e = FormatValue(vals_[i], num);
      *e++ = '\n';
      out->append(num, size_t(e - num));
      ++samples;
    }
  }
  if (format == Format::kOpenMetrics) out->append("# EOF\n");
  last_body_bytes_ = out->size() - start;
  return samples;
}

}  // namespace vigil::fleet
