#include "net/http_server.h"

#include <zlib.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <map>
#include <optional>

#include "base/logging.h"

namespace vigil::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return {};
}

std::string_view HttpRequest::FormValue(std::string_view name) const {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return {};
}

bool HttpRequest::HasForm(std::string_view name) const {
  return std::any_of(form.begin(), form.end(), [&](const auto& kv) { return kv.first == name; });
}

std::vector<std::string_view> HttpRequest::FormValues(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : form) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::string UrlDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int h = HexVal(s[i + 1]), l = HexVal(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += char(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += (c == '+' && plus_as_space) ? ' ' : c;
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void ParseQueryString(std::string_view qs, std::vector<std::pair<std::string, std::string>>* out) {
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view part = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out->emplace_back(UrlDecode(part, true), "");
    } else {
      out->emplace_back(UrlDecode(part.substr(0, eq), true), UrlDecode(part.substr(eq + 1), true));
    }
  }
}

Status ParseHostPort(std::string_view addr, std::string* host, uint16_t* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("address " + std::string(addr) + ": missing port");
  }
  std::string_view h = addr.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string_view p = addr.substr(colon + 1);
  if (p.empty() || p.size() > 5 ||
      !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::InvalidArgument("address " + std::string(addr) + ": invalid port");
  }
  unsigned long v = std::stoul(std::string(p));
  if (v > 65535) return Status::InvalidArgument("address " + std::string(addr) + ": invalid port");
  *host = std::string(h);
  *port = uint16_t(v);
  return Status::OK();
}

std::string Gzip(std::string_view in, int level) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  out.resize(deflateBound(&zs, in.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Status Gunzip(std::string_view in, size_t max_bytes, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("inflateInit failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  out->clear();
  char buf[64 * 1024];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::InvalidArgument(std::string("gzip: ") + (zs.msg ? zs.msg : "invalid data"));
    }
    out->append(buf, sizeof buf - zs.avail_out);
    if (out->size() > max_bytes) {
      inflateEnd(&zs);
      return Status::ResourceExhausted("body size limit exceeded");
    }
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status::InvalidArgument("gzip: unexpected EOF");
    }
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return Status::OK();
}

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions o) : options(std::move(o)), acceptor(io) {}

  const Handler* Find(std::string_view path) const {
    const Handler* best = nullptr;
    size_t best_len = 0;
    for (const auto& [pattern, h] : routes) {
      bool match =
          pattern.back() == '/' ? path.substr(0, pattern.size()) == pattern : path == pattern;
      if (match && pattern.size() >= best_len) {
        best = &h;
        best_len = pattern.size();
      }
    }
    return best;
  }

  void Accept();

  HttpServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::pair<std::string, Handler>> routes;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
};

// One connection: read a request, run the handler, write the response, repeat while
// keep-alive. Owned by shared_ptr captured in its async callbacks.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::milliseconds(server_->options.read_timeout_ms));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout) {
      Close();
      return;
    }
    if (ec == http::error::body_limit) {
      HttpResponse resp;
      resp.status = 413;
      resp.body = "request body too large\n";
      Write(resp, false, false);
      return;
    }
    if (ec) {
      Close();
      return;
    }
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    size_t q = req.target.find('?');
    req.path = UrlDecode(std::string_view(req.target).substr(0, q), false);
    if (q != std::string::npos)
      ParseQueryString(std::string_view(req.target).substr(q + 1), &req.form);
    for (const auto& f : msg)
      req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    beast::error_code rec;
    auto ep = stream_.socket().remote_endpoint(rec);
    if (!rec) req.remote_addr = ep.address().to_string() + ":" + std::to_string(ep.port());
    if (req.method == "POST" &&
        req.Header("Content-Type").substr(0, 33) == "application/x-www-form-urlencoded") {
      ParseQueryString(req.body, &req.form);
    }

    HttpResponse resp;
    const Handler* h = server_->Find(req.path);
    if (h == nullptr) {
      resp.status = 404;
      resp.body = "404 page not found\n";
    } else {
      try {
        (*h)(req, &resp);
      } catch (const std::exception& e) {
        VIGIL_LOG_ERROR("http", "handler threw", "path={} err={}", LogQuote(req.path),
                        LogQuote(e.what()));
        resp = HttpResponse();
        resp.status = 500;
        resp.body = "internal error\n";
      }
    }
    bool gzip = server_->options.gzip_responses && resp.body.size() > 1024 &&
                req.Header("Accept-Encoding").find("gzip") != std::string_view::npos;
    Write(resp, msg.keep_alive(), gzip);
  }

  void Write(HttpResponse& resp, bool keep_alive, bool gzip) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(http::status(resp.status));
    res->set(http::field::content_type, resp.content_type);
    bool has_encoding = false;
    for (const auto& [k, v] : resp.headers) {
      if (IEquals(k, "Content-Encoding")) has_encoding = true;
      res->insert(k, v);
    }
    if (gzip && !has_encoding) {
      res->set(http::field::content_encoding, "gzip");
      res->body() = Gzip(resp.body, 1);
    } else {
      res->body() = std::move(resp.body);
    }
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_never();
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
  HttpServer::Impl* server_;
};

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    Accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string pattern, Handler handler) {
  impl_->routes.emplace_back(std::move(pattern), std::move(handler));
}

Status HttpServer::Start() {
  std::string host;
  uint16_t port;
  VIGIL_RETURN_IF_ERROR(ParseHostPort(impl_->options.listen_address, &host, &port));
  beast::error_code ec;
  asio::ip::address addr =
      host.empty() ? asio::ip::address(asio::ip::address_v4::any())
                   : asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec)
    return Status::InvalidArgument("listen address " + impl_->options.listen_address + ": " +
                                   ec.message());
  tcp::endpoint ep(addr, port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("listen tcp " + impl_->options.listen_address + ": " + ec.message());
  }
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    impl_->threads.emplace_back([this] {
      while (!impl_->stopped) {
        try {
          impl_->io.run();
          break;
        } catch (const std::exception& e) {
          VIGIL_LOG_ERROR("http", "I/O thread error", "err={}", LogQuote(e.what()));
        }
      }
    });
  }
  return Status::OK();
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace vigil::net
