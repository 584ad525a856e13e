// A catalogue of hostile REST requests against every endpoint: wrong JSON
// types, numbers out of range, deep nesting, huge arrays and bodies, invalid
// UTF-8, NUL bytes, SQL and header injection, duplicate keys, overlong ids,
// path traversal, bad enums, timestamps and pagination, bad media types and
// credentials, dangerous webhook URLs. Each must get API.md's error (status,
// error.code, error.field) in a well-formed envelope, never a 500, nothing
// internal and nothing of the other tenant in the body, and leave every
// business table exactly as it was (row counts and a hash of every row).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/rest_gateway.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string CodeAndReason(const HttpResult& result) {
  const std::string reason = result.ErrorReason();
  return reason.empty() ? result.ErrorCode() : absl::StrCat(result.ErrorCode(), "/", reason);
}
using storage::testing::Tenant;

// What a case must be answered with. `status` 200 is only for list reads that
// must come back empty (a SQL injection in a filter finds nothing).
struct Case {
  std::string name;
  std::string method;
  std::string target;  // raw: sent byte for byte
  std::string body;    // raw
  int status;
  // error.code; "" for the 200 list cases; "CODE/REASON" when the answer
  // gives a reason (401, 403: error.details[0].reason).
  std::string code;
  std::string field;  // error.field; "" = the envelope must not name one
  // nullopt = tenant A's key and Content-Type: application/json.
  std::optional<Headers> headers = std::nullopt;
  // The answer must come within this (request bodies that once took seconds).
  absl::Duration within = absl::InfiniteDuration();
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kSlowdown = 10;  // what sanitizers cost at most
#else
constexpr int kSlowdown = 1;
#endif
// Far above what these take (milliseconds), far below what they took before
// (a minute for 20 KB).
constexpr absl::Duration kFast = absl::Milliseconds(500 * kSlowdown);

// Tables that change without any request being accepted, and so are not
// part of "the database did not change".
constexpr const char* kVolatileTables[] = {"rate_limit_buckets"};
// The snapshot must cover at least these (storage/migrations/*.sql).
constexpr const char* kBusinessTables[] = {"teams",
                                           "api_keys",
                                           "programs",
                                           "program_tracking_settings",
                                           "affiliate_groups",
                                           "affiliates",
                                           "clicks",
                                           "referrals",
                                           "program_fraud_rules",
                                           "incentives",
                                           "commission_overrides",
                                           "commissions",
                                           "coupons",
                                           "creatives",
                                           "program_notification_settings",
                                           "onboarding_forms",
                                           "onboarding_questions",
                                           "onboarding_answers",
                                           "outbox_events",
                                           "webhook_endpoints",
                                           "webhook_deliveries",
                                           "webhook_attempts"};

// Substrings that would show internals leaking into a response.
constexpr const char* kLeakMarkers[] = {
    "pqxx",      "postgres",   "sqlstate",   "syntax error", "relation \"",
    "violates",  "constraint", "std::",      ".cc:",         "/work/",
    "terminate", "exception",  "grpc",       "protobuf",     "failed to parse",
    "stack",     "select ",    "insert into"};

std::string Repeat(const std::string& text, int times) {
  std::string out;
  out.reserve(text.size() * times);
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

std::string Nested(const std::string& open, const std::string& inner, const std::string& close,
                   int depth) {
  return Repeat(open, depth) + inner + Repeat(close, depth);
}

// A JSON array of `count` strings made by `item(i)`.
template <typename Item>
std::string JsonArray(int count, Item item) {
  std::string out = "[";
  for (int i = 0; i < count; ++i) absl::StrAppend(&out, i ? "," : "", "\"", item(i), "\"");
  return out + "]";
}

class HostileRequestsTest : public RestTest {
 protected:
  // The production defaults: a 1 MiB body limit (so 10 000-element arrays
  // reach the parser and the services) and no dispatcher writing deliveries
  // behind the test's back.
  void Configure(services::ServerConfig& config) override { config.run_webhook_dispatcher = false; }
  void ConfigureRest(gateway::RestGatewayConfig& config) override {
    config.http.max_body_bytes = 1 << 20;
  }

  HttpResult Ok(const std::string& method, const std::string& target, const std::string& body,
                const Tenant& tenant, int status = 201) {
    HttpResult result = Call(method, target, body, &tenant);
    EXPECT_EQ(result.status, status) << method << " " << target << ": " << result.body;
    return result;
  }

  // Both tenants get one of everything, through the API itself: a lead
  // incentive, a converted click (referral, commission, events), a spare
  // click, a direct referral, an override, a second group and a webhook.
  struct Seeded {
    std::string group, default_group, incentive, click, spare_click, referral, override_id,
        commission, coupon, webhook, email, creative, question;
  };
  Seeded Seed(const Tenant& tenant, const std::string& tag) {
    Seeded s;
    s.email = absl::StrCat("lead-", tag, "@example.com");
    HttpResult groups = Ok("GET", "/v1/program/groups", "", tenant, 200);
    for (const auto& group : groups.json.fields().at("data").list_value().values()) {
      if (group.struct_value().fields().at("is_default").bool_value()) {
        s.default_group = group.struct_value().fields().at("id").string_value();
      }
    }
    s.incentive = Ok("POST", "/v1/program/groups/" + s.default_group + "/incentives",
                     R"({"name":"Per lead","type":"lead","amount":5})", tenant)
                      .DataString("id");
    s.group = Ok("POST", "/v1/program/groups", R"({"name":"VIP )" + tag + R"("})", tenant)
                  .DataString("id");
    const std::string click_body = absl::StrCat(R"({"programId":")", tenant.program_id,
                                                R"(","trackingId":")", tenant.tracking_id, "\"}");
    s.click = Ok("POST", "/v1/clicks", click_body, tenant).DataString("id");
    s.spare_click = Ok("POST", "/v1/clicks", click_body, tenant).DataString("id");
    Ok("POST", "/v1/signups",
       absl::StrCat(R"({"click_id":")", s.click, R"(","email":")", s.email, "\"}"), tenant);
    s.referral =
        Ok("POST", "/v1/referrals",
           absl::StrCat(R"({"affiliate_id":")", tenant.affiliate_id, R"(","email":"direct-)", tag,
                        R"(@example.com","metadata":{"plan":"pro"}})"),
           tenant)
            .DataString("id");
    s.override_id =
        Ok("POST", "/v1/affiliates/" + tenant.affiliate_id + "/commission-overrides",
           absl::StrCat(R"({"incentive_id":")", s.incentive, R"(","amount":7.5})"), tenant)
            .DataString("id");
    HttpResult commissions = Ok("GET", "/v1/commissions", "", tenant, 200);
    const auto& list = commissions.json.fields().at("data").list_value();
    EXPECT_EQ(list.values_size(), 2) << commissions.body;
    if (list.values_size() > 0) {
      s.commission = list.values(0).struct_value().fields().at("id").string_value();
    }
    s.coupon =
        Ok("POST", "/v1/coupons",
           absl::StrCat(R"({"affiliate_id":")", tenant.affiliate_id, R"(","code":"HOSTILE-)", tag,
                        R"(","discount_type":"percentage","discount_value":10,)"
                        R"("duration":"forever"})"),
           tenant)
            .DataString("id");
    HttpResult form = Ok("POST", "/v1/onboarding-form",
                         R"({"name":"Onboarding )" + tag +
                             R"(","questions":[{"question":"Your site","type":"text_input",)"
                             R"("is_required":true,"order":1},{"question":"Channel",)"
                             R"("type":"single_choice","options":["Blog","Video"],"order":2}]})",
                         tenant);
    const auto& questions = form.Data().fields().at("questions").list_value();
    if (questions.values_size() > 0) {
      s.question = questions.values(0).struct_value().fields().at("id").string_value();
    }
    Ok("POST", "/v1/affiliates/" + tenant.affiliate_id + "/onboarding-responses",
       absl::StrCat(R"({"responses":[{"question_id":")", s.question, R"(","answer":"site-)", tag,
                    R"("}]})"),
       tenant, 200);
    s.webhook = Ok("POST", "/v1/webhooks",
                   R"({"url":"https://receiver.invalid/hooks","events":["referral.lead"]})", tenant)
                    .DataString("id");
    s.creative =
        Ok("POST", "/v1/program/creatives",
           R"({"name":"Banner )" + tag + R"(","url":"https://cdn.example.com/b.png"})", tenant)
            .DataString("id");
    Ok("PATCH", "/v1/program/notifications/new_referral",
       R"({"custom_subject":"New referral for {{program_name}}"})", tenant, 200);
    return s;
  }

  // Every row of every table but the volatile ones, as counts and hashes.
  std::string Snapshot() {
    const std::string volatile_list = absl::StrJoin(
        std::vector<std::string>(std::begin(kVolatileTables), std::end(kVolatileTables)), "','");
    const std::string tables = db_->QueryValue(
        absl::StrCat("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                     "WHERE schemaname = 'public' AND tablename NOT IN ('",
                     volatile_list, "')"));
    std::vector<std::string> parts;
    for (absl::string_view table : absl::StrSplit(tables, ',')) {
      parts.push_back(absl::StrCat("(SELECT '", table,
                                   ":' || count(*) || ':' || coalesce(md5(string_agg(t::text, "
                                   "',' ORDER BY t::text)), '-') FROM \"",
                                   table, "\" t)"));
    }
    return db_->QueryValue(absl::StrCat("SELECT concat_ws(' ', ", absl::StrJoin(parts, ", "), ")"));
  }

  // Checks one answer against its case, and the database against `before`;
  // returns the database's snapshot after the case.
  std::string Expect(const Case& c, const HttpResult& result, absl::Duration took,
                     const std::string& before) {
    SCOPED_TRACE(c.name);
    const std::string excerpt = absl::CEscape(result.body.substr(0, 300));
    const std::string after = Snapshot();
    EXPECT_EQ(after, before) << "the database changed";
    const bool answered_as_expected = result.status == c.status &&
                                      CodeAndReason(result) == c.code &&
                                      result.ErrorField() == c.field;
    // One line per case in the test log: the catalogue as it ran.
    std::printf("CASE %s %s -> %d %s %s (%.1f ms)%s\n", answered_as_expected ? "ok" : "!!",
                c.name.c_str(), result.status, CodeAndReason(result).c_str(),
                result.ErrorField().c_str(), absl::ToDoubleMilliseconds(took),
                after != before ? " DB CHANGED" : "");
    EXPECT_LE(took, c.within) << "too slow";
    EXPECT_NE(result.status, 500) << excerpt;
    EXPECT_TRUE(answered_as_expected)
        << "expected " << c.status << " " << c.code << " field=" << c.field << ", got "
        << result.status << " " << CodeAndReason(result) << " field=" << result.ErrorField() << ": "
        << excerpt;
    const auto& fields = result.json.fields();
    auto success = fields.find("success");
    if (success == fields.end() ||
        success->second.kind_case() != google::protobuf::Value::kBoolValue) {
      ADD_FAILURE() << "not a JSON envelope: " << excerpt;
      return after;
    }
    if (c.status == 200) {
      EXPECT_TRUE(success->second.bool_value()) << excerpt;
      auto data = fields.find("data");
      EXPECT_TRUE(data != fields.end() && data->second.has_list_value() &&
                  data->second.list_value().values_size() == 0)
          << "expected an empty list: " << excerpt;
    } else {
      EXPECT_FALSE(success->second.bool_value()) << excerpt;
      auto error = fields.find("error");
      const bool has_message =
          error != fields.end() && error->second.struct_value().fields().count("message") &&
          !error->second.struct_value().fields().at("message").string_value().empty();
      EXPECT_TRUE(has_message) << excerpt;
    }
    auto content_type = result.headers.find("content-type");
    EXPECT_TRUE(content_type != result.headers.end() && content_type->second == "application/json");
    const std::string lower = absl::AsciiStrToLower(result.body);
    for (const char* marker : kLeakMarkers) {
      EXPECT_FALSE(absl::StrContains(lower, marker)) << "leaks \"" << marker << "\": " << excerpt;
    }
    for (const std::string& secret : {b_.team_id, b_.program_id, b_.affiliate_id, b_.tracking_id,
                                      seeded_b_.referral, seeded_b_.click, seeded_b_.email}) {
      EXPECT_FALSE(absl::StrContains(result.body, secret)) << "shows tenant B's data: " << excerpt;
    }
    // A request id is echoed only when it is a safe token; nothing a client
    // sent may add a response header (CR/LF injection).
    auto request_id = result.headers.find("x-request-id");
    if (request_id != result.headers.end()) {
      const std::string& id = request_id->second;
      EXPECT_TRUE(
          !id.empty() && id.size() <= 128 &&
          std::all_of(id.begin(), id.end(), [](char ch) { return absl::ascii_isgraph(ch); }))
          << "request id " << absl::CEscape(id);
    }
    const std::string head = absl::AsciiStrToLower(result.head);
    EXPECT_FALSE(absl::StrContains(head, "injected")) << absl::CEscape(result.head);
    EXPECT_FALSE(absl::StrContains(head, "set-cookie")) << absl::CEscape(result.head);
    return after;
  }

  std::vector<Case> Catalogue();

  Seeded seeded_a_, seeded_b_;
};

std::vector<Case> HostileRequestsTest::Catalogue() {
  const Seeded& s = seeded_a_;
  const std::string aff = a_.affiliate_id;
  const std::string click_ok =
      absl::StrCat(R"("programId":")", a_.program_id, R"(","trackingId":")", a_.tracking_id, "\"");
  const std::string spare = absl::StrCat(R"("click_id":")", s.spare_click, "\"");
  const std::string direct = absl::StrCat(R"("affiliate_id":")", aff, "\"");
  const std::string overrides = "/v1/affiliates/" + aff + "/commission-overrides";
  const std::string override_for = absl::StrCat(R"({"incentive_id":")", s.incentive, R"(",)");
  const std::string incentives = "/v1/program/groups/" + s.group + "/incentives";
  const std::string responses = "/v1/affiliates/" + aff + "/onboarding-responses";
  const std::string coupon_for =
      absl::StrCat(R"({"affiliate_id":")", aff,
                   R"(","discount_type":"percentage","discount_value":5,"duration":"once",)");
  const std::string nul(1, '\0');
  const std::string long_id = "ref_" + std::string(10 << 10, 'a');
  const Headers json_only = {{"Content-Type", "application/json"}};
  auto with_auth = [&](Headers extra) {
    extra.insert(extra.begin(), {"Authorization", "Bearer " + a_.api_key});
    return extra;
  };
  const std::string v = "VALIDATION_ERROR";
  const std::string nf = "NOT_FOUND";

  return {
      // ---- clicks: wrong types, ranges, timestamps, encodings ----
      {"click programId number", "POST", "/v1/clicks",
       absl::StrCat(R"({"programId":12345,"trackingId":")", a_.tracking_id, "\"}"), 400, v,
       "program_id"},
      {"click trackingId object", "POST", "/v1/clicks",
       absl::StrCat(R"({"programId":")", a_.program_id, R"(","trackingId":{"$ne":null}})"), 400, v,
       "tracking_id"},
      {"click trackingId array", "POST", "/v1/clicks",
       absl::StrCat(R"({"programId":")", a_.program_id, R"(","trackingId":["a","b"]})"), 400, v,
       "tracking_id"},
      {"click createdAt words", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"createdAt":"yesterday"})"), 400, v, "created_at"},
      {"click createdAt impossible date", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"createdAt":"2026-13-45T99:99:99Z"})"), 400, v,
       "created_at"},
      {"click createdAt number", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"createdAt":1700000000})"), 400, v, "created_at"},
      {"click createdAt year 0", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"createdAt":"0000-01-01T00:00:00Z"})"), 400, v,
       "created_at"},
      {"click sub1 10 KB", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"sub1":")", std::string(10 << 10, 's'), "\"}"), 400, v,
       "sub1"},
      {"click ip 1000 chars", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"ip":")", std::string(1000, '1'), "\"}"), 400, v, "ip"},
      {"click programId SQL injection", "POST", "/v1/clicks",
       absl::StrCat(R"({"programId":"prg_x' OR '1'='1","trackingId":")", a_.tracking_id, "\"}"),
       404, nf, ""},
      {"click programId with NUL", "POST", "/v1/clicks",
       absl::StrCat(R"({"programId":")", a_.program_id, R"(\u0000","trackingId":")", a_.tracking_id,
                    "\"}"),
       400, v, "program_id"},
      {"click invalid UTF-8 in a string", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, ",\"sub2\":\"\xff\xfe\xc0\xaf\"}"), 400, v, ""},
      {"click raw NUL byte in a string", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"sub3":"a)", nul, "b\"}"), 400, v, "sub3"},
      {"click NUL escape in free text", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"utmSource":"news\u0000letter"})"), 400, v, "utm_source"},
      {"click duplicate keys", "POST", "/v1/clicks",
       absl::StrCat("{", click_ok, R"(,"sub1":"a","sub1":"b"})"), 400, v, ""},

      // ---- signups ----
      {"signup click_id number", "POST", "/v1/signups",
       R"({"click_id":1e308,"email":"a@example.com"})", 400, v, "click_id"},
      {"signup email array", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":["a@example.com"]})"), 400, v, "email"},
      {"signup email with BEL", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"a\u0007b@example.com"})"), 400, v, "email"},
      {"signup email with CRLF header injection", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"a@example.com\r\nBcc: all@example.com"})"), 400, v,
       "email"},
      {"signup email with NUL", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"a@example.com\u0000.evil.com"})"), 400, v, "email"},
      {"signup name with NUL", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"n@example.com","name":"Bob\u0000Tables"})"), 400, v,
       "name"},
      {"signup external_user_id with NUL", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"external_user_id":"u1\u0000"})"), 400, v, "external_user_id"},
      {"signup click_id SQL injection", "POST", "/v1/signups",
       R"({"click_id":"clk_1'; DELETE FROM referrals; --","email":"a@example.com"})", 404, nf, ""},
      {"signup click_id 10 KB", "POST", "/v1/signups",
       absl::StrCat(R"({"click_id":"clk_)", std::string(10 << 10, 'x'),
                    R"(","email":"a@example.com"})"),
       404, nf, ""},
      {"signup duplicate click_id keys", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"click_id":"clk_other","email":"a@example.com"})"), 400, v, ""},
      {"signup snake and camel", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"clickId":"clk_other","email":"a@example.com"})"), 400, v,
       "click_id"},
      {"signup 10000-deep arrays", "POST", "/v1/signups", Nested("[", "1", "]", 10000), 400, v, ""},
      {"signup 10000-deep objects", "POST", "/v1/signups",
       Nested(R"({"click_id":)", "1", "}", 10000), 400, v, ""},
      {"signup body null", "POST", "/v1/signups", "null", 400, v, ""},
      {"signup body string", "POST", "/v1/signups", R"("click_id")", 400, v, ""},
      {"signup body 1 MiB + 1", "POST", "/v1/signups",
       absl::StrCat(R"({"click_id":"clk_x","name":")", std::string((1 << 20), 'n'), "\"}"), 413,
       "PAYLOAD_TOO_LARGE", ""},
      {"signup text/plain", "POST", "/v1/signups", absl::StrCat("{", spare, "}"), 415,
       "UNSUPPORTED_MEDIA_TYPE", "", with_auth({{"Content-Type", "text/plain"}})},
      {"signup bogus json-ish media type", "POST", "/v1/signups", absl::StrCat("{", spare, "}"),
       415, "UNSUPPORTED_MEDIA_TYPE", "", with_auth({{"Content-Type", "application/jsonx"}})},
      {"signup no Content-Type", "POST", "/v1/signups", absl::StrCat("{", spare, "}"), 415,
       "UNSUPPORTED_MEDIA_TYPE", "", with_auth({})},
      {"signup no Authorization", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"x@example.com"})"), 401,
       "UNAUTHORIZED/MISSING_API_KEY", "", json_only},
      {"signup SQL injection as key", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"x@example.com"})"), 401,
       "UNAUTHORIZED/INVALID_API_KEY_FORMAT", "",
       Headers{{"Authorization", "Bearer ' OR '1'='1' --"}, {"Content-Type", "application/json"}}},
      {"signup Basic credentials", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"x@example.com"})"), 401,
       "UNAUTHORIZED/INVALID_API_KEY_FORMAT", "",
       Headers{{"Authorization", "Basic YWRtaW46YWRtaW4="}, {"Content-Type", "application/json"}}},
      {"signup 8 KB key", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"x@example.com"})"), 401,
       "UNAUTHORIZED/INVALID_API_KEY_FORMAT", "",
       Headers{{"Authorization", "Bearer sk_live_" + std::string(8 << 10, 'k')},
               {"Content-Type", "application/json"}}},
      {"signup key with non-ASCII bytes", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"x@example.com"})"), 401,
       "UNAUTHORIZED/INVALID_API_KEY_FORMAT", "",
       Headers{{"Authorization", "Bearer " + a_.api_key + "\xff\xfe"},
               {"Content-Type", "application/json"}}},
      {"signup empty Bearer", "POST", "/v1/signups",
       absl::StrCat("{", spare, R"(,"email":"x@example.com"})"), 401,
       "UNAUTHORIZED/INVALID_API_KEY_FORMAT", "",
       Headers{{"Authorization", "Bearer"}, {"Content-Type", "application/json"}}},
      {"signup X-Request-Id CRLF injection", "POST", "/v1/signups", "{}", 400, v, "click_id",
       with_auth({{"Content-Type", "application/json"},
                  {"X-Request-Id", "abc\r\nSet-Cookie: injected=1"}})},
      {"signup X-Request-Id bare CR", "POST", "/v1/signups", "{}", 400, v, "",
       with_auth({{"Content-Type", "application/json"}, {"X-Request-Id", "abc\rX-Injected: 1"}})},
      {"signup X-Request-Id non-ASCII and 4 KB", "POST", "/v1/signups", "{}", 400, v, "click_id",
       with_auth({{"Content-Type", "application/json"},
                  {"X-Request-Id", "\xc3\xa9\xff" + std::string(4 << 10, 'r')}})},
      {"signup headers over 16 KiB", "POST", "/v1/signups", "{}", 431,
       "REQUEST_HEADER_FIELDS_TOO_LARGE", "",
       with_auth(
           {{"Content-Type", "application/json"}, {"X-Padding", std::string(17 << 10, 'p')}})},
      {"signup wrong verb", "DELETE", "/v1/signups", "", 405, "METHOD_NOT_ALLOWED", ""},

      // ---- referrals ----
      {"referral 10 KB id", "GET", "/v1/referrals/" + long_id, "", 404, nf, ""},
      {"referral path traversal encoded", "GET", "/v1/referrals/..%2f..%2fetc%2fpasswd", "", 404,
       nf, ""},
      {"referral path traversal raw", "GET", "/v1/referrals/../../etc/passwd", "", 404, nf, ""},
      {"referral id dot-dot", "GET", "/v1/referrals/..", "", 404, nf, ""},
      {"referral id invalid UTF-8", "GET", "/v1/referrals/%ff%fe%c0%af", "", 400, v, "id"},
      {"referral id NUL", "GET", "/v1/referrals/" + s.referral + "%00", "", 400, v, "id"},
      {"referral id SQL injection", "GET", "/v1/referrals/ref_1%27%20OR%20%271%27%3D%271", "", 404,
       nf, ""},
      {"referral list limit 10^12", "GET", "/v1/referrals?limit=1000000000000", "", 400, v,
       "limit"},
      {"referral list limit -1", "GET", "/v1/referrals?limit=-1", "", 400, v, "limit"},
      {"referral list limit int64 overflow", "GET", "/v1/referrals?limit=9223372036854775808", "",
       400, v, "limit"},
      {"referral list limit NaN", "GET", "/v1/referrals?limit=NaN", "", 400, v, "limit"},
      {"referral list limit fraction", "GET", "/v1/referrals?limit=2.5", "", 400, v, "limit"},
      {"referral list limit invalid UTF-8", "GET", "/v1/referrals?limit=%ff", "", 400, v, "limit"},
      {"referral list unknown status", "GET", "/v1/referrals?status=hacked", "", 400, v, "status"},
      {"referral list status with NUL", "GET", "/v1/referrals?status=lead%00", "", 400, v,
       "status"},
      {"referral list unknown order", "GET", "/v1/referrals?order=sideways", "", 400, v, "order"},
      {"referral list created_gte words", "GET", "/v1/referrals?created_gte=last%20week", "", 400,
       v, "created_gte"},
      {"referral list created_lte year 99999", "GET",
       "/v1/referrals?created_lte=99999-01-01T00:00:00Z", "", 400, v, "created_lte"},
      {"referral list cursor SQL injection", "GET",
       "/v1/referrals?starting_after=%27%20OR%201%3D1%20--", "", 400, v, "starting_after"},
      {"referral list affiliate_id SQL injection", "GET",
       "/v1/referrals?affiliate_id=%27%20OR%20%271%27%3D%271", "", 200, "", ""},
      {"referral list affiliate_id invalid UTF-8", "GET", "/v1/referrals?affiliate_id=aff_%ff", "",
       400, v, "affiliate_id"},
      {"referral list affiliate_id with NUL", "GET", "/v1/referrals?affiliate_id=" + aff + "%00",
       "", 400, v, "affiliate_id"},
      {"affiliate list search with NUL", "GET", "/v1/affiliates?search=a%00b", "", 400, v,
       "search"},
      {"referral list malformed escape", "GET", "/v1/referrals?limit=%zz", "", 400, v, ""},
      {"referral create unknown status", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"s1@example.com","status":"superuser"})"), 400, v,
       "status"},
      {"referral create status number", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"s2@example.com","status":99})"), 400, v, "status"},
      {"referral create metadata string", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"m1@example.com","metadata":"{}"})"), 400, v,
       "metadata"},
      {"referral create metadata 40 deep", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"m2@example.com","metadata":)",
                    Nested(R"({"a":)", "1", "}", 40), "}"),
       400, v, ""},
      {"referral create metadata 10000 deep", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"m3@example.com","metadata":)",
                    Nested(R"({"a":)", "1", "}", 10000), "}"),
       400, v, ""},
      {"referral create metadata NUL value", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"m4@example.com","metadata":{"a":"x\u0000y"}})"), 400,
       v, "metadata"},
      {"referral create metadata NUL key", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"m5@example.com","metadata":{"a\u0000":1}})"), 400, v,
       "metadata"},
      {"referral create metadata huge number", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"m6@example.com","metadata":{"n":1e999}})"), 400, v,
       ""},
      {"referral create name with NUL", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"n1@example.com","name":"x\u0000"})"), 400, v, "name"},
      {"referral create customer_id with NUL", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"n2@example.com","customer_id":"cus_1\u0000"})"), 400,
       v, "customer_id"},
      {"referral create Feb 30", "POST", "/v1/referrals",
       absl::StrCat("{", direct,
                    R"(,"email":"t1@example.com","created_at":"2026-02-30T00:00:00Z"})"),
       400, v, "created_at"},
      {"referral create timestamp without zone", "POST", "/v1/referrals",
       absl::StrCat("{", direct,
                    R"(,"email":"t2@example.com","created_at":"2026-01-01 00:00:00"})"),
       400, v, "created_at"},
      {"referral create email SQL injection", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"x@example.com' OR '1'='1"})"), 400, v, "email"},
      {"referral create affiliate SQL injection", "POST", "/v1/referrals",
       R"({"affiliate_id":"aff_1'; DROP TABLE referrals; --","email":"i1@example.com"})", 404, nf,
       ""},
      {"referral create other tenant's click", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"i2@example.com","click_id":")", seeded_b_.spare_click,
                    "\"}"),
       404, nf, ""},
      {"referral update status with NUL", "PUT", "/v1/referrals/" + s.referral,
       R"({"status":"lead\u0000"})", 400, v, "status"},
      {"referral update name with NUL", "PUT", "/v1/referrals/" + s.referral,
       R"({"name":"A\u0000B"})", 400, v, "name"},
      {"referral update subscription_id 10 KB", "PUT", "/v1/referrals/" + s.referral,
       absl::StrCat(R"({"subscription_id":")", std::string(10 << 10, 's'), "\"}"), 400, v,
       "subscription_id"},
      {"referral update duplicate keys", "PUT", "/v1/referrals/" + s.referral,
       R"({"name":"A","name":"B"})", 400, v, ""},
      {"referral PATCH", "PATCH", "/v1/referrals/" + s.referral, R"({"name":"x"})", 405,
       "METHOD_NOT_ALLOWED", ""},
      {"referral update metadata 9 KB", "PUT", "/v1/referrals/" + s.referral,
       absl::StrCat(R"({"metadata":{"note":")", std::string(9 << 10, 'm'), "\"}}"), 400, v,
       "metadata"},
      {"referral delete tenant B's", "DELETE", "/v1/referrals/" + seeded_b_.referral, "", 404, nf,
       ""},
      {"referral delete SQL injection", "DELETE", "/v1/referrals/ref_%27%3B%20--", "", 404, nf, ""},
      {"referral list unknown expansion", "GET", "/v1/referrals?expand=payouts", "", 400, v,
       "expand"},
      {"referral get unknown include", "GET", "/v1/referrals/" + s.referral + "?include=all", "",
       400, v, "include"},

      // ---- partner access ----
      {"portal token for a 10 KB id", "POST",
       "/v1/affiliates/aff_" + std::string(10 << 10, 'z') + "/portal-token", "", 404, nf, ""},
      {"portal token id SQL injection", "POST",
       "/v1/affiliates/%27%20OR%20%271%27%3D%271/portal-token", "", 404, nf, ""},
      {"embed token partner a string", "POST", "/v1/embed/token", R"({"partner":"x@y.io"})", 400, v,
       "partner"},
      {"embed token email with CRLF", "POST", "/v1/embed/token",
       R"({"partner":{"email":"x@y.io\r\nBcc: z@y.io"}})", 400, v, "partner.email"},
      {"embed token email with NUL", "POST", "/v1/embed/token",
       R"({"partner":{"email":"x@y.io\u0000"}})", 400, v, "partner.email"},
      {"embed token programId SQL injection", "POST", "/v1/embed/token",
       R"({"partner":{"email":"x@y.io"},"programId":"'; DROP TABLE affiliates; --"})", 404, nf, ""},
      {"embed token metadata array", "POST", "/v1/embed/token",
       R"({"partner":{"email":"x@y.io"},"metadata":[1]})", 400, v, "metadata"},
      {"portal session token SQL injection", "POST", "/v1/portal/me",
       R"({"token":"afpt_x' OR '1'='1.ptk_1.9999999999.AAAA"})", 401, "UNAUTHORIZED/INVALID_TOKEN",
       ""},
      {"portal session token 20 KB", "POST", "/v1/portal/me",
       absl::StrCat(R"({"token":")", std::string(20 << 10, 'a'), R"("})"), 401,
       "UNAUTHORIZED/INVALID_TOKEN", ""},
      {"portal session token a number", "POST", "/v1/portal/me", R"({"token":42})", 400, v,
       "token"},
      {"embed session token with NUL", "POST", "/v1/embed/me", R"({"token":"afet_\u0000"})", 400, v,
       "token"},

      // ---- affiliates ----
      {"affiliate name number", "POST", "/v1/affiliates",
       absl::StrCat(R"({"name":42,"email":"f1@example.com","program_id":")", a_.program_id, "\"}"),
       400, v, "name"},
      {"affiliate name with NUL", "POST", "/v1/affiliates",
       absl::StrCat(R"({"name":"Eve\u0000","email":"f2@example.com","program_id":")", a_.program_id,
                    "\"}"),
       400, v, "name"},
      {"affiliate unknown partnership_status", "POST", "/v1/affiliates",
       absl::StrCat(R"({"name":"Eve","email":"f3@example.com","partnership_status":"owner",)",
                    R"("program_id":")", a_.program_id, "\"}"),
       400, v, "partnership_status"},
      {"affiliate program_id SQL injection", "POST", "/v1/affiliates",
       R"({"name":"Eve","email":"f4@example.com","program_id":"'; DROP TABLE affiliates; --"})",
       404, nf, ""},
      {"affiliate email with CRLF", "POST", "/v1/affiliates",
       absl::StrCat(R"({"name":"Eve","email":"f5@example.com\r\nX-Injected: 1","program_id":")",
                    a_.program_id, "\"}"),
       400, v, "email"},
      {"affiliate tracking_id with NUL", "POST", "/v1/affiliates",
       absl::StrCat(R"({"name":"Eve","email":"f6@example.com","tracking_id":"eve\u0000",)",
                    R"("program_id":")", a_.program_id, "\"}"),
       400, v, "tracking_id"},
      {"affiliate tracking_id path traversal", "POST", "/v1/affiliates",
       absl::StrCat(R"({"name":"Eve","email":"f7@example.com","tracking_id":"../../admin",)",
                    R"("program_id":")", a_.program_id, "\"}"),
       400, v, "tracking_id"},
      {"affiliate metadata array", "POST", "/v1/affiliates",
       absl::StrCat(R"({"name":"Eve","email":"f8@example.com","metadata":[1,2],"program_id":")",
                    a_.program_id, "\"}"),
       400, v, "metadata"},
      {"affiliate list search SQL injection", "GET",
       "/v1/affiliates?search=%27%20OR%20%271%27%3D%271", "", 200, "", ""},
      {"affiliate list search LIKE wildcard", "GET", "/v1/affiliates?search=%25", "", 200, "", ""},
      {"affiliate list page -1", "GET", "/v1/affiliates?page=-1", "", 400, v, "page"},
      {"affiliate list limit 10^12", "GET", "/v1/affiliates?limit=1000000000000", "", 400, v,
       "limit"},
      {"affiliate list page past the end", "GET", "/v1/affiliates?page=2147483647&limit=100", "",
       200, "", ""},
      {"affiliate list search 10 KB", "GET", "/v1/affiliates?search=" + std::string(10 << 10, 'q'),
       "", 400, v, "search"},
      {"affiliate list unknown expand", "GET", "/v1/affiliates?expand=password", "", 400, v,
       "expand"},
      {"affiliate list unknown partnership_status", "GET",
       "/v1/affiliates?partnership_status=admin", "", 400, v, "partnership_status"},
      {"affiliate 10 KB id", "GET", "/v1/affiliates/aff_" + std::string(10 << 10, 'z'), "", 404, nf,
       ""},
      {"affiliate delete NUL id", "DELETE", "/v1/affiliates/" + aff + "%00", "", 400, v, "id"},
      {"affiliate update unknown status", "PUT", "/v1/affiliates/" + aff,
       R"({"partnership_status":"superadmin"})", 400, v, "partnership_status"},
      {"affiliate update empty tracking_id", "PUT", "/v1/affiliates/" + aff,
       R"({"tracking_id":""})", 400, v, "tracking_id"},
      {"affiliate update group of tenant B", "PUT", "/v1/affiliates/" + aff,
       absl::StrCat(R"({"group_id":")", seeded_b_.group, "\"}"), 404, nf, ""},

      // ---- commission overrides ----
      {"override amount 1e309", "POST", overrides, override_for + R"("amount":1e309})", 400, v, ""},
      {"override amount negative", "POST", overrides, override_for + R"("amount":-5})", 400, v,
       "amount"},
      {"override amount NaN", "POST", overrides, override_for + R"("amount":"NaN"})", 400, v,
       "amount"},
      {"override amount Infinity", "POST", overrides, override_for + R"("amount":"Infinity"})", 400,
       v, "amount"},
      {"override amount beyond int64", "POST", overrides,
       override_for + R"("amount":9223372036854775808})", 400, v, "amount"},
      {"override amount tenth of a cent", "POST", overrides, override_for + R"("amount":0.001})",
       400, v, "amount"},
      {"override amount bool", "POST", overrides, override_for + R"("amount":true})", 400, v,
       "amount"},
      {"override is_percentage string", "POST", overrides,
       override_for + R"("amount":5,"is_percentage":"yes"})", 400, v, "is_percentage"},
      {"override incentive SQL injection", "POST", overrides,
       R"({"incentive_id":"inc_1' OR '1'='1","amount":5})", 404, nf, ""},
      {"override delete traversal id", "DELETE", overrides + "/..%2f" + s.override_id, "", 404, nf,
       ""},

      // ---- program settings ----
      {"fraud rules unknown mode", "PATCH", "/v1/program/fraud-rules",
       R"({"self_referral_mode":"nuke"})", 400, v, "self_referral_mode"},
      {"fraud rules mode number", "PATCH", "/v1/program/fraud-rules", R"({"paid_traffic_mode":7})",
       400, v, "paid_traffic_mode"},
      {"fraud rules click param injection", "PATCH", "/v1/program/fraud-rules",
       R"({"paid_traffic_config":{"click_params":["gclid' OR 1=1"]}})", 400, v,
       "paid_traffic_config.click_params"},
      {"fraud rules domains not strings", "PATCH", "/v1/program/fraud-rules",
       R"({"allowed_email_domains":[1,2]})", 400, v, "allowed_email_domains"},
      {"fraud rules 10000 domains", "PATCH", "/v1/program/fraud-rules",
       absl::StrCat(R"({"allowed_email_domains":)",
                    JsonArray(10000, [](int i) { return absl::StrCat("d", i, ".example.com"); }),
                    "}"),
       400, v, "allowed_email_domains"},
      {"fraud rules 10000 utm mediums", "PATCH", "/v1/program/fraud-rules",
       absl::StrCat(R"({"paid_traffic_config":{"utm_mediums":)",
                    JsonArray(10000, [](int i) { return absl::StrCat("m", i); }), "}}"),
       400, v, "paid_traffic_config.utm_mediums"},
      {"fraud rules program_id SQL injection", "GET",
       "/v1/program/fraud-rules?program_id=%27%20OR%201%3D1--", "", 404, nf, ""},
      {"fraud rules body array", "PATCH", "/v1/program/fraud-rules", "[]", 400, v, ""},
      {"payment terms unknown commission type", "PATCH", "/v1/program/payment-terms",
       R"({"commission_type":"FIXED' OR 1=1"})", 400, v, "commission_type"},
      {"payment terms commission type number", "PATCH", "/v1/program/payment-terms",
       R"({"commission_type":9})", 400, v, "commission_type"},
      {"payment terms threshold tenth of a cent", "PATCH", "/v1/program/payment-terms",
       R"({"payment_threshold":50.001})", 400, v, "payment_threshold"},
      {"payment terms threshold NaN", "PATCH", "/v1/program/payment-terms",
       R"({"payment_threshold":"NaN"})", 400, v, "payment_threshold"},
      {"payment terms threshold 1e300", "PATCH", "/v1/program/payment-terms",
       R"({"payment_threshold":1e300})", 400, v, "payment_threshold"},
      {"payment terms rate negative", "PATCH", "/v1/program/payment-terms",
       R"({"commission_rate":-0.01})", 400, v, "commission_rate"},
      {"payment terms percentage over 100", "PATCH", "/v1/program/payment-terms",
       R"({"commission_type":"PERCENTAGE","commission_rate":100.01})", 400, v, "commission_rate"},
      {"payment terms limit as string", "PATCH", "/v1/program/payment-terms",
       R"({"commissions_limit":"12"})", 400, v, "commissions_limit"},
      {"payment terms hold days fraction", "PATCH", "/v1/program/payment-terms",
       R"({"commissions_hold_days":1.5})", 400, v, "commissions_hold_days"},
      {"payment terms cookie lifetime beyond int32", "PATCH", "/v1/program/payment-terms",
       R"({"cookie_lifetime":4294967296})", 400, v, "cookie_lifetime"},
      {"payment terms 10000 methods", "PATCH", "/v1/program/payment-terms",
       absl::StrCat(R"({"payment_methods":)",
                    JsonArray(10000, [](int i) { return absl::StrCat("m", i); }), "}"),
       400, v, "payment_methods"},
      {"payment terms method with NUL", "PATCH", "/v1/program/payment-terms",
       R"({"payment_methods":["paypal\u0000"]})", 400, v, "payment_methods"},
      {"payment terms owner name 10 KB", "PATCH", "/v1/program/payment-terms",
       absl::StrCat(R"({"owner_company_name":")", std::string(10 << 10, 'o'), "\"}"), 400, v,
       "owner_company_name"},
      {"payment terms owner country object", "PATCH", "/v1/program/payment-terms",
       R"({"owner_country":{"$ne":1}})", 400, v, "owner_country"},
      {"payment terms invoice prefix markup", "PATCH", "/v1/program/payment-terms",
       R"({"invoice_prefix":"<b>"})", 400, v, "invoice_prefix"},
      {"payment terms program_id SQL injection", "GET",
       "/v1/program/payment-terms?program_id=%27%20OR%201%3D1--", "", 404, nf, ""},
      {"restrictions bool as string", "PATCH", "/v1/program/restrictions", R"({"websites":"yes"})",
       400, v, "websites"},
      {"restrictions text 10 KB", "PATCH", "/v1/program/restrictions",
       absl::StrCat(R"({"additional_restrictions":")", std::string(10 << 10, 'r'), "\"}"), 400, v,
       "additional_restrictions"},
      {"restrictions text with NUL", "PATCH", "/v1/program/restrictions",
       R"({"additional_restrictions":"x\u0000"})", 400, v, "additional_restrictions"},
      {"portal colour with markup", "PATCH", "/v1/program/portal",
       R"({"primary_color":"#fff;<script>"})", 400, v, "primary_color"},
      {"portal colour as number", "PATCH", "/v1/program/portal", R"({"secondary_color":255})", 400,
       v, "secondary_color"},
      {"portal support email header injection", "PATCH", "/v1/program/portal",
       R"({"support_email_value":"a@b.example\r\nBcc: c@d.example"})", 400, v,
       "support_email_value"},
      {"portal custom texts array", "PATCH", "/v1/program/portal", R"({"custom_texts":[1,2]})", 400,
       v, "custom_texts"},
      {"portal custom texts 1000 keys", "PATCH", "/v1/program/portal",
       [] {
         std::string body = R"({"custom_texts":{)";
         for (int i = 0; i < 1000; ++i) absl::StrAppend(&body, i ? "," : "", "\"k", i, "\":1");
         return body + "}}";
       }(),
       400, v, "custom_texts"},
      {"portal custom texts key with blanks", "PATCH", "/v1/program/portal",
       R"({"custom_texts":{"a b":"x"}})", 400, v, "custom_texts"},
      {"portal custom texts 100 KB", "PATCH", "/v1/program/portal",
       absl::StrCat(R"({"custom_texts":{"big":")", std::string(100 << 10, 'c'), "\"}}"), 400, v,
       "custom_texts"},
      {"marketplace limit 1000", "GET", "/v1/marketplace?limit=1000", "", 400, v, "limit"},
      {"marketplace page negative", "GET", "/v1/marketplace?page=-1", "", 400, v, "page"},
      {"marketplace category 10 KB", "GET",
       "/v1/marketplace?category=" + std::string(10 << 10, 'c'), "", 400, v, "category"},
      {"marketplace id SQL injection", "GET", "/v1/marketplace/prg_1%27%20OR%20%271%27%3D%271", "",
       404, nf, ""},
      {"marketplace id traversal", "GET", "/v1/marketplace/..%2f..%2fprogram", "", 404, nf, ""},
      {"tracking bool as string", "PATCH", "/v1/program/tracking", R"({"track_email":"maybe"})",
       400, v, "track_email"},
      {"tracking bool as number", "PATCH", "/v1/program/tracking", R"({"track_name":1})", 400, v,
       "track_name"},
      {"tracking parameter with markup", "PATCH", "/v1/program/tracking",
       R"({"default_referral_parameter":"a b<script>"})", 400, v, "default_referral_parameter"},
      {"group name operator object", "POST", "/v1/program/groups", R"({"name":{"$ne":1}})", 400, v,
       "name"},
      {"group name 10 KB", "POST", "/v1/program/groups",
       absl::StrCat(R"({"name":")", std::string(10 << 10, 'g'), "\"}"), 400, v, "name"},
      {"group name with NUL", "POST", "/v1/program/groups", R"({"name":"VIP\u0000"})", 400, v,
       "name"},
      {"group update description with NUL", "PATCH", "/v1/program/groups/" + s.group,
       R"({"description":"x\u0000"})", 400, v, "description"},
      {"fraud rules utm medium with NUL", "PATCH", "/v1/program/fraud-rules",
       R"({"paid_traffic_config":{"utm_mediums":["cpc\u0000"]}})", 400, v,
       "paid_traffic_config.utm_mediums"},
      {"group unset the default", "PATCH", "/v1/program/groups/" + s.default_group,
       R"({"is_default":false})", 400, v, "is_default"},
      {"group id invalid UTF-8", "GET", "/v1/program/groups/grp_%80", "", 400, v, "id"},
      {"group delete 10 KB id", "DELETE", "/v1/program/groups/grp_" + std::string(10 << 10, 'g'),
       "", 404, nf, ""},
      {"incentive unknown type", "POST", incentives, R"({"name":"x","type":"bonus","amount":1})",
       400, v, "type"},
      {"incentive amount 1e300", "POST", incentives, R"({"name":"x","type":"sale","amount":1e300})",
       400, v, "amount"},
      {"incentive hold days 10^12", "POST", incentives,
       R"({"name":"x","type":"lead","amount":1,"hold_period_days":1000000000000})", 400, v,
       "hold_period_days"},
      {"incentive hold days negative", "POST", incentives,
       R"({"name":"x","type":"lead","amount":1,"hold_period_days":-1})", 400, v,
       "hold_period_days"},
      {"incentive hold days fraction", "POST", incentives,
       R"({"name":"x","type":"lead","amount":1,"hold_period_days":1.5})", 400, v,
       "hold_period_days"},
      {"incentive currency injection", "POST", incentives,
       R"({"name":"x","type":"lead","amount":1,"currency":"usd'; --"})", 400, v, "currency"},
      {"incentive percentage lead", "POST", incentives,
       R"({"name":"x","type":"lead","amount":10,"is_percentage":true})", 400, v, "is_percentage"},
      {"incentive percentage over 100", "POST", incentives,
       R"({"name":"x","type":"sale","amount":250,"is_percentage":true})", 400, v, "amount"},

      // ---- commissions ----
      {"commission list unknown status", "GET", "/v1/commissions?status=stolen", "", 400, v,
       "status"},
      {"commission list limit 10^13", "GET", "/v1/commissions?limit=10000000000000", "", 400, v,
       "limit"},
      {"commission list page fraction", "GET", "/v1/commissions?page=0.5", "", 400, v, "page"},
      {"commission list referral UNION injection", "GET",
       "/v1/commissions?referral_id=x%27%20UNION%20SELECT%20*%20FROM%20api_keys--", "", 200, "",
       ""},
      {"commission list tenant B's referral", "GET",
       "/v1/commissions?referral_id=" + seeded_b_.click, "", 200, "", ""},
      {"commission id SQL injection", "GET", "/v1/commissions/com_%27%3B%20--", "", 404, nf, ""},
      {"commission PATCH", "PATCH", "/v1/commissions/" + s.commission, "{}", 405,
       "METHOD_NOT_ALLOWED", ""},
      {"commission create empty", "POST", "/v1/commissions", "{}", 400, v, "referral_id"},
      {"commission create fraction of a cent", "POST", "/v1/commissions",
       absl::StrCat(R"({"referral_id":")", s.referral,
                    R"(","sale_amount":1.005,"commission_amount":1})"),
       400, v, "sale_amount"},
      {"commission create negative", "POST", "/v1/commissions",
       absl::StrCat(R"({"referral_id":")", s.referral,
                    R"(","sale_amount":1,"commission_amount":-1})"),
       400, v, "commission_amount"},
      {"commission create amount 10^13", "POST", "/v1/commissions",
       absl::StrCat(R"({"referral_id":")", s.referral,
                    R"(","sale_amount":1e13,"commission_amount":1})"),
       400, v, "sale_amount"},
      {"commission create currency injection", "POST", "/v1/commissions",
       absl::StrCat(R"({"referral_id":")", s.referral,
                    R"(","sale_amount":1,"commission_amount":1,"commission_currency":"usd'; --"})"),
       400, v, "commission_currency"},
      {"commission create payment intent 300 chars", "POST", "/v1/commissions",
       absl::StrCat(R"({"referral_id":")", s.referral,
                    R"(","sale_amount":1,"commission_amount":1,"payment_intent_id":")",
                    std::string(300, 'p'), "\"}"),
       400, v, "payment_intent_id"},
      {"commission create tenant B's referral", "POST", "/v1/commissions",
       absl::StrCat(R"({"referral_id":")", seeded_b_.referral,
                    R"(","sale_amount":1,"commission_amount":1})"),
       404, nf, ""},
      {"commission update skips approval", "PUT", "/v1/commissions/" + s.commission,
       R"({"status":"paid"})", 400, v, "status"},
      {"commission update unknown status", "PUT", "/v1/commissions/" + s.commission,
       R"({"status":"stolen"})", 400, v, "status"},
      {"commission update tenant B's", "PUT", "/v1/commissions/" + seeded_b_.commission,
       R"({"status":"declined"})", 404, nf, ""},
      {"commission delete SQL injection", "DELETE", "/v1/commissions/com_%27%3B%20--", "", 404, nf,
       ""},
      {"commission delete tenant B's", "DELETE", "/v1/commissions/" + seeded_b_.commission, "", 404,
       nf, ""},
      {"commission get unknown expansion", "GET", "/v1/commissions/" + s.commission + "?expand=x",
       "", 400, v, "expand"},

      // ---- onboarding ----
      {"onboarding form create empty", "POST", "/v1/onboarding-form", "{}", 400, v, "name"},
      {"onboarding form second create", "POST", "/v1/onboarding-form",
       R"({"name":"Again","questions":[{"question":"x","type":"textarea","order":1}]})", 409,
       "DUPLICATE_ERROR", ""},
      {"onboarding form type injection", "POST", "/v1/onboarding-form",
       R"({"name":"F","questions":[{"question":"x","type":"text'; DROP TABLE onboarding_forms; --",)"
       R"("order":1}]})",
       400, v, "questions[0].type"},
      {"onboarding form 10000 questions", "POST", "/v1/onboarding-form",
       absl::StrCat(R"({"name":"F","questions":[)",
                    absl::StrJoin(std::vector<std::string>(
                                      10000, R"({"question":"x","type":"textarea","order":1})"),
                                  ","),
                    "]}"),
       400, v, "questions"},
      {"onboarding form 10000 options", "POST", "/v1/onboarding-form",
       absl::StrCat(R"({"name":"F","questions":[{"question":"x","type":"multiple_choice",)",
                    R"("order":1,"options":)",
                    JsonArray(10000, [](int i) { return absl::StrCat("o", i); }), "}]}"),
       400, v, "questions[0].options"},
      {"onboarding form options on a text question", "POST", "/v1/onboarding-form",
       R"({"name":"F","questions":[{"question":"x","type":"textarea","order":1,"options":["a"]}]})",
       400, v, "questions[0].options"},
      {"onboarding form choice without options", "POST", "/v1/onboarding-form",
       R"({"name":"F","questions":[{"question":"x","type":"single_choice","order":1}]})", 400, v,
       "questions[0].options"},
      {"onboarding form question 10 KB", "POST", "/v1/onboarding-form",
       absl::StrCat(R"({"name":"F","questions":[{"question":")", std::string(10 << 10, 'q'),
                    R"(","type":"textarea","order":1}]})"),
       400, v, "questions[0].question"},
      {"onboarding form order not an integer", "POST", "/v1/onboarding-form",
       R"({"name":"F","questions":[{"question":"x","type":"textarea","order":1.5}]})", 400, v,
       "questions.order"},
      {"onboarding form questions an object", "POST", "/v1/onboarding-form",
       R"({"name":"F","questions":{"question":"x"}})", 400, v, "questions"},
      {"onboarding form name NUL", "POST", "/v1/onboarding-form",
       R"({"name":"F\u0000","questions":[{"question":"x","type":"textarea","order":1}]})", 400, v,
       "name"},
      {"onboarding form update question id injection", "PATCH", "/v1/onboarding-form",
       R"({"questions":[{"id":"obq_'; --","question":"x","type":"textarea","order":1}]})", 400, v,
       "questions[0].id"},
      {"onboarding form update tenant B's question", "PATCH", "/v1/onboarding-form",
       absl::StrCat(R"({"questions":[{"id":")", seeded_b_.question,
                    R"(","question":"x","type":"textarea","order":1}]})"),
       400, v, "questions[0].id"},
      {"onboarding form tenant B's program", "PATCH",
       "/v1/onboarding-form?program_id=" + b_.program_id, R"({"name":"Mallory"})", 404, nf, ""},
      {"onboarding form program id injection", "GET",
       "/v1/onboarding-form?program_id=prg_%27%20OR%201%3D1", "", 404, nf, ""},
      {"onboarding form PUT", "PUT", "/v1/onboarding-form", "{}", 405, "METHOD_NOT_ALLOWED", ""},
      {"onboarding answer an object", "POST", responses,
       absl::StrCat(R"({"responses":[{"question_id":")", s.question, R"(","answer":{"a":1}}]})"),
       400, v, "responses[0].answer"},
      {"onboarding answer 10 KB", "POST", responses,
       absl::StrCat(R"({"responses":[{"question_id":")", s.question, R"(","answer":")",
                    std::string(10 << 10, 'a'), R"("}]})"),
       400, v, "responses[0].answer"},
      {"onboarding answer a list to a text question", "POST", responses,
       absl::StrCat(R"({"responses":[{"question_id":")", s.question, R"(","answer":)",
                    JsonArray(10000, [](int i) { return absl::StrCat("a", i); }), "}]}"),
       400, v, "responses[0].answer"},
      {"onboarding answer tenant B's question", "POST", responses,
       absl::StrCat(R"({"responses":[{"question_id":")", seeded_b_.question,
                    R"(","answer":"x"}]})"),
       400, v, "responses[0].question_id"},
      {"onboarding 10000 responses", "POST", responses,
       absl::StrCat(
           R"({"responses":[)",
           absl::StrJoin(std::vector<std::string>(10000, R"({"question_id":"obq_x","answer":"x"})"),
                         ","),
           "]}"),
       400, v, "responses"},
      {"onboarding mark_complete a string", "POST", responses,
       R"({"responses":[],"mark_complete":"yes"})", 400, v, "mark_complete"},
      {"onboarding responses tenant B's affiliate", "POST",
       "/v1/affiliates/" + b_.affiliate_id + "/onboarding-responses",
       R"({"responses":[],"mark_complete":true})", 404, nf, ""},
      {"onboarding responses affiliate id injection", "GET",
       "/v1/affiliates/aff_%27%3B%20--/onboarding-responses", "", 404, nf, ""},
      {"affiliate list expanded onboarding, limit 100", "GET",
       "/v1/affiliates?expand=onboardingResponses&limit=100", "", 400, v, "limit"},

      // ---- coupons ----
      {"coupon create empty", "POST", "/v1/coupons", "{}", 400, v, "affiliate_id"},
      {"coupon code SQL injection", "POST", "/v1/coupons",
       coupon_for + R"("code":"x'; DROP TABLE coupons; --"})", 400, v, "code"},
      {"coupon code 65 chars", "POST", "/v1/coupons",
       coupon_for + R"("code":")" + std::string(65, 'c') + "\"}", 400, v, "code"},
      {"coupon code 10 KB", "POST", "/v1/coupons",
       coupon_for + R"("code":")" + std::string(10 << 10, 'c') + "\"}", 400, v, "code"},
      {"coupon code unicode look-alike", "POST", "/v1/coupons",
       coupon_for + "\"code\":\"S\u0410VE\"}", 400, v, "code"},
      {"coupon code NUL", "POST", "/v1/coupons", coupon_for + R"("code":"SAVE\u0000"})", 400, v,
       "code"},
      {"coupon code duplicate in another case", "POST", "/v1/coupons",
       coupon_for + R"("code":"hostile-A"})", 409, "DUPLICATE_ERROR", "code"},
      {"coupon for tenant B's affiliate", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", b_.affiliate_id,
                    R"(","discount_type":"percentage","discount_value":5,"duration":"once",)"
                    R"("code":"HOSTILE-b"})"),
       404, nf, ""},
      {"coupon value fraction of a cent", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"FRAC","discount_type":"fixed","discount_value":1.005,)"
                    R"("duration":"once"})"),
       400, v, "discount_value"},
      {"coupon percentage over 100", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"OVER","discount_type":"percentage","discount_value":100.01,)"
                    R"("duration":"once"})"),
       400, v, "discount_value"},
      {"coupon value NaN", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"NAN","discount_type":"fixed","discount_value":"NaN",)"
                    R"("duration":"once"})"),
       400, v, "discount_value"},
      {"coupon value negative", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"NEG","discount_type":"fixed","discount_value":-1,)"
                    R"("duration":"once"})"),
       400, v, "discount_value"},
      {"coupon unknown discount type", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"TYPE","discount_type":"free","discount_value":1,)"
                    R"("duration":"once"})"),
       400, v, "discount_type"},
      {"coupon repeating without months", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"REP","discount_type":"fixed","discount_value":1,)"
                    R"("duration":"repeating"})"),
       400, v, "duration_in_months"},
      {"coupon currency injection", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"CUR","discount_type":"fixed","discount_value":1,)"
                    R"("duration":"once","currency":"usd'; --"})"),
       400, v, "currency"},
      {"coupon 10000 product ids", "POST", "/v1/coupons",
       absl::StrCat(R"({"affiliate_id":")", aff,
                    R"(","code":"PRODS","discount_type":"fixed","discount_value":1,)"
                    R"("duration":"once","product_ids":)",
                    JsonArray(10000, [](int i) { return absl::StrCat("prod_", i); }), "}"),
       400, v, "product_ids"},
      {"coupon list search SQL injection", "GET", "/v1/coupons?search=%27%20OR%20%271%27%3D%271",
       "", 200, "", ""},
      {"coupon list search LIKE wildcard", "GET", "/v1/coupons?search=%25", "", 200, "", ""},
      {"coupon list tenant B's affiliate", "GET", "/v1/coupons?affiliate_id=" + b_.affiliate_id, "",
       200, "", ""},
      {"coupon list unknown sort", "GET", "/v1/coupons?sort=password", "", 400, v, "sort"},
      {"coupon list unknown expand", "GET", "/v1/coupons?expand=program", "", 400, v, "expand"},
      {"coupon list limit 10^13", "GET", "/v1/coupons?limit=10000000000000", "", 400, v, "limit"},
      {"coupon id SQL injection", "GET", "/v1/coupons/cpn_%27%3B%20--", "", 404, nf, ""},
      {"coupon 10 KB id", "GET", "/v1/coupons/cpn_" + std::string(10 << 10, 'z'), "", 404, nf, ""},
      {"coupon get tenant B's", "GET", "/v1/coupons/" + seeded_b_.coupon, "", 404, nf, ""},
      {"coupon delete tenant B's", "DELETE", "/v1/coupons/" + seeded_b_.coupon, "", 404, nf, ""},
      {"coupon PATCH", "PATCH", "/v1/coupons/" + s.coupon, "{}", 405, "METHOD_NOT_ALLOWED", ""},

      // ---- creatives ----
      {"creative url javascript:", "POST", "/v1/program/creatives",
       R"json({"url":"javascript:alert(document.cookie)"})json", 400, v, "url"},
      {"creative url data:", "POST", "/v1/program/creatives",
       R"({"url":"data:text/html;base64,PHNjcmlwdD4="})", 400, v, "url"},
      {"creative url with CRLF", "POST", "/v1/program/creatives",
       R"({"url":"https://example.com/\r\nX-Injected: 1"})", 400, v, "url"},
      {"creative url protocol-relative", "POST", "/v1/program/creatives",
       R"({"url":"//evil.example/x.png"})", 400, v, "url"},
      {"creative name object", "POST", "/v1/program/creatives", R"({"name":{"$ne":1}})", 400, v,
       "name"},
      {"creative name 10 KB", "POST", "/v1/program/creatives",
       R"({"name":")" + std::string(10 << 10, 'n') + "\"}", 400, v, "name"},
      {"creative content 100 KB", "POST", "/v1/program/creatives",
       R"({"content":")" + std::string(100 << 10, 'c') + "\"}", 400, v, "content"},
      {"creative content with NUL", "POST", "/v1/program/creatives",
       R"({"content":"<b>x\u0000</b>"})", 400, v, "content"},
      {"creative category injection", "POST", "/v1/program/creatives",
       R"({"category":"banner' OR '1'='1"})", 400, v, "category"},
      {"creative 10000 tags", "POST", "/v1/program/creatives",
       absl::StrCat(R"({"tags":)", JsonArray(10000, [](int i) { return absl::StrCat("t", i); }),
                    "}"),
       400, v, "tags"},
      {"creative tags a string", "POST", "/v1/program/creatives", R"({"tags":"a,b"})", 400, v,
       "tags"},
      {"creative dimensions negative", "POST", "/v1/program/creatives",
       R"({"dimensions":{"width":-728,"height":90}})", 400, v, "dimensions"},
      {"creative dimensions fraction", "POST", "/v1/program/creatives",
       R"({"dimensions":{"width":72.8,"height":90}})", 400, v, "dimensions"},
      {"creative dimensions 1e300", "POST", "/v1/program/creatives",
       R"({"dimensions":{"width":1e300,"height":90}})", 400, v, "dimensions"},
      {"creative dimensions strings", "POST", "/v1/program/creatives",
       R"({"dimensions":{"width":"728","height":"90"}})", 400, v, "dimensions"},
      {"creative dimensions array", "POST", "/v1/program/creatives", R"({"dimensions":[728,90]})",
       400, v, "dimensions"},
      {"creative update url javascript:", "PATCH", "/v1/program/creatives/" + s.creative,
       R"json({"name":"renamed","url":"javascript:alert(1)"})json", 400, v, "url"},
      {"creative list unknown category", "GET", "/v1/program/creatives?category=%27%20OR%201%3D1",
       "", 400, v, "category"},
      {"creative list limit 10^13", "GET", "/v1/program/creatives?limit=10000000000000", "", 400, v,
       "limit"},
      {"creative id SQL injection", "GET", "/v1/program/creatives/crv_%27%3B%20--", "", 404, nf,
       ""},
      {"creative 10 KB id", "DELETE", "/v1/program/creatives/crv_" + std::string(10 << 10, 'z'), "",
       404, nf, ""},
      {"creative get tenant B's", "GET", "/v1/program/creatives/" + seeded_b_.creative, "", 404, nf,
       ""},
      {"creative update tenant B's", "PATCH", "/v1/program/creatives/" + seeded_b_.creative,
       R"({"name":"mine"})", 404, nf, ""},
      {"creative delete tenant B's", "DELETE", "/v1/program/creatives/" + seeded_b_.creative, "",
       404, nf, ""},
      {"creative in tenant B's program", "POST",
       "/v1/program/creatives?program_id=" + b_.program_id, R"({"name":"mine"})", 404, nf, ""},

      // ---- notifications ----
      {"notification unknown type", "PATCH", "/v1/program/notifications/password_reset",
       R"({"is_active":false})", 404, nf, ""},
      {"notification type path traversal", "PATCH", "/v1/program/notifications/..%2f..%2fadmin",
       R"({"is_active":false})", 404, nf, ""},
      {"notification type 10 KB", "PATCH",
       "/v1/program/notifications/" + std::string(10 << 10, 't'), R"({"is_active":false})", 404, nf,
       ""},
      {"notification is_active string", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"is_active":"no"})", 400, v, "is_active"},
      {"notification unknown placeholder", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"custom_subject":"{{api_key}}"})", 400, v, "custom_subject"},
      {"notification unbalanced braces", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"custom_body":"<p>{{affiliate_name}</p>"})", 400, v, "custom_body"},
      {"notification triple braces", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"custom_body":"<p>{{{affiliate_name}}}</p>"})", 400, v, "custom_body"},
      {"notification subject header injection", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"custom_subject":"Paid\r\nBcc: everyone@example.com"})", 400, v, "custom_subject"},
      {"notification subject empty", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"custom_subject":""})", 400, v, "custom_subject"},
      {"notification body 100 KB", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"custom_body":")" + std::string(100 << 10, 'b') + "\"}", 400, v, "custom_body"},
      {"notification body number", "PATCH", "/v1/program/notifications/payout_sent",
       R"({"custom_body":42})", 400, v, "custom_body"},
      {"notification fixed type custom text", "PATCH",
       "/v1/program/notifications/new_affiliate_application",
       R"({"custom_subject":"{{program_name}}"})", 400, v, "custom_subject"},
      {"notification in tenant B's program", "PATCH",
       "/v1/program/notifications/payout_sent?program_id=" + b_.program_id,
       R"({"is_active":false})", 404, nf, ""},
      {"notification list in tenant B's program", "GET",
       "/v1/program/notifications?program_id=" + b_.program_id, "", 404, nf, ""},
      {"notification preview unknown placeholder", "POST",
       "/v1/program/notifications/payout_sent/preview", R"({"body":"{{referral_name}}"})", 400, v,
       "body"},
      {"notification preview unknown type", "POST", "/v1/program/notifications/nope/preview", "",
       404, nf, ""},
      {"notification preview in tenant B's program", "POST",
       "/v1/program/notifications/new_referral/preview?program_id=" + b_.program_id, "", 404, nf,
       ""},

      // ---- webhooks ----
      {"webhook javascript: URL", "POST", "/v1/webhooks",
       R"json({"url":"javascript:alert(1)","events":["referral.lead"]})json", 400, v, "url"},
      {"webhook file: URL", "POST", "/v1/webhooks",
       R"({"url":"file:///etc/passwd","events":["referral.lead"]})", 400, v, "url"},
      {"webhook loopback URL", "POST", "/v1/webhooks",
       R"({"url":"http://127.0.0.1:8080/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook localhost URL", "POST", "/v1/webhooks",
       R"({"url":"http://localhost/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook IPv6 loopback URL", "POST", "/v1/webhooks",
       R"({"url":"http://[::1]/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook cloud metadata URL", "POST", "/v1/webhooks",
       R"({"url":"http://169.254.169.254/latest/meta-data","events":["referral.lead"]})", 400, v,
       "url"},
      {"webhook decimal loopback URL", "POST", "/v1/webhooks",
       R"({"url":"http://2130706433/","events":["referral.lead"]})", 400, v, "url"},
      // Creation and sending once disagreed on these (201, then never sent).
      {"webhook underscore host URL", "POST", "/v1/webhooks",
       R"({"url":"https://exa_mple.com/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook CGNAT URL", "POST", "/v1/webhooks",
       R"({"url":"http://100.64.0.1/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook multicast URL", "POST", "/v1/webhooks",
       R"({"url":"http://224.0.0.1/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook reserved 240/4 URL", "POST", "/v1/webhooks",
       R"({"url":"http://240.0.0.1/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook benchmarking URL", "POST", "/v1/webhooks",
       R"({"url":"http://198.18.0.1/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook NAT64 loopback URL", "POST", "/v1/webhooks",
       R"({"url":"http://[64:ff9b::7f00:1]/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook 6to4 URL", "POST", "/v1/webhooks",
       R"({"url":"http://[2002:a00:1::]/hook","events":["referral.lead"]})", 400, v, "url"},
      {"webhook update CGNAT URL", "PATCH", "/v1/webhooks/" + s.webhook,
       R"({"url":"http://100.64.0.1/hook"})", 400, v, "url"},
      {"webhook update underscore host URL", "PATCH", "/v1/webhooks/" + s.webhook,
       R"({"url":"https://exa_mple.com/hook"})", 400, v, "url"},
      {"webhook credentials in URL", "POST", "/v1/webhooks",
       R"({"url":"https://user:pass@example.com/","events":["referral.lead"]})", 400, v, "url"},
      {"webhook CRLF in URL", "POST", "/v1/webhooks",
       R"({"url":"https://example.com/\r\nX-Injected: 1","events":["referral.lead"]})", 400, v,
       "url"},
      {"webhook 10 KB URL", "POST", "/v1/webhooks",
       absl::StrCat(R"({"url":"https://example.com/)", std::string(10 << 10, 'u'),
                    R"(","events":["referral.lead"]})"),
       400, v, "url"},
      {"webhook 10000 events", "POST", "/v1/webhooks",
       absl::StrCat(R"({"url":"https://receiver.invalid/x","events":)",
                    JsonArray(10000, [](int i) { return absl::StrCat("evil.type", i); }), "}"),
       400, v, "events"},
      {"webhook events string", "POST", "/v1/webhooks",
       R"({"url":"https://receiver.invalid/x","events":"referral.lead"})", 400, v, "events"},
      {"webhook events null element", "POST", "/v1/webhooks",
       R"({"url":"https://receiver.invalid/x","events":[null]})", 400, v, "events"},
      {"webhook events empty", "POST", "/v1/webhooks",
       R"({"url":"https://receiver.invalid/x","events":[]})", 400, v, "events"},
      {"webhook description 10 KB", "POST", "/v1/webhooks",
       absl::StrCat(R"({"url":"https://receiver.invalid/x","events":["referral.lead"],)",
                    R"("description":")", std::string(10 << 10, 'd'), "\"}"),
       400, v, "description"},
      {"webhook description with NUL", "POST", "/v1/webhooks",
       R"({"url":"https://receiver.invalid/x","events":["referral.lead"],"description":"a\u0000"})",
       400, v, "description"},
      {"webhook update gopher URL", "PATCH", "/v1/webhooks/" + s.webhook,
       R"({"url":"gopher://example.com/"})", 400, v, "url"},
      {"webhook update enabled string", "PATCH", "/v1/webhooks/" + s.webhook,
       R"({"enabled":"yes"})", 400, v, "enabled"},
      {"webhook update tenant B's", "PATCH", "/v1/webhooks/" + seeded_b_.webhook,
       R"({"enabled":false})", 404, nf, ""},
      {"webhook list page beyond int64", "GET", "/v1/webhooks?page=99999999999999999999", "", 400,
       v, "page"},
      {"webhook deliveries limit -5", "GET", "/v1/webhooks/" + s.webhook + "/deliveries?limit=-5",
       "", 400, v, "limit"},
      {"webhook deliveries cursor injection", "GET",
       "/v1/webhooks/" + s.webhook + "/deliveries?starting_after=1%3BDROP%20TABLE%20x", "", 400, v,
       "starting_after"},
      {"webhook deliveries success not bool", "GET",
       "/v1/webhooks/" + s.webhook + "/deliveries?success=perhaps", "", 400, v, "success"},
      {"webhook redeliver NUL event", "POST",
       "/v1/webhooks/" + s.webhook + "/deliveries/evt_%00/redeliver", "", 400, v, "event_id"},
      {"webhook redeliver invalid UTF-8 event", "POST",
       "/v1/webhooks/" + s.webhook + "/deliveries/evt_%ff/redeliver", "", 400, v, "event_id"},

      // ---- bodies protobuf's lenient JSON parser reads, keys that cannot be keys ----
      // Only strict RFC 8259 JSON, at most 32 levels deep, reaches protobuf,
      // and a request without a usable key is refused before its body is read.
      // A pre-check that knew only double quotes took '"' for the start of a
      // string and missed the arrays after it, parsed then for seconds.
      {"signup single-quoted string hiding 10000-deep arrays", "POST", "/v1/signups",
       "{'click_id':'\"','x':" + Nested("[", "", "]", 10000) + "}", 400, v, "", std::nullopt,
       kFast},
      {"referral metadata single-quoted string hiding 10000-deep arrays", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"q1@example.com","metadata":{"k":'"',"v":)",
                    Nested("[", "", "]", 10000), "}}"),
       400, v, "", std::nullopt, kFast},
      {"signup bare key", "POST", "/v1/signups", absl::StrCat("{click_id:\"", s.spare_click, "\"}"),
       400, v, ""},
      {"signup trailing comma", "POST", "/v1/signups", absl::StrCat("{", spare, ",}"), 400, v, ""},
      {"signup comment", "POST", "/v1/signups", absl::StrCat("{", spare, "/* x */}"), 400, v, ""},
      {"referral metadata NaN literal", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"q2@example.com","metadata":{"a":NaN}})"), 400, v, ""},
      {"referral metadata lone surrogate escape", "POST", "/v1/referrals",
       absl::StrCat("{", direct, R"(,"email":"q3@example.com","metadata":{"a":"\udc00"}})"), 400, v,
       ""},
      {"signup no Authorization, single-quoted deep arrays", "POST", "/v1/signups",
       "{'click_id':'\"','x':" + Nested("[", "", "]", 10000) + "}", 401,
       "UNAUTHORIZED/MISSING_API_KEY", "", json_only, kFast},
      {"signup Basic credentials, body not JSON", "POST", "/v1/signups", "{'", 401,
       "UNAUTHORIZED/INVALID_API_KEY_FORMAT", "",
       Headers{{"Authorization", "Basic YWRtaW46YWRtaW4="}, {"Content-Type", "application/json"}}},
      {"referral list no Authorization, bad limit", "GET", "/v1/referrals?limit=ten", "", 401,
       "UNAUTHORIZED/MISSING_API_KEY", "", Headers{}},
      {"signup 1 MiB of 31-deep arrays", "POST", "/v1/signups",
       absl::StrCat(R"({"click_id":"clk_x","email":"a@example.com","x":[)",
                    Repeat(Nested("[", "", "]", 30) + ",", ((1 << 20) - 64) / 61), "0]}"),
       404, nf, "", std::nullopt, absl::Seconds(5 * kSlowdown)},

      // ---- routing ----
      {"unknown endpoint", "GET", "/v1/admin", "", 404, nf, ""},
      {"encoded slash in a literal segment", "GET", "/v1%2freferrals", "", 404, nf, ""},
  };
}

TEST_F(HostileRequestsTest, EveryHostileRequestGetsItsErrorAndChangesNothing) {
  seeded_a_ = Seed(a_, "a");
  seeded_b_ = Seed(b_, "b");
  ASSERT_FALSE(HasFailure()) << "seeding failed";

  std::string baseline = Snapshot();
  for (const char* table : kBusinessTables) {
    ASSERT_TRUE(absl::StrContains(" " + baseline, absl::StrCat(" ", table, ":"))) << table;
  }
  // The seed wrote rows everywhere the catalogue could write.
  for (const char* table : {"clicks", "referrals", "commissions", "commission_overrides",
                            "outbox_events", "webhook_endpoints", "incentives"}) {
    EXPECT_FALSE(absl::StrContains(" " + baseline, absl::StrCat(" ", table, ":0:"))) << table;
  }

  const std::vector<Case> cases = Catalogue();
  int ran = 0;
  for (const Case& c : cases) {
    const Headers headers = c.headers ? *c.headers
                                      : Headers{{"Authorization", "Bearer " + a_.api_key},
                                                {"Content-Type", "application/json"}};
    const absl::Time start = absl::Now();
    HttpResult result = Http(rest_->port(), c.method, c.target, c.body, headers);
    const absl::Duration took = absl::Now() - start;
    // A case that did change something is reported once, not again by
    // every case after it.
    baseline = Expect(c, result, took, baseline);
    ++ran;
  }
  // The server is still healthy after all of it.
  EXPECT_EQ(Http(rest_->port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/v1/referrals/" + seeded_a_.referral).status, 200);

  RecordProperty("hostile_cases", ran);
  std::printf("hostile_requests_pgtest: %d hostile requests ran\n", ran);
  EXPECT_GE(ran, 60);
}

// Status lines ("HTTP/1.1 ddd ") in what a connection answered.
int CountStatusLines(const std::string& text) {
  int count = 0;
  for (size_t at = text.find("HTTP/1.1 "); at != std::string::npos;
       at = text.find("HTTP/1.1 ", at + 1)) {
    const std::string code = text.substr(at + 9, 4);
    count += code.size() == 4 && absl::ascii_isdigit(code[0]) && absl::ascii_isdigit(code[1]) &&
             absl::ascii_isdigit(code[2]) && code[3] == ' ';
  }
  return count;
}

// Request smuggling and ambiguous headers, as raw bytes (the catalogue's
// requests are all well framed): each is refused in the envelope, the
// connection closes, and neither it nor the valid click request hidden
// behind it runs.
TEST_F(HostileRequestsTest, SmuggledAndAmbiguousRequestsAreRefusedAndNeverRun) {
  const std::string click = absl::StrCat(R"({"programId":")", a_.program_id, R"(","trackingId":")",
                                         a_.tracking_id, "\"}");
  const std::string auth = "Authorization: Bearer " + a_.api_key + "\r\n";
  const std::string json = "Content-Type: application/json\r\n";
  const std::string length = absl::StrCat("Content-Length: ", click.size(), "\r\n");
  const std::string post = "POST /v1/clicks HTTP/1.1\r\nHost: x\r\n" + auth + json;
  const std::string smuggled = post + length + "\r\n" + click;
  const struct {
    std::string name;
    std::string bytes;
    int status;
    std::string code;
  } cases[] = {
      {"TE gzip", post + "Transfer-Encoding: gzip\r\n\r\n" + smuggled, 400, "VALIDATION_ERROR"},
      {"TE chunked, identity", post + "Transfer-Encoding: chunked, identity\r\n\r\n" + smuggled,
       400, "VALIDATION_ERROR"},
      {"TE identity with Content-Length 0",
       post + "Transfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n" + smuggled, 400,
       "VALIDATION_ERROR"},
      {"TE gzip, chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled,
       501, "NOT_IMPLEMENTED"},
      {"HTTP/1.0 with TE",
       "POST /v1/clicks HTTP/1.0\r\nConnection: keep-alive\r\n" + auth + json +
           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
       400, "VALIDATION_ERROR"},
      {"HTTP/1.1 without Host",
       "POST /v1/clicks HTTP/1.1\r\n" + auth + json + length + "\r\n" + click, 400,
       "VALIDATION_ERROR"},
      {"two Host", post + "Host: y\r\n" + length + "\r\n" + click, 400, "VALIDATION_ERROR"},
      {"two Authorization (tenant A, tenant B)",
       post + "Authorization: Bearer " + b_.api_key + "\r\n" + length + "\r\n" + click, 400,
       "VALIDATION_ERROR"},
      {"two equal Content-Length", post + length + length + "\r\n" + click, 400,
       "VALIDATION_ERROR"},
  };
  const std::string before = Snapshot();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string answer = RawHttp(rest_->port(), c.bytes);
    const std::string excerpt = absl::CEscape(answer.substr(0, 300));
    EXPECT_TRUE(absl::StartsWith(answer, absl::StrCat("HTTP/1.1 ", c.status, " "))) << excerpt;
    EXPECT_TRUE(absl::StrContains(
        answer, absl::StrCat(R"({"success":false,"error":{"code":")", c.code, "\"")))
        << excerpt;
    EXPECT_EQ(CountStatusLines(answer), 1) << "more than one answer: " << excerpt;
    std::printf("SMUGGLE %s -> %s\n", c.name.c_str(), answer.substr(0, answer.find('\r')).c_str());
  }
  EXPECT_EQ(Snapshot(), before) << "a refused or smuggled request ran";
  // The hidden request alone does create a click: the check above can fail.
  EXPECT_TRUE(absl::StartsWith(RawHttp(rest_->port(), smuggled), "HTTP/1.1 201 "));
  EXPECT_NE(Snapshot(), before);
}

}  // namespace
}  // namespace affonso::tests
