// Serves the embedded web UI from an HttpServer.
//
// RegisterUi() installs a handler for "/" (the server's fallback: longer patterns such as
// "/api/v1/" registered by the API win). It serves:
//   - "/" and any path without a file extension (client-side routes such as /explore,
//     /d/network) → index.html, revalidated on every load (Cache-Control: no-cache + ETag);
//   - embedded files by path; content-hashed files under /assets/ are cached for a year
//     (Cache-Control: public, max-age=31536000, immutable);
//   - 404 for unknown files and for unknown paths under /api/; 405 for methods other than
//     GET and HEAD.
// Thread-safety: the handler only reads immutable data and may run on any server thread.
#pragma once

namespace vigil::net {
class HttpServer;
}

namespace vigil::web {

// Registers the UI handler on `server` (before server->Start()). `server` is not owned.
void RegisterUi(net::HttpServer* server);

}  // namespace vigil::web
