#include "services/server/server.h"

#include <grpc/grpc.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/log.h"
#include "common/secret_box.h"
#include "gateway/transcoder/contract.h"
#include "services/api/affiliate_service.h"
#include "services/api/click_service.h"
#include "services/api/commission_service.h"
#include "services/api/conversion_metrics.h"
#include "services/api/conversion_service.h"
#include "services/api/coupon_service.h"
#include "services/api/creative_service.h"
#include "services/api/event_service.h"
#include "services/api/marketplace_service.h"
#include "services/api/notification_service.h"
#include "services/api/onboarding_service.h"
#include "services/api/partner_access_service.h"
#include "services/api/partner_token.h"
#include "services/api/payout_service.h"
#include "services/api/program_service.h"
#include "services/api/referral_service.h"
#include "services/api/signup_service.h"
#include "services/api/tracking_service.h"
#include "services/api/webhook_service.h"
#include "services/call/admission.h"
#include "services/call/admission_executor.h"
#include "services/call/api_key_authenticator.h"
#include "services/call/permissions.h"
#include "services/call/public_rate_limiter.h"
#include "services/call/rate_limiter.h"
#include "services/call/rpc_runner.h"
#include "services/lifecycle/hold_period_scheduler.h"
#include "services/lifecycle/payout_generator.h"
#include "services/rules/commission_calculation.h"
#include "services/rules/conversion_plan.h"
#include "services/server/pool_metrics.h"
#include "services/signing/signing_verifier.h"
#include "services/webhooks/outbox_monitor.h"
#include "services/webhooks/webhook_dispatcher.h"
#include "services/webhooks/webhook_sender.h"
#include "storage/migrations.h"
#include "storage/pg_affiliate_store.h"
#include "storage/pg_api_key_change_feed.h"
#include "storage/pg_api_key_store.h"
#include "storage/pg_click_store.h"
#include "storage/pg_commission_store.h"
#include "storage/pg_conversion_store.h"
#include "storage/pg_coupon_store.h"
#include "storage/pg_creative_store.h"
#include "storage/pg_hold_period_store.h"
#include "storage/pg_marketplace_store.h"
#include "storage/pg_notification_store.h"
#include "storage/pg_onboarding_store.h"
#include "storage/pg_partner_token_store.h"
#include "storage/pg_payout_store.h"
#include "storage/pg_program_store.h"
#include "storage/pg_program_terms_store.h"
#include "storage/pg_rate_limit_store.h"
#include "storage/pg_referral_store.h"
#include "storage/pg_signing_secret_store.h"
#include "storage/pg_signup_store.h"
#include "storage/pg_source_event_store.h"
#include "storage/pg_tracking_store.h"
#include "storage/pg_webhook_dispatch_store.h"
#include "storage/pg_webhook_store.h"
#include "storage/pool.h"

namespace affonso::services {

// Owned in dependency order: members are destroyed bottom-up, so services go
// before the stores they use and the stores before the pool.
struct Server::Parts {
  explicit Parts(metrics::Registry* configured)
      : own_registry(configured ? nullptr : std::make_unique<metrics::Registry>()),
        registry(configured ? configured : own_registry.get()),
        pool_metrics(registry),
        conversion_metrics(registry) {}

  std::unique_ptr<metrics::Registry> own_registry;  // when the config names none
  metrics::Registry* const registry;                // everything below counts here
  PoolMetrics pool_metrics;                         // the pool reports to it until the pool's end
  ConversionMetrics conversion_metrics;
  std::unique_ptr<storage::ConnectionPool> pool;
  std::vector<metrics::CallbackRegistration> pool_gauges;  // read the pool: go first
  ConversionPlanner conversion_planner;
  SaleCommissionCalculator sale_commission_calculator;
  SecretKeyring keyring;
  // The request verifier when the config names none: the signing secrets
  // in the database (sealed under `keyring`), cached per slot.
  std::unique_ptr<storage::PgSigningSecretStore> signing_secrets;
  std::unique_ptr<SigningVerifier> signing_verifier;
  std::unique_ptr<storage::PgApiKeyStore> api_keys;
  std::unique_ptr<storage::PgClickStore> clicks;
  std::unique_ptr<storage::PgSignupStore> signups;
  std::unique_ptr<storage::PgReferralStore> referrals;
  std::unique_ptr<storage::PgAffiliateStore> affiliates;
  std::unique_ptr<storage::PgCommissionStore> commissions;
  std::unique_ptr<storage::PgConversionStore> conversions;
  std::unique_ptr<storage::PgSourceEventStore> source_events;
  std::unique_ptr<storage::PgCouponStore> coupons;
  std::unique_ptr<storage::PgCreativeStore> creatives;
  std::unique_ptr<storage::PgNotificationStore> notifications;
  std::unique_ptr<storage::PgOnboardingStore> onboarding;
  std::unique_ptr<storage::PgPayoutStore> payouts;
  std::unique_ptr<storage::PgHoldPeriodStore> hold_periods;
  std::unique_ptr<storage::PgProgramStore> programs;
  std::unique_ptr<storage::PgProgramTermsStore> program_terms;
  std::unique_ptr<storage::PgMarketplaceStore> marketplace;
  std::unique_ptr<storage::PgTrackingStore> tracking;
  std::unique_ptr<storage::PgWebhookStore> webhooks;
  std::unique_ptr<ApiKeyAuthenticator> authenticator;
  std::unique_ptr<storage::PgApiKeyChangeFeed> api_key_feed;  // reports to authenticator
  std::unique_ptr<storage::PgRateLimitStore> rate_limits;
  // Admission, in order: authentication, rate limiting (when on), then the
  // method's permission (after the take, so a refused call still counts).
  std::unique_ptr<AuthenticationStage> authentication;
  std::unique_ptr<RateLimiter> rate_limiter;
  MethodPermissions method_permissions;
  std::unique_ptr<PermissionStage> permission_stage;
  std::unique_ptr<Admission> admission;
  // The public endpoints' admission: no key, no permission; the per-address
  // limit only. The per-program limit is taken by the service.
  std::unique_ptr<PublicRateLimiter> public_ip_limiter;
  std::unique_ptr<PublicRateLimiter> public_program_limiter;
  std::unique_ptr<ClientAddressRateLimitStage> public_ip_stage;
  std::unique_ptr<Admission> public_admission;
  std::unique_ptr<ServerCalls> calls;  // read by the readiness watcher and Shutdown
  std::unique_ptr<RpcMetrics> rpc_metrics;
  std::unique_ptr<ClickServiceImpl> click_service;
  std::unique_ptr<SignupServiceImpl> signup_service;
  std::unique_ptr<ReferralServiceImpl> referral_service;
  std::unique_ptr<AffiliateServiceImpl> affiliate_service;
  std::unique_ptr<CommissionServiceImpl> commission_service;
  std::unique_ptr<ConversionServiceImpl> conversion_service;
  std::unique_ptr<EventServiceImpl> event_service;  // records sales through conversion_service
  std::unique_ptr<CouponServiceImpl> coupon_service;
  std::unique_ptr<CreativeServiceImpl> creative_service;
  std::unique_ptr<NotificationServiceImpl> notification_service;
  std::unique_ptr<OnboardingServiceImpl> onboarding_service;
  std::unique_ptr<PayoutServiceImpl> payout_service;
  std::unique_ptr<ProgramServiceImpl> program_service;
  std::unique_ptr<MarketplaceServiceImpl> marketplace_service;
  std::unique_ptr<WebhookServiceImpl> webhook_service;
  std::unique_ptr<TrackingServiceImpl> tracking_service;
  std::optional<PartnerTokenSigner> partner_token_signer;
  std::unique_ptr<storage::PgPartnerTokenStore> partner_tokens;
  std::unique_ptr<PartnerAccessServiceImpl> partner_access_service;
  std::unique_ptr<PartnerPortalServiceImpl> partner_portal_service;  // public runner
  // Drained (its tasks use the services' runners) before the services go.
  std::unique_ptr<AdmissionExecutor> admission_executor;
  // The dispatcher role's only service besides health (see Start).
  std::unique_ptr<grpc::CallbackGenericService> unimplemented;
  std::unique_ptr<storage::PgWebhookDispatchStore> webhook_dispatch;
  std::unique_ptr<CurlSender> webhook_sender;
  std::unique_ptr<OutboxMonitor> outbox_monitor;
  // Stopped (their current transaction ends) before the stores go.
  std::unique_ptr<HoldPeriodScheduler> hold_period_scheduler;
  std::unique_ptr<PayoutGenerator> payout_generator;
  // Last member: stopped (sends finished) before anything it uses goes.
  std::unique_ptr<WebhookDispatcher> webhook_dispatcher;
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerConfig& config) {
  std::unique_ptr<Server> server(new Server());
  auto parts = std::make_unique<Parts>(config.metrics);
  absl::StatusOr<SecretKeyring> keyring = SecretKeyring::Parse(config.secret_encryption_keys);
  if (!keyring.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SECRET_ENCRYPTION_KEYS: ", keyring.status().message()));
  }
  parts->keyring = *std::move(keyring);
  if (parts->keyring.empty()) {
    AFFONSO_LOG(kWarning,
                "SECRET_ENCRYPTION_KEYS is not set: new webhook signing secrets are "
                "stored in plaintext");
  } else {
    AFFONSO_LOG(kInfo, "webhook signing secrets sealed under key \"", parts->keyring.primary_id(),
                "\" (", parts->keyring.key_ids().size(), " key(s) configured)");
  }

  // A leaked token must not outlive a day; the rows of expired tokens are
  // deleted by the next issue for their affiliate (docs/BEHAVIOUR.md).
  if (config.portal_token_ttl > ServerConfig::kMaxPartnerTokenTtl ||
      config.embed_token_ttl > ServerConfig::kMaxPartnerTokenTtl) {
    return absl::InvalidArgumentError(
        "--portal_token_ttl_s and --embed_token_ttl_s (PORTAL_TOKEN_TTL_S, EMBED_TOKEN_TTL_S) "
        "must be at most 86400 (24 h)");
  }
  if (config.partner_token_secret.empty() && config.partner_token_random_key_for_dev) {
    AFFONSO_LOG(kWarning,
                "PARTNER_TOKEN_SECRET is not set and PARTNER_TOKEN_RANDOM_KEY_FOR_DEV is: partner "
                "tokens are signed with a random key of this process (they die with it, and "
                "other replicas refuse them); development only");
    parts->partner_token_signer = PartnerTokenSigner::WithRandomSecret();
  } else if (config.partner_token_secret.empty()) {
    // No signer: the partner services answer FAILED_PRECONDITION.
    AFFONSO_LOG(kError,
                "PARTNER_TOKEN_SECRET is not set: portal and embed tokens are refused "
                "(FAILED_PRECONDITION, REST 400) until it is; set the same secret of at least 32 "
                "bytes on every replica (docs/OPERATIONS.md)");
  } else {
    absl::StatusOr<PartnerTokenSigner> signer =
        PartnerTokenSigner::Create(config.partner_token_secret);
    if (!signer.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PARTNER_TOKEN_SECRET: ", signer.status().message()));
    }
    parts->partner_token_signer = *std::move(signer);
  }

  storage::PoolConfig pool_config;
  pool_config.database_url = config.database_url;
  pool_config.size = config.db_pool_size;
  pool_config.acquire_timeout = config.db_acquire_timeout;
  pool_config.statement_timeout = config.db_statement_timeout;
  auto pool = storage::ConnectionPool::Create(pool_config, &parts->pool_metrics);
  if (!pool.ok()) return pool.status();
  parts->pool = *std::move(pool);
  parts->pool_gauges = parts->pool_metrics.Watch([db = parts->pool.get()] { return db->stats(); });
  if (config.apply_migrations) {
    auto applied = storage::ApplyMigrations(*parts->pool);
    if (!applied.ok()) return applied.status();
    AFFONSO_LOG(kInfo, "migrations: ", *applied, " applied");
  }

  storage::ConnectionPool* db = parts->pool.get();
  parts->api_keys = std::make_unique<storage::PgApiKeyStore>(db);
  parts->clicks = std::make_unique<storage::PgClickStore>(
      db, storage::PgClickStore::Options{config.click_batch.workers, config.click_batch.max_batch,
                                         parts->registry, config.batch_max_queued});
  parts->signups = std::make_unique<storage::PgSignupStore>(
      db, &parts->conversion_planner,
      storage::PgSignupStore::Options{config.signup_batch_workers, config.signup_max_batch,
                                      parts->registry, config.batch_max_queued});
  parts->referrals = std::make_unique<storage::PgReferralStore>(db, &parts->conversion_planner);
  parts->affiliates = std::make_unique<storage::PgAffiliateStore>(db);
  parts->commissions = std::make_unique<storage::PgCommissionStore>(db);
  parts->conversions =
      std::make_unique<storage::PgConversionStore>(db, &parts->sale_commission_calculator);
  parts->source_events = std::make_unique<storage::PgSourceEventStore>(db);
  parts->coupons = std::make_unique<storage::PgCouponStore>(db);
  parts->creatives = std::make_unique<storage::PgCreativeStore>(db);
  parts->notifications = std::make_unique<storage::PgNotificationStore>(db);
  parts->onboarding = std::make_unique<storage::PgOnboardingStore>(db);
  parts->payouts = std::make_unique<storage::PgPayoutStore>(db);
  parts->hold_periods = std::make_unique<storage::PgHoldPeriodStore>(db);
  parts->programs = std::make_unique<storage::PgProgramStore>(db);
  parts->program_terms = std::make_unique<storage::PgProgramTermsStore>(db);
  parts->marketplace = std::make_unique<storage::PgMarketplaceStore>(db);
  parts->tracking = std::make_unique<storage::PgTrackingStore>(
      db,
      storage::PgTrackingStore::Options{config.track_batch.workers, config.track_batch.max_batch,
                                        parts->registry, config.batch_max_queued});
  ApiKeyAuthenticator::Options auth_options;
  auth_options.ttl = config.api_key_cache_ttl;
  auth_options.negative_ttl = config.unknown_key_ttl;
  auth_options.failures_per_minute = config.auth_failures_per_minute;
  // Bounds the handler threads lookups of unknown keys can hold (queued for
  // a connection), with room for a new key's first burst: 30 concurrent
  // calls with one cold key on a pool of 16 were refused at 16.
  auth_options.max_concurrent_lookups = 4 * config.db_pool_size;
  parts->authenticator = std::make_unique<ApiKeyAuthenticator>(parts->api_keys.get(), auth_options);
  if (config.serve_api) {
    parts->api_key_feed = std::make_unique<storage::PgApiKeyChangeFeed>(config.database_url,
                                                                        parts->authenticator.get());
    parts->api_key_feed->Start();
  }
  metrics::Registry* const registry = parts->registry;
  parts->authentication = std::make_unique<AuthenticationStage>(parts->authenticator.get());
  std::vector<const AdmissionStage*> stages = {parts->authentication.get()};
  if (config.rate_limit_per_minute > 0) {
    if (config.rate_limit_per_second <= 0) {
      return absl::InvalidArgumentError("rate limit per second must be positive");
    }
    parts->rate_limits = std::make_unique<storage::PgRateLimitStore>(db);
    parts->rate_limiter = std::make_unique<RateLimiter>(
        parts->rate_limits.get(),
        storage::RateLimit{config.rate_limit_per_minute, config.rate_limit_per_second}, registry);
    stages.push_back(parts->rate_limiter.get());
  }
  // Every method of the contract's services names its permission, or the
  // server does not start.
  absl::StatusOr<MethodPermissions> method_permissions =
      MethodPermissions::FromServices(gateway::ContractServices());
  if (!method_permissions.ok()) return method_permissions.status();
  parts->method_permissions = *std::move(method_permissions);
  parts->permission_stage = std::make_unique<PermissionStage>(&parts->method_permissions);
  stages.push_back(parts->permission_stage.get());
  parts->admission = std::make_unique<Admission>(std::move(stages));
  if (config.public_rate_limit_per_ip_per_minute < 0 ||
      config.public_rate_limit_per_ip_per_second < 0 ||
      config.public_rate_limit_per_program_per_minute < 0) {
    return absl::InvalidArgumentError("public rate limits must not be negative");
  }
  PublicRateLimiter::Options per_ip;
  per_ip.per_minute = config.public_rate_limit_per_ip_per_minute;
  per_ip.per_second = config.public_rate_limit_per_ip_per_second;
  per_ip.what = "this address";
  per_ip.registry = registry;
  per_ip.name = "ip";
  parts->public_ip_limiter = std::make_unique<PublicRateLimiter>(per_ip);
  PublicRateLimiter::Options per_program;
  per_program.per_minute = config.public_rate_limit_per_program_per_minute;
  per_program.what = "this program's pages";
  per_program.registry = registry;
  per_program.name = "program";
  parts->public_program_limiter = std::make_unique<PublicRateLimiter>(per_program);
  parts->public_ip_stage =
      std::make_unique<ClientAddressRateLimitStage>(parts->public_ip_limiter.get());
  parts->public_admission =
      std::make_unique<Admission>(std::vector<const AdmissionStage*>{parts->public_ip_stage.get()});
  // Synchronous calls stop at max_rpc_threads (see the ResourceQuota below).
  parts->calls = std::make_unique<ServerCalls>(
      ServerCalls::Options{config.max_rpc_threads, config.trust_loopback_client_address});
  parts->rpc_metrics = std::make_unique<RpcMetrics>(registry);
  parts->admission_executor = std::make_unique<AdmissionExecutor>(
      AdmissionExecutor::Options{config.admission_threads, config.admission_max_queued});
  const RpcRunner runner(parts->admission.get(), parts->calls.get(), parts->rpc_metrics.get(),
                         parts->admission_executor.get());
  parts->click_service = std::make_unique<ClickServiceImpl>(runner, parts->clicks.get());
  parts->signup_service =
      std::make_unique<SignupServiceImpl>(runner, parts->signups.get(), &parts->conversion_metrics);
  parts->referral_service = std::make_unique<ReferralServiceImpl>(
      runner, parts->referrals.get(), parts->affiliates.get(), &parts->conversion_metrics);
  parts->affiliate_service = std::make_unique<AffiliateServiceImpl>(
      runner, parts->affiliates.get(), parts->coupons.get(), parts->onboarding.get());
  parts->commission_service = std::make_unique<CommissionServiceImpl>(
      runner, parts->commissions.get(), parts->referrals.get(), parts->affiliates.get());
  parts->signing_secrets = std::make_unique<storage::PgSigningSecretStore>(db, &parts->keyring);
  parts->signing_verifier = std::make_unique<SigningVerifier>(parts->signing_secrets.get());
  RequestVerifier* const request_verifier =
      config.request_verifier != nullptr ? config.request_verifier : parts->signing_verifier.get();
  parts->conversion_service = std::make_unique<ConversionServiceImpl>(
      runner, parts->conversions.get(), parts->signups.get(), request_verifier);
  parts->event_service = std::make_unique<EventServiceImpl>(
      runner, parts->source_events.get(), parts->conversion_service.get(), parts->signups.get(),
      parts->referrals.get(), request_verifier);
  parts->coupon_service =
      std::make_unique<CouponServiceImpl>(runner, parts->coupons.get(), parts->affiliates.get());
  parts->creative_service = std::make_unique<CreativeServiceImpl>(runner, parts->creatives.get());
  parts->notification_service =
      std::make_unique<NotificationServiceImpl>(runner, parts->notifications.get());
  parts->onboarding_service =
      std::make_unique<OnboardingServiceImpl>(runner, parts->onboarding.get());
  parts->payout_service = std::make_unique<PayoutServiceImpl>(runner, parts->payouts.get());
  parts->program_service = std::make_unique<ProgramServiceImpl>(runner, parts->programs.get(),
                                                                parts->program_terms.get());
  parts->marketplace_service =
      std::make_unique<MarketplaceServiceImpl>(runner, parts->marketplace.get());
  parts->webhooks = std::make_unique<storage::PgWebhookStore>(
      db, config.webhook_max_endpoints_per_team, &parts->keyring);
  parts->webhook_service = std::make_unique<WebhookServiceImpl>(
      runner, parts->webhooks.get(), config.webhook_allow_private_destinations);
  TrackingServiceOptions tracking_options;
  tracking_options.program_limiter = parts->public_program_limiter.get();
  tracking_options.registry = registry;
  tracking_options.conversion_metrics = &parts->conversion_metrics;
  parts->tracking_service = std::make_unique<TrackingServiceImpl>(
      RpcRunner(parts->public_admission.get(), parts->calls.get(), parts->rpc_metrics.get(),
                parts->admission_executor.get()),
      parts->tracking.get(), parts->signups.get(), tracking_options);
  parts->partner_tokens = std::make_unique<storage::PgPartnerTokenStore>(db);
  PartnerAccessOptions partner_options;
  partner_options.portal_token_ttl = config.portal_token_ttl;
  partner_options.embed_token_ttl = config.embed_token_ttl;
  partner_options.portal_base_url = config.portal_base_url;
  const PartnerTokenSigner* partner_signer =
      parts->partner_token_signer ? &*parts->partner_token_signer : nullptr;
  parts->partner_access_service = std::make_unique<PartnerAccessServiceImpl>(
      runner, parts->partner_tokens.get(), parts->affiliates.get(), partner_signer,
      partner_options);
  parts->partner_portal_service = std::make_unique<PartnerPortalServiceImpl>(
      RpcRunner(parts->public_admission.get(), parts->calls.get(), parts->rpc_metrics.get(),
                parts->admission_executor.get()),
      parts->partner_tokens.get(), partner_signer);

  // The health service is gRPC's callback one: a Watch stream holds no
  // handler thread. No reflection service: its streams are synchronous, so
  // each idle one held a thread for good, and a few hundred opened without
  // a key refused every other call; clients use the compiled-in contract.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.grpc_address, grpc::InsecureServerCredentials(), &server->port_);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, config.max_streams_per_connection);
  // Our synchronous calls stop at max_rpc_threads (RpcRunner refuses more,
  // UNAVAILABLE: "busy, retry"); gRPC's pool has 3 times as many more, and
  // 1,024, for its pollers and for calls being read, dropped or refused, so
  // a burst of quick calls does not run it out (where gRPC refuses every call
  // RESOURCE_EXHAUSTED, which reads as a rate limit). Threads are made on
  // demand. 16 handler threads in a pool of 48, 96, then 320 still ran out
  // under 1,000 cancelled calls over 4 connections (100 streams each).
  grpc::ResourceQuota quota("affonso");
  quota.SetMaxThreads(4 * config.max_rpc_threads + 1024);
  if (config.grpc_memory_bytes > 0) quota.Resize(static_cast<size_t>(config.grpc_memory_bytes));
  builder.SetResourceQuota(quota);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<UndecodableRequestInterceptorFactory>());
  // Names the method for PermissionStage.
  interceptors.push_back(std::make_unique<MethodNameInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  if (config.serve_api) {
    builder.RegisterService(parts->click_service.get());
    builder.RegisterService(parts->signup_service.get());
    builder.RegisterService(parts->referral_service.get());
    builder.RegisterService(parts->affiliate_service.get());
    builder.RegisterService(parts->program_service.get());
    builder.RegisterService(parts->marketplace_service.get());
    builder.RegisterService(parts->commission_service.get());
    builder.RegisterService(parts->conversion_service.get());
    builder.RegisterService(parts->event_service.get());
    builder.RegisterService(parts->coupon_service.get());
    builder.RegisterService(parts->creative_service.get());
    builder.RegisterService(parts->notification_service.get());
    builder.RegisterService(parts->onboarding_service.get());
    builder.RegisterService(parts->payout_service.get());
    builder.RegisterService(parts->webhook_service.get());
    builder.RegisterService(parts->tracking_service.get());
    builder.RegisterService(parts->partner_access_service.get());
    builder.RegisterService(parts->partner_portal_service.get());
  } else {
    // gRPC builds no server without a service of its own to poll for (the
    // health service comes later), so every method answers UNIMPLEMENTED.
    parts->unimplemented = std::make_unique<grpc::CallbackGenericService>();
    builder.RegisterCallbackGenericService(parts->unimplemented.get());
  }
  server->grpc_server_ = builder.BuildAndStart();
  if (!server->grpc_server_ || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", config.grpc_address));
  }
  server->saturation_window_ = config.saturation_window;
  server->db_probe_interval_ = config.db_probe_interval;
  {
    absl::MutexLock lock(&server->mu_);
    server->accepting_ = true;
    server->UpdateServing();
  }
  if (config.run_webhook_dispatcher) {
    parts->webhook_dispatch =
        std::make_unique<storage::PgWebhookDispatchStore>(db, &parts->keyring);
    CurlSenderOptions sending;
    sending.connect_timeout = config.webhook_timeout;
    sending.timeout = config.webhook_timeout;
    sending.allow_private_destinations = config.webhook_allow_private_destinations;
    parts->webhook_sender = std::make_unique<CurlSender>(sending);
    WebhookDispatcherOptions dispatching;
    dispatching.workers = config.webhook_workers;
    dispatching.max_sends_per_endpoint = config.webhook_max_sends_per_endpoint;
    dispatching.per_endpoint_cap = config.webhook_max_in_flight_per_endpoint;
    dispatching.per_team_cap = config.webhook_max_in_flight_per_team;
    dispatching.poll_interval = config.webhook_poll_interval;
    dispatching.lease = std::max(config.webhook_lease, 2 * config.webhook_timeout);
    dispatching.stop_grace = config.webhook_stop_grace;
    parts->webhook_dispatcher = std::make_unique<WebhookDispatcher>(
        parts->webhook_dispatch.get(), parts->webhook_sender.get(), dispatching, parts->registry);
    parts->webhook_dispatcher->Start();
    parts->outbox_monitor = std::make_unique<OutboxMonitor>(
        parts->webhook_dispatch.get(), OutboxMonitorOptions(), parts->registry);
    parts->outbox_monitor->Start();
  }
  if (config.run_lifecycle_jobs) {
    HoldPeriodSchedulerOptions scheduling;
    scheduling.interval = config.hold_period_interval;
    scheduling.batch = std::max(1, config.hold_period_batch);
    parts->hold_period_scheduler = std::make_unique<HoldPeriodScheduler>(
        parts->hold_periods.get(), scheduling, parts->registry);
    parts->hold_period_scheduler->Start();
    PayoutGeneratorOptions generating;
    generating.interval = config.payout_generation_interval;
    parts->payout_generator =
        std::make_unique<PayoutGenerator>(parts->payouts.get(), generating, parts->registry);
    parts->payout_generator->Start();
  }
  server->parts_ = std::move(parts);
  Server* watched = server.get();
  server->watchers_.emplace_back([watched] { watched->WatchReadiness(absl::Milliseconds(50)); });
  server->watchers_.emplace_back([watched] { watched->ProbeDatabase(); });
  AFFONSO_LOG(
      kInfo, "gRPC serving on port ", server->port_, " (pool ", config.db_pool_size,
      ", rate limit ",
      config.rate_limit_per_minute > 0 ? absl::StrCat(config.rate_limit_per_minute, "/min burst ",
                                                      config.rate_limit_per_second, "/s")
                                       : "off",
      ", public rate limit ",
      config.public_rate_limit_per_ip_per_minute > 0
          ? absl::StrCat(config.public_rate_limit_per_ip_per_minute, "/min burst ",
                         config.public_rate_limit_per_ip_per_second, "/s per address")
          : "off per address",
      config.public_rate_limit_per_program_per_minute > 0
          ? absl::StrCat(", ", config.public_rate_limit_per_program_per_minute, "/min per program")
          : ", off per program",
      ", threads ", config.max_rpc_threads, ", api ", config.serve_api ? "on" : "off",
      ", webhook dispatcher ", config.run_webhook_dispatcher ? "on" : "off", ", lifecycle jobs ",
      config.run_lifecycle_jobs ? "on" : "off", ")");
  return server;
}

Server::~Server() {
  StopWatching();
  if (grpc_server_) {
    grpc_server_->Shutdown(std::chrono::system_clock::now());
    grpc_server_->Wait();
  }
}

metrics::Registry& Server::metrics() const { return *parts_->registry; }

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  return grpc_server_->InProcessChannel(grpc::ChannelArguments());
}

void Server::StopServing() {
  absl::MutexLock lock(&mu_);
  accepting_ = false;
  UpdateServing();
}

void Server::UpdateServing() {
  const bool ready = accepting_ && !saturated_ && db_usable_;
  if (ready == serving_.load()) return;
  serving_ = ready;
  grpc_server_->GetHealthCheckService()->SetServingStatus(ready);
}

void Server::WatchReadiness(absl::Duration sample) {
  const int cap = parts_->calls->max_thread_calls();
  const int busy_at = cap - cap / 10;
  absl::Time busy_since = absl::InfiniteFuture();
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stop_watching_), sample)) {
    const int calls = parts_->calls->ThreadCalls();
    const absl::Time now = absl::Now();
    if (cap <= 0 || calls < busy_at) {
      busy_since = absl::InfiniteFuture();
    } else if (busy_since == absl::InfiniteFuture()) {
      busy_since = now;
    }
    const bool saturated = now - busy_since >= saturation_window_;
    if (saturated == saturated_) continue;
    saturated_ = saturated;
    AFFONSO_LOG(kWarning, saturated ? "unready: " : "ready again: ", calls,
                " synchronous calls in flight (cap ", cap, ")");
    UpdateServing();
  }
}

void Server::ProbeDatabase() {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stop_watching_), db_probe_interval_)) {
    mu_.Unlock();
    // A lease is what every call needs first: none within the acquire
    // timeout because this replica's own calls hold the whole pool is a
    // replica that cannot serve, and others may. A database that cannot be
    // reached fails every replica alike: each stays ready and answers fast
    // 503s, rather than all leaving the Service and clients with no answer.
    const bool usable =
        parts_->pool->Acquire().ok() || parts_->pool->stats().in_use < parts_->pool->size();
    mu_.Lock();
    if (usable == db_usable_) continue;
    db_usable_ = usable;
    AFFONSO_LOG(kWarning, usable ? "ready again: " : "unready: ", "database pool ",
                usable ? "usable" : "cannot lend a connection");
    UpdateServing();
  }
}

void Server::StopWatching() {
  {
    absl::MutexLock lock(&mu_);
    stop_watching_ = true;
  }
  for (std::thread& watcher : watchers_) watcher.join();
  watchers_.clear();
}

void Server::Shutdown(absl::Duration grace) {
  StopServing();
  StopWatching();
  // Sends in progress finish and are recorded within the dispatcher's stop
  // grace; the rest, and what is still queued, wait for a replica.
  if (parts_->webhook_dispatcher) parts_->webhook_dispatcher->Stop();
  if (parts_->outbox_monitor) parts_->outbox_monitor->Stop();
  if (parts_->hold_period_scheduler) parts_->hold_period_scheduler->Stop();
  if (parts_->payout_generator) parts_->payout_generator->Stop();
  // gRPC's Shutdown sends GOAWAY at once, so clients send no new call here,
  // lets the calls in flight run until `deadline`, and then still waits for
  // every client to hang up. Clients that keep an idle connection open would
  // hold it for the whole grace. So once none of our calls has been in flight
  // for a while (their answers flushed meanwhile), disconnect the remaining
  // peers as gRPC itself does at the deadline, by cancelling all calls:
  // there are none left to cancel.
  const absl::Time deadline = absl::Now() + grace;
  absl::Notification shutting_down;
  absl::Notification stopped;
  std::thread stopper([&] {
    shutting_down.Notify();
    grpc_server_->Shutdown(absl::ToChronoTime(deadline));
    stopped.Notify();
  });
  shutting_down.WaitForNotification();
  absl::Time idle_since = absl::Now();
  while (!stopped.HasBeenNotified() && absl::Now() < deadline) {
    if (parts_->calls->InFlight() > 0) idle_since = absl::Now();
    if (absl::Now() - idle_since >= absl::Seconds(1)) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (!stopped.HasBeenNotified()) grpc_server_cancel_all_calls(grpc_server_->c_server());
  stopper.join();
  // The last answers may still sit in the transports' buffers: closing the
  // sockets now (process exit) could reset them under the client.
  absl::SleepFor(absl::Milliseconds(200));
}

void Server::Wait() { grpc_server_->Wait(); }

absl::Status Server::RefuseWithoutLookup(absl::string_view authorization,
                                         absl::string_view client_address) const {
  if (!parts_ || !parts_->authenticator) return absl::OkStatus();
  return parts_->authenticator->RefuseWithoutLookup(authorization, client_address);
}

}  // namespace affonso::services
