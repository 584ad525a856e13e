#ifndef AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SENDER_H_
#define AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SENDER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/webhooks/outbound_url.h"

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
  // Given up (Abandon, or the sender destroyed) while in flight: whether the
  // receiver got it is unknown.
  bool abandoned = false;
};

inline constexpr size_t kResponseExcerptBytes = 512;

// The delivery log's wording of a failed send: "invalid URL", "could not
// resolve host to an allowed address" (also when it resolves to a private
// address: the log must not tell which internal names exist), "could not
// connect", "timed out", "TLS error", "connection closed", "invalid HTTP
// response", "send failed".
const char* PublicSendError(int curl_code);

// Whether a connection to `connected_ip` may carry a send whose destination
// was checked as `checked_ip` (both numeric, any spelling): the very same
// address, and not a private one unless `allow_private`.
bool ConnectedAddressAllowed(const std::string& connected_ip, const std::string& checked_ip,
                             bool allow_private);

struct PostRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// HTTP POSTs of webhooks.
class WebhookSender {
 public:
  using Done = std::function<void(PostResult)>;
  virtual ~WebhookSender() = default;

  // One POST, waiting for its result.
  virtual PostResult Post(const std::string& url,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& body) = 0;

  // Starts a POST and returns at once with its ticket; `done` is called once
  // with the result, on a thread of the sender's or, when the request fails
  // before anything is sent (or the sender has no I/O thread), before Send
  // returns: callers must not hold a lock `done` takes. This default sends
  // with Post on the caller's thread.
  virtual uint64_t Send(PostRequest request, Done done) {
    done(Post(request.url, request.headers, request.body));
    return 0;
  }

  // Gives up on these sends: once it returns, their `done` has been called
  // (with `abandoned` set for those still in flight) and will not be again.
  // Not from inside a `done`.
  virtual void Abandon(const std::vector<uint64_t>& tickets) {}
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
  // Idle keep-alive connections kept for reuse (across all receivers).
  int max_idle_connections = 256;
  // A host's checked address is reused for this long, so a busy receiver
  // costs one lookup, not one per send. Only allowed answers are kept, and
  // the connection is still pinned to (and checked against) that address.
  absl::Duration resolve_ttl = absl::Seconds(5);
};

// libcurl multi: every send runs concurrently on one I/O thread, and idle
// connections are kept alive and reused per receiver (host, port and the
// address it was pinned to). The destination is checked on the address it
// resolves to at send time (on the caller's thread: the I/O thread never
// waits for DNS), curl is pinned to that very address (CURLOPT_CONNECT_TO),
// and the address of the connection actually used, new or reused, is checked
// again before the request goes out (CURLOPT_PREREQFUNCTION): neither a DNS
// answer that changes between check and connect nor a kept-alive connection
// can point it inside. Thread-safe.
class CurlSender final : public WebhookSender {
 public:
  explicit CurlSender(CurlSenderOptions options);
  ~CurlSender() override;  // abandons the sends in flight

  PostResult Post(const std::string& url,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body) override;
  uint64_t Send(PostRequest request, Done done) override;
  void Abandon(const std::vector<uint64_t>& tickets) override;

  // Connections opened so far (a reused one is not counted again).
  int64_t connections_opened() const;

  struct Transfer;  // one send in flight (the .cc's)

 private:
  // ResolveOutbound, through the cache of checked addresses.
  absl::StatusOr<std::string> Resolve(const OutboundTarget& target);
  void Loop();
  void Finish(Transfer* transfer, int curl_code);

  const CurlSenderOptions options_;
  void* multi_;  // CURLM*, touched by the I/O thread only (and curl_multi_wakeup)
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Transfer>> incoming_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> to_abandon_ ABSL_GUARDED_BY(mu_);
  int64_t abandon_requested_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t abandon_done_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> connections_opened_{0};
  struct Resolved {
    std::string address;
    absl::Time at;
  };
  absl::Mutex resolve_mu_;
  absl::flat_hash_map<std::string, Resolved> resolved_ ABSL_GUARDED_BY(resolve_mu_);
  std::thread io_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SENDER_H_
