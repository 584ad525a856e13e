// Operator bootstrap against the database in DATABASE_URL (or --database_url):
// everything else goes through the API.
//
//   ctl migrate
//   ctl demo-seed                  -> {"team_id","program_id","affiliate_id","tracking_id",
//                                      "api_key"} (a key with every permission)
//   ctl team create NAME           -> {"team_id","program_id","key_id","api_key"}
//                                     (a key with every permission)
//   ctl api-key create TEAM_ID [--permissions=P,...]
//                                  -> {"key_id","api_key","permissions"}
//     (every permission without --permissions; "permissions" is "all" or the list)
//   ctl api-key revoke KEY_ID      -> {"key_id","revoked":true}
//   ctl api-key set-limit KEY_ID PER_MINUTE PER_SECOND
//                                  -> {"key_id","rate_limit_per_minute","rate_limit_per_second"}
//     (0 = the server's default for that limit; replicas apply it within
//     their API-key cache TTL)
//   ctl api-key set-permissions KEY_ID all|P,...
//                                  -> {"key_id","permissions"} (applied as set-limit is)
//   ctl permissions                -> {"permissions":[...]}: the names a key may be given
//   ctl payouts generate TEAM_ID [--ready_before=now|RFC3339]
//                                  -> {"team_id","ready_before","payouts":[...],
//                                      "below_threshold":N,"busy":N}
//     (what the payout-generation job does for one team: by default what was
//     ready before the current payment period began, under the default terms)
//   ctl secrets status             -> {"plaintext":N,"sealed":{"KEY_ID":N,...}}
//   ctl secrets encrypt            -> {"rewritten":N,"unreadable":N,"plaintext":0,"sealed":{...}}
//     (seals every plaintext webhook secret under the primary key)
//   ctl secrets rotate             -> the same, re-sealing every secret under another key
//     (keys from SECRET_ENCRYPTION_KEYS or --secret_encryption_keys, as the server's)
//   ctl signing-secret set|rotate TEAM_ID PROGRAM_ID [--source=segment|custom|segment_webhook]
//                                  -> {"team_id","program_id","source","signing_secret"}
//     (a new random ssk_ secret, printed this once; sealed with the keys above
//     when configured. set replaces at once; rotate keeps the replaced secret
//     valid for 24 h. Servers see the change within their 10 s cache TTL)
//   ctl signing-secret clear TEAM_ID PROGRAM_ID [--source=...]
//                                  -> {"team_id","program_id","source","cleared":true}
//   ctl partner-tokens revoke TEAM_ID token|affiliate ID
//                                  -> {"team_id","revoked":N}
//     (one partner token by its id, ptk_..., or every live one of an
//     affiliate; refused at once by every replica: docs/BEHAVIOUR.md
//     "Partner access")
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/json_escape.h"
#include "common/log.h"
#include "common/process.h"
#include "common/secret_box.h"
#include "gateway/transcoder/contract.h"
#include "services/call/permissions.h"
#include "storage/demo_seed.h"
#include "storage/migrations.h"
#include "storage/payout_terms.h"
#include "storage/pg_api_key_store.h"
#include "storage/pg_partner_token_store.h"
#include "storage/pg_payout_store.h"
#include "storage/pg_signing_secret_store.h"
#include "storage/pool.h"
#include "storage/webhook_secrets.h"

ABSL_FLAG(std::string, database_url, "", "PostgreSQL URL (default: env DATABASE_URL)");
// No default from the environment: --help prints defaults.
ABSL_FLAG(std::string, secret_encryption_keys, "",
          "for `secrets`: the server's keys, id:base64key,... first = primary "
          "(env SECRET_ENCRYPTION_KEYS)");
ABSL_FLAG(std::string, permissions, "all",
          "for `api-key create`: the key's permissions, comma-separated, e.g. "
          "read:affiliates,create:clicks (`ctl permissions` lists them), or all "
          "(env none: it is per command)");
ABSL_FLAG(std::string, source, "",
          "for `signing-secret`: segment, custom or segment_webhook; default the program's "
          "own secret (env none: it is per command)");
ABSL_FLAG(std::string, ready_before, "",
          "for `payouts generate`: now or an RFC 3339 time; default each program's "
          "current payment period start (env none: it is per command)");

namespace {

using affonso::JsonEscape;

constexpr char kUsage[] =
    "usage: ctl migrate | demo-seed | team create NAME | "
    "api-key create TEAM_ID [--permissions=P,...] | api-key revoke KEY_ID | "
    "api-key set-limit KEY_ID PER_MINUTE PER_SECOND | api-key set-permissions KEY_ID all|P,... | "
    "permissions | payouts generate TEAM_ID [--ready_before=now|RFC3339] | secrets status | "
    "secrets encrypt | secrets rotate | "
    "signing-secret set|rotate|clear TEAM_ID PROGRAM_ID [--source=SOURCE] | "
    "partner-tokens revoke TEAM_ID token|affiliate ID";

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

// The permissions the contract's methods name: what a key may be given.
const affonso::services::MethodPermissions& KnownPermissions() {
  static const auto* known = [] {
    auto permissions =
        affonso::services::MethodPermissions::FromServices(affonso::gateway::ContractServices());
    if (!permissions.ok()) {  // the contract itself is broken: no server would start either
      std::cerr << "ctl: " << permissions.status().ToString() << "\n";
      std::exit(1);
    }
    return new affonso::services::MethodPermissions(*std::move(permissions));
  }();
  return *known;
}

// "all" is every permission (nullopt); otherwise comma-separated names, each
// one the contract knows.
absl::StatusOr<std::optional<std::vector<std::string>>> ParsePermissions(absl::string_view text) {
  if (absl::StripAsciiWhitespace(text) == "all") return std::nullopt;
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(
        "permissions: none given; a key needs at least one (or all of them: all)");
  }
  std::vector<std::string> names;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    name = absl::StripAsciiWhitespace(name);
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("permissions: an empty name in \"", text,
                                                     "\"; give names separated by commas, or all"));
    }
    names.emplace_back(name);
  }
  absl::Status known = KnownPermissions().CheckKnown(names);
  if (!known.ok())
    return absl::InvalidArgumentError(absl::StrCat("permissions: ", known.message()));
  return names;
}

std::string PermissionsJson(const std::optional<std::vector<std::string>>& permissions) {
  if (!permissions) return JsonEscape("all");
  std::vector<std::string> names;
  for (const std::string& name : *permissions) names.push_back(JsonEscape(name));
  return "[" + absl::StrJoin(names, ",") + "]";
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

absl::StatusOr<affonso::SecretKeyring> ConfiguredKeyring() {
  std::string spec = absl::GetFlag(FLAGS_secret_encryption_keys);
  if (spec.empty()) spec = affonso::EnvOr("SECRET_ENCRYPTION_KEYS", "");
  auto keyring = affonso::SecretKeyring::Parse(spec);
  if (!keyring.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SECRET_ENCRYPTION_KEYS: ", keyring.status().message()));
  }
  return keyring;
}

// `signing-secret set|rotate|clear TEAM_ID PROGRAM_ID`: the new secret is
// printed once and never again (it is sealed at rest when keys are given).
int SigningSecret(affonso::storage::ConnectionPool& pool, const std::vector<std::string>& args) {
  const std::string& command = args[1];
  const std::string& team = args[2];
  const std::string& program = args[3];
  const std::string source = absl::GetFlag(FLAGS_source);
  auto keyring = ConfiguredKeyring();
  if (!keyring.ok()) return Fail(keyring.status());
  affonso::storage::PgSigningSecretStore store(&pool, &*keyring);
  std::vector<std::pair<std::string, std::string>> out = {{"team_id", JsonEscape(team)},
                                                          {"program_id", JsonEscape(program)},
                                                          {"source", JsonEscape(source)}};
  if (command == "clear") {
    absl::Status status = store.Clear(team, program, source);
    if (!status.ok()) return Fail(status);
    out.emplace_back("cleared", "true");
  } else {
    // 32 base62 characters: ~190 bits.
    const std::string secret = "ssk_" + affonso::RandomBase62(32);
    absl::Status status = command == "set"
                              ? store.Set(team, program, source, secret)
                              : store.Rotate(team, program, source, secret,
                                             affonso::storage::kSigningSecretRotationGrace);
    if (!status.ok()) return Fail(status);
    out.emplace_back("signing_secret", JsonEscape(secret));
  }
  std::cout << JsonObject(out) << "\n";
  return 0;
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

  const bool signing_secret = args.size() == 4 && args[0] == "signing-secret" &&
                              (args[1] == "set" || args[1] == "rotate" || args[1] == "clear");
  const std::string source = absl::GetFlag(FLAGS_source);
  if (!source.empty() && (!signing_secret || !affonso::storage::IsSigningSecretSource(source))) {
    std::cerr << kUsage
              << "\n(--source is for `signing-secret`: segment, custom or segment_webhook)\n";
    return 2;
  }
  // --permissions belongs to `api-key create` alone, and is checked before
  // anything connects.
  std::optional<std::vector<std::string>> permissions;
  const bool creates_key = args.size() == 3 && args[0] == "api-key" && args[1] == "create";
  if (absl::GetFlag(FLAGS_permissions) != "all") {
    if (!creates_key) {
      std::cerr << kUsage << "\n(--permissions is for `api-key create`)\n";
      return 2;
    }
    auto parsed = ParsePermissions(absl::GetFlag(FLAGS_permissions));
    if (!parsed.ok()) return Fail(parsed.status());
    permissions = *std::move(parsed);
  }
  if (args == std::vector<std::string>{"permissions"}) {
    std::vector<std::string> names;
    for (const std::string& name : KnownPermissions().names()) names.push_back(JsonEscape(name));
    std::cout << JsonObject({{"permissions", "[" + absl::StrJoin(names, ",") + "]"}}) << "\n";
    return 0;
  }
  std::optional<std::vector<std::string>> new_permissions;
  if (args.size() == 4 && args[0] == "api-key" && args[1] == "set-permissions") {
    auto parsed = ParsePermissions(args[3]);
    if (!parsed.ok()) return Fail(parsed.status());
    new_permissions = *std::move(parsed);
  }

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
  if (creates_key) {
    auto key = store.CreateApiKeyWithPermissions(args[2], permissions);
    if (!key.ok()) return Fail(key.status());
    std::cout << JsonObject({{"key_id", JsonEscape(key->id)},
                             {"api_key", JsonEscape(key->key)},
                             {"permissions", PermissionsJson(permissions)}})
              << "\n";
    return 0;
  }
  if (args.size() == 4 && args[0] == "api-key" && args[1] == "set-permissions") {
    absl::Status status = store.SetApiKeyPermissions(args[2], new_permissions);
    if (!status.ok()) return Fail(status);
    std::cout << JsonObject({{"key_id", JsonEscape(args[2])},
                             {"permissions", PermissionsJson(new_permissions)}})
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
  if (args.size() == 3 && args[0] == "payouts" && args[1] == "generate") {
    // Each program on its own payment terms (the defaults where it set none).
    affonso::storage::PayoutGeneration generation;
    generation.team_id = args[2];
    generation.now = absl::Now();
    const std::string ready_before = absl::GetFlag(FLAGS_ready_before);
    if (ready_before == "now") {
      generation.ready_before = absl::Now();
    } else if (!ready_before.empty()) {
      absl::Time parsed;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, ready_before, &parsed, &error)) {
        std::cerr << kUsage << "\n(--ready_before: now or RFC 3339: " << error << ")\n";
        return 2;
      }
      generation.ready_before = parsed;
    }
    affonso::storage::PgPayoutStore payouts(pool->get());
    auto result = payouts.GeneratePayouts(generation);
    if (!result.ok()) return Fail(result.status());
    std::vector<std::string> ids;
    for (const std::string& id : result->payout_ids) ids.push_back(JsonEscape(id));
    const std::string period =
        generation.ready_before.has_value()
            ? absl::FormatTime(absl::RFC3339_full, *generation.ready_before, absl::UTCTimeZone())
            : "each program's period start";
    std::cout << JsonObject({{"team_id", JsonEscape(args[2])},
                             {"ready_before", JsonEscape(period)},
                             {"payouts", "[" + absl::StrJoin(ids, ",") + "]"},
                             {"below_threshold", std::to_string(result->below_threshold)},
                             {"busy", std::to_string(result->busy)}})
              << "\n";
    return 0;
  }
  if (signing_secret) return SigningSecret(**pool, args);
  if (args.size() == 5 && args[0] == "partner-tokens" && args[1] == "revoke" &&
      (args[3] == "token" || args[3] == "affiliate")) {
    affonso::storage::PgPartnerTokenStore tokens(pool->get());
    int revoked = 0;
    if (args[3] == "token") {
      absl::Status status = tokens.RevokeToken(args[2], args[4]);
      if (!status.ok()) return Fail(status);
      revoked = 1;
    } else {
      auto count = tokens.RevokeAffiliateTokens(args[2], args[4]);
      if (!count.ok()) return Fail(count.status());
      revoked = *count;
    }
    std::cout << JsonObject(
                     {{"team_id", JsonEscape(args[2])}, {"revoked", std::to_string(revoked)}})
              << "\n";
    return 0;
  }
  if (args.size() == 2 && args[0] == "secrets" && (args[1] == "encrypt" || args[1] == "rotate")) {
    return RewriteSecrets(**pool, args[1]);
  }
  std::cerr << kUsage << "\n";
  return 2;
}
