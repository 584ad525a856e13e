#ifndef AFFONSO_TESTS_TESTING_WEBHOOK_RECEIVER_H_
#define AFFONSO_TESTS_TESTING_WEBHOOK_RECEIVER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/http/http_server.h"
#include "storage/testing/test_database.h"

namespace affonso::tests {

// The signing secret the end-to-end tests give their endpoints.
inline constexpr char kWebhookTestSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A webhook destination on loopback for end-to-end tests: an HTTP server on
// 127.0.0.1 (port 0) that records every request and answers 200 "{}", unless
// told otherwise by Script() or Answer(). Deliveries need
// allow_private_destinations, since the receiver is on loopback.
class WebhookReceiver : public gateway::HttpHandler {
 public:
  struct Delivery {
    std::string event_id;           // webhook-id
    std::string timestamp;          // webhook-timestamp
    std::string signature;          // webhook-signature
    std::string affonso_signature;  // x-affonso-signature
    std::string body;
    std::string target;  // path and query
    absl::Time at;
  };

  static absl::StatusOr<std::unique_ptr<WebhookReceiver>> Start();
  ~WebhookReceiver() override;  // Shutdown(), then waits for delayed answers

  int port() const { return server_->port(); }
  // "http://127.0.0.1:<port><path>".
  std::string Url(absl::string_view path = "/hooks") const;
  // Stops listening (1 s grace for open requests); idempotent.
  void Shutdown();

  // The next requests get these statuses, in order, each with its Retry-After
  // value when not ""; then 200 again. Answer() targets take precedence.
  void Script(std::vector<std::pair<int, std::string>> statuses);
  // Requests whose target starts with `prefix` get `status` and `body`, after
  // `delay` (from a thread of their own: a handler must not block).
  void Answer(std::string prefix, int status, std::string body,
              absl::Duration delay = absl::ZeroDuration());

  std::vector<Delivery> deliveries();
  std::vector<std::string> event_ids();  // webhook-id of each delivery
  size_t count();
  size_t CountUnder(absl::string_view prefix);
  // The most requests for one event to one target open at the same time.
  int max_open();
  // The most requests to one target open at the same time.
  int max_open_per_target();
  // Whether `count` distinct event ids arrived within `timeout`.
  bool WaitForDistinct(size_t count, absl::Duration timeout);

  void Handle(gateway::HttpRequest request,
              std::function<void(gateway::HttpResponse)> respond) override;

 private:
  WebhookReceiver() = default;
  struct Canned {
    std::string prefix;
    int status;
    std::string body;
    absl::Duration delay;
  };

  std::unique_ptr<gateway::HttpServer> server_;
  bool shut_down_ = false;
  absl::Mutex mu_;
  std::vector<Delivery> deliveries_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<int, std::string>> script_ ABSL_GUARDED_BY(mu_);
  std::vector<Canned> answers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> open_ ABSL_GUARDED_BY(mu_);
  int max_open_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> open_per_target_ ABSL_GUARDED_BY(mu_);
  int max_open_per_target_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> responders_ ABSL_GUARDED_BY(mu_);
};

// Inserts a webhook endpoint of `team_id` at `url` for `events` (a Postgres
// array literal: "{referral.lead}") signed with `secret`; returns `id`, or a
// new "whk_" id when `id` is "".
std::string InsertWebhookEndpoint(storage::testing::TestDatabase& db, absl::string_view team_id,
                                  absl::string_view url,
                                  absl::string_view events = "{referral.lead}",
                                  absl::string_view secret = kWebhookTestSecret,
                                  absl::string_view id = "");

}  // namespace affonso::tests

#endif  // AFFONSO_TESTS_TESTING_WEBHOOK_RECEIVER_H_
