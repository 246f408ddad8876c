// The PromQL function table: name, argument types, variadic count, return type, and whether
// the function is experimental (needs ParseOptions::enable_experimental_functions).
//
// Mirrors Prometheus 3.x promql/parser/functions.go. The table is static and immutable;
// pointers returned here are valid for the life of the program. Thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "promql/parser/ast.h"

namespace vigil::promql::parser {

struct Function {
  std::string_view name;
  // Types of the declared arguments, in order.
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() args. n > 0: the last n declared args are optional.
  // -1: the last declared arg may repeat any number of times (label_join, sort_by_label).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  bool experimental = false;
};

// The function named `name`, or null if there is none.
const Function* LookupFunction(std::string_view name);

// All functions, sorted by name.
const std::vector<const Function*>& AllFunctions();

}  // namespace vigil::promql::parser
