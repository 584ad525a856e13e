#include "services/webhooks/webhook_sender.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/untrusted_text.h"
#include "services/webhooks/outbound_url.h"

namespace affonso::services {
namespace {

constexpr size_t kRetryAfterBytes = 64;
constexpr char kUnresolvable[] = "could not resolve host to an allowed address";

struct Response {
  std::string excerpt;
  std::string retry_after;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  const size_t bytes = size * count;
  // Raw bytes; sanitising may only shorten them. A character cut at the
  // limit is dropped then.
  if (response->excerpt.size() < kResponseExcerptBytes) {
    response->excerpt.append(data,
                             std::min(bytes, kResponseExcerptBytes - response->excerpt.size()));
  }
  return bytes;  // read and drop the rest
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  absl::string_view line(data, size * count);
  if (absl::StartsWithIgnoreCase(line, "retry-after:")) {
    response->retry_after = SanitizeUntrustedText(
        absl::StripAsciiWhitespace(line.substr(std::string("retry-after:").size())),
        kRetryAfterBytes);
  }
  return size * count;
}

}  // namespace

const char* PublicSendError(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return "invalid URL";
    case CURLE_COULDNT_RESOLVE_HOST:
      return kUnresolvable;
    case CURLE_COULDNT_CONNECT:
      return "could not connect";
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return "TLS error";
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
      return "connection closed";
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
      return "invalid HTTP response";
    default:
      return "send failed";
  }
}

CurlSender::CurlSender(CurlSenderOptions options) : options_(options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

PostResult CurlSender::Post(const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body) {
  PostResult result;
  const absl::Time start = absl::Now();
  auto target = ParseOutboundUrl(url);
  if (!target.ok()) {
    result.error = "invalid URL";
    result.detail = std::string(target.status().message());
    return result;
  }
  // Unresolvable and refused (private) read the same to the tenant.
  auto address = ResolveOutbound(*target, options_.allow_private_destinations);
  if (!address.ok()) {
    result.error = kUnresolvable;
    result.detail = address.status().ToString();
    result.duration = absl::Now() - start;
    return result;
  }

  // One handle per thread, reused: its connection cache keeps connections to
  // receivers alive between deliveries.
  thread_local std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), curl_easy_cleanup);
  CURL* curl = handle.get();
  if (curl == nullptr) {
    result.error = "send failed";
    result.detail = "curl_easy_init failed";
    return result;
  }
  curl_easy_reset(curl);  // options only; the connection cache stays
  Response response;
  char curl_error[CURL_ERROR_SIZE] = "";
  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : headers) {
    header_list = curl_slist_append(header_list, absl::StrCat(name, ": ", value).c_str());
  }
  header_list = curl_slist_append(header_list, "Expect:");  // no 100-continue round trip
  const std::string ip =
      absl::StrContains(*address, ':') ? absl::StrCat("[", *address, "]") : *address;
  curl_slist* resolve =
      curl_slist_append(nullptr, absl::StrCat(target->host, ":", target->port, ":", ip).c_str());

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could point inside
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout + options_.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "affonso-webhooks/1");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);

  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.status_code = static_cast<int>(status);
  } else {
    result.error = PublicSendError(code);
    // curl's own words name the address it connected to: ours to read only.
    result.detail = absl::StrCat(curl_easy_strerror(code), ": ", curl_error);
  }
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // curl_error goes out of scope
  result.response_excerpt = SanitizeUntrustedText(response.excerpt, kResponseExcerptBytes);
  result.retry_after = std::move(response.retry_after);
  result.duration = absl::Now() - start;
  curl_slist_free_all(resolve);
  curl_slist_free_all(header_list);
  return result;
}

}  // namespace affonso::services
