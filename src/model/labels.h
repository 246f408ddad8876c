// Labels: an immutable, sorted set of (name, value) pairs held in one flat buffer.
//
// Layout of the buffer: for each pair in ascending name order, uvarint len(name), name,
// uvarint len(value), value. One allocation per label set (like Prometheus'
// stringlabels). Names are unique; empty values are never stored (Prometheus treats an
// empty value as "label absent"). Views returned by iteration or Get() live as long as
// the Labels object is not modified or destroyed. Const methods are thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

inline constexpr std::string_view kMetricName = "__name__";

struct LabelView {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const LabelView&, const LabelView&) = default;
};

class Labels {
 public:
  class Iterator {
   public:
    using value_type = LabelView;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(const char* p, const char* end) : p_(p), end_(end) { Decode(); }
    const LabelView& operator*() const { return cur_; }
    const LabelView* operator->() const { return &cur_; }
    Iterator& operator++() {
      p_ = next_;
      Decode();
      return *this;
    }
    Iterator operator++(int) {
      Iterator t = *this;
      ++*this;
      return t;
    }
    bool operator==(const Iterator& o) const { return p_ == o.p_; }

   private:
    void Decode();
    const char* p_ = nullptr;
    const char* end_ = nullptr;
    const char* next_ = nullptr;
    LabelView cur_;
  };

  Labels() = default;
  // Sorts the pairs by name; on duplicate names the last one wins; empty values are dropped.
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  static Labels FromPairs(std::vector<std::pair<std::string_view, std::string_view>> pairs);
  // Adopts an already-encoded, sorted buffer (as produced by data()); no validation.
  static Labels FromEncoded(std::string data);

  Iterator begin() const { return Iterator(data_.data(), data_.data() + data_.size()); }
  Iterator end() const {
    return Iterator(data_.data() + data_.size(), data_.data() + data_.size());
  }

  bool empty() const { return data_.empty(); }
  size_t size() const;
  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricName); }
  // 64-bit hash of the whole set (xxh3); equal sets hash equally.
  uint64_t Hash() const;
  // Hash of only the named labels / of all labels but the named ones (for by/without).
  uint64_t HashForLabels(const std::vector<std::string>& names) const;
  uint64_t HashWithoutLabels(const std::vector<std::string>& names) const;
  // Prometheus' form: {__name__="up", job="x"}; values escaped like Go's %q.
  std::string ToString() const;
  const std::string& data() const { return data_; }
  size_t ByteSize() const { return data_.capacity(); }

  // Prometheus' order: pairwise by name then value; a prefix sorts first.
  static int Compare(const Labels& a, const Labels& b);
  friend bool operator==(const Labels& a, const Labels& b) { return a.data_ == b.data_; }
  friend bool operator<(const Labels& a, const Labels& b) { return Compare(a, b) < 0; }

 private:
  std::string data_;
};

// LabelsBuilder edits a label set: Set/Del then Build(). Not thread-safe.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base) { Reset(base); }
  void Reset(const Labels& base);
  void Reset();
  // An empty value deletes the label.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  std::string_view Get(std::string_view name) const;
  // Keeps only the named labels.
  LabelsBuilder& Keep(const std::vector<std::string>& names);
  Labels Build() const;
  // Visits the current pairs in name order.
  template <typename F>
  void Range(F&& f) const {
    for (const auto& [n, v] : pairs_) f(std::string_view(n), std::string_view(v));
  }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;  // sorted by name, unique
};

// Escapes `s` like Go's strconv.Quote (used in label-set strings and PromQL output).
std::string QuoteString(std::string_view s);

}  // namespace vigil
