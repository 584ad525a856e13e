#include "gateway/http/http_server.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <thread>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "boost/asio/bind_executor.hpp"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "common/log.h"
#include "gateway/http/http_request_parser.h"

namespace affonso::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// After a response that closes the connection we stop sending but keep
// reading (and discarding) for a moment: closing with unread request bytes
// makes the kernel send RST, which can destroy the response before the client
// read it (typically a 413 while the client is still uploading).
constexpr absl::Duration kMaxLinger = absl::Seconds(1);
// Reserved when a request starts, so a typical request header arrives in one
// read; released while the connection is idle.
constexpr size_t kReadBufferReserve = 4 << 10;
// What a response is charged beyond its body: status line and headers.
constexpr size_t kResponseHeaderCharge = 512;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  // Keeps "infinite" options from overflowing the clock.
  const absl::Duration capped = std::min(d, absl::Hours(24 * 365));
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(std::max(capped, absl::ZeroDuration())));
}

bool IsServerOwnedHeader(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "content-length") ||
         absl::EqualsIgnoreCase(name, "content-type") ||
         absl::EqualsIgnoreCase(name, "connection") ||
         absl::EqualsIgnoreCase(name, "transfer-encoding");
}

bool HasLineBreak(absl::string_view text) {
  return text.find_first_of("\r\n") != absl::string_view::npos;
}

// Responses that by definition have no content (RFC 9110 15.2, 15.3.5, 15.4.5).
bool StatusHasNoContent(int status) { return status == 204 || status == 304; }

// An HttpError as `format` words it.
HttpResponse ErrorResponse(const HttpErrorFormat& format, const HttpError& error) {
  HttpResponse response;
  response.status = error.status;
  response.content_type = format.content_type;
  response.body =
      format.body ? format.body(error.code, error.message) : absl::StrCat(error.message, "\n");
  return response;
}

// Shared by the server and every `respond` closure: once closed (the server is
// going away) a late respond must not touch the io_context.
struct RespondGate {
  absl::Mutex mu;
  bool open ABSL_GUARDED_BY(mu) = true;
};

class Session;

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler* handler)
      : options_(std::move(options)),
        handler_(handler),
        acceptor_(asio::make_strand(ioc_)),
        accept_retry_timer_(acceptor_.get_executor()) {}

  ~Impl() { Shutdown(absl::ZeroDuration()); }

  absl::Status Listen();
  void Run();
  void Shutdown(absl::Duration grace);
  int port() const { return port_; }
  void CloseConnectionsAfterResponses() { closing_connections_.store(true); }
  bool closing_connections() const { return closing_connections_.load(); }

  // Response bytes held until written, over all sessions.
  void ChargeBuffered(size_t bytes) { buffered_bytes_.fetch_add(bytes); }
  void ReleaseBuffered(size_t bytes) { buffered_bytes_.fetch_sub(bytes); }
  bool OverBufferedBudget() const {
    return options_.max_buffered_bytes > 0 && buffered_bytes_.load() > options_.max_buffered_bytes;
  }

  const HttpServerOptions& options() const { return options_; }
  HttpHandler* handler() const { return handler_; }
  const std::shared_ptr<RespondGate>& gate() const { return gate_; }
  void Unregister(uint64_t id) {
    absl::MutexLock lock(&mu_);
    sessions_.erase(id);
  }
  // A lingering session has sent its last response: shutdown need not wait
  // for it.
  void CountLingering(int delta) {
    absl::MutexLock lock(&mu_);
    lingering_sessions_ += delta;
  }

 private:
  void Accept();
  void OnAccept(const error_code& ec, tcp::socket socket);
  // Posts `action` to the strand of every live session.
  void ForEachSession(void (Session::*action)());

  const HttpServerOptions options_;
  HttpHandler* const handler_;
  const std::shared_ptr<RespondGate> gate_ = std::make_shared<RespondGate>();

  absl::Mutex mu_;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  uint64_t next_session_id_ ABSL_GUARDED_BY(mu_) = 0;
  size_t lingering_sessions_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> closing_connections_{false};
  std::atomic<size_t> buffered_bytes_{0};
  // Touched only on the acceptor's strand.
  absl::Time last_refusal_log_ = absl::InfinitePast();
  uint64_t refused_since_log_ = 0;

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;

  // Declared after the session registry: destroying the io_context destroys
  // the handlers still queued in it, and with them the last sessions, which
  // unregister themselves.
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

namespace {

// One connection. Every member is touched only on the connection's strand
// (the socket's executor). The session stays alive through the completion
// handlers it has pending; the timer always has one, so a session is freed
// exactly when it is closed.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl* server, uint64_t id, tcp::socket socket)
      : server_(server),
        id_(id),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        buffer_(ReadBufferLimit(limits())) {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    if (server_->options().send_buffer_bytes > 0) {
      socket_.set_option(asio::socket_base::send_buffer_size(server_->options().send_buffer_bytes),
                         ec);
    }
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    if (!ec) remote_address_ = remote.address().to_string();
  }

  ~Session() {
    if (phase_ == Phase::kLingering) server_->CountLingering(-1);
    ReleaseResponse();
    server_->Unregister(id_);
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

  void Start() { GoIdle(); }

  // Graceful shutdown: idle connections close now, busy ones after their
  // current response.
  void BeginShutdown() {
    draining_ = true;
    if (phase_ == Phase::kIdle) Close();
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    if (phase_ == Phase::kLingering) server_->CountLingering(-1);
    phase_ = Phase::kClosed;
    error_code ec;
    timer_.cancel();
    socket_.close(ec);
    // Freed once the aborted write has completed; no longer counted.
    ReleaseResponse();
  }

 private:
  enum class Phase { kStarting, kIdle, kReading, kHandling, kWriting, kLingering, kClosed };

  using TimeoutAction = void (Session::*)();

  // One timer per connection serves every phase; re-arming it invalidates the
  // previous deadline even if that one already fired and is queued.
  void ArmTimer(absl::Duration timeout, TimeoutAction action) {
    const uint64_t generation = ++timer_generation_;
    timer_.expires_after(ToSteady(timeout));
    timer_.async_wait([self = shared_from_this(), generation, action](const error_code& ec) {
      if (ec || generation != self->timer_generation_ || self->phase_ == Phase::kClosed) {
        return;
      }
      (self.get()->*action)();
    });
  }

  void GoIdle() {
    phase_ = Phase::kIdle;
    if (draining_) {
      Close();
      return;
    }
    if (buffer_.size() > 0) {  // a pipelined request is already here
      StartReading();
      return;
    }
    buffer_.shrink_to_fit();  // empty: frees it
    ArmTimer(server_->options().idle_timeout, &Session::Close);
    // Waiting for readability needs no buffer: idle connections stay cheap.
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
      if (self->phase_ != Phase::kIdle) return;
      if (ec) {
        self->Close();
        return;
      }
      self->StartReading();
    });
  }

  void StartReading() {
    phase_ = Phase::kReading;
    head_request_ = false;
    if (buffer_.capacity() < kReadBufferReserve) buffer_.reserve(kReadBufferReserve);
    StartRequestParser(limits(), &parser_);
    ArmTimer(server_->options().read_timeout, &Session::OnReadTimeout);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](const error_code& ec, size_t header_bytes) {
                              self->OnHeaderRead(ec, header_bytes);
                            });
  }

  void OnHeaderRead(error_code ec, size_t header_bytes) {
    if (phase_ != Phase::kReading) return;
    if (!ec) ec = CheckHeaderSize(header_bytes, limits());
    if (ec) {
      OnReadError(ec);
      return;
    }
    head_request_ = parser_->get().method() == http::verb::head;
    // Refused before its body is read, and nothing after it is read either:
    // bytes whose framing is in doubt must never become a request.
    if (std::optional<HttpError> refused = CheckRequestHeader(*parser_)) {
      WriteResponse(Refusal(*refused), /*force_close=*/true);
      return;
    }
    const auto& header = parser_->get();
    if (header.version() >= 11 && !parser_->is_done() &&
        absl::EqualsIgnoreCase(absl::string_view(header[http::field::expect].data(),
                                                 header[http::field::expect].size()),
                               "100-continue")) {
      asio::async_write(socket_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                        [self = shared_from_this()](const error_code& ec, size_t) {
                          if (self->phase_ != Phase::kReading) return;
                          if (ec) {
                            self->Close();
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) {
      OnRequestRead({});
      return;
    }
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, size_t) {
                       if (self->phase_ != Phase::kReading) return;
                       self->OnRequestRead(ec);
                     });
  }

  void OnReadError(const error_code& ec) {
    std::optional<HttpError> answer = ReadError(ec, limits());
    if (answer.has_value()) {
      WriteResponse(Refusal(*answer), /*force_close=*/true);
    } else {
      // The client went away (between or in the middle of requests).
      Close();
    }
  }

  HttpResponse Refusal(const HttpError& error) const {
    return ErrorResponse(server_->options().error_format, error);
  }

  HttpRequestLimits limits() const {
    const HttpServerOptions& options = server_->options();
    return {options.max_header_bytes, options.max_body_bytes};
  }

  void OnReadTimeout() {
    if (phase_ != Phase::kReading) return;
    error_code ignored;
    socket_.cancel(ignored);  // the read completes as aborted and is ignored
    WriteResponse(Refusal({408, "REQUEST_TIMEOUT", "request was not received in time"}),
                  /*force_close=*/true);
  }

  void OnRequestRead(const error_code& ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    http::request<http::string_body> message = parser_->release();
    parser_.reset();
    if (server_->OverBufferedBudget()) {
      // Shed before the handler runs: a 503 that is true (nothing was done).
      HttpResponse busy =
          Refusal({503, "SERVICE_UNAVAILABLE", "the server is overloaded, try again later"});
      busy.headers.emplace_back("Retry-After", "1");
      WriteResponse(std::move(busy), /*force_close=*/true);
      return;
    }
    phase_ = Phase::kHandling;
    const uint64_t sequence = ++request_sequence_;
    request_version_ = message.version();
    keep_alive_ = message.keep_alive();

    HttpRequest request = ToHttpRequest(std::move(message));
    request.remote_address = remote_address_;

    ArmTimer(server_->options().handler_timeout, &Session::OnHandlerTimeout);
    std::function<void(HttpResponse)> respond = [weak = weak_from_this(), gate = server_->gate(),
                                                 sequence](HttpResponse response) {
      absl::ReaderMutexLock lock(&gate->mu);
      if (!gate->open) return;
      std::shared_ptr<Session> self = weak.lock();
      if (self == nullptr) return;
      asio::post(self->executor(), [self, sequence, response = std::move(response)]() mutable {
        self->OnResponse(sequence, std::move(response));
      });
    };
    try {
      server_->handler()->Handle(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      AFFONSO_LOG(kError, "http handler threw: ", e.what());
      // Posted behind any response the handler managed to send first.
      asio::post(executor(), [self = shared_from_this(), sequence]() {
        self->OnResponse(sequence, self->Refusal({500, "INTERNAL_ERROR", "internal error"}));
      });
    }
  }

  void OnResponse(uint64_t sequence, HttpResponse response) {
    if (phase_ != Phase::kHandling || sequence != request_sequence_) return;
    WriteResponse(std::move(response), /*force_close=*/false);
  }

  void OnHandlerTimeout() {
    if (phase_ != Phase::kHandling) return;
    WriteResponse(Refusal({504, "GATEWAY_TIMEOUT", "the request took too long to process"}),
                  /*force_close=*/false);
  }

  void WriteResponse(HttpResponse response, bool force_close) {
    phase_ = Phase::kWriting;
    if (response.status < 200 || response.status > 599) {
      AFFONSO_LOG(kError, "http handler returned status ", response.status);
      response = Refusal({500, "INTERNAL_ERROR", "internal error"});
    }
    close_after_write_ = force_close || !keep_alive_ || draining_ || server_->closing_connections();

    response_ = {};
    response_.version(force_close ? 11 : request_version_);
    response_.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) {
      if (name.empty() || IsServerOwnedHeader(name) || HasLineBreak(name) || HasLineBreak(value)) {
        continue;
      }
      response_.insert(name, value);
    }
    if (!StatusHasNoContent(response.status)) {
      if (!HasLineBreak(response.content_type)) {
        response_.set(http::field::content_type, response.content_type);
      }
      response_.set(http::field::content_length, std::to_string(response.body.size()));
      // A response to HEAD is the GET's header without its content (RFC 9110
      // 9.3.2): handlers answer HEAD as GET, and the length stays the GET's.
      if (!head_request_) response_.body() = std::move(response.body);
    }
    response_.keep_alive(!close_after_write_);

    charged_ = response_.body().size() + kResponseHeaderCharge;
    server_->ChargeBuffered(charged_);
    serializer_.emplace(response_);
    WriteSome();
  }

  // Piece by piece, so that the write timeout counts from the last progress:
  // a slow reader is fine, one that stopped reading is not.
  void WriteSome() {
    last_write_progress_ = absl::Now();
    ArmTimer(
        std::min(server_->options().write_timeout, server_->options().over_budget_write_timeout),
        &Session::CheckWriteProgress);
    http::async_write_some(socket_, *serializer_,
                           [self = shared_from_this()](const error_code& ec, size_t) {
                             if (self->phase_ != Phase::kWriting) return;
                             if (!ec && !self->serializer_->is_done()) {
                               self->WriteSome();
                               return;
                             }
                             self->OnWritten(ec);
                           });
  }

  void CheckWriteProgress() {
    if (phase_ != Phase::kWriting) return;
    const HttpServerOptions& options = server_->options();
    const absl::Duration stalled = absl::Now() - last_write_progress_;
    if (stalled >= options.write_timeout ||
        (stalled >= options.over_budget_write_timeout && server_->OverBufferedBudget())) {
      AFFONSO_LOG(kDebug, "http: closing a connection whose client stopped reading");
      // Reset rather than close: the kernel drops the unsent bytes now
      // instead of keeping them for a peer that does not read.
      error_code ignored;
      socket_.set_option(asio::socket_base::linger(true, 0), ignored);
      Close();
      return;
    }
    ArmTimer(std::min(options.write_timeout - stalled, options.over_budget_write_timeout),
             &Session::CheckWriteProgress);
  }

  void ReleaseResponse() {
    if (charged_ == 0) return;
    server_->ReleaseBuffered(charged_);
    charged_ = 0;
  }

  void OnWritten(const error_code& ec) {
    serializer_.reset();
    {
      // Assigning an empty response would keep the body's capacity (a moved
      // short string is copied, not stolen): every connection that once sent
      // a large answer kept its size until it closed.
      http::response<http::string_body> done;
      swap(done, response_);
    }
    ReleaseResponse();
    if (ec) {
      Close();
    } else if (close_after_write_) {
      Linger();
    } else {
      GoIdle();
    }
  }

  void Linger() {
    phase_ = Phase::kLingering;
    server_->CountLingering(+1);
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    ArmTimer(std::min(kMaxLinger, server_->options().read_timeout), &Session::Close);
    buffer_.clear();
    DiscardInput();
  }

  void DiscardInput() {
    socket_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](const error_code& ec, size_t) {
                              if (self->phase_ != Phase::kLingering) return;
                              if (ec) {
                                self->Close();
                                return;
                              }
                              self->DiscardInput();
                            });
  }

  HttpServer::Impl* const server_;
  const uint64_t id_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string remote_address_;

  Phase phase_ = Phase::kStarting;
  bool draining_ = false;
  uint64_t timer_generation_ = 0;
  uint64_t request_sequence_ = 0;

  beast::flat_buffer buffer_;
  std::optional<HttpRequestParser> parser_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  size_t charged_ = 0;  // bytes of response_ counted in the server's budget
  absl::Time last_write_progress_;
  unsigned request_version_ = 11;
  bool keep_alive_ = true;
  bool head_request_ = false;  // the request being answered is a HEAD
  bool close_after_write_ = false;
  http::response<http::string_body> response_;
};

}  // namespace

absl::Status HttpServer::Impl::Listen() {
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("bad listen address '", options_.address, "'"));
  }
  if (options_.port < 0 || options_.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port ", options_.port));
  }
  if (options_.io_threads < 1) {
    return absl::InvalidArgumentError("io_threads must be at least 1");
  }
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
  const auto fail = [&](absl::string_view what) {
    return absl::UnavailableError(
        absl::StrCat(what, " ", options_.address, ":", options_.port, ": ", ec.message()));
  };
  if (acceptor_.open(endpoint.protocol(), ec)) return fail("open");
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) {
    return fail("setsockopt on");
  }
  if (acceptor_.bind(endpoint, ec)) return fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
    return fail("listen on");
  }
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return fail("local_endpoint of");
  return absl::OkStatus();
}

void HttpServer::Impl::Run() {
  work_.emplace(ioc_.get_executor());
  asio::post(acceptor_.get_executor(), [this] { Accept(); });
  threads_.reserve(options_.io_threads);
  for (int i = 0; i < options_.io_threads; ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          AFFONSO_LOG(kError, "http I/O thread caught: ", e.what());
        }
      }
    });
  }
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](const error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(const error_code& ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;
  if (ec) {
    // Typically EMFILE: back off instead of spinning on the error.
    AFFONSO_LOG(kWarning, "http accept failed: ", ec.message());
    accept_retry_timer_.expires_after(std::chrono::milliseconds(50));
    accept_retry_timer_.async_wait([this](const error_code& wait_ec) {
      if (!wait_ec && acceptor_.is_open()) Accept();
    });
    return;
  }
  std::shared_ptr<Session> session;
  bool at_limit = false;
  {
    absl::MutexLock lock(&mu_);
    at_limit = sessions_.size() >= static_cast<size_t>(std::max(options_.max_connections, 0)) ||
               OverBufferedBudget();
    if (!draining_ && !at_limit) {
      const uint64_t id = next_session_id_++;
      session = std::make_shared<Session>(this, id, std::move(socket));
      sessions_.emplace(id, session);
    }
  }
  if (session == nullptr) {
    // Closed before anything was read: the client may retry anything.
    error_code ignored;
    socket.close(ignored);
    if (at_limit) {
      ++refused_since_log_;
      const absl::Time now = absl::Now();
      if (now - last_refusal_log_ >= absl::Seconds(10)) {
        AFFONSO_LOG(kWarning, "http: at the connection or buffered-bytes limit, refused ",
                    refused_since_log_, " connection(s) (max_connections ",
                    options_.max_connections, ", max_buffered_bytes ", options_.max_buffered_bytes,
                    ")");
        last_refusal_log_ = now;
        refused_since_log_ = 0;
      }
    }
  } else {
    asio::dispatch(session->executor(), [session] { session->Start(); });
  }
  Accept();
}

void HttpServer::Impl::ForEachSession(void (Session::*action)()) {
  std::vector<std::shared_ptr<Session>> live;
  {
    absl::MutexLock lock(&mu_);
    live.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  // Outside the lock: dropping the last reference unregisters the session.
  for (auto& session : live) {
    asio::post(session->executor(), [session, action] { (session.get()->*action)(); });
  }
}

void HttpServer::Impl::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (!threads_.empty()) {
    // Closing on the acceptor's strand also waits out an accept in progress.
    std::promise<void> closed;
    asio::post(acceptor_.get_executor(), [this, &closed] {
      error_code ignored;
      acceptor_.close(ignored);
      accept_retry_timer_.cancel();
      closed.set_value();
    });
    closed.get_future().wait();
  }
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  ForEachSession(&Session::BeginShutdown);

  const auto all_answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return sessions_.size() == lingering_sessions_;
  };
  const auto no_sessions = [this]()
                               ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sessions_.empty(); };
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&all_answered), grace);
  }
  ForEachSession(&Session::Close);
  {
    absl::MutexLock lock(&mu_);
    // Closed sessions go away as soon as their aborted handlers ran.
    mu_.AwaitWithTimeout(absl::Condition(&no_sessions), absl::Seconds(1));
  }
  {
    absl::WriterMutexLock lock(&gate_->mu);
    gate_->open = false;
  }
  work_.reset();
  ioc_.stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              HttpHandler* handler) {
  if (handler == nullptr) return absl::InvalidArgumentError("handler is null");
  auto impl = std::make_unique<Impl>(std::move(options), handler);
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

void HttpServer::CloseConnectionsAfterResponses() { impl_->CloseConnectionsAfterResponses(); }

}  // namespace affonso::gateway
