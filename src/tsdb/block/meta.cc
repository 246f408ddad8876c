#include "tsdb/block/meta.h"

#include <nlohmann/json.hpp>

namespace vigil::tsdb::block {
namespace {

using nlohmann::ordered_json;

Result<Ulid> UlidField(const ordered_json& j, const char* what) {
  if (!j.is_string())
    return Status::Corruption(std::string("meta.json: ") + what + " is not a string");
  Result<Ulid> u = Ulid::Parse(j.get<std::string>());
  if (!u.has_value()) return Status::Corruption("meta.json: " + std::string(u.error().message()));
  return u;
}

// Reads an optional integer field; Corruption if present with another type.
template <typename T>
Status IntField(const ordered_json& obj, const char* key, T* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::OK();
  if (!it->is_number_integer()) {
    return Status::Corruption(std::string("meta.json: ") + key + " is not an integer");
  }
  *out = it->get<T>();
  return Status::OK();
}

Status BoolField(const ordered_json& obj, const char* key, bool* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::OK();
  if (!it->is_boolean())
    return Status::Corruption(std::string("meta.json: ") + key + " is not a bool");
  *out = it->get<bool>();
  return Status::OK();
}

Result<BlockMeta> ParseJson(const ordered_json& j) {
  if (!j.is_object()) return Status::Corruption("meta.json: not a JSON object");
  BlockMeta m;
  if (!j.contains("ulid")) return Status::Corruption("meta.json: no ulid");
  VIGIL_ASSIGN_OR_RETURN(m.ulid, UlidField(j["ulid"], "ulid"));
  if (!j.contains("minTime") || !j.contains("maxTime")) {
    return Status::Corruption("meta.json: no minTime/maxTime");
  }
  VIGIL_RETURN_IF_ERROR(IntField(j, "minTime", &m.min_time));
  VIGIL_RETURN_IF_ERROR(IntField(j, "maxTime", &m.max_time));
  m.version = 0;
  VIGIL_RETURN_IF_ERROR(IntField(j, "version", &m.version));
  if (m.version != kMetaVersion1) {
    return Status::Corruption("meta.json: unexpected meta file version " +
                              std::to_string(m.version));
  }
  if (auto it = j.find("stats"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return Status::Corruption("meta.json: stats is not an object");
    VIGIL_RETURN_IF_ERROR(IntField(*it, "numSamples", &m.stats.num_samples));
    VIGIL_RETURN_IF_ERROR(IntField(*it, "numFloatSamples", &m.stats.num_float_samples));
    VIGIL_RETURN_IF_ERROR(IntField(*it, "numHistogramSamples", &m.stats.num_histogram_samples));
    VIGIL_RETURN_IF_ERROR(IntField(*it, "numSeries", &m.stats.num_series));
    VIGIL_RETURN_IF_ERROR(IntField(*it, "numChunks", &m.stats.num_chunks));
    VIGIL_RETURN_IF_ERROR(IntField(*it, "numTombstones", &m.stats.num_tombstones));
  }
  if (auto it = j.find("compaction"); it != j.end() && !it->is_null()) {
    const ordered_json& c = *it;
    if (!c.is_object()) return Status::Corruption("meta.json: compaction is not an object");
    m.compaction.level = 0;
    VIGIL_RETURN_IF_ERROR(IntField(c, "level", &m.compaction.level));
    VIGIL_RETURN_IF_ERROR(BoolField(c, "deletable", &m.compaction.deletable));
    VIGIL_RETURN_IF_ERROR(BoolField(c, "failed", &m.compaction.failed));
    if (auto s = c.find("sources"); s != c.end() && !s->is_null()) {
      if (!s->is_array()) return Status::Corruption("meta.json: sources is not a list");
      for (const auto& e : *s) {
        VIGIL_ASSIGN_OR_RETURN(Ulid u, UlidField(e, "source"));
        m.compaction.sources.push_back(u);
      }
    }
    if (auto p = c.find("parents"); p != c.end() && !p->is_null()) {
      if (!p->is_array()) return Status::Corruption("meta.json: parents is not a list");
      for (const auto& e : *p) {
        if (!e.is_object() || !e.contains("ulid")) {
          return Status::Corruption("meta.json: bad parent entry");
        }
        BlockDesc d;
        VIGIL_ASSIGN_OR_RETURN(d.ulid, UlidField(e["ulid"], "parent ulid"));
        VIGIL_RETURN_IF_ERROR(IntField(e, "minTime", &d.min_time));
        VIGIL_RETURN_IF_ERROR(IntField(e, "maxTime", &d.max_time));
        m.compaction.parents.push_back(d);
      }
    }
    if (auto h = c.find("hints"); h != c.end() && !h->is_null()) {
      if (!h->is_array()) return Status::Corruption("meta.json: hints is not a list");
      for (const auto& e : *h) {
        if (!e.is_string()) return Status::Corruption("meta.json: hint is not a string");
        m.compaction.hints.push_back(e.get<std::string>());
      }
    }
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "ulid" || k == "minTime" || k == "maxTime" || k == "stats" || k == "compaction" ||
        k == "version") {
      continue;
    }
    m.extra.emplace_back(k, it.value().dump());
  }
  return m;
}

}  // namespace

Result<BlockMeta> ParseMeta(std::string_view json) {
  try {
    return ParseJson(ordered_json::parse(json.begin(), json.end()));
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("meta.json: ") + e.what());
  }
}

std::string SerializeMeta(const BlockMeta& m) {
  ordered_json j;
  j["ulid"] = m.ulid.ToString();
  j["minTime"] = m.min_time;
  j["maxTime"] = m.max_time;
  ordered_json stats = ordered_json::object();
  auto put = [&](const char* k, uint64_t v) {
    if (v != 0) stats[k] = v;
  };
  put("numSamples", m.stats.num_samples);
  put("numFloatSamples", m.stats.num_float_samples);
  put("numHistogramSamples", m.stats.num_histogram_samples);
  put("numSeries", m.stats.num_series);
  put("numChunks", m.stats.num_chunks);
  put("numTombstones", m.stats.num_tombstones);
  j["stats"] = stats;
  ordered_json c;
  c["level"] = m.compaction.level;
  if (!m.compaction.sources.empty()) {
    c["sources"] = ordered_json::array();
    for (const Ulid& u : m.compaction.sources) c["sources"].push_back(u.ToString());
  }
  if (m.compaction.deletable) c["deletable"] = true;
  if (!m.compaction.parents.empty()) {
    c["parents"] = ordered_json::array();
    for (const BlockDesc& d : m.compaction.parents) {
      c["parents"].push_back(
          {{"ulid", d.ulid.ToString()}, {"minTime", d.min_time}, {"maxTime", d.max_time}});
    }
  }
  if (m.compaction.failed) c["failed"] = true;
  if (!m.compaction.hints.empty()) c["hints"] = m.compaction.hints;
  j["compaction"] = c;
  j["version"] = m.version;
  for (const auto& [k, raw] : m.extra) {
    try {
      j[k] = ordered_json::parse(raw);
    } catch (const std::exception&) {
      // Not JSON (never produced by ParseMeta): left out rather than corrupting the file.
    }
  }
  return j.dump(1, '\t');
}

Result<BlockMeta> ReadMeta(fs::FileSystem* fs, const std::string& dir) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  VIGIL_ASSIGN_OR_RETURN(std::string data,
                         fs::ReadFileToString(fs, fs::JoinPath(dir, kMetaFilename)));
  Result<BlockMeta> m = ParseMeta(data);
  if (!m.has_value()) return m.error().WithPrefix(dir);
  return m;
}

Status WriteMeta(fs::FileSystem* fs, const std::string& dir, const BlockMeta& meta) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  const std::string path = fs::JoinPath(dir, kMetaFilename);
  const std::string tmp = path + ".tmp";
  {
    VIGIL_ASSIGN_OR_RETURN(auto f, fs->NewWritableFile(tmp));
    VIGIL_RETURN_IF_ERROR(f->Append(SerializeMeta(meta)));
    VIGIL_RETURN_IF_ERROR(f->Sync());
    VIGIL_RETURN_IF_ERROR(f->Close());
  }
  return fs->Rename(tmp, path);
}

}  // namespace vigil::tsdb::block
