#include "tsdb/wal/format.h"

#include <algorithm>
#include <cstdio>

namespace vigil::tsdb::wal {
namespace {

std::optional<int> ParseIndex(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

}  // namespace

std::string SegmentName(int index) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08d", index);
  return buf;
}

std::string SegmentPath(std::string_view dir, int index) {
  return fs::JoinPath(dir, SegmentName(index));
}

std::string CheckpointName(int index) {
  return std::string(kCheckpointPrefix) + SegmentName(index);
}

std::optional<int> ParseSegmentName(std::string_view name) { return ParseIndex(name); }

std::optional<int> ParseCheckpointName(std::string_view name) {
  if (name.substr(0, kCheckpointPrefix.size()) != kCheckpointPrefix) return std::nullopt;
  return ParseIndex(name.substr(kCheckpointPrefix.size()));
}

Result<std::vector<int>> ListSegments(fs::FileSystem* fs, const std::string& dir) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::vector<int> out;
  for (const std::string& n : names) {
    if (auto i = ParseSegmentName(n)) out.push_back(*i);
  }
  std::sort(out.begin(), out.end());
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i] != out[i - 1] + 1) {
      return Status::Corruption("wal " + dir + ": segments are not sequential (" +
                                SegmentName(out[i - 1]) + " then " + SegmentName(out[i]) + ")");
    }
  }
  return out;
}

Result<std::vector<CheckpointRef>> ListCheckpoints(fs::FileSystem* fs, const std::string& wal_dir) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(wal_dir));
  std::vector<CheckpointRef> out;
  for (const std::string& n : names) {
    auto i = ParseCheckpointName(n);
    if (!i) continue;
    const std::string path = fs::JoinPath(wal_dir, n);
    if (!fs->IsDirectory(path)) {
      return Status::Corruption("wal: checkpoint " + path + " is not a directory");
    }
    out.push_back({path, *i});
  }
  std::sort(out.begin(), out.end(),
            [](const CheckpointRef& a, const CheckpointRef& b) { return a.index < b.index; });
  return out;
}

}  // namespace vigil::tsdb::wal
