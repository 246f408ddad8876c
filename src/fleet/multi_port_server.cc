#include "fleet/multi_port_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/logging.h"

namespace vigil::fleet {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class MpsSession;

class MultiPortServer::Impl {
 public:
  Impl(int n, Handler h) : threads_n(n), handler(std::move(h)) {}

  struct Listener {
    explicit Listener(asio::io_context& io) : acceptor(io) {}
    tcp::acceptor acceptor;
    uint16_t port = 0;
  };

  void Accept(size_t i);

  int threads_n;
  Handler handler;
  // Live connections, so that Stop() can close them (a stopped target must refuse, not
  // hang). Declared before `io`: sessions still queued in `io` unregister on destruction.
  std::mutex sessions_mu;
  std::unordered_set<MpsSession*> sessions;
  asio::io_context io;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  bool started = false;
};

// One connection: read a request, run the handler, write the response, repeat while
// keep-alive. Owned by the shared_ptr captured in its own callbacks.
class MpsSession : public std::enable_shared_from_this<MpsSession> {
 public:
  MpsSession(tcp::socket socket, MultiPortServer::Impl* server, size_t listener)
      : stream_(std::move(socket)), server_(server), listener_(listener) {
    std::lock_guard<std::mutex> l(server_->sessions_mu);
    server_->sessions.insert(this);
  }
  ~MpsSession() {
    std::lock_guard<std::mutex> l(server_->sessions_mu);
    server_->sessions.erase(this);
  }

  void Start() { Read(); }
  // Only while no I/O thread runs.
  void CloseNow() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(120));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      Close();
      return;
    }
    auto& msg = parser_->get();
    net::HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    size_t q = req.target.find('?');
    req.path = net::UrlDecode(std::string_view(req.target).substr(0, q), false);
    if (q != std::string::npos) {
      net::ParseQueryString(std::string_view(req.target).substr(q + 1), &req.form);
    }
    for (const auto& f : msg) {
      req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    req.body = std::move(msg.body());
    net::HttpResponse resp;
    try {
      server_->handler(listener_, req, &resp);
    } catch (const std::exception& e) {
      VIGIL_LOG_ERROR("fleet", "handler threw", "path={} err={}", LogQuote(req.path),
                      LogQuote(e.what()));
      resp = net::HttpResponse();
      resp.status = 500;
      resp.body = "internal error\n";
    }
    bool head = req.method == "HEAD";
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(http::status(resp.status));
    res->set(http::field::content_type, resp.content_type);
    for (const auto& [k, v] : resp.headers) res->insert(k, v);
    bool keep_alive = msg.keep_alive();
    res->keep_alive(keep_alive);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    if (head) res->body().clear();
    stream_.expires_after(std::chrono::seconds(120));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive || self->server_->stopped) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  MultiPortServer::Impl* server_;
  size_t listener_;
};

void MultiPortServer::Impl::Accept(size_t i) {
  listeners[i]->acceptor.async_accept(
      asio::make_strand(io), [this, i](beast::error_code ec, tcp::socket socket) {
        if (stopped) return;
        if (!ec) {
          socket.set_option(tcp::no_delay(true), ec);
          std::make_shared<MpsSession>(std::move(socket), this, i)->Start();
        }
        Accept(i);
      });
}

MultiPortServer::MultiPortServer(int threads, Handler handler)
    : impl_(std::make_unique<Impl>(threads, std::move(handler))) {}

MultiPortServer::~MultiPortServer() { Stop(); }

Result<size_t> MultiPortServer::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  asio::ip::address addr =
      host.empty() ? asio::ip::address(asio::ip::address_v4::any())
                   : asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return Status::InvalidArgument("listen address " + host + ": " + ec.message());
  auto l = std::make_unique<Impl::Listener>(impl_->io);
  tcp::endpoint ep(addr, port);
  l->acceptor.open(ep.protocol(), ec);
  if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) l->acceptor.bind(ep, ec);
  if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("listen tcp " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  l->port = l->acceptor.local_endpoint().port();
  impl_->listeners.push_back(std::move(l));
  return impl_->listeners.size() - 1;
}

Status MultiPortServer::Start() {
  if (impl_->started) return Status::OK();
  impl_->started = true;
  for (size_t i = 0; i < impl_->listeners.size(); ++i) impl_->Accept(i);
  for (int i = 0; i < std::max(1, impl_->threads_n); ++i) {
    impl_->threads.emplace_back([this] {
      while (!impl_->stopped) {
        try {
          impl_->io.run();
          break;
        } catch (const std::exception& e) {
          VIGIL_LOG_ERROR("fleet", "I/O thread error", "err={}", LogQuote(e.what()));
        }
      }
    });
  }
  return Status::OK();
}

void MultiPortServer::Stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  beast::error_code ec;
  for (auto& l : impl_->listeners) l->acceptor.close(ec);
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  std::lock_guard<std::mutex> l(impl_->sessions_mu);
  for (MpsSession* s : impl_->sessions) s->CloseNow();
}

uint16_t MultiPortServer::port(size_t listener) const { return impl_->listeners[listener]->port; }

size_t MultiPortServer::num_listeners() const { return impl_->listeners.size(); }

}  // namespace vigil::fleet
