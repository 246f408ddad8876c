#include "api/promql_parser.h"

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/json_writer.h"
#include "storage/memory_storage.h"

namespace vigil::api {
namespace {

// Expected JSON in the shape of Prometheus' translateAST (Go marshals map keys sorted).
TEST(PromqlQueryParserTest, AstMatchesTranslateAst) {
  const std::string x_vs =
      R"({"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x",)"
      R"("offset":0,"offsetExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":null,)"
      R"("type":"vectorSelector"})";
  const struct {
    const char* query;
    std::string want;
  } cases[] = {
      {"x", x_vs},
      {"1 + 2",
       R"({"bool":false,"lhs":{"type":"numberLiteral","val":"1"},"matching":null,"op":"+",)"
       R"("rhs":{"type":"numberLiteral","val":"2"},"type":"binaryExpr"})"},
      {"x > bool on(b) group_left(c) x",
       R"({"bool":true,"lhs":)" + x_vs +
           R"(,"matching":{"card":"many-to-one","fillValues":{"lhs":null,"rhs":null},)"
           R"("include":["c"],"labels":["b"],"on":true},"op":"\u003e","rhs":)" +
           x_vs + R"(,"type":"binaryExpr"})"},
      {"-x", R"({"expr":)" + x_vs + R"(,"op":"-","type":"unaryExpr"})"},
      {"(x)", R"({"expr":)" + x_vs + R"(,"type":"parenExpr"})"},
      {"\"a<b\"", R"({"type":"stringLiteral","val":"a\u003cb"})"},
      {"topk(3, x)", R"({"expr":)" + x_vs +
                         R"(,"grouping":[],"op":"topk","param":{"type":"numberLiteral","val":"3"},)"
                         R"("type":"aggregation","without":false})"},
      {"rate(x[5m] offset 1m @ 100)",
       R"({"args":[{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"x"}],)"
       R"("name":"x","offset":60000,"offsetExpr":null,"range":300000,"rangeExpr":null,)"
       R"("smoothed":false,"startOrEnd":null,"timestamp":100000,"type":"matrixSelector"}],)"
       R"("func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},)"
       R"("type":"call"})"},
      {"x[5m:1m] @ end()",
       R"({"expr":)" + x_vs +
           R"(,"offset":0,"offsetExpr":null,"range":300000,"rangeExpr":null,)"
           R"("startOrEnd":"end","step":60000,"stepExpr":null,"timestamp":null,)"
           R"("type":"subquery"})"},
  };
  PromqlQueryParser p;
  for (const auto& c : cases) {
    std::string out;
    JsonWriter w(&out);
    Status s = p.WriteAst(c.query, &w);
    ASSERT_TRUE(s.ok()) << c.query << ": " << s.ToString();
    EXPECT_EQ(out, c.want) << c.query;
  }
}

TEST(PromqlQueryParserTest, AggregationGroupingAndSelectorMatchers) {
  PromqlQueryParser p;
  std::string out;
  JsonWriter w(&out);
  ASSERT_TRUE(p.WriteAst(R"(sum without (job) (x{code="200"}))", &w).ok());
  EXPECT_NE(out.find(R"("grouping":["job"])"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("without":true)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"({"name":"code","type":"=","value":"200"})"), std::string::npos) << out;
  EXPECT_NE(out.find(R"({"name":"__name__","type":"=","value":"x"})"), std::string::npos) << out;
}

TEST(PromqlQueryParserTest, FormatAndSelectors) {
  PromqlQueryParser p;
  auto f = p.FormatQuery("sum(rate(x[5m]))by(job)");
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  EXPECT_EQ(*f, "sum by (job) (rate(x[5m]))");
  EXPECT_FALSE(p.FormatQuery("sum(").has_value());
  auto ms = p.ParseMetricSelector(R"(up{job=~"n.*"})");
  ASSERT_TRUE(ms.has_value()) << ms.error().ToString();
  EXPECT_EQ(ms->size(), 2u);
  Status bad = p.WriteAst("up{", nullptr);
  EXPECT_TRUE(bad.IsInvalidArgument());
  EXPECT_NE(bad.message().find("parse error"), std::string_view::npos) << bad.ToString();
}

// The API with the real parser behind match[], format_query and parse_query.
TEST(PromqlQueryParserTest, ServesTheApi) {
  storage::MemoryStorage storage;
  auto app = storage.NewAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "node"}}, 1000, 1).has_value());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "upx"}, {"job", "db"}}, 1000, 1).has_value());
  ASSERT_TRUE(app->Commit().ok());
  PromqlQueryParser parser;
  ApiDeps d;
  d.queryable = &storage;
  d.parser = &parser;
  Api api(ApiOptions{}, d);
  api.SetReady(ReadyState::kReady);
  auto get = [&](std::string target) {
    net::HttpRequest r;
    r.method = "GET";
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    net::ParseQueryString(target.substr(q + 1), &r.form);
    net::HttpResponse resp;
    api.Serve(r, &resp);
    return resp;
  };
  EXPECT_EQ(get("/api/v1/series?match[]=%7B__name__%3D~%22up.*%22%2Cjob!%3D%22node%22%7D").body,
            R"({"status":"success","data":[{"__name__":"upx","job":"db"}]})");
  EXPECT_EQ(get("/api/v1/format_query?query=sum(up)by(job)").body,
            R"j({"status":"success","data":"sum by (job) (up)"})j");
  net::HttpResponse r = get("/api/v1/labels?match[]=%7Bjob%3D~%22.*%22%7D");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"status":"error","errorType":"bad_data","error":"match[] must contain at least )"
            R"(one non-empty matcher"})");
  r = get("/api/v1/parse_query?query=up%7B");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("error":"invalid parameter \"query\": 1:)"), std::string::npos)
      << r.body;
}

}  // namespace
}  // namespace vigil::api
