#include "tsdb/wal/checkpoint.h"

#include <map>
#include <vector>

#include "base/failpoint.h"
#include "base/logging.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/writer.h"

namespace vigil::tsdb::wal {
namespace {

constexpr size_t kFlushBytes = 1 << 20;  // log re-encoded records in ~1 MiB batches

}  // namespace

Result<CheckpointRef> LastCheckpoint(fs::FileSystem* fs, const std::string& wal_dir) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<CheckpointRef> cps, ListCheckpoints(fs, wal_dir));
  if (cps.empty()) return Status::NotFound("wal: no checkpoint in " + wal_dir);
  return cps.back();
}

Result<CheckpointStats> Checkpoint(const std::string& wal_dir, int from, int to,
                                   const std::function<bool(uint64_t ref)>& keep, int64_t mint,
                                   const CheckpointOptions& opts) {
  fs::FileSystem* fs = opts.fs != nullptr ? opts.fs : fs::DefaultFileSystem();
  if (from > to) {
    return Status::InvalidArgument("wal checkpoint: from " + std::to_string(from) + " > to " +
                                   std::to_string(to));
  }
  std::vector<SegmentRange> ranges;
  auto last = LastCheckpoint(fs, wal_dir);
  if (last.has_value()) {
    if (from > last->index + 1) {
      return Status::InvalidArgument("wal checkpoint: gap after checkpoint " +
                                     std::to_string(last->index) + ": asked to start at " +
                                     std::to_string(from));
    }
    from = last->index + 1;  // segments at or below the checkpoint are already in it
    ranges.push_back({last->path, -1, -1});
  } else if (!last.error().IsNotFound()) {
    return last.error();
  }
  ranges.push_back({wal_dir, from, to});

  // Remove temporary directories of interrupted checkpoints.
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(wal_dir));
  for (const std::string& n : names) {
    if (n.starts_with("checkpoint.") && n.ends_with(".tmp")) {
      VIGIL_RETURN_IF_ERROR(fs->RemoveAll(fs::JoinPath(wal_dir, n)));
    }
  }

  const std::string final_dir = fs::JoinPath(wal_dir, CheckpointName(to));
  const std::string tmp_dir = final_dir + ".tmp";
  VIGIL_RETURN_IF_ERROR(fs->CreateDirs(tmp_dir));
  CheckpointStats stats;
  stats.index = to;
  Status st = [&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, Reader::Open(fs, ranges));
    WriterOptions wo;
    wo.compression = opts.compression;
    wo.fs = fs;
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Writer> w, Writer::Open(tmp_dir, wo));

    std::vector<RefSeries> series;
    std::vector<RefSample> samples;
    std::vector<RefTombstone> stones;
    std::vector<RefExemplar> exemplars;
    std::vector<RefMetadata> metadata;
    std::map<uint64_t, RefMetadata> latest_metadata;
    std::string buf;           // re-encoded records, back to back
    std::vector<size_t> ends;  // end offset of each record in buf
    auto flush = [&]() -> Status {
      std::vector<std::string_view> recs;
      size_t start = 0;
      for (size_t e : ends) {
        recs.emplace_back(buf.data() + start, e - start);
        start = e;
      }
      VIGIL_RETURN_IF_ERROR(w->Log(recs));
      buf.clear();
      ends.clear();
      return Status::OK();
    };

    while (r->Next()) {
      const std::string_view rec = r->Record();
      const size_t start = buf.size();
      switch (RecordTypeOf(rec)) {
        case RecordType::kSeries: {
          series.clear();
          VIGIL_RETURN_IF_ERROR(DecodeSeries(rec, &series));
          std::vector<RefSeries> kept;
          for (RefSeries& s : series) {
            if (keep(s.ref)) kept.push_back(std::move(s));
          }
          stats.total_series += series.size();
          stats.dropped_series += series.size() - kept.size();
          if (!kept.empty()) EncodeSeries(kept, &buf);
          break;
        }
        case RecordType::kSamples: {
          samples.clear();
          VIGIL_RETURN_IF_ERROR(DecodeSamples(rec, &samples));
          std::vector<RefSample> kept;
          for (const RefSample& s : samples) {
            if (s.t >= mint) kept.push_back(s);
          }
          stats.total_samples += samples.size();
          stats.dropped_samples += samples.size() - kept.size();
          if (!kept.empty()) EncodeSamples(kept, &buf);
          break;
        }
        case RecordType::kTombstones: {
          stones.clear();
          VIGIL_RETURN_IF_ERROR(DecodeTombstones(rec, &stones));
          std::vector<RefTombstone> kept;
          for (const RefTombstone& s : stones) {
            // Only of series still alive: a dead series' ref may be reused later.
            if (s.maxt >= mint && keep(s.ref)) kept.push_back(s);
          }
          stats.total_tombstones += stones.size();
          stats.dropped_tombstones += stones.size() - kept.size();
          if (!kept.empty()) EncodeTombstones(kept, &buf);
          break;
        }
        case RecordType::kExemplars: {
          exemplars.clear();
          VIGIL_RETURN_IF_ERROR(DecodeExemplars(rec, &exemplars));
          std::vector<RefExemplar> kept;
          for (RefExemplar& e : exemplars) {
            if (e.t >= mint) kept.push_back(std::move(e));
          }
          stats.total_exemplars += exemplars.size();
          stats.dropped_exemplars += exemplars.size() - kept.size();
          if (!kept.empty()) EncodeExemplars(kept, &buf);
          break;
        }
        case RecordType::kMetadata: {
          metadata.clear();
          VIGIL_RETURN_IF_ERROR(DecodeMetadata(rec, &metadata));
          size_t kept = 0;
          for (RefMetadata& m : metadata) {
            if (!keep(m.ref)) continue;
            if (latest_metadata.find(m.ref) == latest_metadata.end()) ++kept;
            latest_metadata[m.ref] = std::move(m);
          }
          stats.total_metadata += metadata.size();
          stats.dropped_metadata += metadata.size() - kept;
          break;
        }
        default:
          ++stats.dropped_other_records;
          break;
      }
      if (buf.size() > start) ends.push_back(buf.size());
      if (buf.size() > kFlushBytes) VIGIL_RETURN_IF_ERROR(flush());
    }
    // A checkpoint is never made from damaged input: the head could not tell what is lost.
    VIGIL_RETURN_IF_ERROR(r->Err());
    VIGIL_RETURN_IF_ERROR(flush());
    if (!latest_metadata.empty()) {
      std::vector<RefMetadata> all;
      all.reserve(latest_metadata.size());
      for (auto& [ref, m] : latest_metadata) all.push_back(std::move(m));
      EncodeMetadata(all, &buf);
      ends.push_back(buf.size());
      VIGIL_RETURN_IF_ERROR(flush());
    }
    VIGIL_RETURN_IF_ERROR(w->Close());
    return fs->SyncDir(tmp_dir);
  }();
  if (!st.ok()) {
    fs->RemoveAll(tmp_dir).IgnoreError();
    return st.WithPrefix("wal checkpoint " + final_dir);
  }
  VIGIL_FAILPOINT("wal.checkpoint.before_rename");
  if (fs->Exists(final_dir)) VIGIL_RETURN_IF_ERROR(fs->RemoveAll(final_dir));
  VIGIL_RETURN_IF_ERROR(fs->Rename(tmp_dir, final_dir));
  VIGIL_RETURN_IF_ERROR(fs->SyncDir(wal_dir));
  VIGIL_FAILPOINT("wal.checkpoint.after_rename");

  if (opts.delete_old) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<int> segs, ListSegments(fs, wal_dir));
    for (int i : segs) {
      if (i > to) break;
      VIGIL_RETURN_IF_ERROR(fs->RemoveFile(SegmentPath(wal_dir, i)));
    }
    VIGIL_ASSIGN_OR_RETURN(std::vector<CheckpointRef> cps, ListCheckpoints(fs, wal_dir));
    for (const CheckpointRef& c : cps) {
      if (c.index >= to) break;
      VIGIL_RETURN_IF_ERROR(fs->RemoveAll(c.path));
    }
  }
  VIGIL_LOG_INFO("wal", "checkpoint done",
                 "dir={} kept_series={} kept_samples={} dropped_samples={}", final_dir,
                 stats.total_series - stats.dropped_series,
                 stats.total_samples - stats.dropped_samples, stats.dropped_samples);
  return stats;
}

}  // namespace vigil::tsdb::wal
