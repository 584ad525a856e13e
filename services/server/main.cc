// The affonso gRPC server. Flags only here and in gateway/rest_flags.cc (the
// REST ones, shared with the standalone gateway); everything else takes a
// ServerConfig. Each flag's default comes from the environment variable named
// in its help, so containers configure it either way.
#include <algorithm>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/process.h"
#include "gateway/rest_flags.h"
#include "gateway/rest_gateway.h"
#include "services/server/ops_http.h"
#include "services/server/server.h"

using affonso::EnvOr;

ABSL_FLAG(std::string, database_url, EnvOr("DATABASE_URL", ""),
          "PostgreSQL URL (env DATABASE_URL)");
ABSL_FLAG(std::string, grpc_host, EnvOr("GRPC_HOST", "0.0.0.0"),
          "address to listen on for gRPC (env GRPC_HOST)");
ABSL_FLAG(int, grpc_port, EnvOr("GRPC_PORT", 50051), "gRPC port (env GRPC_PORT)");
ABSL_FLAG(int, db_pool_size, EnvOr("DB_POOL_SIZE", 16),
          "database connections per replica (env DB_POOL_SIZE)");
ABSL_FLAG(int, db_acquire_timeout_ms, EnvOr("DB_ACQUIRE_TIMEOUT_MS", 2000),
          "wait for a free connection before UNAVAILABLE (env DB_ACQUIRE_TIMEOUT_MS)");
ABSL_FLAG(int, db_statement_timeout_ms, EnvOr("DB_STATEMENT_TIMEOUT_MS", 5000),
          "server-side bound on each SQL statement; 0 = none (env DB_STATEMENT_TIMEOUT_MS)");
ABSL_FLAG(int, max_rpc_threads, EnvOr("MAX_RPC_THREADS", 512),
          "gRPC handler threads: caps in-flight calls (env MAX_RPC_THREADS)");
ABSL_FLAG(int, admission_threads, EnvOr("ADMISSION_THREADS", 4),
          "threads on which RecordSignup's admission waits when it needs the database (a key "
          "lookup, a rate-limit take), off gRPC's callback threads (env ADMISSION_THREADS)");
ABSL_FLAG(int, admission_max_queued, EnvOr("ADMISSION_MAX_QUEUED", 1024),
          "calls waiting for an admission thread beyond which RecordSignup answers UNAVAILABLE "
          "at once (env ADMISSION_MAX_QUEUED)");
ABSL_FLAG(int, grpc_max_streams_per_connection, EnvOr("GRPC_MAX_STREAMS_PER_CONNECTION", 100),
          "streams one gRPC connection may have open at once "
          "(env GRPC_MAX_STREAMS_PER_CONNECTION)");
ABSL_FLAG(int, grpc_memory_mb, EnvOr("GRPC_MEMORY_MB", 512),
          "memory gRPC may use for connections and calls; 0 = gRPC's default "
          "(env GRPC_MEMORY_MB)");
ABSL_FLAG(int, auth_failures_per_minute, EnvOr("AUTH_FAILURES_PER_MINUTE", 100),
          "failed authentications per client address per minute, per replica, before that "
          "address gets 429 for the rest of the minute; 0 turns it off "
          "(env AUTH_FAILURES_PER_MINUTE)");
ABSL_FLAG(bool, trust_loopback_client_address, EnvOr("TRUST_LOOPBACK_CLIENT_ADDRESS", 0) != 0,
          "believe the client address a loopback peer names (a REST gateway sidecar) for the "
          "failed-authentication limit (env TRUST_LOOPBACK_CLIENT_ADDRESS)");
ABSL_FLAG(int, unknown_key_cache_ms, EnvOr("UNKNOWN_KEY_CACHE_MS", 5000),
          "how long a replica remembers that a key does not exist (env UNKNOWN_KEY_CACHE_MS)");
ABSL_FLAG(int, api_key_cache_ttl_ms, EnvOr("API_KEY_CACHE_TTL_MS", 10000),
          "how long a replica trusts a looked-up API key; bounds revocation delay "
          "(env API_KEY_CACHE_TTL_MS)");
ABSL_FLAG(int, rate_limit_per_minute, EnvOr("RATE_LIMIT_PER_MINUTE", 600),
          "default requests per minute per API key, across all replicas; 0 turns rate "
          "limiting off (env RATE_LIMIT_PER_MINUTE)");
ABSL_FLAG(int, rate_limit_per_second, EnvOr("RATE_LIMIT_PER_SECOND", 20),
          "default burst: requests per second per API key (env RATE_LIMIT_PER_SECOND)");
ABSL_FLAG(int, public_rate_limit_per_ip_per_minute,
          EnvOr("PUBLIC_RATE_LIMIT_PER_IP_PER_MINUTE", 300),
          "POST /v1/track and the pixel's signup (no API key): requests per minute per client "
          "address, per replica; 0 turns the limit off (env PUBLIC_RATE_LIMIT_PER_IP_PER_MINUTE)");
ABSL_FLAG(int, public_rate_limit_per_ip_per_second,
          EnvOr("PUBLIC_RATE_LIMIT_PER_IP_PER_SECOND", 30),
          "burst of the public endpoints: requests per second per client address, per replica; "
          "0 = no burst cap (env PUBLIC_RATE_LIMIT_PER_IP_PER_SECOND)");
ABSL_FLAG(int, public_rate_limit_per_program_per_minute,
          EnvOr("PUBLIC_RATE_LIMIT_PER_PROGRAM_PER_MINUTE", 30000),
          "public endpoints: requests per minute per program, per replica; 0 turns the limit off "
          "(env PUBLIC_RATE_LIMIT_PER_PROGRAM_PER_MINUTE)");
ABSL_FLAG(int, signup_batch_workers, EnvOr("SIGNUP_BATCH_WORKERS", 2),
          "signup batches in flight at once, each on one connection (env SIGNUP_BATCH_WORKERS)");
ABSL_FLAG(int, signup_max_batch, EnvOr("SIGNUP_MAX_BATCH", 64),
          "most signups converted by one statement and commit (env SIGNUP_MAX_BATCH)");
ABSL_FLAG(int, click_batch_workers, EnvOr("CLICK_BATCH_WORKERS", 2),
          "POST /v1/clicks batches in flight at once, each on one connection "
          "(env CLICK_BATCH_WORKERS)");
ABSL_FLAG(int, click_max_batch, EnvOr("CLICK_MAX_BATCH", 64),
          "most POST /v1/clicks clicks inserted by one statement and commit "
          "(env CLICK_MAX_BATCH)");
ABSL_FLAG(int, track_batch_workers, EnvOr("TRACK_BATCH_WORKERS", 2),
          "POST /v1/track batches in flight at once, each on one connection "
          "(env TRACK_BATCH_WORKERS)");
ABSL_FLAG(int, track_max_batch, EnvOr("TRACK_MAX_BATCH", 64),
          "most POST /v1/track clicks recorded by one transaction (env TRACK_MAX_BATCH)");
ABSL_FLAG(int, batch_max_queued, EnvOr("BATCH_MAX_QUEUED", 4096),
          "calls waiting for a signup, click or track batch, per store, beyond which a call is "
          "refused UNAVAILABLE at once; 0: no bound (env BATCH_MAX_QUEUED)");
ABSL_FLAG(bool, migrate, EnvOr("MIGRATE", 1) != 0,
          "apply pending migrations at start-up (env MIGRATE=0 to skip)");
ABSL_FLAG(int, shutdown_drain_delay_ms, EnvOr("SHUTDOWN_DRAIN_DELAY_MS", 5000),
          "on SIGTERM/SIGINT, how long the replica reports unready while still serving, so "
          "load balancers stop sending before the listeners close (env SHUTDOWN_DRAIN_DELAY_MS)");
ABSL_FLAG(int, shutdown_grace_ms, EnvOr("SHUTDOWN_GRACE_MS", 10000),
          "then, time in-flight calls get to finish before they are cancelled "
          "(env SHUTDOWN_GRACE_MS)");
ABSL_FLAG(std::string, role, EnvOr("ROLE", "all"),
          "all | api | dispatcher: serve the API (gRPC + REST), run the webhook dispatcher, "
          "or both (env ROLE)");
ABSL_FLAG(int, webhook_workers, EnvOr("WEBHOOK_WORKERS", 2048),
          "webhook deliveries a replica holds at once, claimed until their outcome is "
          "recorded; its sends all go out on one I/O thread (env WEBHOOK_WORKERS)");
ABSL_FLAG(int, webhook_max_sends_per_endpoint, EnvOr("WEBHOOK_MAX_SENDS_PER_ENDPOINT", 256),
          "HTTP requests a replica has open at once to one webhook endpoint "
          "(env WEBHOOK_MAX_SENDS_PER_ENDPOINT)");
ABSL_FLAG(int, webhook_max_in_flight_per_endpoint,
          EnvOr("WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", 1024),
          "webhook deliveries held at once for one endpoint (claimed, not yet recorded), "
          "across replicas (env WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT)");
ABSL_FLAG(int, webhook_max_in_flight_per_team, EnvOr("WEBHOOK_MAX_IN_FLIGHT_PER_TEAM", 1536),
          "webhook deliveries held at once for one team, across replicas; kept below "
          "WEBHOOK_WORKERS (env WEBHOOK_MAX_IN_FLIGHT_PER_TEAM)");
ABSL_FLAG(int, webhook_max_endpoints_per_team, EnvOr("WEBHOOK_MAX_ENDPOINTS_PER_TEAM", 20),
          "webhook endpoints a team may have (env WEBHOOK_MAX_ENDPOINTS_PER_TEAM)");
ABSL_FLAG(int, webhook_timeout_ms, EnvOr("WEBHOOK_TIMEOUT_MS", 10000),
          "webhook connect timeout, and read timeout after it (env WEBHOOK_TIMEOUT_MS)");
ABSL_FLAG(int, webhook_lease_ms, EnvOr("WEBHOOK_LEASE_MS", 60000),
          "a claimed delivery is re-sent by another dispatcher after this unless its owner, "
          "alive, extends it (every third of it); at least twice the webhook timeout "
          "(env WEBHOOK_LEASE_MS)");
ABSL_FLAG(int, webhook_stop_grace_ms, EnvOr("WEBHOOK_STOP_GRACE_MS", 10000),
          "on shutdown, webhook sends in flight get this long to finish and be recorded; the "
          "rest are abandoned and re-sent by another dispatcher after their lease "
          "(env WEBHOOK_STOP_GRACE_MS)");
ABSL_FLAG(bool, webhook_allow_private, EnvOr("WEBHOOK_ALLOW_PRIVATE", 0) != 0,
          "let webhooks go to loopback / private / link-local addresses "
          "(env WEBHOOK_ALLOW_PRIVATE=1; ./dev run sets it for a local receiver)");
ABSL_FLAG(bool, lifecycle_jobs, EnvOr("LIFECYCLE_JOBS", 1) != 0,
          "run the commission lifecycle jobs (hold-period scheduler, payout generation) with "
          "the dispatcher role; safe on every replica (env LIFECYCLE_JOBS)");
ABSL_FLAG(int, hold_period_interval_ms, EnvOr("HOLD_PERIOD_INTERVAL_MS", 60000),
          "how often the hold-period scheduler approves pending commissions whose hold has "
          "ended (env HOLD_PERIOD_INTERVAL_MS)");
ABSL_FLAG(int, hold_period_batch, EnvOr("HOLD_PERIOD_BATCH", 500),
          "commissions the scheduler approves per transaction (env HOLD_PERIOD_BATCH)");
ABSL_FLAG(int, payout_generation_interval_ms, EnvOr("PAYOUT_GENERATION_INTERVAL_MS", 3600000),
          "how often payout generation looks for what the current payment period pays (env "
          "PAYOUT_GENERATION_INTERVAL_MS)");
ABSL_FLAG(int, metrics_port, EnvOr("METRICS_PORT", 9090),
          "ops port, served by every role: GET /metrics (Prometheus), /healthz, /readyz; "
          "-1 turns it off (env METRICS_PORT)");
ABSL_FLAG(std::string, metrics_host, EnvOr("METRICS_HOST", "0.0.0.0"),
          "address to listen on for the ops port (env METRICS_HOST)");
// No default from the environment: --help prints defaults, and this one is a
// secret. Read from the environment in main() instead.
ABSL_FLAG(std::string, secret_encryption_keys, "",
          "keys sealing webhook signing secrets at rest: id:base64(32 bytes),... (first = "
          "primary, others only decrypt); empty = plaintext (env SECRET_ENCRYPTION_KEYS)");
// A secret too: read from the environment in main().
ABSL_FLAG(std::string, partner_token_secret, "",
          "HMAC-SHA256 key (at least 32 bytes, the same on every replica) signing the portal "
          "and embed tokens; empty = no tokens are issued (400) unless "
          "--partner_token_random_key_for_dev (env PARTNER_TOKEN_SECRET)");
ABSL_FLAG(bool, partner_token_random_key_for_dev, EnvOr("PARTNER_TOKEN_RANDOM_KEY_FOR_DEV", 0) != 0,
          "without PARTNER_TOKEN_SECRET, sign partner tokens with a random key of this process: "
          "they die with it and other replicas refuse them; development only "
          "(env PARTNER_TOKEN_RANDOM_KEY_FOR_DEV=1)");
ABSL_FLAG(int, portal_token_ttl_s, EnvOr("PORTAL_TOKEN_TTL_S", 900),
          "how long a portal token (POST /v1/affiliates/{id}/portal-token) lives, seconds (env "
          "PORTAL_TOKEN_TTL_S)");
ABSL_FLAG(int, embed_token_ttl_s, EnvOr("EMBED_TOKEN_TTL_S", 3600),
          "how long an embed token (POST /v1/embed/token) lives, seconds (env "
          "EMBED_TOKEN_TTL_S)");
ABSL_FLAG(std::string, portal_base_url, EnvOr("PORTAL_BASE_URL", "http://localhost:8080/portal"),
          "the affiliate portal's address: a token's portalUrl is <this>/<program id>#token=... "
          "(env PORTAL_BASE_URL)");
ABSL_FLAG(std::string, log_level, EnvOr("LOG_LEVEL", "info"),
          "debug | info | warning | error (env LOG_LEVEL)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("affonso lead-signup gRPC server");
  affonso::HelpListsFlagsOf({"services/server/main.cc", affonso::gateway::kRestFlagsFile});
  // Abseil's deadlock graph costs a few percent on every contended lock; our
  // lock order is checked by the tests, not in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);

  affonso::LogLevel level;
  if (!affonso::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::cerr << "unknown --log_level " << absl::GetFlag(FLAGS_log_level) << "\n";
    return 2;
  }
  affonso::SetLogLevel(level);
  if (absl::GetFlag(FLAGS_database_url).empty()) {
    std::cerr << "--database_url (or DATABASE_URL) is required\n";
    return 2;
  }
  // Below 1, every signup that needs the database to be admitted would be refused.
  if (absl::GetFlag(FLAGS_admission_threads) < 1 || absl::GetFlag(FLAGS_admission_max_queued) < 1) {
    std::cerr << "--admission_threads and --admission_max_queued must be at least 1\n";
    return 2;
  }

  // Before any thread starts, so only WaitForStopSignal below sees them.
  affonso::BlockStopSignals();

  affonso::services::ServerConfig config;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  config.grpc_address =
      absl::StrCat(absl::GetFlag(FLAGS_grpc_host), ":", absl::GetFlag(FLAGS_grpc_port));
  config.db_pool_size = absl::GetFlag(FLAGS_db_pool_size);
  config.db_acquire_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_db_acquire_timeout_ms));
  config.db_statement_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_db_statement_timeout_ms));
  config.max_rpc_threads = absl::GetFlag(FLAGS_max_rpc_threads);
  config.admission_threads = absl::GetFlag(FLAGS_admission_threads);
  config.admission_max_queued = absl::GetFlag(FLAGS_admission_max_queued);
  config.api_key_cache_ttl = absl::Milliseconds(absl::GetFlag(FLAGS_api_key_cache_ttl_ms));
  config.max_streams_per_connection = absl::GetFlag(FLAGS_grpc_max_streams_per_connection);
  config.grpc_memory_bytes = int64_t{absl::GetFlag(FLAGS_grpc_memory_mb)} << 20;
  config.auth_failures_per_minute = absl::GetFlag(FLAGS_auth_failures_per_minute);
  config.trust_loopback_client_address = absl::GetFlag(FLAGS_trust_loopback_client_address);
  config.unknown_key_ttl = absl::Milliseconds(absl::GetFlag(FLAGS_unknown_key_cache_ms));
  config.apply_migrations = absl::GetFlag(FLAGS_migrate);
  config.rate_limit_per_minute = absl::GetFlag(FLAGS_rate_limit_per_minute);
  config.rate_limit_per_second = absl::GetFlag(FLAGS_rate_limit_per_second);
  config.public_rate_limit_per_ip_per_minute =
      absl::GetFlag(FLAGS_public_rate_limit_per_ip_per_minute);
  config.public_rate_limit_per_ip_per_second =
      absl::GetFlag(FLAGS_public_rate_limit_per_ip_per_second);
  config.public_rate_limit_per_program_per_minute =
      absl::GetFlag(FLAGS_public_rate_limit_per_program_per_minute);
  config.signup_batch_workers = absl::GetFlag(FLAGS_signup_batch_workers);
  config.signup_max_batch = absl::GetFlag(FLAGS_signup_max_batch);
  config.click_batch = {absl::GetFlag(FLAGS_click_batch_workers),
                        absl::GetFlag(FLAGS_click_max_batch)};
  config.track_batch = {absl::GetFlag(FLAGS_track_batch_workers),
                        absl::GetFlag(FLAGS_track_max_batch)};
  config.batch_max_queued = absl::GetFlag(FLAGS_batch_max_queued);
  const std::string role = absl::GetFlag(FLAGS_role);
  if (role != "all" && role != "api" && role != "dispatcher") {
    std::cerr << "--role must be all, api or dispatcher\n";
    return 2;
  }
  config.serve_api = role != "dispatcher";
  config.run_webhook_dispatcher = role != "api";
  config.run_lifecycle_jobs = role != "api" && absl::GetFlag(FLAGS_lifecycle_jobs);
  config.hold_period_interval =
      absl::Milliseconds(std::max(100, absl::GetFlag(FLAGS_hold_period_interval_ms)));
  config.hold_period_batch = absl::GetFlag(FLAGS_hold_period_batch);
  config.payout_generation_interval =
      absl::Milliseconds(std::max(1000, absl::GetFlag(FLAGS_payout_generation_interval_ms)));
  config.webhook_workers = absl::GetFlag(FLAGS_webhook_workers);
  config.webhook_max_sends_per_endpoint = absl::GetFlag(FLAGS_webhook_max_sends_per_endpoint);
  config.webhook_max_in_flight_per_endpoint =
      absl::GetFlag(FLAGS_webhook_max_in_flight_per_endpoint);
  config.webhook_max_in_flight_per_team = absl::GetFlag(FLAGS_webhook_max_in_flight_per_team);
  config.webhook_max_endpoints_per_team = absl::GetFlag(FLAGS_webhook_max_endpoints_per_team);
  config.webhook_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_webhook_timeout_ms));
  config.webhook_lease = absl::Milliseconds(absl::GetFlag(FLAGS_webhook_lease_ms));
  config.webhook_stop_grace =
      absl::Milliseconds(std::max(0, absl::GetFlag(FLAGS_webhook_stop_grace_ms)));
  config.webhook_allow_private_destinations = absl::GetFlag(FLAGS_webhook_allow_private);
  config.secret_encryption_keys = absl::GetFlag(FLAGS_secret_encryption_keys);
  if (config.secret_encryption_keys.empty()) {
    config.secret_encryption_keys = EnvOr("SECRET_ENCRYPTION_KEYS", "");
  }
  config.partner_token_secret = absl::GetFlag(FLAGS_partner_token_secret);
  if (config.partner_token_secret.empty()) {
    config.partner_token_secret = EnvOr("PARTNER_TOKEN_SECRET", "");
  }
  config.partner_token_random_key_for_dev = absl::GetFlag(FLAGS_partner_token_random_key_for_dev);
  // At least a minute: a token must outlive its trip to the browser. More
  // than ServerConfig's maximum (a day) fails Start.
  config.portal_token_ttl = absl::Seconds(std::max(60, absl::GetFlag(FLAGS_portal_token_ttl_s)));
  config.embed_token_ttl = absl::Seconds(std::max(60, absl::GetFlag(FLAGS_embed_token_ttl_s)));
  config.portal_base_url = absl::GetFlag(FLAGS_portal_base_url);

  // The one registry: every part counts into it and the ops port serves it.
  // Declared before the server and the gateway: it outlives both.
  affonso::metrics::Registry registry;
  config.metrics = &registry;
  auto server = affonso::services::Server::Start(config);
  if (!server.ok()) {
    AFFONSO_LOG(kError, "start-up failed: ", server.status().ToString());
    return 1;
  }
  std::unique_ptr<affonso::gateway::RestGateway> rest;
  affonso::gateway::RestGatewayConfig rest_config = affonso::gateway::RestGatewayConfigFromFlags();
  rest_config.metrics = &registry;
  if (config.serve_api && rest_config.http.port >= 0) {
    rest_config.refuse_before_body = [api = server->get()](absl::string_view authorization,
                                                           absl::string_view client_address) {
      return api->RefuseWithoutLookup(authorization, client_address);
    };
    auto started = affonso::gateway::RestGateway::Start(rest_config, (*server)->InProcessChannel());
    if (!started.ok()) {
      AFFONSO_LOG(kError, "REST gateway start-up failed: ", started.status().ToString());
      return 1;
    }
    rest = *std::move(started);
  }
  std::unique_ptr<affonso::services::OpsServer> ops;
  if (absl::GetFlag(FLAGS_metrics_port) >= 0) {
    affonso::services::ExportProcessStartTime(&registry);
    affonso::gateway::HttpServerOptions ops_options;
    ops_options.address = absl::GetFlag(FLAGS_metrics_host);
    ops_options.port = absl::GetFlag(FLAGS_metrics_port);
    ops_options.io_threads = 1;
    affonso::services::Server* serving = server->get();
    auto started = affonso::services::OpsServer::Start(ops_options, &registry,
                                                       [serving] { return serving->serving(); });
    if (!started.ok()) {
      AFFONSO_LOG(kError, "ops port start-up failed: ", started.status().ToString());
      return 1;
    }
    ops = *std::move(started);
  }

  const int signal_number = affonso::WaitForStopSignal();
  const absl::Time stop_start = absl::Now();
  const absl::Duration drain_delay =
      absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_drain_delay_ms));
  const absl::Duration grace = absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
  // 1. Unready but still answering, for `drain_delay`: load balancers (the
  // Kubernetes endpoints, /readyz pollers, gRPC health checks) move away
  // while nothing is refused. Keep-alive REST clients are told to reconnect.
  AFFONSO_LOG(kInfo, "signal ", signal_number, ": unready, draining for ",
              absl::FormatDuration(drain_delay));
  (*server)->StopServing();
  if (rest) rest->CloseConnectionsAfterResponses();
  absl::SleepFor(drain_delay);
  // 2. Stop accepting; in-flight calls get `grace`, one deadline for REST
  // and gRPC together (so the whole stop stays within drain delay + grace +
  // ~1 s, what terminationGracePeriodSeconds must exceed). REST first: its
  // calls still need the gRPC server. gRPC clients get GOAWAY and move on.
  AFFONSO_LOG(kInfo, "closing listeners; in-flight calls get ", absl::FormatDuration(grace));
  const absl::Time deadline = absl::Now() + grace;
  if (rest) rest->Shutdown(grace);
  (*server)->Shutdown(std::max(absl::ZeroDuration(), deadline - absl::Now()));
  (*server)->Wait();
  // Probes and scrapes see the drain to its end; the ops port reads the
  // server, so it closes before the server goes.
  if (ops) ops->Shutdown(absl::Seconds(1));
  // 3. The pool (and every other part) closes with the server.
  rest.reset();
  server->reset();
  AFFONSO_LOG(kInfo, "stopped in ", absl::FormatDuration(absl::Now() - stop_start));
  return 0;
}
