// PromqlQueryParser: api::QueryParser over Vigil's PromQL parser (promql/parser). It parses
// match[] selectors, pretty-prints queries for /api/v1/format_query (Prometheus'
// expr.Pretty(0)) and writes the AST for /api/v1/parse_query in the shape of Prometheus'
// web/api/v1 translateAST (objects with keys in sorted order, as Go marshals maps).
// Stateless apart from its options; thread-safe.
#pragma once

#include "api/query_engine.h"
#include "promql/parser/parser.h"

namespace vigil::api {

class PromqlQueryParser final : public QueryParser {
 public:
  explicit PromqlQueryParser(promql::parser::ParseOptions options = {}) : options_(options) {}

  Result<std::vector<Matcher>> ParseMetricSelector(std::string_view selector) override;
  Result<std::string> FormatQuery(std::string_view query) override;
  Status WriteAst(std::string_view query, JsonWriter* out) override;

 private:
  promql::parser::ParseOptions options_;
};

// Writes `e` as Prometheus' translateAST does.
void WriteTranslatedAst(const promql::parser::Expr& e, JsonWriter* w);

}  // namespace vigil::api
