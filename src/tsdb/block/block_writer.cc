#include "tsdb/block/block_writer.h"

#include <algorithm>

#include "base/coding.h"
#include "base/failpoint.h"
#include "tsdb/block/chunk_cutter.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/chunks/chunk_segments.h"
#include "tsdb/index/index_writer.h"

namespace vigil::tsdb::block {
namespace {

// Writes `data` to a new file at `path` and fsyncs it.
Status WriteSyncedFile(fs::FileSystem* fs, const std::string& path, std::string_view data) {
  VIGIL_ASSIGN_OR_RETURN(auto f, fs->NewWritableFile(path));
  VIGIL_RETURN_IF_ERROR(f->Append(data));
  VIGIL_RETURN_IF_ERROR(f->Sync());
  return f->Close();
}

// The samples of XOR chunk `c` inside [mint, maxt], as a new chunk (empty if none).
Result<CutChunk> Trim(const chunks::Meta& c, int64_t mint, int64_t maxt) {
  if (c.encoding != chunkenc::Encoding::kXor) {
    return Status::InvalidArgument(std::string("block: cannot trim a chunk of encoding ") +
                                   std::string(chunkenc::EncodingName(c.encoding)));
  }
  chunkenc::XorIterator it(c.data);
  chunkenc::XorChunk out;
  CutChunk cut;
  while (it.Next()) {
    const int64_t t = it.AtT();
    if (t < mint) continue;
    if (t > maxt) break;
    if (out.NumSamples() == 0) cut.mint = t;
    cut.maxt = t;
    if (!out.Append(t, it.AtV())) return Status::Internal("block: trimmed chunk overflow");
  }
  VIGIL_RETURN_IF_ERROR(it.Err());
  if (out.NumSamples() > 0) cut.data.assign(out.Bytes());
  return cut;
}

class BlockBuilder {
 public:
  BlockBuilder(const BlockWriterOptions& opts, fs::FileSystem* fs) : opts_(opts), fs_(fs) {}

  Status Open(const std::string& dir, const std::vector<std::string>& symbols) {
    chunks::ChunkSegmentWriterOptions co;
    co.segment_size = opts_.segment_size;
    co.fs = fs_;
    VIGIL_ASSIGN_OR_RETURN(chunkw_,
                           chunks::ChunkSegmentWriter::Create(fs::JoinPath(dir, "chunks"), co));
    VIGIL_ASSIGN_OR_RETURN(indexw_, index::IndexWriter::Create(fs::JoinPath(dir, "index"), fs_));
    if (symbols.empty() || !symbols.front().empty()) VIGIL_RETURN_IF_ERROR(indexw_->AddSymbol(""));
    for (const std::string& s : symbols) VIGIL_RETURN_IF_ERROR(indexw_->AddSymbol(s));
    return Status::OK();
  }

  Status AddSeries(const Labels& labels, const std::vector<chunks::Meta>& in) {
    const int64_t last = opts_.maxt - 1;  // inclusive
    out_.clear();
    int64_t prev_maxt = INT64_MIN;
    for (const chunks::Meta& c : in) {
      if (c.maxt < opts_.mint || c.mint > last) continue;
      chunks::Meta m = c;
      CutChunk trimmed;
      if (c.mint < opts_.mint || c.maxt > last) {
        VIGIL_ASSIGN_OR_RETURN(trimmed, Trim(c, opts_.mint, last));
        if (trimmed.data.empty()) continue;
        m.mint = trimmed.mint;
        m.maxt = trimmed.maxt;
        m.encoding = chunkenc::Encoding::kXor;
        m.data = trimmed.data;
      }
      if (m.data.size() < chunkenc::kChunkHeaderSize) {
        return Status::InvalidArgument("block: chunk of " + labels.ToString() +
                                       " has no sample count header");
      }
      if (m.mint > m.maxt || (!out_.empty() && m.mint <= prev_maxt)) {
        return Status::InvalidArgument("block: chunks of " + labels.ToString() +
                                       " overlap or are out of order");
      }
      prev_maxt = m.maxt;
      VIGIL_ASSIGN_OR_RETURN(m.ref, chunkw_->Write(m.encoding, m.data));
      samples_ += DecodeBE16(m.data.data());
      m.data = {};  // the index writer does not read it; `trimmed` dies here
      out_.push_back(m);
    }
    if (out_.empty()) return Status::OK();
    VIGIL_RETURN_IF_ERROR(indexw_->AddSeries(labels, out_).status());
    chunks_ += out_.size();
    ++series_;
    return Status::OK();
  }

  Status Close() {
    VIGIL_RETURN_IF_ERROR(chunkw_->Close());
    return indexw_->Close();
  }

  uint64_t series() const { return series_; }
  uint64_t chunks() const { return chunks_; }
  uint64_t samples() const { return samples_; }

 private:
  const BlockWriterOptions& opts_;
  fs::FileSystem* fs_;
  std::unique_ptr<chunks::ChunkSegmentWriter> chunkw_;
  std::unique_ptr<index::IndexWriter> indexw_;
  std::vector<chunks::Meta> out_;
  uint64_t series_ = 0, chunks_ = 0, samples_ = 0;
};

// ChunkSeriesSet over samples, cut like Prometheus' head.
class SampleChunkSeriesSet final : public chunks::ChunkSeriesSet {
 public:
  SampleChunkSeriesSet(std::unique_ptr<storage::SeriesSet> set, int64_t chunk_range_ms)
      : set_(std::move(set)), cutter_(chunk_range_ms) {}

  bool Next() override {
    while (set_->Next()) {
      const storage::Series& s = set_->At();
      cutter_.Reset();
      auto it = s.Iterator();
      while (it->Next()) cutter_.Append(it->AtT(), it->AtV());
      if (Status st = it->Err(); !st.ok()) {
        err_ = st;
        return false;
      }
      std::vector<CutChunk>& cut = cutter_.Finish();
      if (cut.empty()) continue;
      labels_ = s.labels();
      metas_.clear();
      for (const CutChunk& c : cut) {
        chunks::Meta m;
        m.mint = c.mint;
        m.maxt = c.maxt;
        m.data = c.data;
        metas_.push_back(m);
      }
      return true;
    }
    err_ = set_->Err();
    return false;
  }
  const Labels& labels() const override { return labels_; }
  const std::vector<chunks::Meta>& chunks() const override { return metas_; }
  Status Err() const override { return err_; }

 private:
  std::unique_ptr<storage::SeriesSet> set_;
  ChunkCutter cutter_;
  Labels labels_;
  std::vector<chunks::Meta> metas_;
  Status err_;
};

}  // namespace

std::unique_ptr<chunks::ChunkSeriesSet> NewSampleChunkSeriesSet(
    std::unique_ptr<storage::SeriesSet> set, int64_t chunk_range_ms) {
  return std::make_unique<SampleChunkSeriesSet>(std::move(set), chunk_range_ms);
}

Result<BlockMeta> WriteBlock(const Context& ctx, const std::string& parent_dir,
                             const std::vector<std::string>& symbols, chunks::ChunkSeriesSet* set,
                             const BlockWriterOptions& opts) {
  if (opts.mint >= opts.maxt) {
    return Status::InvalidArgument("block: empty time range [" + std::to_string(opts.mint) + ", " +
                                   std::to_string(opts.maxt) + ")");
  }
  fs::FileSystem* fs = opts.fs != nullptr ? opts.fs : fs::DefaultFileSystem();
  const Clock* clock = opts.clock != nullptr ? opts.clock : RealClock::Default();
  BlockMeta meta;
  meta.ulid = opts.ulid.has_value() ? *opts.ulid : Ulid::New(clock->NowMs());
  meta.min_time = opts.mint;
  meta.max_time = opts.maxt;
  meta.compaction.level = opts.compaction_level;
  meta.compaction.sources = opts.sources;
  if (meta.compaction.sources.empty()) meta.compaction.sources.push_back(meta.ulid);
  meta.compaction.parents = opts.parents;

  const std::string name = meta.ulid.ToString();
  const std::string dir = fs::JoinPath(parent_dir, name);
  const std::string tmp = dir + kTmpForCreationSuffix;
  if (fs->Exists(dir)) return Status::AlreadyExists("block: " + dir + " exists");
  VIGIL_RETURN_IF_ERROR(fs->RemoveAll(tmp));  // left over by a crash
  VIGIL_RETURN_IF_ERROR(fs->CreateDirs(tmp));

  Status st = [&]() -> Status {
    BlockBuilder b(opts, fs);
    VIGIL_RETURN_IF_ERROR(b.Open(tmp, symbols));
    uint64_t n = 0;
    while (set->Next()) {
      if ((n++ & 127) == 0) VIGIL_RETURN_IF_ERROR(ctx.Err());
      VIGIL_RETURN_IF_ERROR(b.AddSeries(set->labels(), set->chunks()));
    }
    VIGIL_RETURN_IF_ERROR(set->Err());
    VIGIL_RETURN_IF_ERROR(b.Close());
    meta.stats.num_series = b.series();
    meta.stats.num_chunks = b.chunks();
    meta.stats.num_samples = b.samples();
    if (b.series() == 0) return Status::OK();
    VIGIL_RETURN_IF_ERROR(WriteSyncedFile(fs, fs::JoinPath(tmp, kTombstonesFilename),
                                          EncodeTombstones(Tombstones())));
    VIGIL_RETURN_IF_ERROR(
        WriteSyncedFile(fs, fs::JoinPath(tmp, kMetaFilename), SerializeMeta(meta)));
    VIGIL_RETURN_IF_ERROR(fs->SyncDir(tmp));
    VIGIL_FAILPOINT("block.write.before_rename");
    VIGIL_RETURN_IF_ERROR(fs->Rename(tmp, dir));
    if (Status s = fs->SyncDir(parent_dir); !s.ok()) {
      // The caller keeps the data elsewhere and retries; left here, this unlisted block
      // would come back at the next start beside the one the retry writes.
      fs->RemoveAll(dir).IgnoreError();
      return s;
    }
    return Status::OK();
  }();
  if (!st.ok() || meta.stats.num_series == 0) {
    fs->RemoveAll(tmp).IgnoreError();
    VIGIL_RETURN_IF_ERROR(st);
  }
  return meta;
}

Result<BlockMeta> WriteBlockFromQuerier(const Context& ctx, const std::string& parent_dir,
                                        storage::Querier* querier, const BlockWriterOptions& opts,
                                        const std::vector<Matcher>& matchers,
                                        int64_t chunk_range_ms) {
  std::vector<Matcher> ms = matchers;
  if (ms.empty()) {
    VIGIL_ASSIGN_OR_RETURN(Matcher m, Matcher::Make(MatchType::kRegexMatch, kMetricName, ".+"));
    ms.push_back(std::move(m));
  }
  // Symbols: every name and value of the selected series (a superset of the range's).
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, querier->LabelNames(ctx, ms, 0));
  std::vector<std::string> symbols = names;
  for (const std::string& n : names) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> values, querier->LabelValues(ctx, n, ms, 0));
    symbols.insert(symbols.end(), values.begin(), values.end());
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());

  storage::SelectHints hints;
  hints.start = opts.mint;
  hints.end = opts.maxt - 1;
  auto set = NewSampleChunkSeriesSet(querier->Select(ctx, /*sorted=*/true, &hints, ms),
                                     chunk_range_ms > 0 ? chunk_range_ms : opts.maxt - opts.mint);
  return WriteBlock(ctx, parent_dir, symbols, set.get(), opts);
}

}  // namespace vigil::tsdb::block
