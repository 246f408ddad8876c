// Test-only fakes of api::QueryParser and api::QueryEngine, shared by the API's unit and
// integration tests. FakeParser parses the selector subset the tests use; FakeEngine
// evaluates numbers, "strings", selectors (5m lookback, over any storage::Queryable),
// warn(<selector>) (adds annotations) and error_* names that fail in Exec with a chosen
// Status code. Not thread-safe beyond what the tests need (FakeEngine::last is racy).
#pragma once

#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/json_writer.h"
#include "api/params.h"
#include "api/query_engine.h"

namespace vigil::api {

// Parses the selector subset the tests use: `name`, `name{...}`, `{...}` with =, !=, =~, !~
// and double-quoted values.
class FakeParser final : public QueryParser {
 public:
  Result<std::vector<Matcher>> ParseMetricSelector(std::string_view s) override {
    std::vector<Matcher> out;
    size_t i = 0;
    auto ident = [&](size_t* j) {
      size_t b = *j;
      while (*j < s.size() && (std::isalnum(static_cast<unsigned char>(s[*j])) || s[*j] == '_' ||
                               s[*j] == ':' || s[*j] == '.')) {
        ++*j;
      }
      return s.substr(b, *j - b);
    };
    std::string_view name = ident(&i);
    if (!name.empty()) out.push_back(*Matcher::Make(MatchType::kEqual, "__name__", name));
    if (i == s.size()) {
      if (out.empty()) return Status::InvalidArgument("1:1: parse error: unexpected end of input");
      return out;
    }
    if (s[i] != '{') {
      return Status::InvalidArgument("1:" + std::to_string(i + 1) +
                                     ": parse error: unexpected character: '" + s[i] + "'");
    }
    ++i;
    while (i < s.size() && s[i] != '}') {
      if (s[i] == ',' || s[i] == ' ') {
        ++i;
        continue;
      }
      std::string_view ln = ident(&i);
      MatchType t;
      if (s.substr(i, 2) == "=~") {
        t = MatchType::kRegexMatch;
        i += 2;
      } else if (s.substr(i, 2) == "!~") {
        t = MatchType::kRegexNoMatch;
        i += 2;
      } else if (s.substr(i, 2) == "!=") {
        t = MatchType::kNotEqual;
        i += 2;
      } else if (s.substr(i, 1) == "=") {
        t = MatchType::kEqual;
        i += 1;
      } else {
        break;
      }
      if (i >= s.size() || s[i] != '"') break;
      size_t close = s.find('"', i + 1);
      if (close == std::string_view::npos) break;
      auto m = Matcher::Make(t, ln, s.substr(i + 1, close - i - 1));
      if (!m.has_value()) return m.error();
      out.push_back(*m);
      i = close + 1;
    }
    if (i >= s.size() || s[i] != '}' || i + 1 != s.size()) {
      return Status::InvalidArgument("1:" + std::to_string(s.size() + 1) +
                                     ": parse error: unexpected end of input inside braces");
    }
    return out;
  }
  Result<std::string> FormatQuery(std::string_view q) override {
    if (q.empty()) return Status::InvalidArgument("1:1: parse error: no expression found in input");
    std::string out;
    for (char c : q) {
      if (c != ' ') out += c;
    }
    return out;
  }
  Status WriteAst(std::string_view q, JsonWriter* w) override {
    VIGIL_ASSIGN_OR_RETURN(std::vector<Matcher> ms, ParseMetricSelector(q));
    w->BeginObject();
    w->Key("type");
    w->String("vectorSelector");
    w->Key("matchers");
    w->BeginArray();
    for (const Matcher& m : ms) {
      w->BeginObject();
      w->Key("name");
      w->String(m.name());
      w->Key("value");
      w->String(m.value());
      w->Key("type");
      w->String(MatchTypeString(m.type()));
      w->EndObject();
    }
    w->EndArray();
    w->EndObject();
    return Status::OK();
  }
};

// A tiny engine: numbers, "strings", selectors (5m lookback), warn(<selector>), and names
// that fail in Exec with a given Status code.
class FakeQuery final : public Query {
 public:
  FakeQuery(storage::Queryable* q, QueryParams p, std::vector<Matcher> ms, int kind)
      : q_(q), p_(std::move(p)), ms_(std::move(ms)), kind_(kind) {}

  Status Exec(const Context& ctx, QueryResult* r) override {
    const std::string& s = p_.query;
    r->stats.eval_total_time = 0.5;
    r->stats.exec_total_time = 1.25e-7;
    r->stats.total_queryable_samples = 2;
    r->stats.samples_read = 2;
    r->stats.peak_samples = 2;
    r->stats.total_queryable_samples_per_step = {{p_.start_ms, 2}};
    if (s == "error_exec") return Status::Execution("boom");
    if (s == "error_timeout") return Status::DeadlineExceeded("query timed out");
    if (s == "error_canceled") return Status::Cancelled("query was canceled");
    if (s == "error_storage") return Status::IOError("reading chunk: short read");
    if (s == "error_unavailable") return Status::Unavailable("TSDB not ready");
    if (s == "error_limit")
      return Status::ResourceExhausted("query processing would load too many samples");
    if (s == "wait_deadline") {
      while (ctx.Err().ok()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return ctx.Err();
    }
    if (kind_ == 1) {  // number
      r->type = ValueType::kScalar;
      double v = 0;
      ParseGoFloat(s, &v);
      r->scalar = {p_.start_ms, v};
      return Status::OK();
    }
    if (kind_ == 2) {  // string
      r->type = ValueType::kString;
      r->string_t = p_.start_ms;
      r->string_value = s.substr(1, s.size() - 2);
      return Status::OK();
    }
    if (kind_ == 3) {
      r->warnings = {"PromQL warning: test warning", "PromQL warning: test warning"};
      r->infos = {"PromQL info: test info"};
    }
    const bool range = p_.step_ms > 0;
    r->type = range ? ValueType::kMatrix : ValueType::kVector;
    auto querier = q_->NewQuerier(p_.start_ms - 300000, p_.end_ms);
    if (!querier.has_value()) return querier.error();
    auto set = (*querier)->Select(ctx, true, nullptr, ms_);
    while (set->Next()) {
      ResultSeries out{set->At().labels(), {}};
      const int64_t step = range ? p_.step_ms : 1;
      for (int64_t t = p_.start_ms; t <= p_.end_ms; t += step) {
        auto it = set->At().Iterator();
        bool found = false;
        Sample last;
        while (it->Next() && it->AtT() <= t) {
          if (it->AtT() > t - 300000) {
            last = {t, it->AtV()};
            found = true;
          }
        }
        if (found) out.samples.push_back(last);
      }
      if (!out.samples.empty()) r->series.push_back(std::move(out));
    }
    return set->Err();
  }

 private:
  storage::Queryable* q_;
  QueryParams p_;
  std::vector<Matcher> ms_;
  int kind_;
};

class FakeEngine final : public QueryEngine {
 public:
  Result<std::unique_ptr<Query>> NewQuery(storage::Queryable* q, const QueryParams& p) override {
    last = p;
    const std::string& s = p.query;
    double v;
    if (s.rfind("error_", 0) == 0 || s == "wait_deadline") {
      return std::unique_ptr<Query>(std::make_unique<FakeQuery>(q, p, std::vector<Matcher>{}, 0));
    }
    if (ParseGoFloat(s, &v)) {
      return std::unique_ptr<Query>(std::make_unique<FakeQuery>(q, p, std::vector<Matcher>{}, 1));
    }
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
      return std::unique_ptr<Query>(std::make_unique<FakeQuery>(q, p, std::vector<Matcher>{}, 2));
    }
    int kind = 0;
    std::string_view sel = s;
    if (sel.rfind("warn(", 0) == 0 && sel.back() == ')') {
      sel = sel.substr(5, sel.size() - 6);
      kind = 3;
    }
    VIGIL_ASSIGN_OR_RETURN(std::vector<Matcher> ms, parser.ParseMetricSelector(sel));
    return std::unique_ptr<Query>(std::make_unique<FakeQuery>(q, p, std::move(ms), kind));
  }
  FakeParser parser;
  QueryParams last;
};

}  // namespace vigil::api
