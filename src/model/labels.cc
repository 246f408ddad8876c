#include "model/labels.h"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "base/coding.h"

namespace vigil {
namespace {

void Encode(std::string* out, std::string_view name, std::string_view value) {
  PutUvarint(out, name.size());
  out->append(name);
  PutUvarint(out, value.size());
  out->append(value);
}

// Decodes one length-prefixed string at p (trusted buffer).
const char* ReadString(const char* p, std::string_view* s) {
  uint64_t n = 0;
  int shift = 0;
  while (true) {
    uint8_t b = uint8_t(*p++);
    n |= uint64_t(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  *s = std::string_view(p, n);
  return p + n;
}

}  // namespace

void Labels::Iterator::Decode() {
  if (p_ >= end_) {
    next_ = p_;
    return;
  }
  const char* q = ReadString(p_, &cur_.name);
  next_ = ReadString(q, &cur_.value);
}

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs)
    : Labels(FromPairs(std::vector<std::pair<std::string_view, std::string_view>>(pairs))) {}

Labels Labels::FromPairs(std::vector<std::pair<std::string_view, std::string_view>> pairs) {
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Labels l;
  size_t total = 0;
  for (const auto& p : pairs) total += p.first.size() + p.second.size() + 2;
  l.data_.reserve(total);
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i + 1 < pairs.size() && pairs[i + 1].first == pairs[i].first) continue;  // last wins
    if (pairs[i].second.empty()) continue;
    Encode(&l.data_, pairs[i].first, pairs[i].second);
  }
  return l;
}

Labels Labels::FromEncoded(std::string data) {
  Labels l;
  l.data_ = std::move(data);
  return l;
}

size_t Labels::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

std::string_view Labels::Get(std::string_view name) const {
  for (const auto& l : *this) {
    if (l.name == name) return l.value;
    if (l.name > name) break;
  }
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

uint64_t Labels::Hash() const { return XXH3_64bits(data_.data(), data_.size()); }

uint64_t Labels::HashForLabels(const std::vector<std::string>& names) const {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  for (const auto& l : *this) {
    if (std::find(names.begin(), names.end(), l.name) == names.end()) continue;
    XXH3_64bits_update(&st, l.name.data(), l.name.size());
    XXH3_64bits_update(&st, "\xff", 1);
    XXH3_64bits_update(&st, l.value.data(), l.value.size());
    XXH3_64bits_update(&st, "\xff", 1);
  }
  return XXH3_64bits_digest(&st);
}

uint64_t Labels::HashWithoutLabels(const std::vector<std::string>& names) const {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  for (const auto& l : *this) {
    if (l.name == kMetricName) continue;
    if (std::find(names.begin(), names.end(), l.name) != names.end()) continue;
    XXH3_64bits_update(&st, l.name.data(), l.name.size());
    XXH3_64bits_update(&st, "\xff", 1);
    XXH3_64bits_update(&st, l.value.data(), l.value.size());
    XXH3_64bits_update(&st, "\xff", 1);
  }
  return XXH3_64bits_digest(&st);
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string Labels::ToString() const {
  std::string out = "{";
  bool first = true;
  for (const auto& l : *this) {
    if (!first) out += ", ";
    first = false;
    out.append(l.name);
    out += '=';
    out += QuoteString(l.value);
  }
  out += '}';
  return out;
}

int Labels::Compare(const Labels& a, const Labels& b) {
  auto ia = a.begin(), ib = b.begin();
  auto ea = a.end(), eb = b.end();
  for (; ia != ea && ib != eb; ++ia, ++ib) {
    if (int c = ia->name.compare(ib->name); c != 0) return c < 0 ? -1 : 1;
    if (int c = ia->value.compare(ib->value); c != 0) return c < 0 ? -1 : 1;
  }
  if (ia == ea && ib == eb) return 0;
  return ia == ea ? -1 : 1;
}

void LabelsBuilder::Reset(const Labels& base) {
  pairs_.clear();
  for (const auto& l : base) pairs_.emplace_back(std::string(l.name), std::string(l.value));
}

void LabelsBuilder::Reset() { pairs_.clear(); }

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  if (it != pairs_.end() && it->first == name) {
    if (value.empty()) {
      pairs_.erase(it);
    } else {
      it->second.assign(value);
    }
  } else if (!value.empty()) {
    pairs_.emplace(it, std::string(name), std::string(value));
  }
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) { return Set(name, ""); }

std::string_view LabelsBuilder::Get(std::string_view name) const {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  if (it != pairs_.end() && it->first == name) return it->second;
  return {};
}

LabelsBuilder& LabelsBuilder::Keep(const std::vector<std::string>& names) {
  std::erase_if(pairs_, [&](const auto& p) {
    return std::find(names.begin(), names.end(), p.first) == names.end();
  });
  return *this;
}

Labels LabelsBuilder::Build() const {
  std::string data;
  for (const auto& [n, v] : pairs_) Encode(&data, n, v);
  return Labels::FromEncoded(std::move(data));
}

}  // namespace vigil
