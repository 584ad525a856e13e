#ifndef AFFONSO_SERVICES_SERVER_SERVER_H_
#define AFFONSO_SERVICES_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "services/call/request_signing.h"

namespace affonso::services {

// Everything the server needs, filled by main.cc from flags and environment.
struct ServerConfig {
  std::string database_url;
  std::string grpc_address = "0.0.0.0:50051";  // port 0 picks a free one (tests)
  int db_pool_size = 16;
  absl::Duration db_acquire_timeout = absl::Seconds(2);
  absl::Duration db_statement_timeout = absl::Seconds(5);
  // Threading model: every service but one is on gRPC's synchronous server.
  // libpqxx blocks, so each of their in-flight RPCs holds a thread either way;
  // the sync server's own pool is that executor, with no hand-off or extra
  // queue. A waiting thread costs a little memory, not CPU. RecordSignup, the
  // hot path, is on the callback API and holds no thread while it waits:
  // admission that may wait runs on the admission threads below, the
  // conversion on PgSignupStore's batch workers. RpcRunner refuses synchronous calls
  // beyond it (UNAVAILABLE); gRPC's pool gets 3 times as many more plus 1,024
  // for its pollers and the calls being read or refused, so it does not run out,
  // where gRPC would refuse every call RESOURCE_EXHAUSTED. Well above
  // any client concurrency we expect.
  int max_rpc_threads = 512;
  // Callback-API calls (RecordSignup) whose admission may wait (a key not
  // cached, a rate-limit take) wait on these threads, at most
  // `admission_max_queued` of them queued; beyond, UNAVAILABLE at once.
  int admission_threads = 4;
  int admission_max_queued = 1024;
  // Admission (every bound below keeps clients without a key, idle streams
  // and abandoned calls from taking what authenticated calls need). Streams
  // one connection may have open at once (HTTP/2 MAX_CONCURRENT_STREAMS).
  int max_streams_per_connection = 100;
  // Memory gRPC may use for its transports and calls; 0 = gRPC's default.
  int64_t grpc_memory_bytes = int64_t{512} << 20;
  // Failed authentications per client address per minute before it is
  // refused for the rest of the minute (0 off: tests; the binary's default
  // is 100), and how long an unknown key is remembered.
  int auth_failures_per_minute = 0;
  // A gateway sidecar reaches us over loopback: believe the client address
  // it names, else every REST client shares the gateway's failure budget.
  bool trust_loopback_client_address = false;
  absl::Duration unknown_key_ttl = absl::Seconds(5);
  // Readiness (health, /readyz) turns false while the synchronous handlers
  // have stayed at 90% of their cap for this long, or while this replica's
  // calls hold its whole database pool and none is lent within the acquire
  // timeout (not when the database is down: every replica answers 503
  // then); it is probed every `db_probe_interval`.
  absl::Duration saturation_window = absl::Seconds(1);
  absl::Duration db_probe_interval = absl::Seconds(1);
  absl::Duration api_key_cache_ttl = absl::Seconds(10);
  // Per-API-key rate limits, shared by every replica (PgRateLimitStore);
  // keys may override them. 0 per minute turns limiting off (tests do; the
  // binary's default is 600/min with bursts of 20/s).
  int rate_limit_per_minute = 0;
  int rate_limit_per_second = 0;
  // The public endpoints (POST /v1/track, the pixel's signup), which have no
  // key to count by: token buckets in each replica's memory
  // (PublicRateLimiter), per client address (a sustained rate per minute,
  // the whole minute's worth at most `per_second` at a time) and per
  // program (per minute). 0 turns a limit off (tests do; the binary's
  // defaults are 300/min with bursts of 30/s per address, 30,000/min per
  // program). Per replica: N replicas admit up to N times as much.
  int public_rate_limit_per_ip_per_minute = 0;
  int public_rate_limit_per_ip_per_second = 0;
  int public_rate_limit_per_program_per_minute = 0;
  // Signup batching (PgSignupStore): concurrent batches and their size.
  int signup_batch_workers = 2;
  int signup_max_batch = 64;
  // The same for clicks: POST /v1/clicks (PgClickStore) and POST /v1/track
  // (PgTrackingStore's RecordClick).
  struct Batching {
    int workers = 2;
    int max_batch = 64;
  };
  Batching click_batch;
  Batching track_batch;
  // Calls waiting for a batch of each of the three stores beyond which a
  // call is refused UNAVAILABLE at once (0: no bound).
  int batch_max_queued = 4096;
  bool apply_migrations = true;
  // Roles, so Kubernetes can scale them apart: the API (gRPC services, and
  // REST when main.cc starts it) and the webhook dispatcher. Both by default.
  bool serve_api = true;
  bool run_webhook_dispatcher = true;
  // Deliveries a replica holds at once, claimed until recorded (its sends
  // all on one I/O thread).
  int webhook_workers = 2048;
  // HTTP requests a replica has open at once to one endpoint.
  int webhook_max_sends_per_endpoint = 256;
  // Deliveries held at once per endpoint / per team, across replicas.
  int webhook_max_in_flight_per_endpoint = 1024;
  int webhook_max_in_flight_per_team = 1536;
  // Live endpoints a team may have (creating one more is a 400).
  int webhook_max_endpoints_per_team = 20;
  absl::Duration webhook_poll_interval = absl::Milliseconds(200);
  absl::Duration webhook_timeout = absl::Seconds(10);  // connect, and then the exchange
  // How long a claimed delivery stays with its dispatcher unless extended
  // (it is, every third of it, while sending); past it another sends it.
  // At least a whole send (2 x webhook_timeout).
  absl::Duration webhook_lease = absl::Seconds(60);
  // Shutdown lets sends in flight finish for this long, then abandons them
  // (re-sent after their lease: at least once).
  absl::Duration webhook_stop_grace = absl::Seconds(10);
  // The commission lifecycle's background jobs (services/lifecycle) on this
  // replica: the hold-period scheduler and payout generation. Off unless set
  // (tests; the binary turns them on with the dispatcher role). Safe on every
  // replica at once.
  bool run_lifecycle_jobs = false;
  absl::Duration hold_period_interval = absl::Seconds(60);
  int hold_period_batch = 500;  // commissions approved per transaction
  absl::Duration payout_generation_interval = absl::Hours(1);
  // Loopback / private destinations refused unless set (`./dev run` sets it).
  bool webhook_allow_private_destinations = false;
  // "id:base64key,..." (common/secret_box.h; first = primary): webhook
  // signing secrets are sealed with it. Empty: stored in plaintext, as the
  // previous release did. A malformed value fails Start.
  std::string secret_encryption_keys;
  // The HMAC-SHA256 key of the partner tokens (portal and embed; at least 32
  // bytes; docs/BEHAVIOUR.md "Partner access"), from PARTNER_TOKEN_SECRET.
  // Every replica needs the same one. Empty: issuing and reading tokens is
  // refused (FAILED_PRECONDITION, REST 400) and Start logs why, unless
  // partner_token_random_key_for_dev.
  std::string partner_token_secret;
  // Without partner_token_secret, sign with a random key of this process:
  // tokens die with it and other replicas refuse them (development only).
  bool partner_token_random_key_for_dev = false;
  // How long each kind of partner token lives, and the portal's address
  // (a token's portalUrl).
  // Longer than kMaxPartnerTokenTtl fails Start (INVALID_ARGUMENT).
  static constexpr absl::Duration kMaxPartnerTokenTtl = absl::Hours(24);
  absl::Duration portal_token_ttl = absl::Minutes(15);
  absl::Duration embed_token_ttl = absl::Hours(1);
  std::string portal_base_url = "http://localhost:8080/portal";
  // Where every part's metrics go (main.cc's registry, which its ops port
  // serves); must outlive the server. Null: a registry of the server's own
  // (Server::metrics()), so servers in one test process count apart.
  metrics::Registry* metrics = nullptr;
  // Checks signed requests (conversions, refunds); must outlive the server.
  // Null: the signing secrets in the database (services/signing, `ctl
  // signing-secret`), cached for kSigningSecretCacheTtl. Tests may pass
  // NoSigningSecrets or a fake.
  RequestVerifier* request_verifier = nullptr;
};

class Server {
 public:
  // Connects, migrates (when configured), and starts serving.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerConfig& config);
  ~Server();

  int port() const { return port_; }
  // ServerConfig::metrics, or the server's own registry.
  metrics::Registry& metrics() const;
  // An in-process channel for tests and the in-process gateway.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Health (and so the REST /readyz) turns NOT_SERVING, so load balancers
  // stop sending, while calls are still answered.
  void StopServing();
  // Ready: from Start until StopServing, except while saturated or while the
  // database pool is unusable (the ops port's /readyz; the health service
  // says the same).
  bool serving() const { return serving_.load(); }
  // For the in-process REST gateway (RestGatewayConfig::refuse_before_body):
  // ApiKeyAuthenticator::RefuseWithoutLookup, OK when this server has no API.
  absl::Status RefuseWithoutLookup(absl::string_view authorization,
                                   absl::string_view client_address) const;
  // StopServing, then in-flight calls get up to `grace` to finish before
  // being cancelled. The in-process channel must not be used afterwards
  // (gRPC 1.51 crashes on a call into a shut-down in-process server): stop
  // the REST gateway first.
  void Shutdown(absl::Duration grace);
  void Wait();

 private:
  struct Parts;
  Server() = default;

  // Reads load and the pool, and says whether the replica is ready.
  void WatchReadiness(absl::Duration sample);
  void ProbeDatabase();
  void UpdateServing() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopWatching();

  std::unique_ptr<Parts> parts_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int port_ = 0;
  absl::Duration saturation_window_;
  absl::Duration db_probe_interval_;
  std::atomic<bool> serving_{false};
  absl::Mutex mu_;
  bool accepting_ ABSL_GUARDED_BY(mu_) = false;  // until StopServing
  bool saturated_ ABSL_GUARDED_BY(mu_) = false;
  bool db_usable_ ABSL_GUARDED_BY(mu_) = true;
  bool stop_watching_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> watchers_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_SERVER_SERVER_H_
