#include "config/yaml_reader.h"

#include <gtest/gtest.h>

#include "config/yaml_value.h"

namespace vigil::config {
namespace {

TEST(YamlReaderTest, ResolveTag) {
  struct C {
    const char* in;
    const char* tag;
  };
  for (const C& c : std::vector<C>{{"", "!!null"},
                                   {"~", "!!null"},
                                   {"null", "!!null"},
                                   {"yes", "!!bool"},
                                   {"Off", "!!bool"},
                                   {"y", "!!bool"},
                                   {"12", "!!int"},
                                   {"-0x1F", "!!int"},
                                   {"0o17", "!!int"},
                                   {"1_000", "!!int"},
                                   {"1.5", "!!float"},
                                   {"1e3", "!!float"},
                                   {".inf", "!!float"},
                                   {"99999999999999999999", "!!float"},
                                   {"15s", "!!str"},
                                   {"0x", "!!str"},
                                   {"yess", "!!str"},
                                   {"(.*)", "!!str"}}) {
    EXPECT_EQ(ResolveTag(c.in), c.tag) << c.in;
  }
}

TEST(YamlReaderTest, TypedFieldsAndErrors) {
  YamlDoc doc("t.yml");
  YAML::Node n = YAML::Load(
      "s: hello\n"
      "n: 0x10\n"
      "o: 010\n"
      "b: on\n"
      "f: 2.5\n"
      "d: 1m30s\n"
      "sz: 2KB\n"
      "l: [a, 'b']\n"
      "m: {k: v}\n"
      "nul:\n");
  MapReader r(doc, n, "test.T", 1);
  std::string s;
  int64_t i = 0, o = 0, d = 0, sz = 0;
  bool b = false;
  double f = 0;
  std::vector<std::string> l;
  std::map<std::string, std::string> m;
  std::string nul = "unchanged";
  EXPECT_TRUE(r.Str("s", &s));
  EXPECT_TRUE(r.Int("n", &i));
  EXPECT_TRUE(r.Int("o", &o));
  EXPECT_TRUE(r.Bool("b", &b));
  EXPECT_TRUE(r.Float("f", &f));
  EXPECT_TRUE(r.Duration("d", &d));
  EXPECT_TRUE(r.Bytes("sz", &sz));
  EXPECT_TRUE(r.StrList("l", &l));
  EXPECT_TRUE(r.StrMap("m", &m));
  EXPECT_TRUE(r.Str("nul", &nul));
  EXPECT_FALSE(r.Str("absent", &s));
  ASSERT_TRUE(r.Finish().ok()) << r.Finish().ToString();
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(i, 16);
  EXPECT_EQ(o, 8);  // yaml.v2 reads a leading 0 as octal
  EXPECT_TRUE(b);
  EXPECT_EQ(f, 2.5);
  EXPECT_EQ(d, 90000);
  EXPECT_EQ(sz, 2048);
  EXPECT_EQ(l, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m.at("k"), "v");
  EXPECT_EQ(nul, "");  // null sets the zero value
}

TEST(YamlReaderTest, EarliestErrorWins) {
  YamlDoc doc("t.yml");
  YAML::Node n = YAML::Load("a: 1\nbogus: 2\nc: notanint\n");
  MapReader r(doc, n, "test.T", 1);
  int64_t a = 0, c = 0;
  r.Int("c", &c);  // error on line 3, recorded first
  r.Int("a", &a);
  Status s = r.Finish();  // unknown key on line 2 is earlier in the document
  EXPECT_EQ(s.message(), "t.yml:2: field bogus not found in type test.T");
}

TEST(YamlReaderTest, MergeKeys) {
  YamlDoc doc("t.yml");
  YAML::Node n = YAML::Load("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
  MapReader outer(doc, n, "test.Outer", 1);
  outer.Take("base");
  int64_t x = 0, y = 0;
  outer.Nested("m", [&](const YAML::Node& v, int line) {
    MapReader r(doc, v, "test.M", line);
    r.Int("x", &x);
    r.Int("y", &y);
    return r.Finish();
  });
  ASSERT_TRUE(outer.Finish().ok()) << outer.Finish().ToString();
  EXPECT_EQ(x, 1);
  EXPECT_EQ(y, 3);  // explicit keys win over merged ones
}

TEST(YamlValueTest, EmitLikeYamlV2) {
  YamlValue root = YamlValue::Map();
  root.Add("a", YamlValue::Str("plain"));
  root.Add("b", YamlValue::StrSeq({"x", "true", ""}));
  YamlValue item = YamlValue::Map();
  item.Add("k", YamlValue::Str("[weird]"));
  item.Add("l", YamlValue::StrSeq({"p", "q"}, /*flow=*/true));
  YamlValue seq = YamlValue::Seq();
  seq.seq.push_back(item);
  root.Add("c", seq);
  root.Add("d", YamlValue::Map());
  root.Add("e", YamlValue::Bool(false));
  root.Add("f", YamlValue::Str("it's: here"));
  EXPECT_EQ(EmitYaml(root),
            "a: plain\n"
            "b:\n"
            "- x\n"
            "- \"true\"\n"
            "- \"\"\n"
            "c:\n"
            "- k: '[weird]'\n"
            "  l: [p, q]\n"
            "d: {}\n"
            "e: false\n"
            "f: 'it''s: here'\n");
}

TEST(YamlValueTest, FloatsLikeGo) {
  EXPECT_EQ(YamlValue::Float(1.1).scalar, "1.1");
  EXPECT_EQ(YamlValue::Float(100000).scalar, "100000");
  EXPECT_EQ(YamlValue::Float(1e6).scalar, "1e+06");
  EXPECT_EQ(YamlValue::Float(123456789).scalar, "1.23456789e+08");
  EXPECT_EQ(YamlValue::Float(0.0001).scalar, "0.0001");
  EXPECT_EQ(YamlValue::Float(0.00001).scalar, "1e-05");
  EXPECT_EQ(YamlValue::Float(-2.5).scalar, "-2.5");
}

TEST(YamlValueTest, FromYamlCppIsBounded) {
  // A billion-laughs document: each level doubles through aliases.
  std::string doc = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 30; ++i) {
    doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
           ", *a" + std::to_string(i - 1) + "]\n";
  }
  auto v = FromYamlCpp(YAML::Load(doc), 100000);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message().find("too large"), std::string_view::npos);
}

}  // namespace
}  // namespace vigil::config
