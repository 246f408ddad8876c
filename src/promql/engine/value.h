// PromQL result values: scalar, string, instant vector and range vector (matrix), as returned
// by Query::Exec and written by the HTTP API. Plain copyable values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "model/value.h"
#include "promql/parser/ast.h"

namespace vigil::promql {

using parser::ValueType;

// One element of an instant vector.
struct VectorElement {
  Labels labels;
  int64_t t = 0;  // ms; the evaluation time
  double v = 0;
};
using Vector = std::vector<VectorElement>;

// One series of a range vector: float points in ascending time order.
struct MatrixSeries {
  Labels labels;
  std::vector<Sample> points;
};
using Matrix = std::vector<MatrixSeries>;

// The value of a query. `type` says which member is meaningful:
//   kScalar: scalar at time t; kString: str at time t; kVector: vector; kMatrix: matrix.
// Matrices are sorted by labels (Labels::Compare); instant vectors keep the engine's order
// (meaningful after sort(), topk() and friends).
struct Value {
  ValueType type = ValueType::kNone;
  double scalar = 0;
  int64_t t = 0;
  std::string str;
  Vector vector;
  Matrix matrix;
};

// Formats a float as Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits,
// no exponent; "NaN", "+Inf", "-Inf".
std::string FormatFloatF(double v);
// Go's fmt "%g" (shortest round-trip digits, exponent form below 1e-4 or from 1e21 up),
// "NaN", "+Inf", "-Inf".
std::string FormatFloatG(double v);
// Go's fmt "%.<prec>g".
std::string FormatFloatGPrec(double v, int prec);

// True if `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);
// Go's strconv.Quote: double-quoted, invalid UTF-8 bytes as \xHH, control characters escaped.
std::string GoQuote(std::string_view s);

}  // namespace vigil::promql
