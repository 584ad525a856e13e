#ifndef AFFONSO_SERVICES_API_TRACKING_SERVICE_H_
#define AFFONSO_SERVICES_API_TRACKING_SERVICE_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "proto/affonso/v1/tracking.grpc.pb.h"
#include "services/api/conversion_metrics.h"
#include "services/call/public_rate_limiter.h"
#include "services/call/rpc_runner.h"
#include "storage/signup_store.h"
#include "storage/tracking_store.h"

namespace affonso::services {

// ---- the rules of the public endpoints, exposed for tests ----

// POST /v1/track: program_id required (<= 64), tracking_id <= 255, each sub,
// utm and ad click id <= 255, referrer <= 2000, user_agent <= 1000,
// landing_query <= 4096, upgrade_click_id <= 64 and only with consent; a
// tracking id or a landing query to read one from unless upgrading.
absl::Status ValidateTrack(const affonso::v1::TrackRequest& request);
// The pixel's signup: program_id and click_id required (<= 64 each), then
// POST /v1/signups' rules (ValidateRecordSignup).
absl::Status ValidateBrowserSignup(const affonso::v1::BrowserSignupRequest& request);

// A landing page's query string ("via=alice&utm_source=x", a leading '?'
// allowed) as name -> value: percent-decoded ('+' is a space), the first
// occurrence of a name kept, and a value that does not decode to text
// (invalid UTF-8, control characters) dropped.
absl::flat_hash_map<std::string, std::string> ParseLandingQuery(absl::string_view query);

// The lower-case host of an Origin or Referer value ("https://Shop.Example:8443/x"
// -> "shop.example"); "" when it names none ("null", no scheme).
std::string HostOf(absl::string_view url);

// Whether a page on `host` may call: an entry "d" allows exactly d, "*.d"
// allows d and every subdomain of it; no entries allows every host.
bool IsAllowedHost(const std::vector<std::string>& allowed_domains, absl::string_view host);

// A user agent of a known crawler, link previewer or headless browser
// (case-insensitive); "" is none.
bool IsBotUserAgent(absl::string_view user_agent);

// The visitor as de-duplication knows it: the lower-case hex SHA-256 of the
// program's secret salt, the team, the program, the IP and the user agent,
// each length-prefixed so no two tuples share an input.
std::string VisitorHash(absl::string_view salt, absl::string_view team_id,
                        absl::string_view program_id, absl::string_view ip,
                        absl::string_view user_agent);

// Program resolutions by public id, found or NOT_FOUND, each reused for
// `ttl`: at most `capacity` programs and, apart from them, at most
// `not_found_capacity` unknown ids (the least recently used of each goes
// first), so a flood of made-up ids costs one lookup per id per ttl and
// bounded memory but never evicts a real program. Other errors (the
// database down) are not kept. Thread-safe; a miss looks up outside the
// lock, so concurrent misses may each look up.
class PublicProgramCache {
 public:
  using Program = std::shared_ptr<const storage::PublicProgram>;

  PublicProgramCache(absl::Duration ttl, size_t capacity, size_t not_found_capacity,
                     std::function<absl::Time()> clock);

  // The remembered resolution, from memory alone; nullopt when there is none
  // (never looked up, expired, or not remembered): then Resolve it.
  std::optional<absl::StatusOr<Program>> Find(absl::string_view program_id);
  // Find, else a lookup in `store` (which may wait on the database).
  absl::StatusOr<Program> Resolve(storage::TrackingStore* store, absl::string_view program_id);

 private:
  struct Entry {
    std::string program_id;
    absl::StatusOr<Program> resolved;
    absl::Time expires;
  };
  // One bounded least-recently-used map; the caller holds mu_.
  class Lru {
   public:
    explicit Lru(size_t capacity) : capacity_(capacity) {}
    // The live entry's resolution, made the most recent; an expired one is
    // dropped.
    const absl::StatusOr<Program>* Find(absl::string_view program_id, absl::Time now);
    bool Contains(absl::string_view program_id) const { return index_.contains(program_id); }
    void Add(absl::string_view program_id, absl::StatusOr<Program> resolved, absl::Time expires);

   private:
    const size_t capacity_;
    std::list<Entry> entries_;  // most recently used first
    absl::flat_hash_map<absl::string_view, std::list<Entry>::iterator> index_;
  };

  const absl::Duration ttl_;
  const std::function<absl::Time()> clock_;
  absl::Mutex mu_;
  Lru found_ ABSL_GUARDED_BY(mu_);
  Lru not_found_ ABSL_GUARDED_BY(mu_);
};

struct TrackingServiceOptions {
  absl::Duration program_cache_ttl = absl::Seconds(10);
  size_t program_cache_size = 10000;
  // Unknown program ids, remembered apart so that misses never evict real
  // programs.
  size_t program_cache_not_found_size = 1000;
  // Browser signups waiting on the database at once (each holds a
  // synchronous gRPC thread); past it a signup is refused UNAVAILABLE
  // before any work.
  int max_browser_signups_in_flight = 64;
  // Track's steps handed to the admission threads (a program not in the
  // cache, an upgrade) waiting or running at once; past it a call is refused
  // UNAVAILABLE, so that anonymous calls (made-up program ids miss the
  // cache) cannot fill the admission queue that API-key calls need.
  int max_track_offloads_in_flight = 64;
  // The per-program limit, taken once a call's program is known; null: none.
  // Must outlive the service.
  PublicRateLimiter* program_limiter = nullptr;
  // affonso_public_clicks_total by result; null: not counted.
  metrics::Registry* registry = nullptr;
  // Browser signups are counted with POST /v1/signups'; null: not counted.
  ConversionMetrics* conversion_metrics = nullptr;
  std::function<absl::Time()> clock = absl::Now;
};

// POST /v1/track and POST /v1/track/signup: the calls a browser makes with
// no API key (proto/affonso/v1/tracking.proto states the contract). The
// runner must be the public endpoints' own: no authentication and no
// permission stage, the per-IP limit (ClientAddressRateLimitStage) as its
// admission. A call is authorised by the program its public id names: that
// program's team scopes everything it touches, its allowed domains judge
// the page (the gateway's kOriginKey / kRefererKey metadata), and the user
// agent (the request's, else kUserAgentKey) and the IP the runner believes
// make the visitor.
//
// Track is on gRPC's callback API, as TrackClick: a call holds no thread
// while it waits. Its click joins a batch of the store's (RecordClickAsync,
// which also brings the affiliate's coupons back), answered from the batch
// worker; the two steps that wait on the database outside a batch, a program
// not in the cache and a consent upgrade, run on an admission thread
// (RpcRunner::Offload), so a callback thread never waits. BrowserSignup is
// on the synchronous server: each call blocks its thread until its signup's
// batch commits, which max_browser_signups_in_flight bounds.
class TrackingServiceImpl final : public affonso::v1::TrackingService::WithCallbackMethod_Track<
                                      affonso::v1::TrackingService::Service> {
 public:
  // The stores outlive the service.
  TrackingServiceImpl(RpcRunner runner, storage::TrackingStore* tracking,
                      storage::SignupStore* signups, TrackingServiceOptions options = {});

  grpc::ServerUnaryReactor* Track(grpc::CallbackServerContext* context,
                                  const affonso::v1::TrackRequest* request,
                                  affonso::v1::TrackingResult* response) override;
  grpc::Status BrowserSignup(grpc::ServerContext* context,
                             const affonso::v1::BrowserSignupRequest* request,
                             affonso::v1::BrowserSignupResult* response) override;

 private:
  // One Track call from admission to its answer.
  struct TrackCall;
  using TrackCallPtr = std::shared_ptr<TrackCall>;

  // The page checked against the program, then the program's rate limit (a
  // page of a disallowed site spends none of it). Memory only.
  absl::Status AdmitPage(const grpc::ServerContextBase& context,
                         const storage::PublicProgram& program);
  // BrowserSignup's: the program (which may wait on a cache miss), then
  // AdmitPage.
  absl::StatusOr<PublicProgramCache::Program> Admit(const grpc::ServerContextBase& context,
                                                    const std::string& program_id);

  // Track's steps, in order; each ends in the next or in FinishTrack.
  void StartTrack(TrackCallPtr call);
  void TrackForProgram(TrackCallPtr call, absl::StatusOr<PublicProgramCache::Program> program,
                       bool may_wait);
  void UpgradeClick(const TrackCallPtr& call, const storage::PublicProgram& program,
                    const storage::Visitor& visitor);
  // `result`: "upgraded", or "" for a recorded click ("tracked" when it
  // created one, else "duplicate").
  void AnswerTrack(const TrackCallPtr& call, absl::StatusOr<storage::TrackedClick> click,
                   absl::string_view result);
  void FinishTrack(const TrackCallPtr& call, const absl::Status& status);
  // `step(call)` on an admission thread, within max_track_offloads_in_flight;
  // else the call is refused.
  void OffloadTrack(TrackCallPtr call, absl::AnyInvocable<void(TrackCallPtr) &&> step);
  void Count(absl::string_view result);

  RpcRunner runner_;
  storage::TrackingStore* tracking_;
  storage::SignupStore* signups_;
  TrackingServiceOptions options_;
  PublicProgramCache programs_;
  std::atomic<int> browser_signups_in_flight_{0};
  std::atomic<int> track_offloads_in_flight_{0};
  metrics::CounterFamily* results_ = nullptr;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_TRACKING_SERVICE_H_
