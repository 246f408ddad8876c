#include "api/promql_parser.h"

#include "api/json_writer.h"
#include "promql/parser/functions.h"
#include "promql/parser/printer.h"

namespace vigil::api {

namespace pp = promql::parser;

namespace {

void WriteExprOrNull(const pp::Expr* e, JsonWriter* w);

// Go's strconv.FormatFloat(v, 'f', -1, 64) as a JSON string.
void WriteFloatString(double v, JsonWriter* w) {
  std::string s;
  AppendGoFloat(&s, v, 'f');
  w->String(s);
}

void WriteStringList(const std::vector<std::string>& v, JsonWriter* w) {
  w->BeginArray();
  for (const auto& s : v) w->String(s);
  w->EndArray();
}

void WriteMatchers(const std::vector<Matcher>& ms, JsonWriter* w) {
  w->BeginArray();
  for (const Matcher& m : ms) {
    w->BeginObject();
    w->Key("name");
    w->String(m.name());
    w->Key("type");
    w->String(MatchTypeString(m.type()));
    w->Key("value");
    w->String(m.value());
    w->EndObject();
  }
  w->EndArray();
}

void WriteStartOrEnd(pp::AtModifier a, JsonWriter* w) {
  if (a == pp::AtModifier::kStart) {
    w->String("start");
  } else if (a == pp::AtModifier::kEnd) {
    w->String("end");
  } else {
    w->Null();
  }
}

void WriteTimestamp(const std::optional<int64_t>& t, JsonWriter* w) {
  if (t.has_value()) {
    w->Int(*t);
  } else {
    w->Null();
  }
}

std::string_view DurationOpString(pp::DurationExpr::Op op) {
  switch (op) {
    case pp::DurationExpr::Op::kAdd:
      return "+";
    case pp::DurationExpr::Op::kSub:
      return "-";
    case pp::DurationExpr::Op::kMul:
      return "*";
    case pp::DurationExpr::Op::kDiv:
      return "/";
    case pp::DurationExpr::Op::kMod:
      return "%";
    case pp::DurationExpr::Op::kPow:
      return "^";
    case pp::DurationExpr::Op::kStep:
      return "step";
    case pp::DurationExpr::Op::kRange:
      return "range";
    case pp::DurationExpr::Op::kMaxOf:
      return "max_of";
    case pp::DurationExpr::Op::kMinOf:
      return "min_of";
  }
  return "";
}

// translateDurationExpr: number literals carry their "duration" flag here.
void WriteDurationExpr(const pp::Expr* e, JsonWriter* w) {
  if (e == nullptr) {
    w->Null();
    return;
  }
  if (const auto* d = pp::DynCast<pp::DurationExpr>(e)) {
    w->BeginObject();
    w->Key("lhs");
    WriteDurationExpr(d->lhs.get(), w);
    w->Key("op");
    w->String(DurationOpString(d->op));
    w->Key("rhs");
    WriteDurationExpr(d->rhs.get(), w);
    w->Key("type");
    w->String("durationExpr");
    w->Key("wrapped");
    w->Bool(d->wrapped);
    w->EndObject();
    return;
  }
  if (const auto* n = pp::DynCast<pp::NumberLiteral>(e)) {
    w->BeginObject();
    w->Key("duration");
    w->Bool(n->duration);
    w->Key("type");
    w->String("numberLiteral");
    w->Key("val");
    WriteFloatString(n->val, w);
    w->EndObject();
    return;
  }
  WriteExprOrNull(e, w);
}

void WriteVectorSelectorFields(const pp::VectorSelector& vs, JsonWriter* w) {
  w->Key("anchored");
  w->Bool(vs.anchored);
  w->Key("matchers");
  WriteMatchers(vs.matchers, w);
  w->Key("name");
  w->String(vs.name);
  w->Key("offset");
  w->Int(vs.original_offset_ms);
  w->Key("offsetExpr");
  WriteDurationExpr(vs.original_offset_expr.get(), w);
}

void WriteExprOrNull(const pp::Expr* e, JsonWriter* w) {
  if (e == nullptr) {
    w->Null();
    return;
  }
  switch (e->kind()) {
    case pp::NodeKind::kAggregate: {
      const auto& n = e->As<pp::AggregateExpr>();
      w->BeginObject();
      w->Key("expr");
      WriteExprOrNull(n.expr.get(), w);
      w->Key("grouping");
      WriteStringList(n.grouping, w);
      w->Key("op");
      w->String(pp::AggregateOpString(n.op));
      w->Key("param");
      WriteExprOrNull(n.param.get(), w);
      w->Key("type");
      w->String("aggregation");
      w->Key("without");
      w->Bool(n.without);
      w->EndObject();
      return;
    }
    case pp::NodeKind::kBinary: {
      const auto& n = e->As<pp::BinaryExpr>();
      w->BeginObject();
      w->Key("bool");
      w->Bool(n.return_bool);
      w->Key("lhs");
      WriteExprOrNull(n.lhs.get(), w);
      w->Key("matching");
      if (n.matching.has_value()) {
        const pp::VectorMatching& m = *n.matching;
        w->BeginObject();
        w->Key("card");
        w->String(pp::CardinalityString(m.card));
        w->Key("fillValues");
        w->BeginObject();
        w->Key("lhs");
        if (m.fill_lhs.has_value()) {
          w->Double(*m.fill_lhs);
        } else {
          w->Null();
        }
        w->Key("rhs");
        if (m.fill_rhs.has_value()) {
          w->Double(*m.fill_rhs);
        } else {
          w->Null();
        }
        w->EndObject();
        w->Key("include");
        WriteStringList(m.include, w);
        w->Key("labels");
        WriteStringList(m.matching_labels, w);
        w->Key("on");
        w->Bool(m.on);
        w->EndObject();
      } else {
        w->Null();
      }
      w->Key("op");
      w->String(pp::BinaryOpString(n.op));
      w->Key("rhs");
      WriteExprOrNull(n.rhs.get(), w);
      w->Key("type");
      w->String("binaryExpr");
      w->EndObject();
      return;
    }
    case pp::NodeKind::kCall: {
      const auto& n = e->As<pp::Call>();
      w->BeginObject();
      w->Key("args");
      w->BeginArray();
      for (const auto& a : n.args) WriteExprOrNull(a.get(), w);
      w->EndArray();
      w->Key("func");
      w->BeginObject();
      w->Key("argTypes");
      w->BeginArray();
      if (n.func != nullptr) {
        for (pp::ValueType t : n.func->arg_types) w->String(pp::ValueTypeName(t));
      }
      w->EndArray();
      w->Key("name");
      w->String(n.func != nullptr ? n.func->name : "");
      w->Key("returnType");
      w->String(pp::ValueTypeName(n.func != nullptr ? n.func->return_type : pp::ValueType::kNone));
      w->Key("variadic");
      w->Int(n.func != nullptr ? n.func->variadic : 0);
      w->EndObject();
      w->Key("type");
      w->String("call");
      w->EndObject();
      return;
    }
    case pp::NodeKind::kMatrixSelector: {
      const auto& n = e->As<pp::MatrixSelector>();
      const pp::VectorSelector& vs = *n.vector_selector;
      w->BeginObject();
      WriteVectorSelectorFields(vs, w);
      w->Key("range");
      w->Int(n.range_ms);
      w->Key("rangeExpr");
      WriteDurationExpr(n.range_expr.get(), w);
      w->Key("smoothed");
      w->Bool(vs.smoothed);
      w->Key("startOrEnd");
      WriteStartOrEnd(vs.start_or_end, w);
      w->Key("timestamp");
      WriteTimestamp(vs.timestamp_ms, w);
      w->Key("type");
      w->String("matrixSelector");
      w->EndObject();
      return;
    }
    case pp::NodeKind::kSubquery: {
      const auto& n = e->As<pp::SubqueryExpr>();
      w->BeginObject();
      w->Key("expr");
      WriteExprOrNull(n.expr.get(), w);
      w->Key("offset");
      w->Int(n.original_offset_ms);
      w->Key("offsetExpr");
      WriteDurationExpr(n.original_offset_expr.get(), w);
      w->Key("range");
      w->Int(n.range_ms);
      w->Key("rangeExpr");
      WriteDurationExpr(n.range_expr.get(), w);
      w->Key("startOrEnd");
      WriteStartOrEnd(n.start_or_end, w);
      w->Key("step");
      w->Int(n.step_ms);
      w->Key("stepExpr");
      WriteDurationExpr(n.step_expr.get(), w);
      w->Key("timestamp");
      WriteTimestamp(n.timestamp_ms, w);
      w->Key("type");
      w->String("subquery");
      w->EndObject();
      return;
    }
    case pp::NodeKind::kDuration:
      WriteDurationExpr(e, w);
      return;
    case pp::NodeKind::kNumberLiteral: {
      w->BeginObject();
      w->Key("type");
      w->String("numberLiteral");
      w->Key("val");
      WriteFloatString(e->As<pp::NumberLiteral>().val, w);
      w->EndObject();
      return;
    }
    case pp::NodeKind::kParen: {
      w->BeginObject();
      w->Key("expr");
      WriteExprOrNull(e->As<pp::ParenExpr>().expr.get(), w);
      w->Key("type");
      w->String("parenExpr");
      w->EndObject();
      return;
    }
    case pp::NodeKind::kStringLiteral: {
      w->BeginObject();
      w->Key("type");
      w->String("stringLiteral");
      w->Key("val");
      w->String(e->As<pp::StringLiteral>().val);
      w->EndObject();
      return;
    }
    case pp::NodeKind::kUnary: {
      const auto& n = e->As<pp::UnaryExpr>();
      w->BeginObject();
      w->Key("expr");
      WriteExprOrNull(n.expr.get(), w);
      w->Key("op");
      w->String(n.op == pp::UnaryExpr::Op::kSub ? "-" : "+");
      w->Key("type");
      w->String("unaryExpr");
      w->EndObject();
      return;
    }
    case pp::NodeKind::kVectorSelector: {
      const auto& vs = e->As<pp::VectorSelector>();
      w->BeginObject();
      WriteVectorSelectorFields(vs, w);
      w->Key("smoothed");
      w->Bool(vs.smoothed);
      w->Key("startOrEnd");
      WriteStartOrEnd(vs.start_or_end, w);
      w->Key("timestamp");
      WriteTimestamp(vs.timestamp_ms, w);
      w->Key("type");
      w->String("vectorSelector");
      w->EndObject();
      return;
    }
    case pp::NodeKind::kStepInvariant:
      // Never produced by the parser; show what it wraps.
      WriteExprOrNull(e->As<pp::StepInvariantExpr>().expr.get(), w);
      return;
  }
  w->Null();
}

}  // namespace

void WriteTranslatedAst(const pp::Expr& e, JsonWriter* w) { WriteExprOrNull(&e, w); }

Result<std::vector<Matcher>> PromqlQueryParser::ParseMetricSelector(std::string_view selector) {
  return pp::ParseMetricSelector(selector);
}

Result<std::string> PromqlQueryParser::FormatQuery(std::string_view query) {
  VIGIL_ASSIGN_OR_RETURN(pp::ExprPtr e, pp::ParseExpr(query, options_));
  return pp::Prettify(*e);
}

Status PromqlQueryParser::WriteAst(std::string_view query, JsonWriter* out) {
  VIGIL_ASSIGN_OR_RETURN(pp::ExprPtr e, pp::ParseExpr(query, options_));
  WriteTranslatedAst(*e, out);
  return Status::OK();
}

}  // namespace vigil::api
