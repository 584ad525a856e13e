// Operator bootstrap against the database in DATABASE_URL (or --database_url):
// everything else goes through the API.
//
//   ctl migrate
//   ctl demo-seed                  ->
//   {"team_id","program_id","affiliate_id","tracking_id","api_key"} ctl team create NAME ->
//   {"team_id","program_id","api_key"} ctl api-key create TEAM_ID     -> {"key_id","api_key"} ctl
//   api-key revoke KEY_ID      -> {"key_id","revoked":true} ctl api-key set-limit KEY_ID PER_MINUTE
//   PER_SECOND
//                                  -> {"key_id","rate_limit_per_minute","rate_limit_per_second"}
//     (0 = the server's default for that limit; replicas apply it within
//     their API-key cache TTL)
//   ctl secrets status             -> {"plaintext":N,"sealed":{"KEY_ID":N,...}}
//   ctl secrets encrypt            -> {"rewritten":N,"unreadable":N,"plaintext":0,"sealed":{...}}
//     (seals every plaintext webhook secret under the primary key)
//   ctl secrets rotate             -> the same, re-sealing every secret under another key
//     (keys from SECRET_ENCRYPTION_KEYS or --secret_encryption_keys, as the server's)
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_escape.h"
#include "common/log.h"
#include "common/process.h"
#include "common/secret_box.h"
#include "storage/demo_seed.h"
#include "storage/migrations.h"
#include "storage/pg_api_key_store.h"
#include "storage/pool.h"
#include "storage/webhook_secrets.h"

ABSL_FLAG(std::string, database_url, "", "PostgreSQL URL (default: env DATABASE_URL)");
// No default from the environment: --help prints defaults.
ABSL_FLAG(std::string, secret_encryption_keys, "",
          "for `secrets`: the server's keys, id:base64key,... first = primary "
          "(env SECRET_ENCRYPTION_KEYS)");

namespace {

using affonso::JsonEscape;

constexpr char kUsage[] =
    "usage: ctl migrate | demo-seed | team create NAME | api-key create TEAM_ID | "
    "api-key revoke KEY_ID | api-key set-limit KEY_ID PER_MINUTE PER_SECOND | "
    "secrets status | secrets encrypt | secrets rotate";

// Rows per transaction for `secrets encrypt` / `rotate`.
constexpr int kSecretBatch = 100;

std::string JsonObject(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : fields) parts.push_back(JsonEscape(key) + ":" + value);
  return "{" + absl::StrJoin(parts, ",") + "}";
}

int Fail(const absl::Status& status) {
  std::cerr << "ctl: " << status.ToString() << "\n";
  return 1;
}

// {"plaintext":N,"sealed":{"KEY_ID":N,...}}: what is left where.
absl::StatusOr<std::string> SecretCounts(affonso::storage::ConnectionPool& pool) {
  auto counts = affonso::storage::CountWebhookSecrets(pool);
  if (!counts.ok()) return counts.status();
  std::string plaintext = "0";
  std::vector<std::pair<std::string, std::string>> sealed;
  for (const auto& [form, count] : *counts) {
    if (form == "plaintext") {
      plaintext = std::to_string(count);
    } else {
      sealed.emplace_back(form, std::to_string(count));
    }
  }
  return absl::StrCat("\"plaintext\":", plaintext, ",\"sealed\":", JsonObject(sealed));
}

// `secrets encrypt` and `secrets rotate`. Unreadable rows (sealed under a key
// not given) are named on stderr and make the exit status 1.
int RewriteSecrets(affonso::storage::ConnectionPool& pool, const std::string& command) {
  std::string spec = absl::GetFlag(FLAGS_secret_encryption_keys);
  if (spec.empty()) spec = affonso::EnvOr("SECRET_ENCRYPTION_KEYS", "");
  auto keyring = affonso::SecretKeyring::Parse(spec);
  if (!keyring.ok()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("SECRET_ENCRYPTION_KEYS: ", keyring.status().message())));
  }
  auto result = command == "encrypt"
                    ? affonso::storage::EncryptPlaintextWebhookSecrets(pool, *keyring, kSecretBatch)
                    : affonso::storage::ResealWebhookSecrets(pool, *keyring, kSecretBatch);
  if (!result.ok()) return Fail(result.status());
  for (const std::string& id : result->unreadable) {
    std::cerr << "ctl: webhook endpoint " << id
              << ": secret sealed under a key not configured; left as it is\n";
  }
  auto counts = SecretCounts(pool);
  if (!counts.ok()) return Fail(counts.status());
  std::cout << "{\"rewritten\":" << result->rewritten
            << ",\"unreadable\":" << result->unreadable.size() << "," << *counts << "}\n";
  return result->unreadable.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  affonso::HelpListsFlagsOf({"tools/ctl.cc"});
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  affonso::SetLogLevel(affonso::LogLevel::kWarning);

  std::string url = absl::GetFlag(FLAGS_database_url);
  if (url.empty() && std::getenv("DATABASE_URL")) url = std::getenv("DATABASE_URL");
  if (url.empty() || args.empty()) {
    std::cerr << kUsage << "\n(set DATABASE_URL or --database_url)\n";
    return 2;
  }
  affonso::storage::PoolConfig config;
  config.database_url = url;
  config.size = 2;
  auto pool = affonso::storage::ConnectionPool::Create(config);
  if (!pool.ok()) return Fail(pool.status());
  // Every command first brings the schema up to date, so ctl works against a
  // brand-new database too.
  auto applied = affonso::storage::ApplyMigrations(**pool);
  if (!applied.ok()) return Fail(applied.status());
  affonso::storage::PgApiKeyStore store(pool->get());

  if (args == std::vector<std::string>{"migrate"}) {
    std::cout << JsonObject({{"applied", std::to_string(*applied)}}) << "\n";
    return 0;
  }
  if (args == std::vector<std::string>{"demo-seed"}) {
    auto demo = affonso::storage::SeedDemo(**pool);
    if (!demo.ok()) return Fail(demo.status());
    std::cout << JsonObject({{"team_id", JsonEscape(demo->team_id)},
                             {"program_id", JsonEscape(demo->program_id)},
                             {"affiliate_id", JsonEscape(demo->affiliate_id)},
                             {"tracking_id", JsonEscape(demo->tracking_id)},
                             {"api_key", JsonEscape(demo->api_key)}})
              << "\n";
    return 0;
  }
  if (args.size() == 3 && args[0] == "team" && args[1] == "create") {
    auto team = store.CreateTeam(args[2]);
    if (!team.ok()) return Fail(team.status());
    auto key = store.CreateApiKey(team->team_id);
    if (!key.ok()) return Fail(key.status());
    std::cout << JsonObject({{"team_id", JsonEscape(team->team_id)},
                             {"program_id", JsonEscape(team->program_id)},
                             {"key_id", JsonEscape(key->id)},
                             {"api_key", JsonEscape(key->key)}})
              << "\n";
    return 0;
  }
  if (args.size() == 3 && args[0] == "api-key" && args[1] == "create") {
    auto key = store.CreateApiKey(args[2]);
    if (!key.ok()) return Fail(key.status());
    std::cout << JsonObject({{"key_id", JsonEscape(key->id)}, {"api_key", JsonEscape(key->key)}})
              << "\n";
    return 0;
  }
  if (args.size() == 3 && args[0] == "api-key" && args[1] == "revoke") {
    absl::Status status = store.RevokeApiKey(args[2]);
    if (!status.ok()) return Fail(status);
    std::cout << JsonObject({{"key_id", JsonEscape(args[2])}, {"revoked", "true"}}) << "\n";
    return 0;
  }
  if (args.size() == 5 && args[0] == "api-key" && args[1] == "set-limit") {
    int per_minute = 0;
    int per_second = 0;
    if (!absl::SimpleAtoi(args[3], &per_minute) || !absl::SimpleAtoi(args[4], &per_second)) {
      std::cerr << kUsage << "\n(limits are integers; 0 = the server's default)\n";
      return 2;
    }
    absl::Status status = store.SetApiKeyRateLimit(args[2], per_minute, per_second);
    if (!status.ok()) return Fail(status);
    std::cout << JsonObject({{"key_id", JsonEscape(args[2])},
                             {"rate_limit_per_minute", std::to_string(per_minute)},
                             {"rate_limit_per_second", std::to_string(per_second)}})
              << "\n";
    return 0;
  }
  if (args == std::vector<std::string>{"secrets", "status"}) {
    auto counts = SecretCounts(**pool);
    if (!counts.ok()) return Fail(counts.status());
    std::cout << "{" << *counts << "}\n";
    return 0;
  }
  if (args.size() == 2 && args[0] == "secrets" && (args[1] == "encrypt" || args[1] == "rotate")) {
    return RewriteSecrets(**pool, args[1]);
  }
  std::cerr << kUsage << "\n";
  return 2;
}
