// Webhook signing secrets at rest: with SECRET_ENCRYPTION_KEYS set, no
// column holds a secret, deliveries are still signed with it, old plaintext
// rows move over with `ctl secrets encrypt`, `ctl secrets rotate` re-seals
// under a new primary so the old key can go, and a secret that cannot be
// read stops its delivery rather than going out unsigned.
#include "storage/webhook_secrets.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/secret_box.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/webhooks.grpc.pb.h"
#include "services/webhooks/webhook_dispatcher.h"
#include "services/webhooks/webhook_sender.h"
#include "services/webhooks/webhook_signing.h"
#include "storage/pg_webhook_dispatch_store.h"
#include "storage/pg_webhook_store.h"
#include "tests/server_harness.h"

namespace affonso::tests {
namespace {

using ::affonso::matchers::StatusIs;
using services::WebhookDispatcher;
using services::WebhookDispatcherOptions;
using storage::testing::Tenant;

const std::string kKey1 = absl::Base64Escape(std::string(32, '\x11'));
const std::string kKey2 = absl::Base64Escape(std::string(32, '\x22'));
const std::string kK1 = "k1:" + kKey1;
const std::string kK2 = "k2:" + kKey2;

SecretKeyring Ring(const std::string& spec) {
  absl::StatusOr<SecretKeyring> keyring = SecretKeyring::Parse(spec);
  EXPECT_OK(keyring);
  return keyring.ok() ? *std::move(keyring) : SecretKeyring();
}

// Records every POST and answers 200.
class RecordingSender : public services::WebhookSender {
 public:
  struct Sent {
    std::string url, body;
    std::map<std::string, std::string> headers;
  };
  services::PostResult Post(const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body) override {
    absl::MutexLock lock(&mu_);
    posts_.push_back({url, body, {headers.begin(), headers.end()}});
    services::PostResult result;
    result.status_code = 200;
    return result;
  }
  std::vector<Sent> posts() {
    absl::MutexLock lock(&mu_);
    return posts_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Sent> posts_;
};

class WebhookSecretsTest : public storage::testing::TwoTenantTest {
 protected:
  // A webhook created through the store (as the API does) under `keyring`.
  v1::WebhookEndpoint Create(const Tenant& tenant, const SecretKeyring* keyring) {
    storage::PgWebhookStore store(&db_->pool(), storage::kDefaultMaxWebhookEndpointsPerTeam,
                                  keyring);
    v1::CreateWebhookRequest request;
    request.set_url("https://receiver.invalid/hooks");
    request.add_events("referral.lead");
    absl::StatusOr<v1::WebhookEndpoint> created = store.CreateWebhook(tenant.team_id, request);
    EXPECT_OK(created);
    EXPECT_TRUE(absl::StartsWith(created->secret(), "whsec_")) << created->secret();
    return created.ok() ? *created : v1::WebhookEndpoint();
  }

  // A row as the previous release wrote it: plaintext only.
  std::string CreatePlaintext(const Tenant& tenant, const std::string& secret,
                              bool deleted = false) {
    const std::string id = NewId("whk");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO webhook_endpoints (id, team_id, url, events, secret, deleted_at) VALUES ('",
        id, "', '", tenant.team_id, "', 'https://receiver.invalid/hooks', '{referral.lead}', '",
        secret, "', ", deleted ? "now()" : "NULL", ")"));
    return id;
  }

  std::string Event(const Tenant& tenant) {
    const std::string id = NewId("evt");
    db_->QueryValue(absl::StrCat("INSERT INTO outbox_events (id, team_id, type, payload) VALUES ('",
                                 id, "', '", tenant.team_id,
                                 "', 'referral.lead', jsonb_build_object('id', '", id, "'))"));
    return id;
  }

  // One dispatcher pass over everything due, with `keyring`'s view of the
  // secrets; the sends it made.
  std::vector<RecordingSender::Sent> Dispatch(const SecretKeyring* keyring) {
    storage::PgWebhookDispatchStore store(&db_->pool(), keyring);
    RecordingSender sender;
    WebhookDispatcherOptions options;
    // A failed attempt waits: tests make it due again when they want it.
    options.retry_schedule = {absl::Hours(1), absl::Hours(1), absl::Hours(1)};
    metrics::Registry registry;
    WebhookDispatcher dispatcher(&store, &sender, options, &registry);
    for (int i = 0; i < 5 && dispatcher.RunOnce() > 0; ++i) {
    }
    return sender.posts();
  }

  // The signatures of `post` are those of `secret`.
  static void ExpectSignedWith(const RecordingSender::Sent& post, const std::string& secret) {
    const std::string event = post.headers.at("webhook-id");
    const int64_t timestamp = std::stoll(post.headers.at("webhook-timestamp"));
    const services::SignedHeaders expected =
        services::SignWebhook(secret, event, timestamp, post.body);
    EXPECT_FALSE(expected.webhook_signature.empty());
    EXPECT_EQ(post.headers.at("webhook-signature"), expected.webhook_signature);
    EXPECT_EQ(post.headers.at("X-Affonso-Signature"), expected.affonso_signature);
  }

  // Rows of webhook_endpoints in which any column holds `text`.
  std::string RowsHolding(const std::string& text) {
    return db_->QueryValue(absl::StrCat(
        "SELECT count(*) FROM webhook_endpoints w WHERE strpos(row_to_json(w)::text, '", text,
        "') > 0"));
  }
  // The secret and its key part (what Standard Webhooks signs with).
  void ExpectNowhereInTheDatabase(const std::string& secret) {
    EXPECT_EQ(RowsHolding(secret), "0");
    EXPECT_EQ(RowsHolding(secret.substr(6)), "0");
  }

  std::string Query(const std::string& sql) { return db_->QueryValue(sql); }
};

TEST_F(WebhookSecretsTest, WithKeysNoColumnHoldsTheSecretAndDeliveriesAreSigned) {
  const SecretKeyring keyring = Ring(kK1);
  const v1::WebhookEndpoint webhook = Create(a_, &keyring);
  ExpectNowhereInTheDatabase(webhook.secret());
  EXPECT_EQ(Query(absl::StrCat("SELECT (secret IS NULL) || ' ' || split_part(secret_sealed, ':', "
                               "1) || ':' || split_part(secret_sealed, ':', 2) FROM "
                               "webhook_endpoints WHERE id = '",
                               webhook.id(), "'")),
            "true v1:k1");

  const std::string event = Event(a_);
  std::vector<RecordingSender::Sent> posts = Dispatch(&keyring);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].headers.at("webhook-id"), event);
  ExpectSignedWith(posts[0], webhook.secret());
  EXPECT_EQ(Query("SELECT status FROM webhook_deliveries"), "succeeded");
}

TEST_F(WebhookSecretsTest, WithoutKeysSecretsAreStoredAsBefore) {
  const v1::WebhookEndpoint webhook = Create(a_, nullptr);
  EXPECT_EQ(Query(absl::StrCat("SELECT secret || ' ' || (secret_sealed IS NULL) FROM "
                               "webhook_endpoints WHERE id = '",
                               webhook.id(), "'")),
            webhook.secret() + " true");
  Event(a_);
  std::vector<RecordingSender::Sent> posts = Dispatch(nullptr);
  ASSERT_EQ(posts.size(), 1u);
  ExpectSignedWith(posts[0], webhook.secret());
}

TEST_F(WebhookSecretsTest, AnUnreadableSecretFailsTheDeliveryAndNothingIsSent) {
  const SecretKeyring k1 = Ring(kK1);
  const v1::WebhookEndpoint webhook = Create(a_, &k1);
  Event(a_);
  // The key was removed too early, or never configured on this replica.
  const SecretKeyring k2 = Ring(kK2);
  EXPECT_TRUE(Dispatch(&k2).empty());
  Query("UPDATE webhook_deliveries SET next_attempt_at = now()");
  EXPECT_TRUE(Dispatch(nullptr).empty());
  EXPECT_EQ(Query("SELECT count(*) || ' ' || min(status_code) || ' ' || min(error) FROM "
                  "webhook_attempts"),
            "2 0 signing secret unavailable");
  EXPECT_EQ(Query("SELECT status FROM webhook_deliveries"), "pending");
  // With the key back, the retry goes out signed.
  Query("UPDATE webhook_deliveries SET next_attempt_at = now()");
  std::vector<RecordingSender::Sent> posts = Dispatch(&k1);
  ASSERT_EQ(posts.size(), 1u);
  ExpectSignedWith(posts[0], webhook.secret());
}

TEST_F(WebhookSecretsTest, ASealedSecretCopiedToAnotherTeamsRowDoesNotOpen) {
  const SecretKeyring keyring = Ring(kK1);
  const v1::WebhookEndpoint mine = Create(a_, &keyring);
  const v1::WebhookEndpoint theirs = Create(b_, &keyring);
  // Someone with write access to the table moves A's sealed secret to B's
  // endpoint, hoping B's deliveries get signed with A's secret.
  Query(
      absl::StrCat("UPDATE webhook_endpoints SET secret_sealed = (SELECT secret_sealed FROM "
                   "webhook_endpoints WHERE id = '",
                   mine.id(), "') WHERE id = '", theirs.id(), "'"));
  Event(b_);
  EXPECT_TRUE(Dispatch(&keyring).empty());
  EXPECT_EQ(Query("SELECT error FROM webhook_attempts"), "signing secret unavailable");
}

TEST_F(WebhookSecretsTest, EncryptMovesEveryPlaintextSecretOverInBatches) {
  std::vector<std::string> secrets, ids;
  for (int i = 0; i < 5; ++i) {
    secrets.push_back(absl::StrCat("whsec_", absl::Base64Escape(RandomBase62(24))));
    ids.push_back(CreatePlaintext(i % 2 ? b_ : a_, secrets.back(), /*deleted=*/i == 4));
  }
  const SecretKeyring keyring = Ring(kK1);
  absl::StatusOr<storage::SecretRewriteResult> result =
      storage::EncryptPlaintextWebhookSecrets(db_->pool(), keyring, /*batch=*/2);
  ASSERT_OK(result);
  EXPECT_EQ(result->rewritten, 5);
  EXPECT_TRUE(result->unreadable.empty());
  for (const std::string& secret : secrets) ExpectNowhereInTheDatabase(secret);
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_endpoints WHERE secret IS NOT NULL"), "0");
  EXPECT_EQ((*storage::CountWebhookSecrets(db_->pool())),
            (std::map<std::string, int64_t>{{"k1", 5}}));
  // Idempotent.
  result = storage::EncryptPlaintextWebhookSecrets(db_->pool(), keyring, 2);
  ASSERT_OK(result);
  EXPECT_EQ(result->rewritten, 0);

  Event(a_);
  std::vector<RecordingSender::Sent> posts = Dispatch(&keyring);
  ASSERT_EQ(posts.size(), 2u);  // A's two live endpoints
  // Both of A's live endpoints (rows 0 and 2) were signed with their own
  // original secrets.
  std::vector<std::string> signed_with;
  for (const auto& post : posts) {
    for (int i : {0, 2}) {
      const services::SignedHeaders expected =
          services::SignWebhook(secrets[i], post.headers.at("webhook-id"),
                                std::stoll(post.headers.at("webhook-timestamp")), post.body);
      if (expected.webhook_signature == post.headers.at("webhook-signature")) {
        signed_with.push_back(ids[i]);
      }
    }
  }
  std::sort(signed_with.begin(), signed_with.end());
  std::vector<std::string> expected_ids = {ids[0], ids[2]};
  std::sort(expected_ids.begin(), expected_ids.end());
  EXPECT_EQ(signed_with, expected_ids);
}

TEST_F(WebhookSecretsTest, EncryptNeedsAKey) {
  CreatePlaintext(a_, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_THAT(storage::EncryptPlaintextWebhookSecrets(db_->pool(), SecretKeyring(), 10),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_endpoints WHERE secret IS NOT NULL"), "1");
}

TEST_F(WebhookSecretsTest, RotationReSealsUnderTheNewPrimarySoTheOldKeyCanGo) {
  const SecretKeyring old_ring = Ring(kK1);
  std::vector<v1::WebhookEndpoint> webhooks;
  for (int i = 0; i < 3; ++i) webhooks.push_back(Create(i == 1 ? b_ : a_, &old_ring));
  // One row under a key nobody has any more: reported, left alone.
  const SecretKeyring lost = Ring("k0:" + absl::Base64Escape(std::string(32, '\x33')));
  const v1::WebhookEndpoint orphan = Create(a_, &lost);

  const SecretKeyring both = Ring(kK2 + "," + kK1);
  // Before re-sealing, the new keyring still opens the old values.
  Event(b_);
  std::vector<RecordingSender::Sent> posts = Dispatch(&both);
  ASSERT_EQ(posts.size(), 1u);
  ExpectSignedWith(posts[0], webhooks[1].secret());

  absl::StatusOr<storage::SecretRewriteResult> result =
      storage::ResealWebhookSecrets(db_->pool(), both, /*batch=*/2);
  ASSERT_OK(result);
  EXPECT_EQ(result->rewritten, 3);
  EXPECT_EQ(result->unreadable, std::vector<std::string>{orphan.id()});
  EXPECT_EQ((*storage::CountWebhookSecrets(db_->pool())),
            (std::map<std::string, int64_t>{{"k0", 1}, {"k2", 3}}));
  result = storage::ResealWebhookSecrets(db_->pool(), both, 2);
  ASSERT_OK(result);
  EXPECT_EQ(result->rewritten, 0);

  // k1 dropped: every re-sealed secret still signs.
  Query(absl::StrCat("DELETE FROM webhook_endpoints WHERE id = '", orphan.id(), "'"));
  const SecretKeyring only_new = Ring(kK2);
  Event(a_);
  posts = Dispatch(&only_new);
  ASSERT_EQ(posts.size(), 2u);
  for (const auto& post : posts) {
    const bool first =
        post.headers.at("webhook-signature") ==
        services::SignWebhook(webhooks[0].secret(), post.headers.at("webhook-id"),
                              std::stoll(post.headers.at("webhook-timestamp")), post.body)
            .webhook_signature;
    ExpectSignedWith(post, first ? webhooks[0].secret() : webhooks[2].secret());
  }
  for (const auto& webhook : webhooks) ExpectNowhereInTheDatabase(webhook.secret());
}

// ------------------------------------------------------------------ ctl

struct CtlRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CtlRun Ctl(const std::string& database_url, const std::string& keys, const std::string& args) {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  EXPECT_NE(runfiles, nullptr);
  const std::string command =
      absl::StrCat("env -i DATABASE_URL='", database_url, "' SECRET_ENCRYPTION_KEYS='", keys, "' ",
                   runfiles ? runfiles : "", "/affonso/tools/ctl ", args, " 2>&1");
  CtlRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST_F(WebhookSecretsTest, CtlEncryptsThenRotatesThenTheOldKeyCanGo) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  CreatePlaintext(a_, secret);
  CtlRun run = Ctl(db_->url(), "", "secrets status");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "{\"plaintext\":1,\"sealed\":{}}\n");

  run = Ctl(db_->url(), "", "secrets encrypt");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "no encryption key")) << run.output;
  run = Ctl(db_->url(), "k1:c2hvcnQ=", "secrets encrypt");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "SECRET_ENCRYPTION_KEYS")) << run.output;
  EXPECT_FALSE(absl::StrContains(run.output, "c2hvcnQ")) << run.output;

  run = Ctl(db_->url(), kK1, "secrets encrypt");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output,
            "{\"rewritten\":1,\"unreadable\":0,\"plaintext\":0,\"sealed\":{\"k1\":1}}\n");
  ExpectNowhereInTheDatabase(secret);
  run = Ctl(db_->url(), kK1, "secrets encrypt");
  EXPECT_EQ(run.output,
            "{\"rewritten\":0,\"unreadable\":0,\"plaintext\":0,\"sealed\":{\"k1\":1}}\n");

  run = Ctl(db_->url(), kK2 + "," + kK1, "secrets rotate");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output,
            "{\"rewritten\":1,\"unreadable\":0,\"plaintext\":0,\"sealed\":{\"k2\":1}}\n");
  // A rotation without the old key cannot read it: named, exit status 1.
  const SecretKeyring k1 = Ring(kK1);
  const v1::WebhookEndpoint late = Create(b_, &k1);
  run = Ctl(db_->url(), kK2, "secrets rotate");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, late.id())) << run.output;

  Query(absl::StrCat("DELETE FROM webhook_endpoints WHERE id = '", late.id(), "'"));
  Event(a_);
  const SecretKeyring only_new = Ring(kK2);
  std::vector<RecordingSender::Sent> posts = Dispatch(&only_new);
  ASSERT_EQ(posts.size(), 1u);
  ExpectSignedWith(posts[0], secret);
}

// ------------------------------------------------------------------ server

class KeyedServerTest : public ServerTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.secret_encryption_keys = kK1;
    config.run_webhook_dispatcher = false;
  }
};

TEST_F(KeyedServerTest, TheApiShowsTheSecretOnceAndStoresItSealed) {
  auto stub = v1::WebhookService::NewStub(channel_);
  v1::CreateWebhookRequest request;
  request.set_url("https://receiver.invalid/hooks");
  request.add_events("referral.lead");
  v1::WebhookEndpoint created;
  grpc::Status status = stub->CreateWebhook(As(a_).get(), request, &created);
  ASSERT_OK(status);
  ASSERT_TRUE(absl::StartsWith(created.secret(), "whsec_")) << created.secret();
  v1::GetWebhookRequest get;
  get.set_id(created.id());
  v1::WebhookEndpoint read;
  status = stub->GetWebhook(As(a_).get(), get, &read);
  ASSERT_OK(status);
  EXPECT_EQ(read.secret(), "");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_endpoints WHERE secret IS NULL AND "
                            "secret_sealed LIKE 'v1:k1:%'"),
            "1");
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT count(*) FROM webhook_endpoints w WHERE "
                                         "strpos(row_to_json(w)::text, '",
                                         created.secret().substr(6), "') > 0")),
            "0");
}

TEST(ServerKeysTest, MalformedKeysRefuseToStartWithoutQuotingThem) {
  services::ServerConfig config;
  config.database_url = "postgresql://unused.invalid/none";
  for (const std::string& keys : {std::string("k1:c2hvcnQ="), kKey1, kK1 + ",k1:" + kKey2}) {
    config.secret_encryption_keys = keys;
    auto server = services::Server::Start(config);
    ASSERT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument)) << keys;
    EXPECT_TRUE(absl::StartsWith(server.status().message(), "SECRET_ENCRYPTION_KEYS: "))
        << server.status();
    EXPECT_FALSE(absl::StrContains(server.status().message(), "c2hvcnQ"));
    EXPECT_FALSE(absl::StrContains(server.status().message(), kKey1));
  }
}

}  // namespace
}  // namespace affonso::tests
