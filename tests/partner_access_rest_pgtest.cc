// Partner access and the affiliate events over REST end to end: real HTTP,
// the in-process gateway, the real services and PostgreSQL.
//
// - affiliate.created / confirmed / updated / deleted are in the outbox
//   exactly when their change committed (none for a no-op or a refused one);
// - POST /v1/affiliates/{id}/portal-token and POST /v1/embed/token answer the
//   SDK's AffiliatePortalToken and EmbedToken, and the tokens grant exactly
//   POST /v1/portal/me and POST /v1/embed/me for their own affiliate: an
//   expired, altered, wrong-kind, revoked or other-team token grants nothing
//   (401 and its reason), a token is no API key and an API key no token, and
//   no token ever reaches the logs.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;

std::vector<std::string> KeysOf(const Struct& object) {
  std::vector<std::string> keys;
  for (const auto& [key, unused] : object.fields()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> Sorted(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

class PartnerAccessRestTest : public RestTest {
 protected:
  // The outbox's affiliate events of `affiliate_id`, "type,type" in type order.
  std::string Events(const std::string& affiliate_id) {
    return db_->QueryValue(
        absl::StrCat("SELECT COALESCE(string_agg(type, ',' ORDER BY type), '') FROM outbox_events "
                     "WHERE type LIKE 'affiliate.%' AND payload->'data'->>'affiliateId' = '",
                     affiliate_id, "'"));
  }
  int AllEvents() { return std::stoi(db_->QueryValue("SELECT count(*) FROM outbox_events")); }

  std::string CreateAffiliate(const std::string& name, const std::string& extra = "") {
    const HttpResult created =
        Call("POST", "/v1/affiliates",
             absl::StrCat("{\"name\":\"", name, "\",\"email\":\"", name,
                          "@example.com\",\"program_id\":\"", a_.program_id, "\"", extra, "}"));
    EXPECT_EQ(created.status, 201) << created.body;
    return created.DataString("id");
  }

  HttpResult PortalToken(const std::string& affiliate_id,
                         const storage::testing::Tenant* as = nullptr) {
    return Call("POST", absl::StrCat("/v1/affiliates/", affiliate_id, "/portal-token"), "", as);
  }

  // A session call with no Authorization at all: the token is the authority.
  HttpResult Session(const std::string& path, const std::string& token) {
    return Http(rest_->port(), "POST", path, absl::StrCat("{\"token\":\"", token, "\"}"),
                {{"Content-Type", "application/json"}});
  }

  void ExpectRefused(const HttpResult& result, const std::string& reason) {
    EXPECT_EQ(result.status, 401) << result.body;
    EXPECT_EQ(result.ErrorCode(), "UNAUTHORIZED") << result.body;
    EXPECT_EQ(result.ErrorReason(), reason) << result.body;
    EXPECT_FALSE(result.json.fields().contains("data")) << result.body;
  }
};

// ---------------------------------------------------------------- events

TEST_F(PartnerAccessRestTest, EachAffiliateChangeWritesItsEventsAndNothingElseDoes) {
  const std::string id = CreateAffiliate("ann", ",\"tracking_id\":\"ann-1\"");
  EXPECT_EQ(Events(id), "affiliate.created");

  // The data: the Affiliate as the API shows it, camelCase, no payout details.
  const std::string data = db_->QueryValue(
      absl::StrCat("SELECT string_agg(k, ',' ORDER BY k) FROM outbox_events, "
                   "jsonb_object_keys(payload->'data') AS k WHERE type = 'affiliate.created' AND "
                   "payload->'data'->>'affiliateId' = '",
                   id, "'"));
  EXPECT_EQ(data,
            "affiliateId,affiliateProgramId,createdAt,email,externalUserId,groupId,metadata,name,"
            "onboardingCompleted,partnershipStatus,source,trackingId");
  EXPECT_EQ(db_->QueryValue(absl::StrCat(
                "SELECT (payload->'data'->>'partnershipStatus') || '/' || "
                "(payload->'data'->>'trackingId') || '/' || (payload->>'type') || '/' || "
                "(payload->>'id' = id)::text FROM outbox_events WHERE type = 'affiliate.created' "
                "AND payload->'data'->>'affiliateId' = '",
                id, "'")),
            "PENDING/ann-1/affiliate.created/true");

  // As the API shows it: the effective (default) group, the tracking id.
  const HttpResult shown = Call("GET", "/v1/affiliates/" + id);
  EXPECT_EQ(db_->QueryValue(absl::StrCat(
                "SELECT (payload->'data'->>'groupId') || '/' || (payload->'data'->>'name') || "
                "'/' || (payload->'data'->>'affiliateProgramId') FROM outbox_events WHERE type = "
                "'affiliate.created' AND payload->'data'->>'affiliateId' = '",
                id, "'")),
            absl::StrCat(shown.DataString("group_id"), "/ann/", a_.program_id));
  EXPECT_FALSE(shown.DataString("group_id").empty());

  const int before = AllEvents();
  // A no-op update: same values.
  HttpResult result = Call("PUT", "/v1/affiliates/" + id, "{\"name\":\"ann\"}");
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(AllEvents(), before);
  // Refused changes: a taken tracking id, a group of no program of ours, a
  // create whose tracking id is taken.
  CreateAffiliate("bob", ",\"tracking_id\":\"bob-1\"");
  const int with_bob = AllEvents();
  result = Call("PUT", "/v1/affiliates/" + id, "{\"tracking_id\":\"bob-1\"}");
  EXPECT_EQ(result.status, 409) << result.body;
  result = Call("PUT", "/v1/affiliates/" + id, "{\"group_id\":\"grp_nosuchgroup\"}");
  EXPECT_EQ(result.status, 404) << result.body;
  result = Call("POST", "/v1/affiliates",
                absl::StrCat("{\"name\":\"c\",\"email\":\"c@example.com\",\"program_id\":\"",
                             a_.program_id, "\",\"tracking_id\":\"bob-1\"}"));
  EXPECT_EQ(result.status, 409) << result.body;
  EXPECT_EQ(AllEvents(), with_bob);

  result = Call("PUT", "/v1/affiliates/" + id, "{\"name\":\"Ann B\"}");
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(Events(id), "affiliate.created,affiliate.updated");
  result = Call("PUT", "/v1/affiliates/" + id, "{\"status\":\"approved\"}");
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(Events(id),
            "affiliate.confirmed,affiliate.created,affiliate.updated,affiliate.updated");
  EXPECT_EQ(db_->QueryValue(absl::StrCat(
                "SELECT payload->'data'->>'partnershipStatus' FROM outbox_events WHERE type = "
                "'affiliate.confirmed' AND payload->'data'->>'affiliateId' = '",
                id, "'")),
            "APPROVED");
  // Approved again: nothing changed, nothing written.
  const int approved = AllEvents();
  result = Call("PUT", "/v1/affiliates/" + id, "{\"status\":\"approved\"}");
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(AllEvents(), approved);

  result = Call("DELETE", "/v1/affiliates/" + id);
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(Events(id),
            "affiliate.confirmed,affiliate.created,affiliate.deleted,affiliate.updated,"
            "affiliate.updated");
  result = Call("DELETE", "/v1/affiliates/" + id);
  EXPECT_EQ(result.status, 404) << result.body;
  EXPECT_EQ(AllEvents(), approved + 1);
  // Each event is the team's.
  EXPECT_EQ(db_->QueryValue(absl::StrCat(
                "SELECT count(*) FROM outbox_events WHERE type LIKE 'affiliate.%' AND team_id <> '",
                a_.team_id, "'")),
            "0");
}

TEST_F(PartnerAccessRestTest, AnAffiliateCreatedApprovedIsConfirmedAtOnce) {
  const std::string id = CreateAffiliate("dee", ",\"partnership_status\":\"approved\"");
  EXPECT_EQ(Events(id), "affiliate.confirmed,affiliate.created");
}

TEST_F(PartnerAccessRestTest, WebhooksSubscribeToTheAffiliateEvents) {
  const HttpResult created =
      Call("POST", "/v1/webhooks",
           "{\"url\":\"https://hooks.example.com/a\",\"events\":[\"affiliate.created\","
           "\"affiliate.confirmed\",\"affiliate.updated\",\"affiliate.deleted\"]}");
  EXPECT_EQ(created.status, 201) << created.body;
}

// ---------------------------------------------------------------- portal token

TEST_F(PartnerAccessRestTest, PortalTokenGrantsItsAffiliatesPortalOnly) {
  const absl::Time before = absl::Now();
  const HttpResult issued = PortalToken(a_.affiliate_id);
  ASSERT_EQ(issued.status, 201) << issued.body;
  EXPECT_EQ(KeysOf(issued.Data()), Sorted({"token", "portalUrl", "expiresAt"}));
  const std::string token = issued.DataString("token");
  EXPECT_TRUE(absl::StartsWith(token, "afpt_")) << token;
  EXPECT_EQ(issued.DataString("portalUrl"),
            absl::StrCat("http://localhost:8080/portal/", a_.program_id, "#token=", token));
  absl::Time expires;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, issued.DataString("expiresAt"), &expires, &error))
      << error;
  EXPECT_GE(expires, before + absl::Minutes(15) - absl::Seconds(1));
  EXPECT_LE(expires, absl::Now() + absl::Minutes(15));

  const HttpResult me = Session("/v1/portal/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.DataString("affiliate_id"), a_.affiliate_id);
  EXPECT_EQ(me.DataString("program_id"), a_.program_id);
  EXPECT_EQ(me.DataString("tracking_id"), a_.tracking_id);
  EXPECT_EQ(me.DataString("partnership_status"), "APPROVED");

  // The other kind's operation, the token as an API key, an API key as a token.
  ExpectRefused(Session("/v1/embed/me", token), "WRONG_TOKEN_PURPOSE");
  const HttpResult as_key =
      Http(rest_->port(), "GET", "/v1/affiliates", "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(as_key.status, 401) << as_key.body;
  EXPECT_EQ(as_key.ErrorReason(), "INVALID_API_KEY_FORMAT") << as_key.body;
  ExpectRefused(Session("/v1/portal/me", a_.api_key), "INVALID_TOKEN");
  ExpectRefused(Session("/v1/portal/me", ""), "MISSING_TOKEN");
  // An API key next to a token changes nothing: the token alone decides.
  const HttpResult with_key =
      Http(rest_->port(), "POST", "/v1/portal/me", "{\"token\":\"x\"}",
           {{"Authorization", "Bearer " + a_.api_key}, {"Content-Type", "application/json"}});
  ExpectRefused(with_key, "INVALID_TOKEN");
}

TEST_F(PartnerAccessRestTest, AlteredTokensGrantNothing) {
  const std::string token = PortalToken(a_.affiliate_id).DataString("token");
  ASSERT_FALSE(token.empty());
  // Every byte (step 3 keeps the HTTP calls few; the unit test changes each one).
  for (size_t i = 0; i < token.size(); i += 3) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    ExpectRefused(Session("/v1/portal/me", tampered), "INVALID_TOKEN");
  }
  // Team B's token relabelled as team A's.
  const std::string b_token = PortalToken(b_.affiliate_id, &b_).DataString("token");
  ASSERT_FALSE(b_token.empty());
  std::string relabelled = b_token;
  relabelled.replace(5, b_.team_id.size(), a_.team_id);
  ExpectRefused(Session("/v1/portal/me", relabelled), "INVALID_TOKEN");
  // Unaltered, each grants its own team's affiliate only.
  EXPECT_EQ(Session("/v1/portal/me", b_token).DataString("affiliate_id"), b_.affiliate_id);
  EXPECT_EQ(Session("/v1/portal/me", token).DataString("affiliate_id"), a_.affiliate_id);
}

TEST_F(PartnerAccessRestTest, AnotherTeamsAffiliateGetsNoToken) {
  const HttpResult result = PortalToken(b_.affiliate_id);
  EXPECT_EQ(result.status, 404) << result.body;
  EXPECT_EQ(result.ErrorCode(), "NOT_FOUND");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM partner_tokens"), "0");
  EXPECT_EQ(PortalToken("aff_doesnotexist").status, 404);
  EXPECT_EQ(PortalToken("not-an-id").status, 404);
}

TEST_F(PartnerAccessRestTest, DeletingOrRejectingTheAffiliateRevokesItsTokens) {
  const std::string rejected = CreateAffiliate("rae");
  const std::string deleted = CreateAffiliate("del");
  const std::string r_token = PortalToken(rejected).DataString("token");
  const std::string d_token = PortalToken(deleted).DataString("token");
  ASSERT_EQ(Session("/v1/portal/me", r_token).status, 200);
  ASSERT_EQ(Session("/v1/portal/me", d_token).status, 200);

  EXPECT_EQ(Call("PUT", "/v1/affiliates/" + rejected, "{\"status\":\"rejected\"}").status, 200);
  EXPECT_EQ(Call("DELETE", "/v1/affiliates/" + deleted).status, 200);
  ExpectRefused(Session("/v1/portal/me", r_token), "TOKEN_REVOKED");
  ExpectRefused(Session("/v1/portal/me", d_token), "TOKEN_REVOKED");
  EXPECT_EQ(db_->QueryValue("SELECT string_agg(revoked_reason, ',' ORDER BY revoked_reason) "
                            "FROM partner_tokens WHERE revoked_at IS NOT NULL"),
            "affiliate_deleted,affiliate_rejected");
  // Approved again, the old token stays revoked; a rejected one gets none.
  const HttpResult refused = PortalToken(rejected);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.ErrorField(), "partnership_status");
  EXPECT_EQ(Call("PUT", "/v1/affiliates/" + rejected, "{\"status\":\"approved\"}").status, 200);
  ExpectRefused(Session("/v1/portal/me", r_token), "TOKEN_REVOKED");
  EXPECT_EQ(Session("/v1/portal/me", PortalToken(rejected).DataString("token")).status, 200);
}

TEST_F(PartnerAccessRestTest, ARevokedRowRefusesItsToken) {
  const std::string token = PortalToken(a_.affiliate_id).DataString("token");
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 4u);
  db_->QueryValue(absl::StrCat("UPDATE partner_tokens SET revoked_at = now() WHERE id = '",
                               parts[1], "' RETURNING id"));
  ExpectRefused(Session("/v1/portal/me", token), "TOKEN_REVOKED");
}

// `./dev ctl partner-tokens revoke`: one token, or all of an affiliate's.
std::string Ctl(const std::string& database_url, const std::string& args, int* exit_code) {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  EXPECT_NE(runfiles, nullptr);
  const std::string command =
      absl::StrCat("env -i DATABASE_URL='", database_url, "' ", runfiles ? runfiles : "",
                   "/affonso/tools/ctl ", args, " 2>&1");
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

TEST_F(PartnerAccessRestTest, CtlRevokesOneTokenOrAllOfAnAffiliates) {
  const std::string first = PortalToken(a_.affiliate_id).DataString("token");
  const std::string second = PortalToken(a_.affiliate_id).DataString("token");
  const std::string embed =
      Call("POST", "/v1/embed/token", R"({"partner":{"email":"ctl@example.com"}})")
          .DataString("publicToken");
  const std::string other = PortalToken(b_.affiliate_id, &b_).DataString("token");
  ASSERT_EQ(Session("/v1/portal/me", first).status, 200);
  const std::vector<std::string> parts = absl::StrSplit(first, '.');
  ASSERT_EQ(parts.size(), 4u);
  int exit_code = -1;
  // Another team's id names nothing.
  std::string output =
      Ctl(db_->url(), absl::StrCat("partner-tokens revoke ", b_.team_id, " token ", parts[1]),
          &exit_code);
  EXPECT_EQ(exit_code, 1) << output;
  EXPECT_EQ(Session("/v1/portal/me", first).status, 200);
  output = Ctl(db_->url(), absl::StrCat("partner-tokens revoke ", a_.team_id, " token ", parts[1]),
               &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_EQ(output, absl::StrCat("{\"team_id\":\"", a_.team_id, "\",\"revoked\":1}\n"));
  ExpectRefused(Session("/v1/portal/me", first), "TOKEN_REVOKED");
  EXPECT_EQ(Session("/v1/portal/me", second).status, 200);
  output = Ctl(db_->url(),
               absl::StrCat("partner-tokens revoke ", a_.team_id, " affiliate ", a_.affiliate_id),
               &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_EQ(output, absl::StrCat("{\"team_id\":\"", a_.team_id, "\",\"revoked\":1}\n"));
  ExpectRefused(Session("/v1/portal/me", second), "TOKEN_REVOKED");
  // Another affiliate's and another team's tokens are untouched.
  EXPECT_EQ(Session("/v1/embed/me", embed).status, 200);
  EXPECT_EQ(Session("/v1/portal/me", other).status, 200);
}

TEST_F(PartnerAccessRestTest, NoTokenReachesTheLogs) {
  SetLogLevel(LogLevel::kDebug);
  ::testing::internal::CaptureStderr();
  const HttpResult issued = PortalToken(a_.affiliate_id);
  const std::string token = issued.DataString("token");
  const HttpResult embed = Call("POST", "/v1/embed/token", "{\"partner\":{\"email\":\"e@x.io\"}}");
  const std::string public_token = embed.DataString("publicToken");
  Session("/v1/portal/me", token);
  Session("/v1/embed/me", token);
  Session("/v1/embed/me", public_token);
  std::string tampered = token;
  tampered[6] = tampered[6] == 'A' ? 'B' : 'A';
  Session("/v1/portal/me", tampered);
  Http(rest_->port(), "GET", "/v1/affiliates", "", {{"Authorization", "Bearer " + token}});
  const std::string logged = ::testing::internal::GetCapturedStderr();
  SetLogLevel(LogLevel::kInfo);
  ASSERT_FALSE(token.empty());
  ASSERT_FALSE(public_token.empty());
  EXPECT_FALSE(logged.empty());  // the calls were logged at all
  const std::string signature = token.substr(token.rfind('.') + 1);
  const std::string public_signature = public_token.substr(public_token.rfind('.') + 1);
  EXPECT_FALSE(absl::StrContains(logged, signature)) << logged;
  EXPECT_FALSE(absl::StrContains(logged, public_signature)) << logged;
  EXPECT_FALSE(absl::StrContains(logged, tampered.substr(tampered.rfind('.') + 1))) << logged;
}

// ---------------------------------------------------------------- embed token

TEST_F(PartnerAccessRestTest, EmbedTokenFindsOrCreatesThePartner) {
  db_->QueryValue(
      absl::StrCat("UPDATE programs SET website_url = 'https://shop.example.com' "
                   "WHERE id = '",
                   a_.program_id, "' RETURNING id"));
  const int affiliates = std::stoi(db_->QueryValue("SELECT count(*) FROM affiliates"));
  HttpResult created = Call("POST", "/v1/embed/token",
                            "{\"partner\":{\"email\":\"Pat@Example.com\",\"name\":\"Pat\","
                            "\"image\":\"https://img.example.com/p.png\"},"
                            "\"externalUserId\":\"u-1\",\"metadata\":{\"plan\":\"pro\"}}");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(KeysOf(created.Data()),
            Sorted({"publicToken", "expiresAt", "link", "portalUrl", "partnershipStatus"}));
  EXPECT_EQ(created.DataString("partnershipStatus"), "PENDING");
  const std::string token = created.DataString("publicToken");
  EXPECT_TRUE(absl::StartsWith(token, "afet_")) << token;
  EXPECT_TRUE(absl::StartsWith(created.DataString("link"), "https://shop.example.com?via="))
      << created.body;
  EXPECT_TRUE(absl::EndsWith(created.DataString("portalUrl"), "#token=" + token));
  EXPECT_EQ(std::stoi(db_->QueryValue("SELECT count(*) FROM affiliates")), affiliates + 1);

  // The affiliate, through the affiliate create path: its event and its fields.
  const HttpResult me = Session("/v1/embed/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  const std::string id = me.DataString("affiliate_id");
  EXPECT_EQ(Events(id), "affiliate.created");
  EXPECT_EQ(created.DataString("link"),
            "https://shop.example.com?via=" + me.DataString("tracking_id"));
  const HttpResult affiliate = Call("GET", "/v1/affiliates/" + id);
  EXPECT_EQ(affiliate.DataString("name"), "Pat");
  EXPECT_EQ(affiliate.DataString("external_user_id"), "u-1");
  EXPECT_EQ(affiliate.DataString("program_id"), a_.program_id);
  ExpectRefused(Session("/v1/portal/me", token), "WRONG_TOKEN_PURPOSE");

  // The same partner (any case) again: the same affiliate, nothing new.
  const int events = AllEvents();
  HttpResult again = Call("POST", "/v1/embed/token",
                          absl::StrCat("{\"programId\":\"", a_.program_id,
                                       "\",\"partner\":{\"email\":\"pat@example.com\"}}"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Session("/v1/embed/me", again.DataString("publicToken")).DataString("affiliate_id"),
            id);
  EXPECT_EQ(AllEvents(), events);
  EXPECT_EQ(std::stoi(db_->QueryValue("SELECT count(*) FROM affiliates")), affiliates + 1);
}

TEST_F(PartnerAccessRestTest, ConcurrentEmbedCallsForOneNewEmailCreateOneAffiliate) {
  constexpr int kCalls = 8;
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string email = absl::StrCat("race", round, "@example.com");
    std::vector<HttpResult> results(kCalls);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kCalls; ++i) {
      threads.emplace_back([&, i] {
        // Every call starts at once; half of them spell the email upper case.
        ready.fetch_add(1);
        while (ready.load() < kCalls) std::this_thread::yield();
        results[i] = Call("POST", "/v1/embed/token",
                          absl::StrCat("{\"partner\":{\"email\":\"",
                                       i % 2 ? absl::AsciiStrToUpper(email) : email, "\"}}"));
      });
    }
    for (std::thread& thread : threads) thread.join();
    int created = 0;
    for (const HttpResult& result : results) {
      EXPECT_TRUE(result.status == 200 || result.status == 201) << result.body;
      if (result.status == 201) ++created;
    }
    EXPECT_EQ(created, 1) << email;
    EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT count(*) FROM affiliates WHERE lower(email) = '",
                                           email, "'")),
              "1")
        << email;
    const std::string id = db_->QueryValue(
        absl::StrCat("SELECT id FROM affiliates WHERE lower(email) = '", email, "' LIMIT 1"));
    EXPECT_EQ(Events(id), "affiliate.created") << email;
    EXPECT_EQ(db_->QueryValue(absl::StrCat(
                  "SELECT count(*) FROM outbox_events WHERE type = 'affiliate.created' AND "
                  "lower(payload->'data'->>'email') = '",
                  email, "'")),
              "1")
        << email;
    // Every call got a token for that one affiliate.
    EXPECT_EQ(db_->QueryValue(
                  absl::StrCat("SELECT count(*) FROM partner_tokens WHERE purpose = 'embed' AND "
                               "affiliate_id = '",
                               id, "'")),
              std::to_string(kCalls));
  }
}

TEST_F(PartnerAccessRestTest, EmbedTokenBadInputChangesNothing) {
  const std::string counts = Counts();
  const int events = AllEvents();
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"{}", 400, "partner"},
      {"{\"partner\":{}}", 400, "partner.email"},
      {"{\"partner\":{\"email\":\"not an email\"}}", 400, "partner.email"},
      {absl::StrCat("{\"partner\":{\"email\":\"a@b.io\",\"name\":\"", std::string(256, 'n'),
                    "\"}}"),
       400, "partner.name"},
      {absl::StrCat("{\"partner\":{\"email\":\"a@b.io\"},\"externalUserId\":\"",
                    std::string(256, 'u'), "\"}"),
       400, "external_user_id"},
      {"{\"partner\":{\"email\":\"a@b.io\"},\"programId\":\"prg_nosuchprogram\"}", 404, ""},
      {absl::StrCat("{\"partner\":{\"email\":\"a@b.io\"},\"programId\":\"", b_.program_id, "\"}"),
       404, ""},
      {"{\"partner\":{\"email\":\"a@b.io\"},\"groupId\":\"grp_nosuchgroup\"}", 404, ""},
      {"{\"partner\":{\"email\":\"a@b.io\"},\"groupId\":\"nonsense\"}", 404, ""},
  };
  for (const Case& c : cases) {
    const HttpResult result = Call("POST", "/v1/embed/token", c.body);
    EXPECT_EQ(result.status, c.status) << c.body << " -> " << result.body;
    if (!c.field.empty()) {
      EXPECT_EQ(result.ErrorCode(), "VALIDATION_ERROR") << result.body;
      EXPECT_EQ(result.ErrorField(), c.field) << result.body;
    }
  }
  EXPECT_EQ(Counts(), counts);
  EXPECT_EQ(AllEvents(), events);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM partner_tokens"), "0");
}

TEST_F(PartnerAccessRestTest, OpenApiShowsTheTokenShapes) {
  const HttpResult openapi = Http(rest_->port(), "GET", "/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  for (const char* expected :
       {"/v1/affiliates/{id}/portal-token", "/v1/embed/token", "/v1/portal/me", "/v1/embed/me",
        "\"portalUrl\"", "\"publicToken\"", "\"partnershipStatus\"", "\"expiresAt\""}) {
    EXPECT_TRUE(absl::StrContains(openapi.body, expected)) << expected;
  }
}

// ---------------------------------------------------------------- expiry

class ShortTokenTest : public PartnerAccessRestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.portal_token_ttl = absl::Seconds(1);
    config.embed_token_ttl = absl::Seconds(1);
  }
};

TEST_F(ShortTokenTest, AnExpiredTokenGrantsNothing) {
  const std::string portal = PortalToken(a_.affiliate_id).DataString("token");
  const std::string embed =
      Call("POST", "/v1/embed/token", "{\"partner\":{\"email\":\"x@example.com\"}}")
          .DataString("publicToken");
  ASSERT_FALSE(portal.empty());
  ASSERT_FALSE(embed.empty());
  // Expiry is in whole seconds: two are past any rounding.
  absl::SleepFor(absl::Seconds(2.2));
  ExpectRefused(Session("/v1/portal/me", portal), "TOKEN_EXPIRED");
  ExpectRefused(Session("/v1/embed/me", embed), "TOKEN_EXPIRED");
}

// ---------------------------------------------------------------- configuration

// No PARTNER_TOKEN_SECRET and no development setting: nothing is issued (400,
// no affiliate created) and no token is read.
class NoPartnerSecretTest : public PartnerAccessRestTest {
 protected:
  void Configure(services::ServerConfig& config) override { config.partner_token_secret = ""; }
};

TEST_F(NoPartnerSecretTest, TokensAreRefusedAndNothingIsWritten) {
  const std::string counts = Counts();
  const int events = AllEvents();
  const HttpResult portal = PortalToken(a_.affiliate_id);
  EXPECT_EQ(portal.status, 400) << portal.body;
  EXPECT_EQ(portal.ErrorCode(), "VALIDATION_ERROR") << portal.body;
  EXPECT_TRUE(absl::StrContains(portal.body, "PARTNER_TOKEN_SECRET")) << portal.body;
  const HttpResult embed =
      Call("POST", "/v1/embed/token", "{\"partner\":{\"email\":\"nokey@example.com\"}}");
  EXPECT_EQ(embed.status, 400) << embed.body;
  EXPECT_EQ(Counts(), counts);
  EXPECT_EQ(AllEvents(), events);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM partner_tokens"), "0");
  EXPECT_EQ(Session("/v1/portal/me", "afpt_x.ptk_y.1.z").status, 400);
}

TEST(PartnerConfigTest, StartSaysWhyTokensAreRefusedOrThatTheKeyIsRandom) {
  services::ServerConfig config;
  // Start fails at the database, after the partner token checks.
  config.database_url = "postgresql://unused.invalid/none";
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(services::Server::Start(config).ok());
  std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(logged,
                                "PARTNER_TOKEN_SECRET is not set: portal and embed "
                                "tokens are refused"))
      << logged;
  config.partner_token_random_key_for_dev = true;
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(services::Server::Start(config).ok());
  logged = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(logged, "random key of this process")) << logged;
}

TEST(PartnerConfigTest, ATokenLifetimeOverADayRefusesToStart) {
  services::ServerConfig config;
  config.database_url = "postgresql://unused.invalid/none";
  config.partner_token_secret = std::string(32, 's');
  config.embed_token_ttl = absl::Hours(24) + absl::Seconds(1);
  auto server = services::Server::Start(config);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << server.status();
  EXPECT_TRUE(absl::StrContains(server.status().message(), "at most 86400")) << server.status();
  config.embed_token_ttl = absl::Hours(1);
  config.portal_token_ttl = absl::Hours(25);
  EXPECT_EQ(services::Server::Start(config).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace affonso::tests
