// The services' input validators over arbitrary text: services/validation
// (emails, lengths, ids, money), services/outbound_url (webhook URLs and
// private addresses, compared with libcurl's own URL parser, which is what
// connects), NormalizeEmail (self-referral check) and the disposable-domain
// lookup.
//
// Input: the text given to every validator; amounts are also read from it as
// a JSON number's text and, with 8 bytes or more, as a raw double.

#include <arpa/inet.h>
#include <curl/curl.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/api_error.h"
#include "services/call/validation.h"
#include "services/rules/disposable_domains.h"
#include "services/rules/fraud_checks.h"
#include "services/webhooks/outbound_url.h"
#include "tests/fuzz/fuzz_support.h"

namespace affonso::services {
namespace {

size_t CodePoints(absl::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

bool IsVisibleAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

void CheckIsValidation(const absl::Status& status, absl::string_view field) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  FUZZ_CHECK(ApiErrorCode(status) == "VALIDATION_ERROR");
  FUZZ_CHECK(ApiErrorField(status) == field);
}

void CheckEmails(absl::string_view text) {
  const bool valid = IsValidEmail(text);
  const absl::Status checked = CheckEmail("email", text);
  FUZZ_CHECK(checked.ok() == (text.empty() || valid));
  if (!checked.ok()) CheckIsValidation(checked, "email");
  if (!valid) return;
  FUZZ_CHECK(text.size() <= 254);
  FUZZ_CHECK(IsVisibleAscii(text));
  FUZZ_CHECK(text.find('@') != absl::string_view::npos);
  // The self-referral check compares normalized addresses (keys, not
  // always addresses: "a.+x@d.com" is "a.@d.com"): normalizing again
  // changes nothing.
  const std::string normalized = NormalizeEmail(text);
  FUZZ_CHECK(NormalizeEmail(normalized) == normalized);
  // The disposable-domain lookup reads a fully qualified name ("x.com.")
  // as the name itself.
  const std::string domain = normalized.substr(normalized.rfind('@') + 1);
  const DisposableDomains& disposable = DisposableDomains::Builtin();
  FUZZ_CHECK(disposable.Contains(domain) == disposable.Contains(absl::StrCat(domain, ".")));
}

void CheckLengthsAndIds(absl::string_view text) {
  for (size_t max : {size_t{0}, size_t{1}, size_t{45}, size_t{255}}) {
    const absl::Status status = CheckMaxLength("name", text, max);
    FUZZ_CHECK(status.ok() == (CodePoints(text) <= max));
    if (!status.ok()) CheckIsValidation(status, "name");
  }
  const absl::Status required = RequireNonEmpty("name", text);
  FUZZ_CHECK(required.ok() == !absl::StripAsciiWhitespace(text).empty());
  if (!required.ok()) CheckIsValidation(required, "name");
  for (absl::string_view prefix : {"clk", "ref", "aff", "whk", ""}) {
    if (!LooksLikeId(text, prefix)) continue;
    FUZZ_CHECK(text.size() <= 64);
    FUZZ_CHECK(absl::StartsWith(text, absl::StrCat(prefix, "_")));
    FUZZ_CHECK(IsVisibleAscii(text));
  }
}

// What the stores write into numeric(18,2): the amount with 2 decimals.
std::string Stored(double amount) { return absl::StrFormat("%.2f", amount); }

// "007.5" -> "7.50"; empty when `text` is not digits with at most 2
// decimals.
std::string TwoDecimals(absl::string_view text) {
  const size_t point = text.find('.');
  absl::string_view whole = text.substr(0, point);
  absl::string_view cents = point == absl::string_view::npos ? "" : text.substr(point + 1);
  const auto digits = [](absl::string_view s) {
    return s.find_first_not_of("0123456789") == absl::string_view::npos;
  };
  if (whole.empty() || !digits(whole) || !digits(cents) || cents.size() > 2 ||
      (point != absl::string_view::npos && cents.empty())) {
    return "";
  }
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  return absl::StrCat(whole, ".", cents, std::string(2 - cents.size(), '0'));
}

void CheckAmountOf(double amount) {
  for (bool percentage : {false, true}) {
    const absl::Status status = CheckAmount(amount, percentage);
    if (!status.ok()) {
      CheckIsValidation(status, "amount");
      continue;
    }
    FUZZ_CHECK(std::isfinite(amount) && amount >= 0);
    if (percentage) FUZZ_CHECK(amount <= 100);
    // Stored exactly: what the database keeps reads back as this amount.
    FUZZ_CHECK(std::strtod(Stored(amount).c_str(), nullptr) == amount);
  }
}

void CheckAmounts(absl::string_view text, const uint8_t* data, size_t size) {
  double amount;
  if (absl::SimpleAtod(text, &amount)) {
    CheckAmountOf(amount);
    // A JSON amount written with at most 2 decimals is accepted only if the
    // database then holds exactly what the client wrote; up to 13 integer
    // digits (15 significant digits, exact in a double) it is accepted.
    const std::string decimal = TwoDecimals(text);
    if (!decimal.empty()) {
      if (CheckAmount(amount, false).ok()) {
        FUZZ_CHECK(Stored(amount) == decimal);
      }
      if (decimal.size() <= 16) FUZZ_CHECK(CheckAmount(amount, false).ok());
    }
  }
  if (size >= sizeof(double)) {
    std::memcpy(&amount, data, sizeof(double));
    CheckAmountOf(amount);
  }
}

// Host, port and scheme as libcurl reads `url` (as curl_easy_perform does),
// or false when curl refuses it.
struct CurlView {
  std::string scheme, host;
  long port = 0;
};
bool CurlParse(const std::string& url, CurlView* view) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), curl_url_cleanup);
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(),
                   CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return false;
  }
  const auto get = [&](CURLUPart part, unsigned flags, std::string* out) {
    char* value = nullptr;
    if (curl_url_get(handle.get(), part, &value, flags) != CURLUE_OK) return false;
    *out = value;
    curl_free(value);
    return true;
  };
  std::string port;
  if (!get(CURLUPART_SCHEME, 0, &view->scheme) || !get(CURLUPART_HOST, 0, &view->host) ||
      !get(CURLUPART_PORT, CURLU_DEFAULT_PORT, &port)) {
    return false;
  }
  view->port = std::strtol(port.c_str(), nullptr, 10);
  return true;
}

// `a` and `b` are numeric forms of one address as glibc reads them (curl
// writes IP literals in canonical form: "0x7f.1" is "127.0.0.1", "::0" is
// "::").
bool SameAddress(const std::string& a, const std::string& b) {
  in_addr x4, y4;
  if (inet_aton(a.c_str(), &x4) == 1 && inet_aton(b.c_str(), &y4) == 1) {
    return x4.s_addr == y4.s_addr;
  }
  in6_addr x6, y6;
  return inet_pton(AF_INET6, a.c_str(), &x6) == 1 && inet_pton(AF_INET6, b.c_str(), &y6) == 1 &&
         std::memcmp(&x6, &y6, sizeof(x6)) == 0;
}

void CheckOutboundUrl(absl::string_view text) {
  (void)IsPrivateAddress(std::string(text));
  absl::StatusOr<OutboundTarget> target = ParseOutboundUrl(text);
  if (!target.ok()) {
    CheckIsValidation(target.status(), "url");
    return;
  }
  FUZZ_CHECK(target->scheme == "http" || target->scheme == "https");
  FUZZ_CHECK(target->port >= 1 && target->port <= 65535);
  FUZZ_CHECK(!target->host.empty() && target->host.size() <= 253);
  FUZZ_CHECK(absl::AsciiStrToLower(target->host) == target->host);
  FUZZ_CHECK(absl::StartsWith(target->path_and_query, "/"));
  FUZZ_CHECK(target->path_and_query.find('#') == std::string::npos);
  FUZZ_CHECK(IsVisibleAscii(target->path_and_query));

  const bool ipv6 = target->host.find(':') != std::string::npos;
  // Written back as a URL, it parses to the same target.
  const std::string rebuilt =
      absl::StrCat(target->scheme, "://", ipv6 ? "[" : "", target->host, ipv6 ? "]" : "", ":",
                   target->port, target->path_and_query);
  absl::StatusOr<OutboundTarget> again = ParseOutboundUrl(rebuilt);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->scheme == target->scheme && again->host == target->host &&
             again->port == target->port && again->path_and_query == target->path_and_query);

  // The sender checks OUR host and pins curl to the address it resolved for
  // it (CURLOPT_RESOLVE host:port): if curl read another host or port from
  // the same URL, it would resolve and connect on its own, unchecked.
  CurlView curl;
  if (!CurlParse(std::string(text), &curl)) return;
  std::string curl_host = absl::AsciiStrToLower(curl.host);
  if (curl_host.size() >= 2 && curl_host.front() == '[' && curl_host.back() == ']') {
    curl_host = curl_host.substr(1, curl_host.size() - 2);
  }
  FUZZ_CHECK(absl::AsciiStrToLower(curl.scheme) == target->scheme);
  FUZZ_CHECK(curl.port == target->port);
  FUZZ_CHECK(curl_host == target->host || SameAddress(curl_host, target->host));
}

}  // namespace
}  // namespace affonso::services

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace affonso::services;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  CheckEmails(text);
  CheckLengthsAndIds(text);
  CheckAmounts(text, data, size);
  CheckOutboundUrl(text);
  return 0;
}
