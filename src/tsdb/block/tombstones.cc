#include "tsdb/block/tombstones.h"

#include "base/coding.h"

namespace vigil::tsdb::block {

void Tombstones::Add(uint64_t ref, Interval iv) { chunks::AddInterval(&by_ref_[ref], iv); }

const std::vector<Interval>& Tombstones::Get(uint64_t ref) const {
  static const std::vector<Interval> kNone;
  auto it = by_ref_.find(ref);
  return it == by_ref_.end() ? kNone : it->second;
}

uint64_t Tombstones::NumIntervals() const {
  uint64_t n = 0;
  for (const auto& [ref, ivs] : by_ref_) n += ivs.size();
  return n;
}

std::string EncodeTombstones(const Tombstones& t) {
  std::string out;
  PutBE32(&out, kTombstonesMagic);
  out.push_back(char(kTombstonesFormatV1));
  for (const auto& [ref, ivs] : t.all()) {
    for (const Interval& iv : ivs) {
      PutUvarint(&out, ref);
      PutVarint(&out, iv.mint);
      PutVarint(&out, iv.maxt);
    }
  }
  PutBE32(&out, Crc32cOf(std::string_view(out).substr(5)));
  return out;
}

Result<Tombstones> DecodeTombstones(std::string_view file) {
  if (file.size() < 9) return Status::Corruption("tombstones: file shorter than its header");
  if (DecodeBE32(file.data()) != kTombstonesMagic) {
    return Status::Corruption("tombstones: invalid magic number");
  }
  if (uint8_t(file[4]) != kTombstonesFormatV1) {
    return Status::Corruption("tombstones: invalid format version " +
                              std::to_string(uint8_t(file[4])));
  }
  std::string_view entries = file.substr(5, file.size() - 9);
  if (Crc32cOf(entries) != DecodeBE32(file.data() + file.size() - 4)) {
    return Status::Corruption("tombstones: checksum mismatch");
  }
  Tombstones t;
  while (!entries.empty()) {
    const size_t at = 5 + (file.size() - 9 - entries.size());
    uint64_t ref;
    int64_t mint, maxt;
    if (!GetUvarint(&entries, &ref) || !GetVarint(&entries, &mint) || !GetVarint(&entries, &maxt)) {
      return Status::Corruption("tombstones: undecodable entry at offset " + std::to_string(at));
    }
    t.Add(ref, Interval{mint, maxt});
  }
  return t;
}

Result<Tombstones> ReadTombstones(fs::FileSystem* fs, const std::string& dir) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  Result<std::string> data = fs::ReadFileToString(fs, fs::JoinPath(dir, kTombstonesFilename));
  if (!data.has_value()) {
    if (data.error().IsNotFound()) return Tombstones();
    return data.error();
  }
  Result<Tombstones> t = DecodeTombstones(*data);
  if (!t.has_value()) return t.error().WithPrefix(dir);
  return t;
}

Status WriteTombstones(fs::FileSystem* fs, const std::string& dir, const Tombstones& t) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  const std::string path = fs::JoinPath(dir, kTombstonesFilename);
  const std::string tmp = path + ".tmp";
  {
    VIGIL_ASSIGN_OR_RETURN(auto f, fs->NewWritableFile(tmp));
    VIGIL_RETURN_IF_ERROR(f->Append(EncodeTombstones(t)));
    VIGIL_RETURN_IF_ERROR(f->Sync());
    VIGIL_RETURN_IF_ERROR(f->Close());
  }
  VIGIL_RETURN_IF_ERROR(fs->Rename(tmp, path));
  return fs->SyncDir(dir);
}

}  // namespace vigil::tsdb::block
