#include "services/webhooks/webhook_sender.h"

#include <curl/curl.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
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
