#include "services/webhooks/webhook_sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
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

struct CurlSender::Transfer {
  uint64_t ticket = 0;
  Done done;
  PostRequest request;
  std::string pinned_ip;  // numeric, IPv6 without brackets: checked by ResolveOutbound
  bool allow_private = false;
  bool refused_address = false;  // the prereq check stopped it
  std::string connected_ip;
  absl::Time start;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  curl_slist* connect_to = nullptr;
  Response response;
  char curl_error[CURL_ERROR_SIZE] = "";

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(connect_to);
    curl_slist_free_all(header_list);
  }
};

namespace {

// The same address, however it is spelled.
bool SameAddress(const std::string& a, const std::string& b) {
  unsigned char x[16], y[16];
  if (inet_pton(AF_INET, a.c_str(), x) == 1) {
    return inet_pton(AF_INET, b.c_str(), y) == 1 && std::memcmp(x, y, 4) == 0;
  }
  return inet_pton(AF_INET6, a.c_str(), x) == 1 && inet_pton(AF_INET6, b.c_str(), y) == 1 &&
         std::memcmp(x, y, 16) == 0;
}

// Runs on every connection curl is about to use, new or kept alive, before
// the request is sent: it must be the very address ResolveOutbound checked.
int CheckConnectedAddress(void* user, char* primary_ip, char* /*local_ip*/, int /*primary_port*/,
                          int /*local_port*/) {
  auto* transfer = static_cast<CurlSender::Transfer*>(user);
  const std::string ip = primary_ip == nullptr ? "" : primary_ip;
  transfer->connected_ip = ip;
  if (!ConnectedAddressAllowed(ip, transfer->pinned_ip, transfer->allow_private)) {
    transfer->refused_address = true;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

}  // namespace

bool ConnectedAddressAllowed(const std::string& connected_ip, const std::string& checked_ip,
                             bool allow_private) {
  return SameAddress(connected_ip, checked_ip) &&
         (allow_private || !IsPrivateAddress(connected_ip));
}

absl::StatusOr<std::string> CurlSender::Resolve(const OutboundTarget& target) {
  const std::string key = absl::StrCat(target.host, ":", target.port);
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&resolve_mu_);
    auto it = resolved_.find(key);
    if (it != resolved_.end() && now - it->second.at < options_.resolve_ttl) {
      return it->second.address;
    }
  }
  absl::StatusOr<std::string> address =
      ResolveOutbound(target, options_.allow_private_destinations);
  if (address.ok() && options_.resolve_ttl > absl::ZeroDuration()) {
    absl::MutexLock lock(&resolve_mu_);
    if (resolved_.size() >= 10000) resolved_.clear();  // bounded; rebuilt on demand
    resolved_[key] = {*address, now};
  }
  return address;
}

CurlSender::CurlSender(CurlSenderOptions options) : options_(options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_idle_connections));
  multi_ = multi;
  io_ = std::thread([this] { Loop(); });
}

CurlSender::~CurlSender() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  io_.join();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

int64_t CurlSender::connections_opened() const { return connections_opened_.load(); }

PostResult CurlSender::Post(const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body) {
  absl::Mutex mu;
  bool finished = false;
  PostResult result;
  Send(PostRequest{url, headers, body}, [&](PostResult sent) {
    absl::MutexLock lock(&mu);
    result = std::move(sent);
    finished = true;
  });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&finished));
  return result;
}

uint64_t CurlSender::Send(PostRequest request, Done done) {
  PostResult result;
  const absl::Time start = absl::Now();
  auto target = ParseOutboundUrl(request.url);
  if (!target.ok()) {
    result.error = "invalid URL";
    result.detail = std::string(target.status().message());
    done(std::move(result));
    return 0;
  }
  // Unresolvable and refused (private) read the same to the tenant. Resolved
  // here, on the caller's thread: a slow DNS answer never stalls other sends.
  auto address = Resolve(*target);
  if (!address.ok()) {
    result.error = kUnresolvable;
    result.detail = address.status().ToString();
    result.duration = absl::Now() - start;
    done(std::move(result));
    return 0;
  }

  auto transfer = std::make_unique<Transfer>();
  transfer->done = std::move(done);
  transfer->request = std::move(request);
  transfer->pinned_ip = *address;
  transfer->allow_private = options_.allow_private_destinations;
  transfer->start = start;
  transfer->easy = curl_easy_init();
  CURL* curl = transfer->easy;
  if (curl == nullptr) {
    result.error = "send failed";
    result.detail = "curl_easy_init failed";
    transfer->done(std::move(result));
    return 0;
  }
  for (const auto& [name, value] : transfer->request.headers) {
    transfer->header_list =
        curl_slist_append(transfer->header_list, absl::StrCat(name, ": ", value).c_str());
  }
  // No 100-continue round trip.
  transfer->header_list = curl_slist_append(transfer->header_list, "Expect:");
  const std::string ip =
      absl::StrContains(*address, ':') ? absl::StrCat("[", *address, "]") : *address;
  // Connect to the checked address, never to the name again; curl reuses a
  // kept-alive connection only when it was pinned the same way.
  transfer->connect_to = curl_slist_append(
      nullptr, absl::StrCat(target->host, ":", target->port, ":", ip, ":", target->port).c_str());

  const PostRequest& sent = transfer->request;
  curl_easy_setopt(curl, CURLOPT_URL, sent.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, transfer->connect_to);
  curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, CheckConnectedAddress);
  curl_easy_setopt(curl, CURLOPT_PREREQDATA, transfer.get());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could point inside
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sent.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(sent.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, transfer->header_list);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout + options_.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer->response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer->response);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "affonso-webhooks/1");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer->curl_error);
  curl_easy_setopt(curl, CURLOPT_PRIVATE, transfer.get());

  uint64_t ticket;
  {
    absl::MutexLock lock(&mu_);
    ticket = next_ticket_++;
    transfer->ticket = ticket;
    if (stopping_) {
      result.abandoned = true;
      result.error = "send failed";
      result.detail = "the sender is shutting down";
    } else {
      incoming_.push_back(std::move(transfer));
    }
  }
  if (transfer != nullptr) {
    transfer->done(std::move(result));
    return ticket;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  return ticket;
}

void CurlSender::Abandon(const std::vector<uint64_t>& tickets) {
  if (tickets.empty()) return;
  int64_t mine;
  {
    absl::MutexLock lock(&mu_);
    to_abandon_.insert(to_abandon_.end(), tickets.begin(), tickets.end());
    mine = ++abandon_requested_;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  absl::MutexLock lock(&mu_);
  auto handled = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return abandon_done_ >= mine; };
  mu_.Await(absl::Condition(&handled));
}

void CurlSender::Finish(Transfer* transfer, int curl_code) {
  PostResult result;
  CURL* curl = transfer->easy;
  const CURLcode code = static_cast<CURLcode>(curl_code);
  long opened = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK) {
    connections_opened_ += opened;
  }
  if (code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.status_code = static_cast<int>(status);
  } else if (transfer->refused_address) {
    // Read like any refused destination; the address stays in our log.
    result.error = kUnresolvable;
    result.detail = absl::StrCat("connected to ", transfer->connected_ip, ", not the checked ",
                                 transfer->pinned_ip);
  } else {
    result.error = PublicSendError(code);
    // curl's own words name the address it connected to: ours to read only.
    result.detail = absl::StrCat(curl_easy_strerror(code), ": ", transfer->curl_error);
  }
  result.response_excerpt =
      SanitizeUntrustedText(transfer->response.excerpt, kResponseExcerptBytes);
  result.retry_after = std::move(transfer->response.retry_after);
  result.duration = absl::Now() - transfer->start;
  transfer->done(std::move(result));
}

void CurlSender::Loop() {
  CURLM* multi = static_cast<CURLM*>(multi_);
  absl::flat_hash_map<uint64_t, std::unique_ptr<Transfer>> running;
  while (true) {
    std::vector<std::unique_ptr<Transfer>> added;
    std::vector<uint64_t> abandon;
    int64_t abandon_upto;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      added.swap(incoming_);
      abandon.swap(to_abandon_);
      abandon_upto = abandon_requested_;
      stopping = stopping_;
    }
    for (std::unique_ptr<Transfer>& transfer : added) {
      curl_multi_add_handle(multi, transfer->easy);
      const uint64_t ticket = transfer->ticket;
      running[ticket] = std::move(transfer);
    }
    if (stopping) {
      for (const auto& [ticket, transfer] : running) abandon.push_back(ticket);
    }
    for (uint64_t ticket : abandon) {
      auto it = running.find(ticket);
      if (it == running.end()) continue;  // finished already
      curl_multi_remove_handle(multi, it->second->easy);
      PostResult result;
      result.abandoned = true;
      result.error = "send failed";
      result.detail = "abandoned in flight";
      result.duration = absl::Now() - it->second->start;
      it->second->done(std::move(result));
      running.erase(it);
    }
    {
      absl::MutexLock lock(&mu_);
      abandon_done_ = std::max(abandon_done_, abandon_upto);
    }
    if (stopping) return;

    int still_running = 0;
    curl_multi_perform(multi, &still_running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* transfer = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
      const int code = message->data.result;
      curl_multi_remove_handle(multi, message->easy_handle);
      if (transfer == nullptr) continue;
      auto it = running.find(transfer->ticket);
      Finish(transfer, code);
      if (it != running.end()) running.erase(it);
    }
    // Woken by curl_multi_wakeup (a new send, an abandon, the end) or by
    // socket activity; curl's own timeouts shorten the wait.
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
}

}  // namespace affonso::services
