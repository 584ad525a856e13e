#ifndef AFFONSO_GATEWAY_HTTP_HTTP_REQUEST_PARSER_H_
#define AFFONSO_GATEWAY_HTTP_HTTP_REQUEST_PARSER_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/system/error_code.hpp"
#include "gateway/http/http_message.h"

namespace affonso::gateway {

// How HttpServer turns bytes into requests, apart from its socket: the
// parser with the server's limits, the request handed to the handler, and the
// refusal (HttpError, worded by the server) of a request that cannot be read. ReadHttpRequests runs
// the same steps over a buffer, so the fuzzer exercises what the server runs.

struct HttpRequestLimits {
  size_t max_header_bytes = 16 << 10;  // over it: 431
  size_t max_body_bytes = 1 << 20;     // over it: 413
};

using HttpRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A fresh parser in *parser, with the limits applied.
void StartRequestParser(const HttpRequestLimits& limits, std::optional<HttpRequestParser>* parser);

// The most bytes a connection's read buffer holds: a whole header section
// (Beast may take the limit twice, see CheckHeaderSize) and a little
// read-ahead of pipelined requests, which wait there until the response
// before them is written. Body bytes pass through it into the request.
size_t ReadBufferLimit(const HttpRequestLimits& limits);

// After the header is read, with the bytes the parser took for it: the
// header_limit error when they are over the limit. Beast applies its limit to
// the request line and to the fields separately when both come in one read,
// so without this check the limit would depend on how TCP split the request.
boost::system::error_code CheckHeaderSize(size_t header_bytes, const HttpRequestLimits& limits);

// After the header is read: what it already rules out, answered before any
// body is read and followed by closing the connection (what comes after it is
// never read as a request); nullopt when the request may be read on. RFC 9112:
// a Transfer-Encoding whose final coding is not chunked, with chunked twice,
// with Content-Length or in HTTP/1.0 is 400 (the body's length is in doubt,
// and another hop may see a second request in it: request smuggling); a
// coding we do not decode before chunked is 501; a missing (HTTP/1.1) or
// repeated Host is 400. A repeated Content-Length, Authorization or
// Content-Type is 400 too, even with equal values: another hop may pick
// either one, so we pick none.
std::optional<HttpError> CheckRequestHeader(const HttpRequestParser& parser);

// The request as handlers see it: header names lower-cased, in order.
HttpRequest ToHttpRequest(boost::beast::http::request<boost::beast::http::string_body>&& message);

// The answer to a read that failed with `ec`, after which the connection
// closes: 431 over the header limit (or the read buffer's), 413 over the body
// limit, 400 for a malformed request. nullopt when the client went away (end
// of stream, a message cut short, a socket error): close without an answer.
std::optional<HttpError> ReadError(const boost::system::error_code& ec,
                                   const HttpRequestLimits& limits);

struct ReadResult {
  std::optional<HttpRequest> request;  // handed to the handler, or
  std::optional<HttpError> error;      // answered before closing
  bool keep_alive = false;             // with `request`
};

// What the server reads from a connection on which the client sends `bytes`
// in pieces of at most `max_read` bytes (at least 1), then half-closes: one
// result per request, up to an error answer, a request without keep-alive,
// or the end of the bytes (a request cut short there yields nothing, as the
// server then closes without an answer).
std::vector<ReadResult> ReadHttpRequests(absl::string_view bytes, const HttpRequestLimits& limits,
                                         size_t max_read);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_HTTP_HTTP_REQUEST_PARSER_H_
