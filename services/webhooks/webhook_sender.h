#ifndef AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SENDER_H_
#define AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SENDER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace affonso::services {

// What the receiver sent back is untrusted: the excerpt and Retry-After are
// sanitised (SanitizeUntrustedText), so they can always be stored.
struct PostResult {
  int status_code = 0;  // 0: no HTTP response (see error)
  // Shown to the tenant (delivery log): one of a few fixed phrases
  // (PublicSendError), never an address or a name other than its own.
  std::string error;
  std::string detail;            // the full failure, for our log only
  std::string response_excerpt;  // the first bytes of the body, valid UTF-8
  std::string retry_after;       // the Retry-After header, when sent
  absl::Duration duration;
};

inline constexpr size_t kResponseExcerptBytes = 512;

// The delivery log's wording of a failed send: "invalid URL", "could not
// resolve host to an allowed address" (also when it resolves to a private
// address: the log must not tell which internal names exist), "could not
// connect", "timed out", "TLS error", "connection closed", "invalid HTTP
// response", "send failed".
const char* PublicSendError(int curl_code);

// One HTTP POST of a webhook.
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  virtual PostResult Post(const std::string& url,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& body) = 0;
};

struct CurlSenderOptions {
  // A send takes at most connect_timeout + timeout (plus name resolution);
  // the dispatcher's lease must cover that (it also extends leases while
  // sending).
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(10);  // the whole exchange after connect
  // Loopback / private / link-local destinations are refused unless set
  // (`./dev run` sets it so a local receiver works).
  bool allow_private_destinations = false;
};

// libcurl. The destination is checked on the address it resolves to at send
// time, and curl is pinned to that very address, so a DNS answer that
// changes between the check and the connect cannot point it inside.
// Thread-safe: each thread sends on a handle of its own.
class CurlSender final : public WebhookSender {
 public:
  explicit CurlSender(CurlSenderOptions options);
  PostResult Post(const std::string& url,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body) override;

 private:
  const CurlSenderOptions options_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SENDER_H_
