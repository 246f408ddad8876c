#include "remote/write_request.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <string>

#include "base/coding.h"
#include "remote/testproto/remote_write.pb.h"

namespace vigil::remote {
namespace {

// Compares a decoded view with the libprotobuf message it came from.
void ExpectSame(const prometheus::WriteRequest& want, const WriteRequestView& got) {
  ASSERT_EQ(got.series.size(), size_t(want.timeseries_size()));
  size_t exemplars = 0, histograms = 0;
  for (int i = 0; i < want.timeseries_size(); ++i) {
    const auto& ts = want.timeseries(i);
    const TimeSeriesRef& ref = got.series[i];
    ASSERT_EQ(ref.labels_end - ref.labels_begin, uint32_t(ts.labels_size())) << "series " << i;
    for (int j = 0; j < ts.labels_size(); ++j) {
      EXPECT_EQ(got.labels[ref.labels_begin + j].name, ts.labels(j).name());
      EXPECT_EQ(got.labels[ref.labels_begin + j].value, ts.labels(j).value());
    }
    ASSERT_EQ(ref.samples_end - ref.samples_begin, uint32_t(ts.samples_size())) << "series " << i;
    for (int j = 0; j < ts.samples_size(); ++j) {
      const Sample& s = got.samples[ref.samples_begin + j];
      EXPECT_EQ(s.t, ts.samples(j).timestamp());
      EXPECT_EQ(std::bit_cast<uint64_t>(s.v), std::bit_cast<uint64_t>(ts.samples(j).value()));
    }
    EXPECT_EQ(ref.exemplars, uint32_t(ts.exemplars_size()));
    EXPECT_EQ(ref.histograms, uint32_t(ts.histograms_size()));
    exemplars += ts.exemplars_size();
    histograms += ts.histograms_size();
  }
  EXPECT_EQ(got.exemplars, exemplars);
  EXPECT_EQ(got.histograms, histograms);
  EXPECT_EQ(got.metadata, size_t(want.metadata_size()));
}

prometheus::WriteRequest RandomRequest(std::mt19937_64& rng) {
  prometheus::WriteRequest req;
  auto pick = [&](uint64_t n) { return rng() % n; };
  static const char* kNames[] = {"__name__", "a", "instance", "job", "le", "zone"};
  int nseries = int(pick(6));
  for (int i = 0; i < nseries; ++i) {
    auto* ts = req.add_timeseries();
    int nl = int(pick(5));
    for (int j = 0; j < nl; ++j) {
      auto* l = ts->add_labels();
      l->set_name(kNames[pick(6)]);
      std::string v(pick(12), 'x');
      for (char& c : v) c = char(pick(256));  // any bytes, incl. invalid UTF-8 and NUL
      l->set_value(v);
    }
    int ns = int(pick(5));
    for (int j = 0; j < ns; ++j) {
      auto* s = ts->add_samples();
      s->set_timestamp(int64_t(rng()));  // full int64 range, incl. negative (10-byte varints)
      s->set_value(std::bit_cast<double>(rng()));
    }
    if (pick(4) == 0) {
      auto* e = ts->add_exemplars();
      e->add_labels()->set_name("trace_id");
      e->set_value(1.5);
      e->set_timestamp(7);
    }
    if (pick(4) == 0) {
      auto* h = ts->add_histograms();
      h->set_count_int(3);
      h->set_schema(-2);
      h->add_positive_deltas(-1);
      h->add_positive_spans()->set_length(2);
      h->set_timestamp(9);
    }
  }
  if (pick(3) == 0) {
    auto* m = req.add_metadata();
    m->set_type(2);
    m->set_metric_family_name("up");
    m->set_help("help");
  }
  return req;
}

TEST(DecodeWriteRequestTest, MatchesLibprotobufOnRandomRequests) {
  std::mt19937_64 rng(42);
  WriteRequestView view;  // reused, as the handler does
  for (int iter = 0; iter < 2000; ++iter) {
    prometheus::WriteRequest req = RandomRequest(rng);
    std::string wire = req.SerializeAsString();
    ASSERT_TRUE(DecodeWriteRequest(wire, &view).ok()) << "iteration " << iter;
    ExpectSame(req, view);
    if (HasFailure()) FAIL() << "iteration " << iter;
  }
}

TEST(DecodeWriteRequestTest, EveryPrefixAgreesWithLibprotobuf) {
  std::mt19937_64 rng(7);
  WriteRequestView view;
  int checked = 0;
  for (int iter = 0; iter < 50; ++iter) {
    std::string wire = RandomRequest(rng).SerializeAsString();
    for (size_t n = 0; n <= wire.size(); ++n) {
      std::string_view prefix(wire.data(), n);
      prometheus::WriteRequest pb;
      bool pb_ok = pb.ParseFromArray(prefix.data(), int(prefix.size()));
      bool ours_ok = DecodeWriteRequest(prefix, &view).ok();
      ASSERT_EQ(ours_ok, pb_ok) << "iteration " << iter << " prefix " << n;
      if (ours_ok) ExpectSame(pb, view);
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(DecodeWriteRequestTest, EmptyMessageIsAnEmptyRequest) {
  WriteRequestView view;
  ASSERT_TRUE(DecodeWriteRequest("", &view).ok());
  EXPECT_TRUE(view.series.empty());
}

// Hand-built wire bytes for the cases libprotobuf's encoder never produces.
std::string Tag(uint32_t field, int wt) {
  std::string s;
  PutUvarint(&s, (uint64_t(field) << 3) | uint64_t(wt));
  return s;
}
std::string Len(uint32_t field, std::string_view payload) {
  std::string s = Tag(field, 2);
  PutUvarint(&s, payload.size());
  s.append(payload);
  return s;
}
std::string Fixed64(uint32_t field, double v) {
  std::string s = Tag(field, 1);
  uint64_t b = std::bit_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) s.push_back(char(b >> (8 * i)));
  return s;
}
std::string Varint(uint32_t field, uint64_t v) {
  std::string s = Tag(field, 0);
  PutUvarint(&s, v);
  return s;
}
std::string Series(std::string_view body) { return Len(1, body); }
std::string LabelMsg(std::string_view n, std::string_view v) {
  return Len(1, Len(1, n) + Len(2, v));
}
std::string SampleMsg(std::string_view body) { return Len(2, body); }

struct ErrorCase {
  const char* name;
  std::string wire;
  const char* error;  // substring of the message
};

TEST(DecodeWriteRequestTest, MalformedInputsAreErrors) {
  const ErrorCase cases[] = {
      {"tag zero", Tag(0, 0) + "\x01", "illegal tag 0"},
      // Found by the fuzzer: field 63436603 as varint, its tag padded to 6 bytes.
      {"overlong tag", std::string("\xd8\xf3\xfe\xf1\x81\x00\xf3\xfe\xf1\x81\x00", 11),
       "varint longer than 5 bytes"},
      {"truncated varint", "\x28\x80", "unexpected EOF"},
      {"varint of eleven bytes", Tag(5, 0) + std::string(10, '\x80') + "\x01", "integer overflow"},
      {"length past the end", Tag(1, 2) + "\x05" + "ab", "unexpected EOF"},
      {"timeseries as varint", Varint(1, 3), "wrong wireType = 0 for field Timeseries"},
      {"metadata as fixed64", Fixed64(3, 1), "wrong wireType = 1 for field Metadata"},
      {"labels as varint", Series(Varint(1, 1)), "wrong wireType = 0 for field Labels"},
      {"label name as varint", Series(Len(1, Varint(1, 1))), "wrong wireType = 0 for field Name"},
      {"sample value as varint", Series(SampleMsg(Varint(1, 1))),
       "wrong wireType = 0 for field Value"},
      {"sample timestamp as fixed64", Series(SampleMsg(Fixed64(2, 1))),
       "wrong wireType = 1 for field Timestamp"},
      {"truncated fixed64 value", Series(SampleMsg(Tag(1, 1) + "\x01\x02")), "unexpected EOF"},
      {"wire type 6", Tag(9, 6), "illegal wireType 6"},
      {"wire type 7 in a label", Series(Len(1, Tag(3, 7))), "illegal wireType 7"},
      {"end group without start", Tag(9, 4), "unexpected end group"},
      {"unterminated group", Tag(9, 3) + Varint(1, 1), "unexpected EOF"},
      {"group closed by another field", Tag(9, 3) + Tag(8, 4), "unexpected end group"},
      {"garbage in an exemplar", Series(Len(3, "\xff")), "unexpected EOF"},
      {"garbage in a histogram", Series(Len(4, Tag(1, 2) + "\x09")), "unexpected EOF"},
      // Found by the fuzzer: a label inside an exemplar whose name runs past its end.
      {"exemplar label past its end",
       Series(Len(3, Len(1, Tag(1, 2) + "\x65"
                                        "abc"))),
       "unexpected EOF"},
      {"histogram span garbage", Series(Len(4, Len(8, "\xff"))), "unexpected EOF"},
      {"histogram packed deltas cut", Series(Len(4, Len(9, "\x80"))), "unexpected EOF"},
      {"histogram packed counts not 8-byte", Series(Len(4, Len(10, "1234567"))), "unexpected EOF"},
      {"garbage in metadata", Len(3, std::string(1, '\0')), "illegal tag 0"},
  };
  WriteRequestView view;
  for (const auto& c : cases) {
    Status s = DecodeWriteRequest(c.wire, &view);
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_TRUE(s.IsInvalidArgument()) << c.name;
    EXPECT_NE(s.message().find(c.error), std::string_view::npos)
        << c.name << ": got " << s.ToString();
  }
}

TEST(DecodeWriteRequestTest, SkipsUnknownFieldsAndGroups) {
  std::string series = LabelMsg("__name__", "up") + Varint(15, 99) + Tag(20, 5) + "abcd" +
                       SampleMsg(Fixed64(1, 2.5) + Varint(2, 1000) + Len(9, "zz")) + Tag(21, 3) +
                       Tag(22, 3) + Varint(1, 1) + Tag(22, 4) + Tag(21, 4);
  std::string wire = Varint(2, 5) + Series(series) + Len(7, "unknown");
  WriteRequestView view;
  Status s = DecodeWriteRequest(wire, &view);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(view.series.size(), 1u);
  ASSERT_EQ(view.labels.size(), 1u);
  EXPECT_EQ(view.labels[0].name, "__name__");
  EXPECT_EQ(view.labels[0].value, "up");
  ASSERT_EQ(view.samples.size(), 1u);
  EXPECT_EQ(view.samples[0].t, 1000);
  EXPECT_EQ(view.samples[0].v, 2.5);
}

TEST(DecodeWriteRequestTest, RepeatedScalarFieldsKeepTheLastValue) {
  std::string wire = Series(LabelMsg("__name__", "a") +
                            Len(1, Len(1, "x") + Len(1, "job") + Len(2, "1") + Len(2, "2")) +
                            SampleMsg(Fixed64(1, 1) + Fixed64(1, 3) + Varint(2, 5) + Varint(2, 6)));
  WriteRequestView view;
  ASSERT_TRUE(DecodeWriteRequest(wire, &view).ok());
  ASSERT_EQ(view.labels.size(), 2u);
  EXPECT_EQ(view.labels[1].name, "job");
  EXPECT_EQ(view.labels[1].value, "2");
  ASSERT_EQ(view.samples.size(), 1u);
  EXPECT_EQ(view.samples[0].v, 3);
  EXPECT_EQ(view.samples[0].t, 6);
  // Cross-check with libprotobuf.
  prometheus::WriteRequest pb;
  ASSERT_TRUE(pb.ParseFromString(wire));
  ExpectSame(pb, view);
}

TEST(DecodeWriteRequestTest, NegativeTimestampsUseTenByteVarints) {
  std::string wire = Series(LabelMsg("__name__", "a") +
                            SampleMsg(Fixed64(1, -0.0) + Varint(2, uint64_t(int64_t(-1)))));
  WriteRequestView view;
  ASSERT_TRUE(DecodeWriteRequest(wire, &view).ok());
  ASSERT_EQ(view.samples.size(), 1u);
  EXPECT_EQ(view.samples[0].t, -1);
  EXPECT_TRUE(std::signbit(view.samples[0].v));
}

TEST(DecodeWriteRequestTest, DeeplyNestedGroupsAreBounded) {
  std::string wire;
  for (int i = 0; i < 200; ++i) wire += Tag(9, 3);
  WriteRequestView view;
  Status s = DecodeWriteRequest(wire, &view);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nested too deeply"), std::string_view::npos) << s.ToString();
}

}  // namespace
}  // namespace vigil::remote
