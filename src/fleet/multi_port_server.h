// MultiPortServer: one HTTP/1.1 server (Boost.Beast) listening on many ports at once, with
// a shared pool of I/O threads. `vigil fleet` gives every simulated target its own port
// (like real pods), and a thread per port would not scale to hundreds of targets.
//
// The handler learns which listener a request arrived on. It runs on an I/O thread, may run
// concurrently for different connections, and must not block for long. Unlike
// net::HttpServer it does not compress on its own: the handler sets Content-Encoding.
// Thread-safety: Listen() before Start() only; Start()/Stop() from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "net/http_server.h"

namespace vigil::fleet {

class MpsSession;

class MultiPortServer {
 public:
  using Handler = std::function<void(size_t listener, const net::HttpRequest&, net::HttpResponse*)>;

  MultiPortServer(int threads, Handler handler);
  ~MultiPortServer();
  MultiPortServer(const MultiPortServer&) = delete;
  MultiPortServer& operator=(const MultiPortServer&) = delete;

  // Binds host:port (port 0: a free port) and returns the listener's index (0, 1, ...).
  // Errors: InvalidArgument (bad host), IOError (bind/listen failed).
  Result<size_t> Listen(const std::string& host, uint16_t port);
  // Starts accepting on every listener.
  Status Start();
  // Closes listeners and connections and joins the threads. Idempotent.
  void Stop();
  // The bound port of a listener.
  uint16_t port(size_t listener) const;
  size_t num_listeners() const;

 private:
  friend class MpsSession;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::fleet
