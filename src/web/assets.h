// Embedded web UI assets: the files of web/dist (or a placeholder page when the UI was not
// built), compiled into the binary by the embed step in src/web/CMakeLists.txt.
//
// The table is immutable static data: every function here is thread-safe and the returned
// pointers and views live for the whole program.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::web {

struct Asset {
  std::string_view path;          // URL path, "/index.html", "/assets/index-3f2a.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view data;          // the file's bytes
  std::string_view etag;          // strong ETag (quoted hash of the bytes)
};

// The asset served at `path` (exact match, e.g. "/index.html"), or nullptr.
const Asset* FindAsset(std::string_view path);

// All assets, sorted by path.
std::span<const Asset> AllAssets();

// True when the embedded files are the placeholder page (web/dist was not built).
bool IsPlaceholder();

}  // namespace vigil::web
