#include "gateway/http/http_server.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/error_envelope.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

using ::affonso::matchers::StatusIs;

// ------------------------------------------------------------ blocking client

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class Client {
 public:
  // `receive_buffer` > 0 shrinks the socket's receive buffer (before connecting,
  // so the window is small from the start): a client that reads nothing then
  // stops the server's writes sooner.
  explicit Client(int port, int receive_buffer = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    // A broken server must fail the test, not hang it.
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() { Close(); }

  bool connected() const { return connected_; }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one response (Content-Length framed, or none for 1xx/204/304, or
  // none at all for the answer to a HEAD: `head_request`).
  bool Read(ClientResponse* response, bool head_request = false) {
    *response = ClientResponse();
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    const std::string head = pending_.substr(0, header_end);
    pending_.erase(0, header_end + 4);
    std::vector<std::string> lines = absl::StrSplit(head, "\r\n");
    std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
    if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &response->status)) {
      return false;
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) return false;
      response->headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    size_t length = 0;
    const std::string content_length = response->Header("content-length");
    if (!content_length.empty() && !absl::SimpleAtoi(content_length, &length)) {
      return false;
    }
    if (head_request) length = 0;
    while (pending_.size() < length) {
      if (!Fill()) return false;
    }
    response->body = pending_.substr(0, length);
    pending_.erase(0, length);
    return true;
  }

  ClientResponse Request(const std::string& raw, bool head_request = false) {
    ClientResponse response;
    EXPECT_TRUE(Send(raw));
    EXPECT_TRUE(Read(&response, head_request));
    return response;
  }

  // Reads one response of `body_bytes` and throws it away, holding no copy.
  bool ReadAndDiscard(size_t body_bytes) {
    char chunk[16384];
    size_t wanted = 0, received = 0;
    do {
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      if (wanted == 0) {
        const size_t header_end = std::string(chunk, n).find("\r\n\r\n");
        if (header_end == std::string::npos) return false;  // header in the first piece
        wanted = header_end + 4 + body_bytes;
      }
      received += static_cast<size_t>(n);
    } while (received < wanted);
    return received == wanted;
  }

  // True when the server closed the connection (EOF or reset) within
  // `within`, with no further bytes.
  bool ClosedByServer(absl::Duration within) {
    if (!pending_.empty()) return false;
    pollfd poll_fd{fd_, POLLIN, 0};
    if (poll(&poll_fd, 1, static_cast<int>(absl::ToInt64Milliseconds(within))) <= 0) {
      return false;
    }
    char byte;
    const ssize_t n = recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool Fill() {
    char chunk[16384];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    pending_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: test\r\n", extra_headers, "\r\n");
}

std::string Post(const std::string& target, const std::string& body) {
  return absl::StrCat("POST ", target,
                      " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                      "Content-Length: ",
                      body.size(), "\r\n\r\n", body);
}

// ------------------------------------------------------------ test handler

// Routes by path:
//   /slow    responds 200 ms later from another thread
//   /thread  responds at once from another thread
//   /never   never responds (keeps `respond` until the test ends)
//   /204     responds 204
//   /big     responds with a 1 MiB body
//   /throw   throws
//   /status-99 responds with a status outside 200..599
//   anything else echoes "<method> <target> <x-test header> <body>" at once.
class TestHandler : public HttpHandler {
 public:
  ~TestHandler() override {
    for (std::thread& thread : threads_) thread.join();
  }

  void Handle(HttpRequest request, std::function<void(HttpResponse)> respond) override {
    {
      absl::MutexLock lock(&mu_);
      ++received_;
      last_remote_address_ = request.remote_address;
      targets_.push_back(request.target);
    }
    HttpResponse response;
    response.headers.emplace_back("X-Request-Id", "req-1");
    response.body = absl::StrCat(request.method, " ", request.target, " ", request.Header("x-test"),
                                 " ", request.body);
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (path == "/slow" || path == "/thread") {
      const auto delay = path == "/slow" ? absl::Milliseconds(200) : absl::ZeroDuration();
      absl::MutexLock lock(&mu_);
      threads_.emplace_back(
          [delay, respond = std::move(respond), response = std::move(response)]() mutable {
            absl::SleepFor(delay);
            respond(std::move(response));
          });
    } else if (path == "/never") {
      absl::MutexLock lock(&mu_);
      parked_.push_back(std::move(respond));
    } else if (path == "/big") {
      response.body = std::string(1 << 20, 'b');
      respond(std::move(response));
    } else if (path == "/throw") {
      throw std::runtime_error("handler bug");
    } else if (path == "/status-99") {
      response.status = 99;
      respond(std::move(response));
    } else if (path == "/204") {
      response.status = 204;
      respond(std::move(response));
    } else if (path == "/injection") {
      response.headers.emplace_back("X-Bad", "a\r\nSet-Cookie: x=1");
      response.headers.emplace_back("Content-Length", "9999");
      respond(std::move(response));
    } else {
      respond(std::move(response));
    }
  }

  void WaitForRequests(int count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return received_ >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(5));
  }

  std::vector<std::function<void(HttpResponse)>> TakeParked() {
    absl::MutexLock lock(&mu_);
    return std::move(parked_);
  }

  std::string last_remote_address() {
    absl::MutexLock lock(&mu_);
    return last_remote_address_;
  }

  // Every request target the handler saw, in order.
  std::vector<std::string> targets() {
    absl::MutexLock lock(&mu_);
    return targets_;
  }

  int received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }

 private:
  absl::Mutex mu_;
  int received_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_remote_address_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(HttpResponse)>> parked_ ABSL_GUARDED_BY(mu_);
};

class HttpServerTest : public testing::Test {
 protected:
  void StartServer(HttpServerOptions options = DefaultOptions()) {
    auto server = HttpServer::Start(std::move(options), &handler_);
    ASSERT_OK(server);
    server_ = std::move(*server);
  }

  // With the API's envelope for the server's own refusals, as the REST
  // gateway and the ops port configure it: what their clients see.
  static HttpServerOptions DefaultOptions() {
    HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.error_format = {kErrorEnvelopeContentType, RefusalEnvelope};
    return options;
  }

  int port() const { return server_->port(); }

  // Declared first: outlives the server, whose late responds it may still make.
  TestHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

void ExpectEnvelope(const ClientResponse& response, int status, const std::string& code) {
  EXPECT_EQ(response.status, status);
  EXPECT_EQ(response.Header("content-type"), "application/json");
  EXPECT_TRUE(absl::StartsWith(response.body,
                               absl::StrCat(R"({"success":false,"error":{"code":")", code, "\"")))
      << response.body;
}

// ------------------------------------------------------------ tests

TEST_F(HttpServerTest, GetAndPostRoundTrip) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(client.connected());

  ClientResponse get = client.Request(Get("/v1/clicks?limit=5", "X-Test: Hello\r\n"));
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "GET /v1/clicks?limit=5 Hello ");
  EXPECT_EQ(get.Header("content-type"), "application/json");
  EXPECT_EQ(get.Header("content-length"), std::to_string(get.body.size()));
  EXPECT_EQ(get.Header("x-request-id"), "req-1");
  EXPECT_EQ(get.Header("connection"), "");
  EXPECT_EQ(handler_.last_remote_address(), "127.0.0.1");

  ClientResponse post = client.Request(Post("/v1/signups", R"({"click_id":"clk_1"})"));
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(post.body, R"(POST /v1/signups  {"click_id":"clk_1"})");
}

TEST_F(HttpServerTest, HundredSequentialRequestsOnOneConnection) {
  StartServer();
  Client client(port());
  for (int i = 0; i < 100; ++i) {
    ClientResponse response = client.Request(Get(absl::StrCat("/n/", i)));
    ASSERT_EQ(response.status, 200);
    ASSERT_EQ(response.body, absl::StrCat("GET /n/", i, "  "));
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client client(port());
  // The first is slow: later ones must still come after it.
  ASSERT_TRUE(client.Send(Get("/slow?1") + Post("/p", "two") + Get("/thread?3")));
  ClientResponse response;
  ASSERT_TRUE(client.Read(&response));
  EXPECT_EQ(response.body, "GET /slow?1  ");
  ASSERT_TRUE(client.Read(&response));
  EXPECT_EQ(response.body, "POST /p  two");
  ASSERT_TRUE(client.Read(&response));
  EXPECT_EQ(response.body, "GET /thread?3  ");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  Client client(port());
  ClientResponse response = client.Request(Get("/x", "Connection: close\r\n"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("connection"), "close");
  EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
}

TEST_F(HttpServerTest, ClosingConnectionsAnswersThenClosesKeepAliveClients) {
  StartServer();
  Client client(port());
  ClientResponse before = client.Request(Get("/before"));
  EXPECT_EQ(before.status, 200);
  EXPECT_NE(before.Header("connection"), "close");
  server_->CloseConnectionsAfterResponses();
  ClientResponse after = client.Request(Get("/after"));
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.Header("connection"), "close");
  EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
  // Still accepting: a new connection is answered, and closed after it.
  Client again(port());
  EXPECT_EQ(again.Request(Get("/new")).status, 200);
  EXPECT_TRUE(again.ClosedByServer(absl::Seconds(2)));
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAlive) {
  StartServer();
  {
    Client client(port());
    ClientResponse response = client.Request("GET /a HTTP/1.0\r\n\r\n");
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
  }
  Client client(port());
  ClientResponse first = client.Request("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(first.status, 200);
  EXPECT_TRUE(absl::EqualsIgnoreCase(first.Header("connection"), "keep-alive"));
  EXPECT_EQ(client.Request("GET /b HTTP/1.0\r\n\r\n").body, "GET /b  ");
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(
      client.Send("POST /e HTTP/1.1\r\nHost: t\r\nExpect: "
                  "100-continue\r\nContent-Length: 5\r\n\r\n"));
  ClientResponse interim;
  ASSERT_TRUE(client.Read(&interim));
  EXPECT_EQ(interim.status, 100);
  ClientResponse response = client.Request("hello");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST /e  hello");
}

TEST_F(HttpServerTest, BodyOverLimitIs413AndCloses) {
  HttpServerOptions options = DefaultOptions();
  options.max_body_bytes = 1024;
  StartServer(options);
  {
    Client client(port());
    ClientResponse response = client.Request(Post("/big", std::string(5000, 'x')));
    ExpectEnvelope(response, 413, "PAYLOAD_TOO_LARGE");
    EXPECT_EQ(response.Header("connection"), "close");
    EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
  }
  {
    // Announced but not sent: refused without waiting for the body.
    Client client(port());
    ClientResponse response =
        client.Request("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n");
    ExpectEnvelope(response, 413, "PAYLOAD_TOO_LARGE");
  }
  {
    // Chunked bodies count too.
    Client client(port());
    std::string chunked = "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) absl::StrAppend(&chunked, "200\r\n", std::string(512, 'y'), "\r\n");
    chunked += "0\r\n\r\n";
    ExpectEnvelope(client.Request(chunked), 413, "PAYLOAD_TOO_LARGE");
  }
  // Exactly at the limit is fine.
  Client client(port());
  EXPECT_EQ(client.Request(Post("/ok", std::string(1024, 'z'))).status, 200);
}

TEST_F(HttpServerTest, HeaderOverLimitIs431) {
  HttpServerOptions options = DefaultOptions();
  options.max_header_bytes = 1024;
  StartServer(options);
  Client client(port());
  ClientResponse response =
      client.Request(Get("/h", absl::StrCat("X-Big: ", std::string(4000, 'h'), "\r\n")));
  ExpectEnvelope(response, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE");
  EXPECT_EQ(response.Header("connection"), "close");
  EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
}

// Found by fuzzing (tests/fuzz/http_request_parse): Beast counted its limit
// for the request line and for the fields separately when the request line
// came in the first read, so a long target let a header well over the limit
// through.
TEST_F(HttpServerTest, HeaderLimitCountsTheRequestLine) {
  HttpServerOptions options = DefaultOptions();
  options.max_header_bytes = 1024;
  StartServer(options);
  const std::string target = "/" + std::string(400, 't');
  const std::string fields = absl::StrCat("X-Big: ", std::string(700, 'h'), "\r\n");
  ASSERT_GT(Get(target, fields).size(), 1024u);
  ASSERT_LT(Get("/h", fields).size(), 1024u);
  Client over(port());
  ExpectEnvelope(over.Request(Get(target, fields)), 431, "REQUEST_HEADER_FIELDS_TOO_LARGE");
  Client under(port());
  EXPECT_EQ(under.Request(Get("/h", fields)).status, 200);
}

// Found by fuzzing (tests/fuzz/http_request_parse): Beast 1.74 asserted on
// an empty chunked body whose last CRLF came in pieces, which aborted the
// server in builds with assertions (see bazel/boost_assert.cc).
TEST_F(HttpServerTest, ChunkedRequestInSmallPiecesIsRead) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(
      client.Send("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"));
  for (const char* piece : {"\r", "\n"}) {
    absl::SleepFor(absl::Milliseconds(50));  // separate reads on the server
    ASSERT_TRUE(client.Send(piece));
  }
  ClientResponse response;
  ASSERT_TRUE(client.Read(&response));
  EXPECT_EQ(response.status, 200);
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  StartServer();
  for (const std::string raw :
       {"GARBAGE\r\n\r\n", "GET /x HTTP/9\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    Client client(port());
    ClientResponse response = client.Request(raw);
    ExpectEnvelope(response, 400, "VALIDATION_ERROR");
    EXPECT_EQ(
        response.body,
        R"({"success":false,"error":{"code":"VALIDATION_ERROR","message":"malformed HTTP request"}})");
    EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2))) << raw;
  }
}

// The server itself knows no API format: without error_format its refusals
// are the message as plain text.
TEST_F(HttpServerTest, RefusalsArePlainTextByDefault) {
  HttpServerOptions options = DefaultOptions();
  options.error_format = {};
  options.max_body_bytes = 10;
  StartServer(options);
  {
    Client client(port());
    ClientResponse response = client.Request("GARBAGE\r\n\r\n");
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(response.Header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(response.body, "malformed HTTP request\n");
    EXPECT_EQ(response.Header("content-length"), std::to_string(response.body.size()));
  }
  {
    Client client(port());
    ClientResponse response = client.Request(Post("/p", std::string(11, 'x')));
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(response.Header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(response.body, "request body is over the limit of 10 bytes\n");
  }
  Client client(port());
  ClientResponse response = client.Request(Get("/throw"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.Header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response.body, "internal error\n");
}

// Every refusal goes through error_format, with its code and message.
TEST_F(HttpServerTest, ErrorFormatWordsEveryRefusal) {
  HttpServerOptions options = DefaultOptions();
  options.error_format = {"application/x-refusal",
                          [](absl::string_view code, absl::string_view message) {
                            return absl::StrCat(code, "|", message);
                          }};
  options.max_body_bytes = 10;
  options.handler_timeout = absl::Milliseconds(200);
  StartServer(options);
  struct Case {
    std::string request;
    int status;
    std::string body;
  };
  for (const Case& c : std::vector<Case>{
           {"GARBAGE\r\n\r\n", 400, "VALIDATION_ERROR|malformed HTTP request"},
           {"GET /x HTTP/1.1\r\n\r\n", 400, "VALIDATION_ERROR|missing Host header"},
           {"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
            "NOT_IMPLEMENTED|only the chunked transfer coding is supported"},
           {Post("/p", std::string(11, 'x')), 413,
            "PAYLOAD_TOO_LARGE|request body is over the limit of 10 bytes"},
           {Get("/throw"), 500, "INTERNAL_ERROR|internal error"},
           {Get("/status-99"), 500, "INTERNAL_ERROR|internal error"},
           {Get("/never"), 504, "GATEWAY_TIMEOUT|the request took too long to process"},
       }) {
    Client client(port());
    ClientResponse response = client.Request(c.request);
    EXPECT_EQ(response.status, c.status) << c.request;
    EXPECT_EQ(response.Header("content-type"), "application/x-refusal") << c.request;
    EXPECT_EQ(response.body, c.body) << c.request;
  }
  for (auto& respond : handler_.TakeParked()) respond(HttpResponse{});
}

TEST_F(HttpServerTest, SlowClientIsCutOffAfterReadTimeout) {
  HttpServerOptions options = DefaultOptions();
  options.read_timeout = absl::Milliseconds(300);
  StartServer(options);
  Client client(port());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(client.Send("POST /slowloris HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  ClientResponse response;
  ASSERT_TRUE(client.Read(&response));
  ExpectEnvelope(response, 408, "REQUEST_TIMEOUT");
  EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, absl::Milliseconds(250));
  EXPECT_LT(elapsed, absl::Seconds(2));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionClosesSilently) {
  HttpServerOptions options = DefaultOptions();
  options.idle_timeout = absl::Milliseconds(200);
  options.read_timeout = absl::Seconds(5);
  StartServer(options);
  Client client(port());
  EXPECT_EQ(client.Request(Get("/once")).status, 200);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
}

TEST_F(HttpServerTest, ThousandsOfIdleConnectionsDoNotStarveNewRequests) {
  constexpr int kIdle = 2000;
  rlimit limit;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const rlim_t wanted = 2 * kIdle + 256;  // client and server ends share the process
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < wanted) GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low";

  HttpServerOptions options = DefaultOptions();
  options.io_threads = 2;
  StartServer(options);
  std::vector<std::unique_ptr<Client>> idle;
  idle.reserve(kIdle);
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<Client>(port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  const absl::Time start = absl::Now();
  Client fresh(port());
  EXPECT_EQ(fresh.Request(Get("/fresh")).body, "GET /fresh  ");
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  // The idle ones were really accepted and still work.
  EXPECT_EQ(idle.front()->Request(Get("/first")).status, 200);
  EXPECT_EQ(idle.back()->Request(Get("/last")).status, 200);
}

TEST_F(HttpServerTest, ClientGoneBeforeResponseIsHarmless) {
  StartServer();
  for (int i = 0; i < 5; ++i) {
    Client client(port());
    ASSERT_TRUE(client.Send(Get("/slow")));
  }  // closed right away; the handler responds 200 ms later
  handler_.WaitForRequests(5);
  absl::SleepFor(absl::Milliseconds(300));
  Client client(port());
  EXPECT_EQ(client.Request(Get("/after")).status, 200);
}

TEST_F(HttpServerTest, HandlerThatNeverRespondsGets504) {
  HttpServerOptions options = DefaultOptions();
  options.handler_timeout = absl::Milliseconds(200);
  StartServer(options);
  Client client(port());
  const absl::Time start = absl::Now();
  ClientResponse response = client.Request(Get("/never"));
  ExpectEnvelope(response, 504, "GATEWAY_TIMEOUT");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  // A respond after the timeout is ignored and the connection goes on.
  for (auto& respond : handler_.TakeParked()) respond(HttpResponse{});
  EXPECT_EQ(client.Request(Get("/next")).body, "GET /next  ");
}

TEST_F(HttpServerTest, RespondFromAnotherThread) {
  StartServer();
  Client client(port());
  EXPECT_EQ(client.Request(Get("/thread")).body, "GET /thread  ");
  EXPECT_EQ(client.Request(Get("/slow")).body, "GET /slow  ");
}

TEST_F(HttpServerTest, NoContentResponseHasNoBody) {
  StartServer();
  Client client(port());
  ClientResponse response = client.Request(Get("/204"));
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.Header("content-length"), "");
  EXPECT_EQ(client.Request(Get("/after")).status, 200);
}

TEST_F(HttpServerTest, HeadIsAnsweredWithTheLengthAndNoBody) {
  StartServer();
  Client client(port());
  ClientResponse head =
      client.Request("HEAD /asset?v=1 HTTP/1.1\r\nHost: test\r\n\r\n", /*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  // The handler's body was "HEAD /asset?v=1  " (17 bytes): its length, none of it.
  EXPECT_EQ(head.Header("content-length"), "17");
  EXPECT_EQ(head.Header("content-type"), "application/json");
  EXPECT_EQ(head.Header("x-request-id"), "req-1");
  // Had any body byte been sent, it would be read as the next response's start.
  ClientResponse after = client.Request(Get("/after"));
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "GET /after  ");
  // The same for a large answer (a HEAD of a big document costs no write).
  ClientResponse big = client.Request("HEAD /big HTTP/1.1\r\nHost: test\r\n\r\n", true);
  EXPECT_EQ(big.Header("content-length"), std::to_string(1 << 20));
  EXPECT_EQ(client.Request(Get("/after")).body, "GET /after  ");
}

TEST_F(HttpServerTest, HandlerCannotInjectOrOverrideFraming) {
  StartServer();
  Client client(port());
  ClientResponse response = client.Request(Get("/injection"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("x-bad"), "");
  EXPECT_EQ(response.Header("set-cookie"), "");
  EXPECT_EQ(response.Header("content-length"), std::to_string(response.body.size()));
  EXPECT_EQ(client.Request(Get("/after")).status, 200);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosed) {
  HttpServerOptions options = DefaultOptions();
  options.max_connections = 2;
  StartServer(options);
  Client first(port());
  Client second(port());
  EXPECT_EQ(first.Request(Get("/1")).status, 200);
  EXPECT_EQ(second.Request(Get("/2")).status, 200);
  Client third(port());
  EXPECT_TRUE(third.ClosedByServer(absl::Seconds(2)));
  first.Close();
  absl::SleepFor(absl::Milliseconds(100));
  Client fourth(port());
  EXPECT_EQ(fourth.Request(Get("/4")).status, 200);
}

TEST_F(HttpServerTest, ShutdownLetsInFlightRequestFinish) {
  StartServer();
  Client idle(port());
  EXPECT_EQ(idle.Request(Get("/warm")).status, 200);
  Client busy(port());
  ASSERT_TRUE(busy.Send(Get("/slow")));
  handler_.WaitForRequests(2);

  const absl::Time start = absl::Now();
  std::thread shutdown([this] { server_->Shutdown(absl::Seconds(5)); });
  ClientResponse response;
  ASSERT_TRUE(busy.Read(&response));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "GET /slow  ");
  EXPECT_EQ(response.Header("connection"), "close");
  EXPECT_TRUE(busy.ClosedByServer(absl::Seconds(2)));
  EXPECT_TRUE(idle.ClosedByServer(absl::Seconds(2)));
  shutdown.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  Client late(port());
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, ShutdownGraceBoundsStuckRequestsAndLateRespondIsSafe) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/never")));
  handler_.WaitForRequests(1);
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(200));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(150));
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_TRUE(client.ClosedByServer(absl::Seconds(1)));
  server_.reset();
  // The server is gone: responding now must be a no-op.
  for (auto& respond : handler_.TakeParked()) respond(HttpResponse{});
}

// ------------------------------------------------------------ framing

// Sent right after each refused request, as a smuggler would: whatever reads
// the first request's framing differently runs this as a second request.
constexpr char kSmuggled[] = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

struct RefusedCase {
  std::string name;
  std::string head;  // request line and fields, without the blank line
  std::string body;  // sent after the blank line, before kSmuggled
  int status;
  std::string code;
};

std::vector<RefusedCase> RefusedRequests() {
  const std::string post = "POST /first HTTP/1.1\r\nHost: t\r\n";
  const std::string get = "GET /first HTTP/1.1\r\n";
  const std::string v = "VALIDATION_ERROR";
  return {
      // RFC 9112 6.3: chunked not final -> the length is unknown: 400.
      {"TE gzip", post + "Transfer-Encoding: gzip", "", 400, v},
      {"TE identity", post + "Transfer-Encoding: identity", "", 400, v},
      {"TE chunked, identity", post + "Transfer-Encoding: chunked, identity", "0\r\n\r\n", 400, v},
      {"TE chunked, chunked", post + "Transfer-Encoding: chunked, chunked", "0\r\n\r\n", 400, v},
      {"TE chunked twice", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
       "0\r\n\r\n", 400, v},
      {"TE empty list", post + "Transfer-Encoding: ,", "", 400, v},
      {"TE identity with Content-Length", post + "Transfer-Encoding: identity\r\nContent-Length: 5",
       "hello", 400, v},
      {"TE chunked with Content-Length", post + "Transfer-Encoding: chunked\r\nContent-Length: 5",
       "0\r\n\r\n", 400, v},
      {"Content-Length then TE", post + "Content-Length: 5\r\nTransfer-Encoding: chunked",
       "0\r\n\r\n", 400, v},
      // RFC 9112 6.1: faulty framing in HTTP/1.0.
      {"HTTP/1.0 with TE", "POST /first HTTP/1.0\r\nTransfer-Encoding: chunked", "0\r\n\r\n", 400,
       v},
      // A coding we do not decode (RFC 9112 6.1: 501).
      {"TE gzip, chunked", post + "Transfer-Encoding: gzip, chunked", "5\r\nhello\r\n0\r\n\r\n",
       501, "NOT_IMPLEMENTED"},
      {"TE gzip then chunked", post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
       "5\r\nhello\r\n0\r\n\r\n", 501, "NOT_IMPLEMENTED"},
      // RFC 9112 3.2.
      {"HTTP/1.1 without Host", get, "", 400, v},
      {"two Host", get + "Host: a\r\nHost: b", "", 400, v},
      {"Host with a space", get + "Host: a b", "", 400, v},
      {"Host with a path", get + "Host: a/b", "", 400, v},
      {"Host with userinfo", get + "Host: user@a", "", 400, v},
      // Duplicates another hop may resolve otherwise.
      {"two Authorization", get + "Host: t\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b",
       "", 400, v},
      {"two Content-Type",
       post + "Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 2",
       "{}", 400, v},
      {"two equal Content-Length", post + "Content-Length: 5\r\nContent-Length: 5", "hello", 400,
       v},
      {"Content-Length list", post + "Content-Length: 5, 5", "hello", 400, v},
      {"two different Content-Length", post + "Content-Length: 5\r\nContent-Length: 6", "hello",
       400, v},
  };
}

TEST_F(HttpServerTest, AmbiguousFramingIsRefusedAndWhatFollowsNeverRuns) {
  StartServer();
  for (const RefusedCase& c : RefusedRequests()) {
    SCOPED_TRACE(c.name);
    Client client(port());
    ASSERT_TRUE(client.Send(c.head + "\r\n\r\n" + c.body + kSmuggled));
    ClientResponse response;
    ASSERT_TRUE(client.Read(&response));
    ExpectEnvelope(response, c.status, c.code);
    EXPECT_EQ(response.Header("connection"), "close");
    // No second response: the connection ends after the first.
    EXPECT_TRUE(client.ClosedByServer(absl::Seconds(2)));
  }
  Client after(port());
  EXPECT_EQ(after.Request(Get("/after")).status, 200);
  // Neither the refused requests nor what followed them reached the handler.
  EXPECT_EQ(handler_.targets(), std::vector<std::string>{"/after"});
}

TEST_F(HttpServerTest, UnambiguousFramingIsStillRead) {
  StartServer();
  Client client(port());
  EXPECT_EQ(client
                .Request("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: CHUNKED\r\n\r\n"
                         "3\r\nabc\r\n0\r\n\r\n")
                .body,
            "POST /c  abc");
  EXPECT_EQ(client.Request("GET /ip HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").status, 200);
  EXPECT_EQ(client.Request("GET /empty-host HTTP/1.1\r\nHost:\r\n\r\n").status, 200);
  EXPECT_EQ(client.Request(Get("/auth", "Authorization: Bearer a\r\n")).status, 200);
  // HTTP/1.0 needs no Host.
  Client old(port());
  EXPECT_EQ(old.Request("GET /old HTTP/1.0\r\n\r\n").status, 200);
}

// ------------------------------------------------------------ memory bounds

std::string Repeated(const std::string& request, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += request;
  return out;
}

// 32 pipelined 1 MiB responses: far more than the socket buffers hold, so the
// server's write stalls while the client reads nothing.
constexpr int kPipelinedBig = 32;

// Heap bytes in use in this process (server and clients alike).
size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Found measuring 2,000 keep-alive clients of /openapi.json: assigning an
// empty response kept the body's capacity, so each connection held the size
// of its largest answer until it closed (the idle timeout, 60 s).
TEST_F(HttpServerTest, WrittenResponsesAreFreedWhileTheConnectionStaysOpen) {
  StartServer();
  constexpr int kClients = 32;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(port()));
  ASSERT_TRUE(clients[0]->Send(Get("/warm-up")));
  ClientResponse warm;
  ASSERT_TRUE(clients[0]->Read(&warm));
  const size_t before = HeapInUse();
  for (auto& client : clients) {
    ASSERT_TRUE(client->Send(Get("/big")));
    ASSERT_TRUE(client->ReadAndDiscard(1 << 20));
  }
  absl::SleepFor(absl::Milliseconds(100));  // the last write's completion ran
  const size_t after = HeapInUse();
  // 32 MiB when every open connection keeps its answer's buffer.
  EXPECT_LT(after, before + (8 << 20)) << "before " << before << ", after " << after;
  EXPECT_EQ(clients.back()->Request(Get("/still-open")).status, 200);
}

// A client that reads nothing: with the kernel's autotuning the server could
// hand it several MiB (all of them held by the kernel), with the fixed send
// buffer its first 1 MiB answer already does not fit, so the next request it
// pipelined is never even read.
TEST_F(HttpServerTest, KernelSendBufferBoundsWhatANonReaderIsHanded) {
  StartServer();
  Client client(port(), /*receive_buffer=*/16 << 10);
  ASSERT_TRUE(client.Send(Repeated(Get("/big"), 8)));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(handler_.received(), 1);
}

TEST_F(HttpServerTest, ClientThatStopsReadingIsClosedAfterTheWriteTimeout) {
  HttpServerOptions options = DefaultOptions();
  options.write_timeout = absl::Milliseconds(300);
  options.idle_timeout = absl::Seconds(30);
  StartServer(options);
  Client client(port(), /*receive_buffer=*/16 << 10);
  ASSERT_TRUE(client.Send(Repeated(Get("/big"), kPipelinedBig)));
  absl::SleepFor(absl::Seconds(1));  // reads nothing meanwhile
  // What the server wrote before giving up, then the end of the connection
  // (without the timeout the server would write all of them as we read).
  int complete = 0;
  ClientResponse response;
  const absl::Time start = absl::Now();
  while (client.Read(&response)) {
    ASSERT_EQ(response.status, 200);
    ++complete;
  }
  EXPECT_LT(complete, kPipelinedBig);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));  // ended by the server, not our 5 s timeout
  Client fresh(port());
  EXPECT_EQ(fresh.Request(Get("/fresh")).status, 200);
}

TEST_F(HttpServerTest, OverTheBufferedBudgetStuckWritesAreDroppedSooner) {
  HttpServerOptions options = DefaultOptions();
  options.max_buffered_bytes = 1 << 20;
  options.write_timeout = absl::Seconds(30);
  options.over_budget_write_timeout = absl::Milliseconds(300);
  StartServer(options);
  Client client(port(), /*receive_buffer=*/16 << 10);
  ASSERT_TRUE(client.Send(Repeated(Get("/big"), kPipelinedBig)));
  absl::SleepFor(absl::Seconds(1));
  int complete = 0;
  ClientResponse response;
  const absl::Time start = absl::Now();
  while (client.Read(&response)) ++complete;
  EXPECT_LT(complete, kPipelinedBig);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  Client fresh(port());
  EXPECT_EQ(fresh.Request(Get("/fresh")).status, 200);
}

TEST_F(HttpServerTest, StuckResponsesOverTheBufferedBudgetShedNewWork) {
  HttpServerOptions options = DefaultOptions();
  options.max_buffered_bytes = 1 << 20;  // one stuck /big response is over it
  options.write_timeout = absl::Seconds(30);
  options.over_budget_write_timeout = absl::Seconds(30);
  StartServer(options);
  Client normal(port());
  EXPECT_EQ(normal.Request(Get("/before")).status, 200);

  auto stuck = std::make_unique<Client>(port(), /*receive_buffer=*/16 << 10);
  ASSERT_TRUE(stuck->Send(Repeated(Get("/big"), kPipelinedBig)));
  // Once its write stalls, new connections are closed unread.
  bool refused = false;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(5);
       !refused && absl::Now() < deadline;) {
    Client probe(port());
    refused = probe.ClosedByServer(absl::Milliseconds(200));
  }
  ASSERT_TRUE(refused) << "new connections were still taken";
  // A request on a connection already open is answered 503 without running.
  ClientResponse busy = normal.Request(Get("/during"));
  ExpectEnvelope(busy, 503, "SERVICE_UNAVAILABLE");
  EXPECT_EQ(busy.Header("retry-after"), "1");
  EXPECT_TRUE(normal.ClosedByServer(absl::Seconds(2)));
  for (const std::string& target : handler_.targets()) EXPECT_NE(target, "/during");

  // The stuck client goes away: its response is released, work is taken again.
  stuck.reset();
  bool served = false;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(5);
       !served && absl::Now() < deadline;) {
    Client again(port());
    ClientResponse response;
    served = again.Send(Get("/again")) && again.Read(&response) && response.status == 200;
    if (!served) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerTest, StartFailsOnBadAddressOrBusyPort) {
  StartServer();
  HttpServerOptions options = DefaultOptions();
  options.address = "not-an-address";
  EXPECT_THAT(HttpServer::Start(options, &handler_), StatusIs(absl::StatusCode::kInvalidArgument));
  options = DefaultOptions();
  options.port = port();
  EXPECT_THAT(HttpServer::Start(options, &handler_), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace affonso::gateway
