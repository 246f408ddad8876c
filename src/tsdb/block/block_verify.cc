#include "tsdb/block/block_verify.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/coding.h"
#include "tsdb/block/meta.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/chunks/format.h"
#include "tsdb/index/index_reader.h"

namespace vigil::tsdb::block {
namespace {

// `msg` without a leading `prefix` (messages of the readers repeat the file name).
std::string Strip(std::string_view msg, std::string_view prefix) {
  if (msg.substr(0, prefix.size()) == prefix) msg.remove_prefix(prefix.size());
  return std::string(msg);
}

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// One chunk segment file, walked record by record.
struct Segment {
  std::string name;  // "chunks/000001"
  std::unique_ptr<fs::MappedFile> file;
  std::set<uint32_t> good;  // offsets of records whose CRC matched
  std::set<uint32_t> bad;   // offsets of damaged records
  uint64_t walked_to = 0;   // the walk stopped here (file size when complete)
};

class Verifier {
 public:
  Verifier(std::string dir, fs::FileSystem* fs, size_t max)
      : dir_(std::move(dir)), fs_(fs), max_(max) {}

  BlockVerifyResult Run() {
    const bool meta_ok = CheckMeta();
    CheckTombstones();
    CheckChunkFiles();
    CheckIndex();
    if (meta_ok && index_ok_) {
      auto stat = [&](const char* name, uint64_t want, uint64_t got) {
        if (want != got) {
          Add(kMetaFilename, "stats", -1,
              std::string(name) + " is " + std::to_string(want) + " but the block holds " +
                  std::to_string(got));
        }
      };
      stat("numSeries", meta_.stats.num_series, r_.series);
      stat("numChunks", meta_.stats.num_chunks, r_.chunks);
      stat("numSamples", meta_.stats.num_samples, r_.samples);
    }
    return std::move(r_);
  }

 private:
  void Add(std::string file, std::string section, int64_t off, std::string what) {
    if (r_.problems.size() < max_) {
      r_.problems.push_back(
          BlockProblem{std::move(file), std::move(section), off, std::move(what)});
    }
  }

  bool CheckMeta() {
    Result<std::string> data = fs::ReadFileToString(fs_, fs::JoinPath(dir_, kMetaFilename));
    if (!data.has_value()) {
      Add(kMetaFilename, "", -1, std::string(data.error().message()));
      return false;
    }
    Result<BlockMeta> m = ParseMeta(*data);
    if (!m.has_value()) {
      Add(kMetaFilename, "", -1, Strip(m.error().message(), "meta.json: "));
      return false;
    }
    meta_ = *m;
    const std::string base = BaseName(dir_);
    if (Ulid::Parse(base).has_value() && base != meta_.ulid.ToString()) {
      Add(kMetaFilename, "ulid", -1,
          "ULID " + meta_.ulid.ToString() + " differs from the directory name " + base);
    }
    if (meta_.ulid.IsZero()) Add(kMetaFilename, "ulid", -1, "zero ULID");
    if (meta_.min_time >= meta_.max_time) {
      Add(kMetaFilename, "minTime", -1,
          "minTime " + std::to_string(meta_.min_time) + " is not before maxTime " +
              std::to_string(meta_.max_time));
    }
    if (meta_.compaction.level < 1) {
      Add(kMetaFilename, "compaction", -1,
          "compaction level " + std::to_string(meta_.compaction.level) + " < 1");
    }
    return true;
  }

  void CheckTombstones() {
    const std::string path = fs::JoinPath(dir_, kTombstonesFilename);
    Result<std::string> data = fs::ReadFileToString(fs_, path);
    if (!data.has_value()) {
      Add(kTombstonesFilename, "", -1, std::string(data.error().message()));
      return;
    }
    Result<Tombstones> t = DecodeTombstones(*data);
    if (!t.has_value()) {
      Add(kTombstonesFilename, "", -1, Strip(t.error().message(), "tombstones: "));
    }
  }

  void CheckChunkFiles() {
    const std::string cdir = fs::JoinPath(dir_, "chunks");
    Result<std::vector<std::string>> names = fs_->ListDir(cdir);
    if (!names.has_value()) {
      Add("chunks", "", -1, std::string(names.error().message()));
      return;
    }
    std::vector<std::string> files;
    for (const std::string& n : *names) {
      if (!n.empty() && n.size() <= 10 &&
          std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        files.push_back(n);
      }
    }
    std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
      return std::stoull(a) < std::stoull(b);
    });
    for (size_t i = 0; i < files.size(); ++i) {
      Segment seg;
      seg.name = "chunks/" + files[i];
      if (std::stoull(files[i]) != i + 1) {
        Add(seg.name, "", -1,
            "file name out of sequence (expected " + chunks::ChunkFileName(uint32_t(i + 1)) + ")");
      }
      Result<std::unique_ptr<fs::MappedFile>> m = fs_->MapFile(fs::JoinPath(cdir, files[i]));
      if (!m.has_value()) {
        Add(seg.name, "", -1, std::string(m.error().message()));
        segments_.push_back(std::move(seg));
        continue;
      }
      seg.file = std::move(*m);
      Walk(&seg);
      segments_.push_back(std::move(seg));
    }
  }

  void Walk(Segment* seg) {
    const std::string_view data(seg->file->data(), seg->file->size());
    if (data.size() < chunks::kSegmentHeaderSize) {
      Add(seg->name, "header", 0, "file shorter than its header");
      return;
    }
    if (DecodeBE32(data.data()) != chunks::kChunksMagic) {
      Add(seg->name, "header", 0, "invalid magic number");
      return;
    }
    if (uint8_t(data[4]) != chunks::kFormatV1) {
      Add(seg->name, "header", 4, "unsupported version " + std::to_string(uint8_t(data[4])));
      return;
    }
    uint64_t pos = chunks::kSegmentHeaderSize;
    while (pos < data.size()) {
      std::string_view in = data.substr(pos);
      uint64_t len;
      if (!GetUvarint(&in, &len) || len > in.size() || in.size() - len < 1 + chunks::kCrcSize) {
        Add(seg->name, "chunk", int64_t(pos), "chunk record runs past the end of the file");
        seg->bad.insert(uint32_t(pos));
        seg->walked_to = pos;
        return;
      }
      const std::string_view body = in.substr(0, 1 + len);
      if (Crc32cOf(body) != DecodeBE32(in.data() + 1 + len)) {
        Add(seg->name, "chunk", int64_t(pos), "checksum mismatch");
        seg->bad.insert(uint32_t(pos));
      } else {
        seg->good.insert(uint32_t(pos));
      }
      pos += (data.size() - pos - in.size()) + 1 + len + chunks::kCrcSize;
    }
    seg->walked_to = data.size();
  }

  void CheckIndex() {
    const std::string path = fs::JoinPath(dir_, "index");
    Result<std::unique_ptr<index::IndexReader>> ir = index::IndexReader::Open(path, fs_);
    if (!ir.has_value()) {
      Add("index", "", -1, Strip(ir.error().message(), "index " + path + ": "));
      return;
    }
    index_ok_ = true;
    std::vector<index::IndexProblem> problems = (*ir)->Verify(
        [&](index::SeriesRef, const Labels& labels, const std::vector<chunks::Meta>& chks) {
          ++r_.series;
          for (const chunks::Meta& c : chks) CheckChunk(labels, c);
        },
        max_);
    for (const index::IndexProblem& p : problems) {
      Add("index", p.section, int64_t(p.offset), p.what);
    }
  }

  void CheckChunk(const Labels& labels, const chunks::Meta& c) {
    ++r_.chunks;
    const uint32_t segi = chunks::BlockChunkSegment(c.ref);
    const uint32_t off = chunks::BlockChunkOffset(c.ref);
    const std::string who = "chunk " + std::to_string(c.ref) + " of " + labels.ToString();
    if (segi >= segments_.size()) {
      Add("index", "series", -1,
          who + " names segment " + std::to_string(segi) + " of " +
              std::to_string(segments_.size()));
      return;
    }
    const Segment& seg = segments_[segi];
    if (seg.file == nullptr || seg.bad.count(off) > 0) return;  // reported already
    if (off < seg.walked_to && seg.good.count(off) == 0) {
      Add("index", "series", -1, who + " does not point at a chunk record in " + seg.name);
      return;
    }
    const std::string_view data(seg.file->data(), seg.file->size());
    if (off >= data.size()) {
      Add("index", "series", -1, who + " points beyond the end of " + seg.name);
      return;
    }
    std::string_view in = data.substr(off);
    uint64_t len;
    if (!GetUvarint(&in, &len) || len > in.size() || in.size() - len < 1 + chunks::kCrcSize) {
      Add(seg.name, "chunk", off, "chunk record runs past the end of the file");
      return;
    }
    if (off >= seg.walked_to && Crc32c(in.data(), 1 + len) != DecodeBE32(in.data() + 1 + len)) {
      Add(seg.name, "chunk", off, "checksum mismatch");
      return;
    }
    if (chunkenc::Encoding(uint8_t(in[0])) != chunkenc::Encoding::kXor) return;  // not decoded
    chunkenc::XorIterator it(in.substr(1, len));
    int64_t first = 0, last = 0;
    uint64_t n = 0;
    bool ordered = true;
    while (it.Next()) {
      if (n == 0) first = it.AtT();
      if (n > 0 && it.AtT() <= last) ordered = false;
      last = it.AtT();
      ++n;
    }
    if (!it.Err().ok()) {
      Add(seg.name, "chunk", off, who + ": " + std::string(it.Err().message()));
      return;
    }
    r_.samples += n;
    if (n == 0) {
      Add(seg.name, "chunk", off, who + " holds no samples");
      return;
    }
    if (!ordered) Add(seg.name, "chunk", off, who + ": timestamps not increasing");
    if (first != c.mint || last != c.maxt) {
      Add("index", "series", -1,
          who + ": index says [" + std::to_string(c.mint) + ", " + std::to_string(c.maxt) +
              "], the chunk holds [" + std::to_string(first) + ", " + std::to_string(last) + "]");
    }
    if (meta_.max_time > meta_.min_time && (first < meta_.min_time || last >= meta_.max_time)) {
      Add(seg.name, "chunk", off, who + " has samples outside the block's [minTime, maxTime)");
    }
  }

  const std::string dir_;
  fs::FileSystem* fs_;
  const size_t max_;
  BlockMeta meta_;
  bool index_ok_ = false;
  std::vector<Segment> segments_;
  BlockVerifyResult r_;
};

}  // namespace

std::string BlockProblem::ToString() const {
  std::string s = file;
  if (!section.empty()) s += ": " + section;
  if (offset >= 0) s += " at offset " + std::to_string(offset);
  return s + ": " + what;
}

BlockVerifyResult VerifyBlock(const std::string& dir, fs::FileSystem* fs, size_t max_problems) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  return Verifier(dir, fs, max_problems).Run();
}

}  // namespace vigil::tsdb::block
