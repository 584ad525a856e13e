#ifndef AFFONSO_SERVICES_WEBHOOK_SENDER_H_
#define AFFONSO_SERVICES_WEBHOOK_SENDER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace affonso::services {

struct PostResult {
  int status_code = 0;  // 0: no HTTP response (see error)
  std::string error;
  std::string response_excerpt;  // the first bytes of the body
  std::string retry_after;       // the Retry-After header, when sent
  absl::Duration duration;
};

// One HTTP POST of a webhook.
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  virtual PostResult Post(const std::string& url,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& body) = 0;
};

struct CurlSenderOptions {
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(10);  // the whole exchange after connect
  // Loopback / private / link-local destinations are refused unless set
  // (`./dev run` sets it so a local receiver works).
  bool allow_private_destinations = false;
};

// libcurl. The destination is checked on the address it resolves to at send
// time, and curl is pinned to that very address, so a DNS answer that
// changes between the check and the connect cannot point it inside.
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

#endif  // AFFONSO_SERVICES_WEBHOOK_SENDER_H_
