// XOR chunk encode/decode throughput on scrape-like data (120 samples per chunk, as the
// head cuts them). Run: ./build/bench/chunkenc_bench
#include <benchmark/benchmark.h>

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "tsdb/chunkenc/xor.h"

namespace {

using vigil::tsdb::chunkenc::kXorAppendSlack;
using vigil::tsdb::chunkenc::XorAppend;
using vigil::tsdb::chunkenc::XorChunk;
using vigil::tsdb::chunkenc::XorInit;
using vigil::tsdb::chunkenc::XorIterator;
using vigil::tsdb::chunkenc::XorState;

constexpr int kSamples = 120;

struct Data {
  std::vector<int64_t> t;
  std::vector<double> v;
};

// shape 0: counter scraped every 15 s with ±5 ms jitter; 1: gauge with random doubles;
// 2: constant value, exact interval.
Data MakeData(int shape, int chunks) {
  std::mt19937_64 rng(42 + shape);
  Data d;
  int64_t t = 1700000000000;
  double v = 0;
  for (int i = 0; i < kSamples * chunks; ++i) {
    if (shape == 0) {
      t += 15000 + int64_t(rng() % 11) - 5;
      v += double(rng() % 1000);
    } else if (shape == 1) {
      t += 15000 + int64_t(rng() % 11) - 5;
      v = std::bit_cast<double>((rng() >> 12) | 0x4000000000000000ull);
    } else {
      t += 15000;
      v = 1;
    }
    d.t.push_back(t);
    d.v.push_back(v);
  }
  return d;
}

void BM_XorAppend(benchmark::State& state) {
  const int chunks = 64;
  const Data d = MakeData(int(state.range(0)), chunks);
  std::vector<uint8_t> buf(4096);
  for (auto _ : state) {
    for (int c = 0; c < chunks; ++c) {
      XorState st;
      XorInit(&st, buf.data());
      for (int i = c * kSamples; i < (c + 1) * kSamples; ++i) {
        XorAppend(&st, buf.data(), d.t[size_t(i)], d.v[size_t(i)]);
      }
      benchmark::DoNotOptimize(st.bit_len);
    }
  }
  state.SetItemsProcessed(state.iterations() * chunks * kSamples);
}
BENCHMARK(BM_XorAppend)->Arg(0)->Arg(1)->Arg(2);

void BM_XorChunkAppend(benchmark::State& state) {
  const int chunks = 64;
  const Data d = MakeData(int(state.range(0)), chunks);
  for (auto _ : state) {
    for (int c = 0; c < chunks; ++c) {
      XorChunk chunk;
      for (int i = c * kSamples; i < (c + 1) * kSamples; ++i) {
        chunk.Append(d.t[size_t(i)], d.v[size_t(i)]);
      }
      benchmark::DoNotOptimize(chunk.Bytes().data());
    }
  }
  state.SetItemsProcessed(state.iterations() * chunks * kSamples);
}
BENCHMARK(BM_XorChunkAppend)->Arg(0)->Arg(1)->Arg(2);

void BM_XorIterate(benchmark::State& state) {
  const int chunks = 64;
  const Data d = MakeData(int(state.range(0)), chunks);
  std::vector<std::string> encoded;
  size_t bytes = 0;
  for (int c = 0; c < chunks; ++c) {
    XorChunk chunk;
    for (int i = c * kSamples; i < (c + 1) * kSamples; ++i) {
      chunk.Append(d.t[size_t(i)], d.v[size_t(i)]);
    }
    encoded.emplace_back(chunk.Bytes());
    bytes += chunk.Bytes().size();
  }
  XorIterator it;
  for (auto _ : state) {
    int64_t sum_t = 0;
    double sum_v = 0;
    for (const std::string& e : encoded) {
      it.Reset(e);
      while (it.Next()) {
        sum_t += it.AtT();
        sum_v += it.AtV();
      }
    }
    benchmark::DoNotOptimize(sum_t);
    benchmark::DoNotOptimize(sum_v);
  }
  state.SetItemsProcessed(state.iterations() * chunks * kSamples);
  state.counters["bytes/sample"] = double(bytes) / double(chunks * kSamples);
}
BENCHMARK(BM_XorIterate)->Arg(0)->Arg(1)->Arg(2);

}  // namespace

BENCHMARK_MAIN();
