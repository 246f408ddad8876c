// Test helpers for textparse: renders every entry of a body as one line of text so that
// table-driven tests can state the expected parse compactly. Test-only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "textparse/float.h"
#include "textparse/parser.h"

namespace vigil::textparse::testing {

// Number of calls to the global operator new so far (alloc_counter_test.cc replaces it).
size_t AllocationCount();

// kSeries:  S <name> {a="b", ...} <value>[ @<t>][ # {ex labels} <v>[ @<t>]]
// kHelp:    HELP <name> <quoted text>
// kType:    TYPE <name> <type>
// kUnit:    UNIT <name> <unit>
// kComment: COMMENT <text>
inline std::string RenderLabels(std::span<const LabelView> labels) {
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::string(labels[i].name) + "=" + QuoteString(labels[i].value);
  }
  return s + "}";
}

inline std::string RenderEntry(const Parser& p, Entry e) {
  switch (e) {
    case Entry::kSeries: {
      std::string s = "S " + std::string(p.MetricName()) + " " + RenderLabels(p.Labels()) + " " +
                      FormatFloat(p.Value());
      if (p.Timestamp()) s += " @" + std::to_string(*p.Timestamp());
      if (p.HasExemplar()) {
        s += " # " + RenderLabels(p.ExemplarLabels()) + " " + FormatFloat(p.ExemplarValue());
        if (p.ExemplarTimestamp()) s += " @" + std::to_string(*p.ExemplarTimestamp());
      }
      return s;
    }
    case Entry::kHelp:
      return "HELP " + std::string(p.MetricName()) + " " + QuoteString(p.Help());
    case Entry::kType:
      return "TYPE " + std::string(p.MetricName()) + " " + std::string(MetricTypeName(p.Type()));
    case Entry::kUnit:
      return "UNIT " + std::string(p.MetricName()) + " " + std::string(p.Unit());
    case Entry::kComment:
      return "COMMENT " + std::string(p.Comment());
    case Entry::kEof:
      return "EOF";
  }
  return "?";
}

struct ParseOutcome {
  std::vector<std::string> entries;  // without the final EOF
  std::vector<std::string> series;   // Series() of each kSeries entry
  Status error;
};

// Parses the whole body (bounded: stops after 100000 entries), calling LoadLabels() on every
// series (a no-op unless the parser is lazy).
inline ParseOutcome ParseAll(Parser& p) {
  ParseOutcome out;
  for (int i = 0; i < 100000; ++i) {
    Result<Entry> e = p.Next();
    if (!e.has_value()) {
      out.error = e.error();
      break;
    }
    if (*e == Entry::kEof) break;
    if (*e == Entry::kSeries) {
      Status s = p.LoadLabels();
      if (!s.ok()) {
        out.error = s;
        break;
      }
      out.series.emplace_back(p.Series());
    }
    out.entries.push_back(RenderEntry(p, *e));
  }
  return out;
}

}  // namespace vigil::textparse::testing
