#include "gateway/http/http_request_parser.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

constexpr size_t kWhole = 1 << 20;

TEST(ReadHttpRequestsTest, ReadsARequestWithLowerCasedHeaderNames) {
  std::vector<ReadResult> results = ReadHttpRequests(
      "POST /v1/signups?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: "
      "application/json\r\nContent-Length: 2\r\n\r\n{}",
      {}, kWhole);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].request.has_value());
  const HttpRequest& request = *results[0].request;
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/signups?x=1");
  EXPECT_EQ(request.body, "{}");
  EXPECT_EQ(request.Header("content-type"), "application/json");
  ASSERT_EQ(request.headers.size(), 3u);
  EXPECT_EQ(request.headers[1].first, "content-type");
  EXPECT_TRUE(results[0].keep_alive);
}

TEST(ReadHttpRequestsTest, PipelinedRequestsUntilConnectionClose) {
  const std::string get = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string close = "GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  std::vector<ReadResult> results = ReadHttpRequests(get + close + get, {}, kWhole);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].request->target, "/a");
  EXPECT_EQ(results[1].request->target, "/b");
  EXPECT_FALSE(results[1].keep_alive);
}

TEST(ReadHttpRequestsTest, ByteByByteReadsTheSameAsWhole) {
  const std::string bytes =
      "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
      "GET /y HTTP/1.1\r\nHost: a\r\n\r\n";
  std::vector<ReadResult> whole = ReadHttpRequests(bytes, {}, kWhole);
  std::vector<ReadResult> bytewise = ReadHttpRequests(bytes, {}, 1);
  ASSERT_EQ(whole.size(), 2u);
  ASSERT_EQ(bytewise.size(), 2u);
  EXPECT_EQ(whole[0].request->body, "abcde");
  EXPECT_EQ(bytewise[0].request->body, "abcde");
  EXPECT_EQ(bytewise[1].request->target, "/y");
}

// Beast 1.74 asserted on this, split so (see bazel/boost_assert.cc).
TEST(ReadHttpRequestsTest, EmptyChunkedBodyByteByByte) {
  std::vector<ReadResult> results = ReadHttpRequests(
      "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {}, 1);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].request.has_value());
  EXPECT_EQ(results[0].request->body, "");
}

TEST(ReadHttpRequestsTest, HeaderOverTheLimitIs431) {
  HttpRequestLimits limits;
  limits.max_header_bytes = 64;
  std::vector<ReadResult> results =
      ReadHttpRequests("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", limits, 7);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].error.has_value());
  EXPECT_EQ(results[0].error->status, 431);
}

TEST(ReadHttpRequestsTest, HeaderLimitCoversTheRequestLineHoweverSplit) {
  HttpRequestLimits limits;
  limits.max_header_bytes = 256;
  const auto request = [](size_t target_length) {
    return "GET /" + std::string(target_length, 't') +
           " HTTP/1.1\r\nHost: a\r\nX: " + std::string(150, 'x') + "\r\n\r\n";
  };
  const size_t at_limit = 256 - request(0).size();
  ASSERT_EQ(request(at_limit).size(), 256u);
  for (size_t piece : {size_t{1}, size_t{7}, size_t{100}, kWhole}) {
    std::vector<ReadResult> fits = ReadHttpRequests(request(at_limit), limits, piece);
    ASSERT_EQ(fits.size(), 1u) << piece;
    EXPECT_TRUE(fits[0].request.has_value()) << piece;
    std::vector<ReadResult> over = ReadHttpRequests(request(at_limit + 1), limits, piece);
    ASSERT_EQ(over.size(), 1u) << piece;
    ASSERT_TRUE(over[0].error.has_value()) << piece;
    EXPECT_EQ(over[0].error->status, 431) << piece;
  }
}

TEST(ReadHttpRequestsTest, BodyOverTheLimitIs413NamingTheLimit) {
  HttpRequestLimits limits;
  limits.max_body_bytes = 10;
  std::vector<ReadResult> results =
      ReadHttpRequests("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits, kWhole);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].error.has_value());
  EXPECT_EQ(results[0].error->status, 413);
  EXPECT_EQ(results[0].error->code, "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(results[0].error->message, "request body is over the limit of 10 bytes");
}

TEST(ReadHttpRequestsTest, MalformedIs400AfterTheGoodOnes) {
  std::vector<ReadResult> results = ReadHttpRequests(
      "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/9.9 nonsense\r\n\r\n", {}, kWhole);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].request->target, "/a");
  ASSERT_TRUE(results[1].error.has_value());
  EXPECT_EQ(results[1].error->status, 400);
  EXPECT_EQ(results[1].error->code, "VALIDATION_ERROR");
  EXPECT_FALSE(results[1].error->message.empty());
}

// Each refused with the header alone, in however many pieces it comes, and
// nothing after it is read as a request.
TEST(ReadHttpRequestsTest, AmbiguousFramingIsRefusedBeforeTheBody) {
  const std::string next = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string post = "POST /x HTTP/1.1\r\nHost: a\r\n";
  const struct {
    std::string request;
    int status;
  } cases[] = {
      {post + "Transfer-Encoding: gzip\r\n\r\n", 400},
      {post + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400},
      {post + "Transfer-Encoding: chunked , Chunked\r\n\r\n0\r\n\r\n", 400},
      {post + "Transfer-Encoding: chunked;ext=1\r\n\r\n0\r\n\r\n", 400},
      {post + "Transfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {post + "Transfer-Encoding: deflate,chunked\r\n\r\n0\r\n\r\n", 501},
      {"GET /x HTTP/1.1\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\"b\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\nauthorization: x\r\n\r\n", 400},
      {post + "Content-Type: a/b\r\nContent-Type: a/b\r\n\r\n", 400},
      {post + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
      {post + "Content-Length: 3,3\r\n\r\nabc", 400},
  };
  for (const auto& c : cases) {
    for (size_t piece : {size_t{1}, size_t{5}, kWhole}) {
      SCOPED_TRACE(c.request + " in pieces of " + std::to_string(piece));
      std::vector<ReadResult> results = ReadHttpRequests(c.request + next, {}, piece);
      ASSERT_EQ(results.size(), 1u);
      ASSERT_TRUE(results[0].error.has_value());
      EXPECT_EQ(results[0].error->status, c.status);
    }
  }
}

TEST(ReadHttpRequestsTest, ChunkedAloneAndHostlessHttp10AreRead) {
  std::vector<ReadResult> results = ReadHttpRequests(
      "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "1\r\nz\r\n0\r\n\r\n"
      "GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      {}, kWhole);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].request.has_value());
  EXPECT_EQ(results[0].request->body, "z");
  ASSERT_TRUE(results[1].request.has_value());
  EXPECT_EQ(results[1].request->target, "/y");
}

TEST(ReadHttpRequestsTest, RequestCutShortGetsNoAnswer) {
  EXPECT_TRUE(ReadHttpRequests("", {}, kWhole).empty());
  EXPECT_TRUE(ReadHttpRequests("GET / HTTP/1.1\r\nHost:", {}, kWhole).empty());
  EXPECT_TRUE(
      ReadHttpRequests("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab", {}, 2).empty());
}

}  // namespace
}  // namespace affonso::gateway
