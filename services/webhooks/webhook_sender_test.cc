#include "services/webhooks/webhook_sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/status_matchers.h"
#include "gateway/http/http_server.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

constexpr char kReplacement[] = "\xef\xbf\xbd";

// Answers every request with the body and Retry-After it was given.
class CannedReceiver : public gateway::HttpHandler {
 public:
  CannedReceiver(int status, std::string body, std::string retry_after = "")
      : status_(status), body_(std::move(body)), retry_after_(std::move(retry_after)) {}
  void Handle(gateway::HttpRequest request,
              std::function<void(gateway::HttpResponse)> respond) override {
    gateway::HttpResponse response;
    response.status = status_;
    response.body = body_;
    if (!retry_after_.empty()) response.headers.emplace_back("Retry-After", retry_after_);
    respond(std::move(response));
  }

 private:
  int status_;
  std::string body_, retry_after_;
};

class CurlSenderTest : public ::testing::Test {
 protected:
  std::string Serve(gateway::HttpHandler* handler) {
    gateway::HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    auto server = gateway::HttpServer::Start(options, handler);
    EXPECT_OK(server);
    server_ = *std::move(server);
    return absl::StrCat("http://127.0.0.1:", server_->port(), "/hooks");
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }
  PostResult Post(CurlSender& sender, const std::string& url) {
    return sender.Post(url, {{"Content-Type", "application/json"}}, "{}");
  }
  static CurlSenderOptions Private() {
    CurlSenderOptions options;
    options.allow_private_destinations = true;
    options.connect_timeout = absl::Seconds(2);
    options.timeout = absl::Seconds(2);
    return options;
  }

  std::unique_ptr<gateway::HttpServer> server_;
};

TEST_F(CurlSenderTest, TheReceiversBytesComeBackAsValidText) {
  CannedReceiver receiver(503, std::string("\xff\0ok", 4) + std::string(600, 'a'), "12\x01\xfe");
  CurlSender sender(Private());
  const PostResult result = Post(sender, Serve(&receiver));
  EXPECT_EQ(result.status_code, 503);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.response_excerpt,
            absl::StrCat(kReplacement, kReplacement, "ok", std::string(508, 'a')).substr(0, 512));
  EXPECT_LE(result.response_excerpt.size(), kResponseExcerptBytes);
  EXPECT_EQ(result.retry_after, absl::StrCat("12", kReplacement, kReplacement));
}

TEST_F(CurlSenderTest, AnExcerptCutInsideACharacterEndsBeforeIt) {
  CannedReceiver receiver(200, std::string(511, 'a') + "\xe2\x82\xac tail");
  CurlSender sender(Private());
  const PostResult result = Post(sender, Serve(&receiver));
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(result.response_excerpt, std::string(511, 'a'));
}

TEST_F(CurlSenderTest, RefusedAndUnresolvableDestinationsReadTheSame) {
  CannedReceiver receiver(200, "{}");
  const std::string url = Serve(&receiver);
  CurlSender strict({});
  const PostResult internal =
      Post(strict, absl::StrCat("http://localhost:", server_->port(), "/hooks"));
  const PostResult unknown = Post(strict, "http://no-such-host.invalid/hooks");
  EXPECT_EQ(internal.status_code, 0);
  EXPECT_EQ(internal.error, "could not resolve host to an allowed address");
  EXPECT_EQ(unknown.error, internal.error);
  // The difference stays in our log.
  EXPECT_NE(internal.detail, unknown.detail);
  EXPECT_EQ(Post(strict, "ftp://example.com/").error, "invalid URL");
}

TEST_F(CurlSenderTest, ConnectFailuresAndTimeoutsUseFixedWords) {
  CurlSender sender(Private());
  const PostResult refused = Post(sender, "http://127.0.0.1:1/hooks");
  EXPECT_EQ(refused.error, "could not connect");
  EXPECT_NE(refused.detail.find("127.0.0.1"), std::string::npos) << refused.detail;

  class Silent : public gateway::HttpHandler {
   public:
    void Handle(gateway::HttpRequest, std::function<void(gateway::HttpResponse)> respond) override {
      held_ = std::move(respond);  // answered by the server's shutdown
    }
    std::function<void(gateway::HttpResponse)> held_;
  } silent;
  CurlSenderOptions quick = Private();
  quick.connect_timeout = absl::Milliseconds(200);
  quick.timeout = absl::Milliseconds(200);
  CurlSender impatient(quick);
  EXPECT_EQ(Post(impatient, Serve(&silent)).error, "timed out");
  server_->Shutdown(absl::ZeroDuration());  // before `silent` goes
  server_.reset();
}

// A bare HTTP/1.1 keep-alive server on loopback that counts the
// connections it accepts; a request to a path starting "/slow" is answered
// after `slow_delay`.
class CountingServer {
 public:
  explicit CountingServer(absl::Duration slow_delay = absl::ZeroDuration())
      : slow_delay_(slow_delay) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(listener_, 64);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~CountingServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    absl::MutexLock lock(&mu_);
    for (int fd : open_) shutdown(fd, SHUT_RDWR);
    auto none = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return serving_ == 0; };
    mu_.Await(absl::Condition(&none));
  }
  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  int connections() {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }
  int requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Accept() {
    while (true) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      absl::MutexLock lock(&mu_);
      ++accepted_;
      ++serving_;
      open_.push_back(fd);
      std::thread([this, fd] { Serve(fd); }).detach();
    }
  }
  void Serve(int fd) {
    std::string buffer;
    char chunk[4096];
    while (true) {
      const size_t end = buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t body = 0;
        const size_t at = absl::AsciiStrToLower(buffer.substr(0, end)).find("content-length:");
        if (at != std::string::npos) body = std::stoul(buffer.substr(at + 15));
        if (buffer.size() >= end + 4 + body) {
          const bool slow = buffer.find(" /slow") != std::string::npos;
          buffer.erase(0, end + 4 + body);
          {
            absl::MutexLock lock(&mu_);
            ++requests_;
          }
          if (slow) absl::SleepFor(slow_delay_);
          const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
          if (send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) break;
          continue;
        }
      }
      const ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) break;
      buffer.append(chunk, got);
    }
    close(fd);
    absl::MutexLock lock(&mu_);
    open_.erase(std::remove(open_.begin(), open_.end(), fd), open_.end());
    --serving_;
  }

  const absl::Duration slow_delay_;
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  absl::Mutex mu_;
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int requests_ ABSL_GUARDED_BY(mu_) = 0;
  int serving_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int> open_ ABSL_GUARDED_BY(mu_);
};

// Sends to one receiver reuse its kept-alive connections, one after another
// and concurrently alike.
TEST_F(CurlSenderTest, ConnectionsToAReceiverAreKeptAliveAndReused) {
  CountingServer server;
  CurlSender sender(Private());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Post(sender, server.Url("/hooks")).status_code, 200);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(sender.connections_opened(), 1);

  auto burst = [&](int n) {
    absl::Mutex mu;
    int done = 0, ok = 0;
    for (int i = 0; i < n; ++i) {
      sender.Send(PostRequest{server.Url("/hooks"), {}, "{}"}, [&](PostResult result) {
        absl::MutexLock lock(&mu);
        ++done;
        if (result.status_code == 200) ++ok;
      });
    }
    absl::MutexLock lock(&mu);
    auto all = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return done == n; };
    mu.Await(absl::Condition(&all));
    return ok;
  };
  // However the sends of a burst overlap, no more connections are ever open
  // than sends were in flight at once: the second burst reuses the first's.
  EXPECT_EQ(burst(8), 8);
  EXPECT_LE(server.connections(), 8);
  EXPECT_EQ(burst(8), 8);
  EXPECT_LE(server.connections(), 8) << "a second burst opened connections beside the first's";
  EXPECT_EQ(sender.connections_opened(), server.connections());
  EXPECT_EQ(server.requests(), 26);
}

// All sends run on one I/O thread, concurrently: a slow receiver's answer
// holds back no other send, and Abandon gives up on it at once.
TEST_F(CurlSenderTest, ASlowReceiverHoldsBackNoOtherSendAndCanBeAbandoned) {
  CountingServer server(absl::Seconds(5));
  CurlSender sender(Private());
  absl::Mutex mu;
  std::vector<std::string> finished;
  PostResult slow_result;
  const uint64_t slow =
      sender.Send(PostRequest{server.Url("/slow"), {}, "{}"}, [&](PostResult result) {
        absl::MutexLock lock(&mu);
        finished.push_back("slow");
        slow_result = result;
      });
  EXPECT_NE(slow, 0u);
  for (int i = 0; i < 5; ++i) {
    sender.Send(PostRequest{server.Url("/fast"), {}, "{}"}, [&](PostResult result) {
      absl::MutexLock lock(&mu);
      finished.push_back(result.status_code == 200 ? "fast" : "failed");
    });
  }
  {
    absl::MutexLock lock(&mu);
    auto fast_done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return finished.size() >= 5; };
    mu.AwaitWithTimeout(absl::Condition(&fast_done), absl::Seconds(4));
    EXPECT_EQ(finished, std::vector<std::string>(5, "fast"));
  }
  sender.Abandon({slow});
  absl::MutexLock lock(&mu);
  ASSERT_EQ(finished.size(), 6u);
  EXPECT_EQ(finished.back(), "slow");
  EXPECT_TRUE(slow_result.abandoned);
}

// The address check runs where curl connects: a private destination is
// refused before any connection is made, whatever name points there.
TEST_F(CurlSenderTest, APrivateDestinationIsRefusedWithoutConnecting) {
  CountingServer server;
  CurlSender strict({});
  const PostResult refused = Post(strict, server.Url("/hooks"));
  EXPECT_EQ(refused.status_code, 0);
  EXPECT_EQ(refused.error, "could not resolve host to an allowed address");
  EXPECT_EQ(server.connections(), 0);
  EXPECT_EQ(strict.connections_opened(), 0);
}

// What the check on the connection actually used (CURLOPT_PREREQFUNCTION)
// lets through: the checked address in any spelling, nothing else, and no
// private address unless allowed.
TEST(ConnectedAddressAllowedTest, OnlyTheCheckedAddressAndNeverAPrivateOne) {
  EXPECT_TRUE(ConnectedAddressAllowed("93.184.216.34", "93.184.216.34", false));
  EXPECT_TRUE(ConnectedAddressAllowed("2606:2800:220:1:248:1893:25c8:1946",
                                      "2606:2800:0220:0001:0248:1893:25C8:1946", false));
  EXPECT_FALSE(ConnectedAddressAllowed("93.184.216.35", "93.184.216.34", false));
  EXPECT_FALSE(ConnectedAddressAllowed("10.0.0.1", "93.184.216.34", true));
  EXPECT_FALSE(ConnectedAddressAllowed("127.0.0.1", "127.0.0.1", false));
  EXPECT_TRUE(ConnectedAddressAllowed("127.0.0.1", "127.0.0.1", true));
  EXPECT_FALSE(ConnectedAddressAllowed("", "93.184.216.34", true));
  EXPECT_FALSE(ConnectedAddressAllowed("::ffff:127.0.0.1", "93.184.216.34", false));
}

TEST(PublicSendErrorTest, EveryCurlCodeMapsToAFixedPhrase) {
  EXPECT_STREQ(PublicSendError(CURLE_COULDNT_RESOLVE_HOST),
               "could not resolve host to an allowed address");
  EXPECT_STREQ(PublicSendError(CURLE_PEER_FAILED_VERIFICATION), "TLS error");
  EXPECT_STREQ(PublicSendError(CURLE_GOT_NOTHING), "connection closed");
  EXPECT_STREQ(PublicSendError(CURLE_WEIRD_SERVER_REPLY), "invalid HTTP response");
  EXPECT_STREQ(PublicSendError(CURLE_OUT_OF_MEMORY), "send failed");
}

}  // namespace
}  // namespace affonso::services
