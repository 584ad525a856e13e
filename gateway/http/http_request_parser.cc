#include "gateway/http/http_request_parser.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/asio/buffer.hpp"
#include "boost/asio/error.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/system/system_error.hpp"

namespace affonso::gateway {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

bool IsBeastHttpError(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

absl::string_view FieldValue(const http::request_header<>& header, http::field name) {
  const auto value = header[name];
  return absl::string_view(value.data(), value.size());
}

size_t CountFields(const http::request_header<>& header, http::field name) {
  const auto range = header.equal_range(name);
  return static_cast<size_t>(std::distance(range.first, range.second));
}

HttpError BadRequest(absl::string_view message) {
  return {400, "VALIDATION_ERROR", std::string(message)};
}

// The coding names of every Transfer-Encoding line, in order, lower-cased
// and without parameters; empty list elements are skipped (RFC 9110 5.6.1).
std::vector<std::string> TransferCodings(const http::request_header<>& header) {
  std::vector<std::string> codings;
  const auto range = header.equal_range(http::field::transfer_encoding);
  for (auto it = range.first; it != range.second; ++it) {
    for (absl::string_view element :
         absl::StrSplit(absl::string_view(it->value().data(), it->value().size()), ',')) {
      element = absl::StripAsciiWhitespace(element);
      if (element.empty()) continue;
      // "chunked;x=1" is not chunked: chunked takes no parameters.
      codings.push_back(absl::AsciiStrToLower(element));
    }
  }
  return codings;
}

// RFC 3986 host [ ":" port ]: reg-name, IPv4 or IP-literal characters only.
bool IsValidHost(absl::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isalnum(c) || absl::StrContains("-._~%!$&'()*+,;=:[]", c);
  });
}

// A SyncReadStream over bytes the client sent: at most `max_read` per read,
// then end of file, as a socket delivers them.
class BytesStream {
 public:
  BytesStream(absl::string_view bytes, size_t max_read)
      : rest_(bytes), max_read_(std::max<size_t>(max_read, 1)) {}

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    if (rest_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    const size_t n =
        asio::buffer_copy(buffers, asio::buffer(rest_.data(), std::min(rest_.size(), max_read_)));
    rest_.remove_prefix(n);
    return n;
  }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  absl::string_view rest_;
  const size_t max_read_;
};

}  // namespace

void StartRequestParser(const HttpRequestLimits& limits, std::optional<HttpRequestParser>* parser) {
  parser->emplace();
  (*parser)->header_limit(
      static_cast<std::uint32_t>(std::min<size_t>(limits.max_header_bytes, UINT32_MAX)));
  (*parser)->body_limit(limits.max_body_bytes);
}

size_t ReadBufferLimit(const HttpRequestLimits& limits) {
  return 2 * limits.max_header_bytes + (8 << 10);
}

error_code CheckHeaderSize(size_t header_bytes, const HttpRequestLimits& limits) {
  if (header_bytes > limits.max_header_bytes) return http::error::header_limit;
  return {};
}

std::optional<HttpError> CheckRequestHeader(const HttpRequestParser& parser) {
  const http::request_header<>& header = parser.get();
  if (CountFields(header, http::field::transfer_encoding) > 0) {
    if (header.version() < 11) {
      return BadRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request");
    }
    if (CountFields(header, http::field::content_length) > 0) {
      return BadRequest("Transfer-Encoding and Content-Length together");
    }
    const std::vector<std::string> codings = TransferCodings(header);
    if (codings.empty() || codings.back() != "chunked") {
      return BadRequest("the final transfer coding must be chunked");
    }
    if (std::count(codings.begin(), codings.end(), "chunked") > 1) {
      return BadRequest("chunked transfer coding applied more than once");
    }
    if (codings.size() > 1) {
      return HttpError{501, "NOT_IMPLEMENTED", "only the chunked transfer coding is supported"};
    }
    // Beast decides how it reads the body: it must agree with what we read.
    if (!parser.chunked()) return BadRequest("malformed Transfer-Encoding");
  }
  if (CountFields(header, http::field::content_length) > 1 ||
      absl::StrContains(FieldValue(header, http::field::content_length), ',')) {
    return BadRequest("more than one Content-Length");
  }
  const size_t hosts = CountFields(header, http::field::host);
  if (hosts == 0 && header.version() >= 11) return BadRequest("missing Host header");
  if (hosts > 1) return BadRequest("more than one Host header");
  if (hosts == 1) {
    if (!IsValidHost(FieldValue(header, http::field::host))) {
      return BadRequest("invalid Host header");
    }
  }
  if (CountFields(header, http::field::authorization) > 1) {
    return BadRequest("more than one Authorization header");
  }
  if (CountFields(header, http::field::content_type) > 1) {
    return BadRequest("more than one Content-Type header");
  }
  return std::nullopt;
}

HttpRequest ToHttpRequest(http::request<http::string_body>&& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.headers.reserve(std::distance(message.begin(), message.end()));
  for (const auto& field : message) {
    request.headers.emplace_back(absl::AsciiStrToLower(absl::string_view(
                                     field.name_string().data(), field.name_string().size())),
                                 std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

std::optional<HttpError> ReadError(const error_code& ec, const HttpRequestLimits& limits) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return HttpError{431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "request header section is too large"};
  }
  if (ec == http::error::body_limit) {
    return HttpError{
        413, "PAYLOAD_TOO_LARGE",
        absl::StrCat("request body is over the limit of ", limits.max_body_bytes, " bytes")};
  }
  if (IsBeastHttpError(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    return BadRequest("malformed HTTP request");
  }
  return std::nullopt;
}

std::vector<ReadResult> ReadHttpRequests(absl::string_view bytes, const HttpRequestLimits& limits,
                                         size_t max_read) {
  std::vector<ReadResult> results;
  BytesStream stream(bytes, max_read);
  // One buffer for the connection: bytes past a request are the next one's.
  boost::beast::flat_buffer buffer(ReadBufferLimit(limits));
  std::optional<HttpRequestParser> parser;
  for (;;) {
    StartRequestParser(limits, &parser);
    error_code ec;
    // The server reads the header first (to answer Expect: 100-continue),
    // then the rest.
    const size_t header_bytes = http::read_header(stream, buffer, *parser, ec);
    if (!ec) ec = CheckHeaderSize(header_bytes, limits);
    if (!ec) {
      std::optional<HttpError> refused = CheckRequestHeader(*parser);
      if (refused.has_value()) {
        results.push_back({std::nullopt, std::move(refused)});
        return results;
      }
    }
    if (!ec && !parser->is_done()) http::read(stream, buffer, *parser, ec);
    if (ec) {
      std::optional<HttpError> error = ReadError(ec, limits);
      if (error.has_value()) results.push_back({std::nullopt, std::move(error)});
      return results;
    }
    http::request<http::string_body> message = parser->release();
    ReadResult result;
    result.keep_alive = message.keep_alive();
    result.request = ToHttpRequest(std::move(message));
    results.push_back(std::move(result));
    if (!results.back().keep_alive) return results;
  }
}

}  // namespace affonso::gateway
