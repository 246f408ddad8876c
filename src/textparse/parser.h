// Pull parsers for the text exposition formats a scrape returns: the Prometheus text format
// (0.0.4 and 1.0.0, the latter adding quoted UTF-8 names) and OpenMetrics 1.0 text.
//
// A Parser walks a body one entry at a time, like Prometheus' model/textparse: Next() says
// what the next entry is (a series sample, HELP, TYPE, UNIT, a comment, or the end) and the
// accessors below return views of it. Views point into the body or into the parser's own
// scratch buffer and are valid until the next call to Next() or until the parser is
// destroyed. The body is not copied and must outlive the parser.
//
// Costs: a series line is split with memchr and SIMD scans; label values are unescaped into
// a reusable scratch buffer only when they contain a backslash. After the first few lines
// (which size the reusable label vector and scratch buffer) parsing allocates nothing.
// No line longer than ParserOptions::max_line_bytes is ever scanned past that limit, and no
// byte outside the body is ever read.
//
// Errors are sticky: once Next() has returned an error, it returns the same error forever.
// Every error is Status::InvalidArgument with the 1-based line number (except OpenMetrics'
// "data does not end with # EOF"), what was expected and what was found, e.g. `line 3: expected
// equal sign after label name, got "x" while parsing "foo{a x"`. A parser is not thread-safe; use
// one per scrape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "model/labels.h"

namespace vigil::textparse {

// What Next() found.
enum class Entry : uint8_t {
  kSeries,   // a sample: Series(), MetricName(), Labels(), Value(), Timestamp()
  kHelp,     // MetricName() and Help()
  kType,     // MetricName() and Type()
  kUnit,     // MetricName() and Unit() (OpenMetrics only)
  kComment,  // Comment() (Prometheus text only; OpenMetrics has no free comments)
  kEof,      // end of the body (OpenMetrics: after "# EOF")
};

// Metric family types. The Prometheus text format knows counter, gauge, histogram, summary
// and untyped (= kUnknown); OpenMetrics adds gaugehistogram, info and stateset.
enum class MetricType : uint8_t {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateset,
};

// The OpenMetrics spelling ("unknown", "counter", "gaugehistogram", ...); Prometheus' own
// metadata API uses the same words.
std::string_view MetricTypeName(MetricType t);

// The formats a body can be in.
enum class Format : uint8_t {
  kPrometheusText,  // text/plain; version=0.0.4 or 1.0.0
  kOpenMetrics,     // application/openmetrics-text; version=1.0.0 or 0.0.1
};

struct ParserOptions {
  // A line (without its '\n') longer than this is an error; the parser never scans further
  // than this for a line end. 0 means unlimited.
  size_t max_line_bytes = size_t{1} << 20;
  // OpenMetrics only: do not return the `<family>_created` series of counter, summary and
  // histogram families (Prometheus' WithOMParserSTSeriesSkipped, used when start
  // timestamps are ingested some other way). Their syntax is still checked.
  bool skip_created_series = false;
  // Prometheus text only: Next() does not parse the label block of a series; it finds where
  // the block ends (the series bytes) and parses value and timestamp. MetricName() (when the
  // name is inside the braces) and Labels() are then empty until LoadLabels() is called. Meant
  // for a scrape cache keyed by Series(): a hit needs no label work, a miss calls
  // LoadLabels(), which does the full validation (so a malformed label block is only reported
  // there; bytes that once passed LoadLabels() always pass again).
  bool lazy_labels = false;
};

// Base class of both parsers; the accessors read state the concrete parser fills in.
class Parser {
 public:
  virtual ~Parser() = default;
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Advances to the next entry. Returns Entry::kEof at the end of the body (and again on
  // every later call), or InvalidArgument for malformed input (sticky, see above).
  virtual Result<Entry> Next() = 0;

  // --- kSeries ---
  // The series as written, `name{labels}` (or `{"name",labels}`) from the first byte of the
  // name to the closing brace, whitespace and escapes included: a stable key for a scrape
  // cache. Never empty for a series entry.
  std::string_view Series() const { return series_; }
  // The metric name, unquoted and unescaped. For kHelp/kType/kUnit: the family name.
  std::string_view MetricName() const { return name_; }
  // The labels in the order written, without the metric name; names and values unquoted
  // and unescaped. Label names are unique (duplicates are a parse error) and none is
  // "__name__". Values may be empty (Prometheus drops such labels when building a set).
  std::span<const LabelView> Labels() const { return labels_; }
  double Value() const { return value_; }
  // The sample timestamp in milliseconds, if the line has one. OpenMetrics timestamps
  // (float seconds) are converted by truncation toward zero, as Prometheus does.
  std::optional<int64_t> Timestamp() const {
    return has_t_ ? std::optional<int64_t>(t_) : std::nullopt;
  }
  // OpenMetrics exemplar attached to the current sample (`# {labels} value [timestamp]`).
  bool HasExemplar() const { return has_exemplar_; }
  std::span<const LabelView> ExemplarLabels() const { return exemplar_labels_; }
  double ExemplarValue() const { return exemplar_value_; }
  std::optional<int64_t> ExemplarTimestamp() const {
    return has_exemplar_t_ ? std::optional<int64_t>(exemplar_t_) : std::nullopt;
  }
  // With ParserOptions::lazy_labels, parses the label block of the current series (at most
  // once per entry); otherwise does nothing. Returns the parser's error state: OK, or the
  // sticky InvalidArgument for a malformed block, after which Next() fails too.
  virtual Status LoadLabels() { return err_; }
  // The full label set of the current series as Prometheus' scrape loop builds it:
  // __name__ plus the labels, empty values dropped, and - as Prometheus 3 does - the values of
  // `le` in histograms and `quantile` in summaries rewritten in OpenMetrics float form
  // ("1" -> "1.0"). Allocates; meant for scrape-cache misses only. With lazy_labels, call
  // LoadLabels() first.
  vigil::Labels BuildLabels() const;

  // --- metadata ---
  // The type of the current family: set by a TYPE line and kept until the next one (as in
  // Prometheus, a series of another family without a TYPE line inherits it).
  MetricType Type() const { return type_; }
  // kHelp: the help text, unescaped. Valid UTF-8.
  std::string_view Help() const { return text_; }
  // kUnit: the unit (possibly empty).
  std::string_view Unit() const { return text_; }
  // kComment: the whole comment line as written, starting with '#'.
  std::string_view Comment() const { return text_; }

  // 1-based number of the line of the current entry (0 before the first Next()).
  size_t LineNumber() const { return line_no_; }

 protected:
  Parser(std::string_view body, const ParserOptions& opts);

  // Finds the next line starting at pos_: sets line_start_/line_end_ (excluding '\n'),
  // has_newline_, advances pos_ past it and counts it. False at the end of the body.
  // Fails (returns false with err_ set) if the line is longer than the limit.
  bool NextLine();
  // Records a syntax error at `at` (within the current line) and returns it.
  Status SyntaxError(std::string_view expected, const char* at);
  Status LineError(std::string_view msg);
  Status Fail(Status s);
  void ResetEntry();
  // Returns a writable area of at least `n` bytes in the scratch buffer for the current
  // entry; earlier views into the scratch stay valid (it is sized per line).
  char* ScratchFor(size_t n);
  void ReserveScratchForLine();
  // Unescapes `raw` (the inside of a quoted string) into the scratch: \" \\ \n are replaced,
  // any other backslash pair is kept as written (Prometheus' behaviour).
  std::string_view UnescapeLabel(std::string_view raw);
  // Help text of the Prometheus text format: only \\ and \n are escapes.
  std::string_view UnescapeHelp(std::string_view raw);
  // Parses the value token [b, e) into *out (canonical NaN). False (err_ set) if malformed.
  bool ParseValue(const char* b, const char* e, double* out);
  // Adds a label, checking that its name is new. Returns false (err_ set) on a duplicate.
  bool AddLabel(std::string_view name, std::string_view value, const char* at);

  const char* const begin_;
  const char* const end_;
  const char* pos_;  // start of the next line
  const ParserOptions opts_;

  // The current line.
  const char* line_start_ = nullptr;
  const char* line_end_ = nullptr;
  bool has_newline_ = false;
  size_t line_no_ = 0;

  Status err_;
  bool eof_ = false;

  // The current entry.
  std::string_view series_;
  std::string_view name_;
  std::string_view text_;
  std::vector<LabelView> labels_;
  uint64_t label_bloom_[4] = {0, 0, 0, 0};
  double value_ = 0;
  int64_t t_ = 0;
  bool has_t_ = false;
  bool has_exemplar_ = false;
  bool has_exemplar_t_ = false;
  std::vector<LabelView> exemplar_labels_;
  double exemplar_value_ = 0;
  int64_t exemplar_t_ = 0;
  MetricType type_ = MetricType::kUnknown;

 private:
  std::unique_ptr<char[]> scratch_;
  size_t scratch_cap_ = 0;
  size_t scratch_len_ = 0;
  bool scratch_line_ready_ = false;
};

// Parser of the Prometheus text format 0.0.4 (and 1.0.0: quoted UTF-8 names in braces).
// Accepts what Prometheus 3 accepts, with one deliberate difference: a raw line feed inside
// a quoted label value ends the line (and so is an error) instead of being part of the value.
class PromParser final : public Parser {
 public:
  explicit PromParser(std::string_view body, const ParserOptions& opts = {});
  Result<Entry> Next() override;
  Status LoadLabels() override;

 private:
  const char* FindLabelsEnd(const char* open) const;
  Result<Entry> ParseComment(const char* p);
  Result<Entry> ParseSeries(const char* p);
  // Parses the label block after '{' at p; returns the position after '}', or nullptr.
  const char* ParseLabels(const char* p, bool* name_set);

  bool labels_pending_ = false;
  const char* labels_begin_ = nullptr;  // after '{' when labels_pending_
};

// Parser of OpenMetrics 1.0 text: exactly one space between tokens, no free comments, no
// blank lines, float-second timestamps, exemplars, and "# EOF" as the last line (anything
// after it, or a body without it, is an error).
class OpenMetricsParser final : public Parser {
 public:
  explicit OpenMetricsParser(std::string_view body, const ParserOptions& opts = {});
  Result<Entry> Next() override;

 private:
  Result<Entry> ParseMeta(const char* p);
  Result<Entry> ParseSeries(const char* p);
  const char* ParseLabels(const char* p, bool exemplar, bool* name_set);
  bool ParseExemplar(const char* p);
  bool IsCreatedSeries() const;
};

// A parser for `body` in `format`.
std::unique_ptr<Parser> NewParser(Format format, std::string_view body,
                                  const ParserOptions& opts = {});

}  // namespace vigil::textparse
