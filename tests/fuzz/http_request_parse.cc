// The gateway's HTTP request reading (gateway/http_request_parser: Beast's
// parser with the server's limits, the request handed to the handler, the
// error answers), over bytes a client could send.
//
// Input: one control byte, then the bytes on the connection. The control
// byte's low 7 bits are how many bytes each socket read delivers (0: all at
// once); its high bit selects small limits (256-byte header, 1 KiB body), so
// that the limit paths are reachable within -max_len.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "common/error_envelope.h"
#include "gateway/http/http_request_parser.h"
#include "gateway/http/http_server.h"
#include "tests/fuzz/fuzz_support.h"

namespace affonso::gateway {
namespace {

bool SameResults(const std::vector<ReadResult>& a, const std::vector<ReadResult>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].request.has_value() != b[i].request.has_value() ||
        a[i].error.has_value() != b[i].error.has_value() || a[i].keep_alive != b[i].keep_alive) {
      return false;
    }
    if (a[i].request.has_value()) {
      const HttpRequest& x = *a[i].request;
      const HttpRequest& y = *b[i].request;
      if (x.method != y.method || x.target != y.target || x.headers != y.headers ||
          x.body != y.body) {
        return false;
      }
    }
    if (a[i].error.has_value() &&
        (a[i].error->status != b[i].error->status || a[i].error->code != b[i].error->code ||
         a[i].error->message != b[i].error->message)) {
      return false;
    }
  }
  return true;
}

void CheckResults(const std::vector<ReadResult>& results, const HttpRequestLimits& limits) {
  for (size_t i = 0; i < results.size(); ++i) {
    const ReadResult& result = results[i];
    const bool last = i + 1 == results.size();
    // Exactly one of a request and an answer; nothing after an answer or
    // after a request that closes the connection.
    FUZZ_CHECK(result.request.has_value() != result.error.has_value());
    if (result.error.has_value()) {
      FUZZ_CHECK(last);
      const int status = result.error->status;
      FUZZ_CHECK(status == 400 || status == 413 || status == 431 || status == 501);
      FUZZ_CHECK(!result.error->code.empty() && !result.error->message.empty());
      // As the REST gateway and the ops port word it.
      FUZZ_CHECK(fuzz::IsValidJson(RefusalEnvelope(result.error->code, result.error->message)));
      continue;
    }
    if (!result.keep_alive) FUZZ_CHECK(last);
    const HttpRequest& request = *result.request;
    FUZZ_CHECK(!request.method.empty());
    FUZZ_CHECK(!request.target.empty());
    FUZZ_CHECK(request.body.size() <= limits.max_body_bytes);
    // Framing and credentials are never ambiguous in a request handed on.
    int hosts = 0, lengths = 0, codings = 0, authorizations = 0, types = 0;
    for (const auto& [name, value] : request.headers) {
      hosts += name == "host";
      lengths += name == "content-length";
      codings += name == "transfer-encoding";
      authorizations += name == "authorization";
      types += name == "content-type";
    }
    FUZZ_CHECK(hosts <= 1 && lengths <= 1 && authorizations <= 1 && types <= 1);
    FUZZ_CHECK(lengths == 0 || codings == 0);
    for (const auto& [name, value] : request.headers) {
      FUZZ_CHECK(!name.empty());
      FUZZ_CHECK(absl::AsciiStrToLower(name) == name);
      // Handlers copy header values into responses and gRPC metadata:
      // the parser must never let a line break through.
      FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace affonso::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace affonso::gateway;
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const HttpServerOptions server_defaults;
  HttpRequestLimits limits{server_defaults.max_header_bytes, server_defaults.max_body_bytes};
  if (control & 0x80) limits = {256, 1024};
  const size_t piece = control & 0x7f;

  const std::vector<ReadResult> whole = ReadHttpRequests(bytes, limits, bytes.size() + 1);
  CheckResults(whole, limits);
  if (piece != 0) {
    // However TCP splits the bytes, the server reads the same requests. Only
    // the answer to a bad request may differ: on the first read of a request
    // Beast checks each complete line at once, after a partial read it waits
    // for the blank line first. So a malformed header that never ends (the
    // client closes first) gets a 400 or a silent close, and one that is
    // also too long a 400 or a 431, depending on the split.
    std::vector<ReadResult> split = ReadHttpRequests(bytes, limits, piece);
    CheckResults(split, limits);
    std::vector<ReadResult> requests = whole;
    const auto drop_answers = [](std::vector<ReadResult>* results) {
      while (!results->empty() && results->back().error.has_value()) {
        results->pop_back();
      }
    };
    drop_answers(&requests);
    drop_answers(&split);
    FUZZ_CHECK(SameResults(requests, split));
  }
  return 0;
}
