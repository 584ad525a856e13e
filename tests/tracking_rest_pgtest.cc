// The public half of tracking end to end: POST /v1/track and POST
// /v1/track/signup through the real gateway, TrackingService, PostgreSQL;
// the pixel settings they obey (GET/PATCH /v1/program/pixel); and the page
// and visitor metadata the gateway forwards (Origin, Referer, User-Agent,
// the client address), set here on the in-process channel as the gateway
// sets it.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "common/wire_metadata.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/tracking.grpc.pb.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using ::affonso::matchers::StatusIs;
using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kChrome[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0";

int64_t AsInt(const std::string& text) {
  int64_t value = -1;
  return absl::SimpleAtoi(text, &value) ? value : -1;
}

std::string Text(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? "" : it->second.string_value();
}

bool IsNull(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it != object.fields().end() && it->second.kind_case() == Value::kNullValue;
}

class TrackingRestTest : public RestTest {
 protected:
  // A public call as a browser makes it: no key of the program's team. (Until
  // the gateway reads no Authorization header for these routes, it wants one
  // of valid syntax on every route: team B's, which the service ignores; a
  // key changes nothing here, as the tenant-isolation cases show.)
  HttpResult Public(const std::string& target, const std::string& body) {
    return Http(rest_->port(), "POST", target, body,
                {{"Authorization", "Bearer " + b_.api_key}, {"Content-Type", "application/json"}});
  }
  HttpResult Track(const std::string& body) { return Public("/v1/track", body); }
  // A's program and affiliate, with `extra` JSON members.
  std::string Body(const std::string& extra = "",
                   const storage::testing::Tenant* tenant = nullptr) {
    const storage::testing::Tenant& t = tenant ? *tenant : a_;
    return absl::StrCat(R"({"programId":")", t.program_id, R"(","trackingId":")", t.tracking_id,
                        R"(")", extra.empty() ? "" : ",", extra, "}");
  }

  std::string Clicks() { return db_->QueryValue("SELECT count(*) FROM clicks"); }
  std::string ClickColumn(const std::string& id, const std::string& expression) {
    return db_->QueryValue(
        absl::StrCat("SELECT ", expression, " FROM clicks WHERE id = '", id, "'"));
  }

  // The same call on the in-process channel, with the metadata the gateway
  // forwards: what a browser on `origin` with `user_agent` at `address` sends.
  grpc::Status TrackOverGrpc(const affonso::v1::TrackRequest& request,
                             affonso::v1::TrackingResult* result, const std::string& origin,
                             const std::string& user_agent = kChrome,
                             const std::string& address = "198.51.100.20",
                             const std::string& referer = "") {
    context_ = std::make_unique<grpc::ClientContext>();
    context_->AddMetadata(kClientAddressKey, address);
    if (!origin.empty()) context_->AddMetadata(kOriginKey, origin);
    if (!referer.empty()) context_->AddMetadata(kRefererKey, referer);
    if (!user_agent.empty()) context_->AddMetadata(kUserAgentKey, user_agent);
    return affonso::v1::TrackingService::NewStub(server_->InProcessChannel())
        ->Track(context_.get(), request, result);
  }
  affonso::v1::TrackRequest Request(const storage::testing::Tenant& tenant) {
    affonso::v1::TrackRequest request;
    request.set_program_id(tenant.program_id);
    request.set_tracking_id(tenant.tracking_id);
    return request;
  }
  std::string GrpcTrailer(const std::string& key) {
    return MetadataValue(context_->GetServerTrailingMetadata(), key);
  }

  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(TrackingRestTest, AClickIsRecordedAndTheSameVisitorGetsItBack) {
  HttpResult first = Track(Body(R"("userAgent":"Visitor/1","utmSource":"newsletter","sub1":"s")"));
  ASSERT_EQ(first.status, 200) << first.body;
  // The SDK's TrackingResult is the whole body.
  EXPECT_EQ(first.json.fields().count("success"), 0u) << first.body;
  const std::string cid = Text(first.json, "cid");
  EXPECT_EQ(cid.rfind("clk_", 0), 0u) << first.body;
  EXPECT_EQ(Text(first.json, "status"), "tracked");
  EXPECT_EQ(first.json.fields().count("message"), 0u);
  EXPECT_EQ(first.json.fields().count("resolved_query_params"), 0u);
  EXPECT_FALSE(first.json.fields().at("append_affonso_id_enabled").bool_value());
  const Struct& data = first.json.fields().at("data").struct_value();
  EXPECT_TRUE(IsNull(data, "discount")) << first.body;
  EXPECT_EQ(data.fields().at("affiliateCoupons").list_value().values_size(), 0);
  // The visitor as stored: the gateway's client address, the request's
  // user agent, the salted hash.
  EXPECT_EQ(
      ClickColumn(cid,
                  "ip || '/' || user_agent || '/' || utm_source || '/' || sub1 || '/' || "
                  "affiliate_id || '/' || team_id || '/' || has_consent::text"),
      absl::StrCat("127.0.0.1/Visitor/1/newsletter/s/", a_.affiliate_id, "/", a_.team_id, "/true"));
  EXPECT_EQ(ClickColumn(cid, "length(visitor_hash)"), "64");

  // The same visitor (snake_case this time) within the window: the same
  // click, no new row.
  HttpResult again = Track(absl::StrCat(R"({"program_id":")", a_.program_id, R"(","tracking_id":")",
                                        a_.tracking_id, R"(","user_agent":"Visitor/1"})"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Text(again.json, "cid"), cid);
  EXPECT_EQ(Text(again.json, "status"), "duplicate");
  EXPECT_EQ(Clicks(), "1");

  // Another user agent is another visitor.
  HttpResult other = Track(Body(R"("userAgent":"Visitor/2")"));
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_NE(Text(other.json, "cid"), cid);
  EXPECT_EQ(Text(other.json, "status"), "tracked");
  EXPECT_EQ(Clicks(), "2");
}

TEST_F(TrackingRestTest, PixelSettingsReadPatchAndAWindowOfZero) {
  HttpResult got = Call("GET", "/v1/program/pixel");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.Data().fields().at("allowed_domains").list_value().values_size(), 0);
  EXPECT_EQ(got.Data().fields().at("click_dedup_window_seconds").number_value(), 3600);
  EXPECT_EQ(got.DataString("program_id"), a_.program_id);
  EXPECT_FALSE(got.Data().fields().at("browser_external_user_id").bool_value()) << got.body;

  HttpResult bad = Call("PATCH", "/v1/program/pixel", R"({"allowedDomains":["https://x.test"]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(bad.ErrorField(), "allowed_domains");
  bad = Call("PATCH", "/v1/program/pixel", R"({"clickDedupWindowSeconds":2592001})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.ErrorField(), "click_dedup_window_seconds");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM program_pixel_settings"), "0");

  HttpResult patched = Call("PATCH", "/v1/program/pixel", R"({"clickDedupWindowSeconds":0})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Data().fields().at("click_dedup_window_seconds").number_value(), 0);
  EXPECT_EQ(patched.Data().fields().at("allowed_domains").list_value().values_size(), 0);

  // Every call of the same visitor is a click of its own now.
  HttpResult first = Track(Body(R"("userAgent":"Visitor/1")"));
  HttpResult second = Track(Body(R"("userAgent":"Visitor/1")"));
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_NE(Text(first.json, "cid"), Text(second.json, "cid"));
  EXPECT_EQ(Text(second.json, "status"), "tracked");
  EXPECT_EQ(Clicks(), "2");

  // Team B cannot read or change A's.
  EXPECT_EQ(Call("GET", "/v1/program/pixel?program_id=" + a_.program_id, "", &b_).status, 404);
  EXPECT_EQ(Call("PATCH", "/v1/program/pixel?program_id=" + a_.program_id,
                 R"({"clickDedupWindowSeconds":60})", &b_)
                .status,
            404);
  EXPECT_EQ(Call("GET", "/v1/program/pixel")
                .Data()
                .fields()
                .at("click_dedup_window_seconds")
                .number_value(),
            0);
}

TEST_F(TrackingRestTest, ConsentGivenLaterUpgradesTheClick) {
  HttpResult anonymous = Track(Body(R"("userAgent":"Visitor/1","hasConsent":false)"));
  ASSERT_EQ(anonymous.status, 200) << anonymous.body;
  const std::string cid = Text(anonymous.json, "cid");
  EXPECT_EQ(ClickColumn(cid, "ip IS NULL AND user_agent IS NULL AND NOT has_consent"), "t");
  EXPECT_EQ(ClickColumn(cid, "length(visitor_hash)"), "64");

  const std::string upgrade =
      absl::StrCat(R"({"programId":")", a_.program_id, R"(","upgradeClickId":")", cid,
                   R"(","hasConsent":true,"userAgent":"Visitor/1"})");
  for (int i = 0; i < 2; ++i) {  // idempotent
    HttpResult upgraded = Track(upgrade);
    ASSERT_EQ(upgraded.status, 200) << upgraded.body;
    EXPECT_EQ(Text(upgraded.json, "cid"), cid);
    EXPECT_EQ(Text(upgraded.json, "status"), "upgraded");
  }
  EXPECT_EQ(ClickColumn(cid, "ip || '/' || user_agent || '/' || has_consent::text"),
            "127.0.0.1/Visitor/1/true");
  EXPECT_EQ(Clicks(), "1");

  // Consent cannot be taken back by an upgrade, and an unknown click is 404.
  HttpResult refused =
      Track(absl::StrCat(R"({"programId":")", a_.program_id, R"(","upgradeClickId":")", cid,
                         R"(","hasConsent":false})"));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.ErrorField(), "upgrade_click_id");
  HttpResult unknown =
      Track(absl::StrCat(R"({"programId":")", a_.program_id, R"(","upgradeClickId":")",
                         NewId("clk"), R"(","hasConsent":true})"));
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Clicks(), "1");
}

TEST_F(TrackingRestTest, BotsAndNoTrackAreAnsweredButRecordNothing) {
  for (const std::string& extra :
       {std::string(R"json("userAgent":"Mozilla/5.0 (compatible; Googlebot/2.1)")json"),
        std::string(R"("userAgent":"facebookexternalhit/1.1")"),
        std::string(R"("userAgent":"Visitor/1","noTrack":true)")}) {
    HttpResult result = Track(Body(extra));
    ASSERT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(Text(result.json, "cid"), "") << result.body;
    EXPECT_EQ(Text(result.json, "status"), "ignored");
    EXPECT_FALSE(Text(result.json, "message").empty());
  }
  // The forwarded User-Agent counts when the request names none.
  affonso::v1::TrackingResult result;
  ASSERT_OK(TrackOverGrpc(Request(a_), &result, "", "Mozilla/5.0 HeadlessChrome/120.0"));
  EXPECT_EQ(result.status(), "ignored");
  EXPECT_EQ(Clicks(), "0");
}

TEST_F(TrackingRestTest, OnlyTheProgramsAllowedSitesMayTrack) {
  HttpResult patched = Call("PATCH", "/v1/program/pixel",
                            R"({"allowedDomains":["Shop.Example.com","*.example.org"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Data().fields().at("allowed_domains").list_value().values(0).string_value(),
            "shop.example.com");

  affonso::v1::TrackingResult result;
  for (const char* origin : {"https://evil.test", "https://shop.example.com.evil.test", "null"}) {
    EXPECT_THAT(TrackOverGrpc(Request(a_), &result, origin),
                StatusIs(grpc::StatusCode::PERMISSION_DENIED))
        << origin;
    EXPECT_EQ(GrpcTrailer(kErrorCodeKey), "ORIGIN_NOT_ALLOWED");
  }
  // No Origin: the Referer's host is the page's.
  EXPECT_THAT(TrackOverGrpc(Request(a_), &result, "", kChrome, "198.51.100.20",
                            "https://evil.test/landing?via=x"),
              StatusIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(Clicks(), "0");

  ASSERT_OK(TrackOverGrpc(Request(a_), &result, "https://shop.example.com"));
  EXPECT_EQ(result.status(), "tracked");
  // The visitor is the forwarded address and user agent.
  EXPECT_EQ(ClickColumn(result.cid(), "ip || '/' || user_agent"),
            absl::StrCat("198.51.100.20/", kChrome));
  ASSERT_OK(TrackOverGrpc(Request(a_), &result, "https://www.example.org", "Visitor/9"));
  ASSERT_OK(TrackOverGrpc(Request(a_), &result, "", "Visitor/8", "198.51.100.20",
                          "https://blog.example.org/post"));
  // A server-side caller names no page.
  HttpResult server_side = Track(Body(R"("userAgent":"Visitor/7")"));
  ASSERT_EQ(server_side.status, 200) << server_side.body;
  EXPECT_EQ(Clicks(), "4");

  // The browser signup is judged alike.
  affonso::v1::BrowserSignupRequest signup;
  signup.set_program_id(a_.program_id);
  signup.set_click_id(result.cid());
  signup.set_email("lead@example.com");
  affonso::v1::BrowserSignupResult converted;
  grpc::ClientContext context;
  context.AddMetadata(kOriginKey, "https://evil.test");
  EXPECT_THAT(affonso::v1::TrackingService::NewStub(server_->InProcessChannel())
                  ->BrowserSignup(&context, signup, &converted),
              StatusIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "0");
}

TEST_F(TrackingRestTest, UnknownProgramsPendingAffiliatesAndBadInputRecordNothing) {
  HttpResult unknown = Track(R"({"programId":"prg_doesnotexist0000000000","trackingId":"anyone"})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.ErrorCode(), "NOT_FOUND");
  HttpResult not_an_id = Track(R"({"programId":"affonso","trackingId":"anyone"})");
  EXPECT_EQ(not_an_id.status, 404) << not_an_id.body;

  db_->QueryValue(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status) VALUES ('",
                   NewId("aff"), "', '", a_.team_id, "', '", a_.program_id,
                   "', 'Pat', 'pat@affiliate.test', 'pending-pat', 'pending')"));
  HttpResult pending =
      Track(absl::StrCat(R"({"programId":")", a_.program_id, R"(","trackingId":"pending-pat"})"));
  EXPECT_EQ(pending.status, 404) << pending.body;
  EXPECT_EQ(pending.ErrorCode(), "NOT_FOUND");

  HttpResult oversized = Track(Body(absl::StrCat(R"("referrer":")", std::string(2001, 'r'), "\"")));
  EXPECT_EQ(oversized.status, 400) << oversized.body;
  EXPECT_EQ(oversized.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(oversized.ErrorField(), "referrer");
  HttpResult long_sub = Track(Body(absl::StrCat(R"("sub3":")", std::string(256, 's'), "\"")));
  EXPECT_EQ(long_sub.ErrorField(), "sub3") << long_sub.body;
  HttpResult nothing = Track(absl::StrCat(R"({"programId":")", a_.program_id, R"("})"));
  EXPECT_EQ(nothing.status, 400) << nothing.body;
  EXPECT_EQ(nothing.ErrorField(), "tracking_id");
  EXPECT_EQ(Clicks(), "0");
}

TEST_F(TrackingRestTest, TheLandingQueryNamesTheAffiliateByTheProgramsParameters) {
  HttpResult tracking =
      Call("PATCH", "/v1/program/tracking", R"({"enabled_referral_parameters":["ref"]})");
  ASSERT_EQ(tracking.status, 200) << tracking.body;

  HttpResult via = Track(absl::StrCat(
      R"({"programId":")", a_.program_id, R"(","userAgent":"Visitor/1","landingQuery":"?via=)",
      a_.tracking_id, R"(&utm_source=news%20letter&gclid=g-1&ScCid=sc"})"));
  ASSERT_EQ(via.status, 200) << via.body;
  EXPECT_EQ(Text(via.json, "status"), "tracked");
  const Struct& used = via.json.fields().at("resolved_query_params").struct_value();
  EXPECT_EQ(Text(used, "via"), a_.tracking_id) << via.body;
  EXPECT_EQ(Text(used, "utm_source"), "news letter");
  EXPECT_EQ(Text(used, "gclid"), "g-1");
  EXPECT_EQ(Text(used, "ScCid"), "sc");
  const std::string cid = Text(via.json, "cid");
  EXPECT_EQ(ClickColumn(cid,
                        "affiliate_id || '/' || utm_source || '/' || gclid || '/' || "
                        "(ad_click_ids->>'sc_cid')"),
            absl::StrCat(a_.affiliate_id, "/news letter/g-1/sc"));

  // The program's other enabled parameter names the affiliate too.
  HttpResult ref = Track(absl::StrCat(R"({"programId":")", a_.program_id,
                                      R"(","userAgent":"Visitor/2","landingQuery":"ref=)",
                                      a_.tracking_id, R"("})"));
  ASSERT_EQ(ref.status, 200) << ref.body;
  EXPECT_EQ(Text(ref.json.fields().at("resolved_query_params").struct_value(), "ref"),
            a_.tracking_id);
  EXPECT_EQ(ClickColumn(Text(ref.json, "cid"), "affiliate_id"), a_.affiliate_id);

  // A parameter the program does not use is no referral: nothing recorded.
  HttpResult none = Track(absl::StrCat(R"({"programId":")", a_.program_id,
                                       R"(","landingQuery":"aff=)", a_.tracking_id, R"("})"));
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(Text(none.json, "status"), "ignored");
  EXPECT_EQ(Text(none.json, "cid"), "");
  EXPECT_EQ(Clicks(), "2");
}

TEST_F(TrackingRestTest, TheAffiliatesCouponsComeBack) {
  const std::string coupons[] = {
      R"("code":"ALICE10","discount_type":"percentage","discount_value":10,"duration":"forever")",
      R"("code":"ALICE5","discount_type":"fixed","discount_value":5.5,"currency":"EUR",)"
      R"("duration":"repeating","duration_in_months":3)",
  };
  for (const std::string& coupon : coupons) {
    HttpResult created =
        Call("POST", "/v1/coupons",
             absl::StrCat(R"({"affiliate_id":")", a_.affiliate_id, R"(",)", coupon, "}"));
    ASSERT_EQ(created.status, 201) << created.body;
  }
  HttpResult result = Track(Body(R"("userAgent":"Visitor/1")"));
  ASSERT_EQ(result.status, 200) << result.body;
  const Struct& data = result.json.fields().at("data").struct_value();
  const Struct& discount = data.fields().at("discount").struct_value();
  EXPECT_EQ(Text(discount, "promoCode"), "ALICE10") << result.body;
  EXPECT_EQ(discount.fields().at("amount").number_value(), 10);
  EXPECT_EQ(Text(discount, "type"), "percentage");
  EXPECT_TRUE(IsNull(discount, "maxDuration"));
  EXPECT_TRUE(IsNull(discount, "couponId"));
  const auto& all = data.fields().at("affiliateCoupons").list_value().values();
  ASSERT_EQ(all.size(), 2);
  const Struct& second = all[1].struct_value();
  EXPECT_EQ(Text(second, "promoCode"), "ALICE5");
  EXPECT_EQ(Text(second, "type"), "fixed");
  EXPECT_EQ(second.fields().at("amount").number_value(), 5.5);
  EXPECT_EQ(Text(second, "maxDuration"), "3 months");
}

TEST_F(TrackingRestTest, TheBrowserSignupConvertsOnlyTheProgramsOwnClick) {
  const std::string cid = Text(Track(Body(R"("userAgent":"Visitor/1")")).json, "cid");
  ASSERT_FALSE(cid.empty());
  const std::string signup = absl::StrCat(R"({"programId":")", a_.program_id, R"(","clickId":")",
                                          cid, R"(","email":"lead@example.com","name":"Lee"})");
  HttpResult created = Public("/v1/track/signup", signup);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.DataString("id"), cid);
  EXPECT_EQ(created.DataString("status"), "lead");
  EXPECT_TRUE(created.Data().fields().at("created").bool_value());
  // Exactly what a browser may see of its signup.
  EXPECT_EQ(created.Data().fields().size(), 3u) << created.body;

  // A lead of the team's, listed with its click's id.
  HttpResult listed = Call("GET", "/v1/referrals");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto& referrals = listed.json.fields().at("data").list_value().values();
  ASSERT_EQ(referrals.size(), 1) << listed.body;
  EXPECT_EQ(Text(referrals[0].struct_value(), "id"), cid);
  EXPECT_EQ(Text(referrals[0].struct_value(), "email"), "lead@example.com");
  EXPECT_EQ(Text(referrals[0].struct_value(), "status"), "lead");

  HttpResult repeat = Public("/v1/track/signup", signup);
  ASSERT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_EQ(repeat.DataString("id"), cid);
  EXPECT_FALSE(repeat.Data().fields().at("created").bool_value());
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");

  // A click of the team's other program: 404, and it stays a click.
  const std::string second_program = NewId("prg");
  db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", second_program,
                               "', '", a_.team_id, "', 'second')"));
  db_->QueryValue(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status) VALUES ('",
                   NewId("aff"), "', '", a_.team_id, "', '", second_program,
                   "', 'Sam', 'sam@affiliate.test', 'sam', 'approved')"));
  // Before its first public call (programs are cached): the second program
  // takes external user ids from browsers.
  HttpResult opted_in = Call("PATCH", "/v1/program/pixel?program_id=" + second_program,
                             R"({"browserExternalUserId":true})");
  ASSERT_EQ(opted_in.status, 200) << opted_in.body;
  EXPECT_TRUE(opted_in.Data().fields().at("browser_external_user_id").bool_value());
  EXPECT_EQ(Call("GET", "/v1/program/pixel?program_id=" + second_program)
                .Data()
                .fields()
                .at("browser_external_user_id")
                .bool_value(),
            true);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM program_pixel_settings WHERE program_id = '" +
                            a_.program_id + "' AND browser_external_user_id"),
            "0");
  HttpResult second_click = Track(absl::StrCat(R"({"programId":")", second_program,
                                               R"(","trackingId":"sam","userAgent":"V/1"})"));
  ASSERT_EQ(second_click.status, 200) << second_click.body;
  const std::string other_cid = Text(second_click.json, "cid");
  HttpResult crossed = Public("/v1/track/signup",
                              absl::StrCat(R"({"programId":")", a_.program_id, R"(","clickId":")",
                                           other_cid, R"(","email":"x@example.com"})"));
  EXPECT_EQ(crossed.status, 404) << crossed.body;
  EXPECT_EQ(crossed.ErrorCode(), "NOT_FOUND");

  // Team B's click named with A's program: 404, unconverted.
  HttpResult b_click = Track(Body(R"("userAgent":"V/1")", &b_));
  ASSERT_EQ(b_click.status, 200) << b_click.body;
  const std::string b_cid = Text(b_click.json, "cid");
  HttpResult foreign = Public("/v1/track/signup",
                              absl::StrCat(R"({"programId":")", a_.program_id, R"(","clickId":")",
                                           b_cid, R"(","email":"x@example.com"})"));
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");

  // Its own program converts it, for its own team.
  HttpResult own = Public("/v1/track/signup",
                          absl::StrCat(R"({"programId":")", second_program, R"(","clickId":")",
                                       other_cid, R"(","externalUserId":"user-7"})"));
  ASSERT_EQ(own.status, 201) << own.body;
  EXPECT_EQ(db_->QueryValue("SELECT team_id || '/' || program_id || '/' || external_user_id "
                            "FROM referrals WHERE id = '" +
                            other_cid + "'"),
            absl::StrCat(a_.team_id, "/", second_program, "/user-7"));

  // A's program has not opted in: a browser's external user id is dropped
  // (sales are attributed by it, so a page could claim guessable ones), and
  // alone it converts nothing.
  const std::string fresh = Text(Track(Body(R"("userAgent":"Visitor/9")")).json, "cid");
  ASSERT_FALSE(fresh.empty());
  HttpResult id_only = Public("/v1/track/signup",
                              absl::StrCat(R"({"programId":")", a_.program_id, R"(","clickId":")",
                                           fresh, R"(","externalUserId":"user-8"})"));
  EXPECT_EQ(id_only.status, 400) << id_only.body;
  EXPECT_EQ(id_only.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(id_only.ErrorField(), "email");
  EXPECT_NE(id_only.body.find("only from its backend (POST /v1/signups)"), std::string::npos)
      << id_only.body;
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals WHERE id = '" + fresh + "'"), "0");
  HttpResult with_email =
      Public("/v1/track/signup",
             absl::StrCat(R"({"programId":")", a_.program_id, R"(","clickId":")", fresh,
                          R"(","email":"nine@example.com","externalUserId":"user-8"})"));
  ASSERT_EQ(with_email.status, 201) << with_email.body;
  EXPECT_EQ(db_->QueryValue("SELECT email || '/' || coalesce(external_user_id, 'NULL') FROM "
                            "referrals WHERE id = '" +
                            fresh + "'"),
            "nine@example.com/NULL");

  HttpResult invalid = Public("/v1/track/signup", absl::StrCat(R"({"programId":")", a_.program_id,
                                                               R"(","clickId":")", cid, R"("})"));
  EXPECT_EQ(invalid.status, 400) << invalid.body;
  EXPECT_EQ(invalid.ErrorField(), "email");
}

TEST_F(TrackingRestTest, APublicIdOfOneTeamNeverReachesAnothersData) {
  const std::string a_cid =
      Text(Track(Body(R"("userAgent":"V/1","hasConsent":false)")).json, "cid");
  ASSERT_FALSE(a_cid.empty());
  const std::string a_before = db_->QueryValue(
      "SELECT string_agg(id || coalesce(ip, '-') || has_consent::text, ',' ORDER BY id) "
      "FROM clicks WHERE team_id = '" +
      a_.team_id + "'");
  // B's program with A's affiliate, A's program with B's affiliate, B's
  // program upgrading A's click.
  HttpResult crossed = Track(absl::StrCat(R"({"programId":")", b_.program_id, R"(","trackingId":")",
                                          a_.tracking_id, R"("})"));
  EXPECT_EQ(crossed.status, 404) << crossed.body;
  crossed = Track(absl::StrCat(R"({"programId":")", a_.program_id, R"(","trackingId":")",
                               b_.tracking_id, R"("})"));
  EXPECT_EQ(crossed.status, 404) << crossed.body;
  crossed = Track(absl::StrCat(R"({"programId":")", b_.program_id, R"(","upgradeClickId":")", a_cid,
                               R"(","hasConsent":true})"));
  EXPECT_EQ(crossed.status, 404) << crossed.body;
  crossed = Track(absl::StrCat(R"({"programId":")", b_.program_id, R"(","landingQuery":"via=)",
                               a_.tracking_id, R"("})"));
  EXPECT_EQ(crossed.status, 404) << crossed.body;
  EXPECT_EQ(db_->QueryValue(
                "SELECT string_agg(id || coalesce(ip, '-') || has_consent::text, ',' ORDER BY "
                "id) FROM clicks WHERE team_id = '" +
                a_.team_id + "'"),
            a_before);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM clicks WHERE team_id = '" + b_.team_id + "'"),
            "0");
  // B's own program, with B's affiliate, records B's click only.
  HttpResult own = Track(Body(R"("userAgent":"V/1")", &b_));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(ClickColumn(Text(own.json, "cid"), "team_id || '/' || program_id"),
            absl::StrCat(b_.team_id, "/", b_.program_id));
  // A's pixel settings are not B's: A's narrowing changes nothing for B.
  ASSERT_EQ(Call("PATCH", "/v1/program/pixel", R"({"allowedDomains":["a.example"]})").status, 200);
  affonso::v1::TrackingResult result;
  ASSERT_OK(TrackOverGrpc(Request(b_), &result, "https://b.example"));
}

class PublicRateLimitRestTest : public TrackingRestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.public_rate_limit_per_ip_per_minute = 3;  // one token back every 20 s
    config.public_rate_limit_per_ip_per_second = 0;
  }
};

TEST_F(PublicRateLimitRestTest, AnAddressOverItsLimitIsRefusedWithWhenToRetry) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (int expected_remaining : {2, 1, 0}) {
    HttpResult result = Track(Body(R"("userAgent":"Visitor/1")"));
    ASSERT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(result.headers["x-ratelimit-limit"], "3");
    EXPECT_EQ(AsInt(result.headers["x-ratelimit-remaining"]), expected_remaining);
    EXPECT_GE(AsInt(result.headers["x-ratelimit-reset"]), now + 19);
    EXPECT_LE(AsInt(result.headers["x-ratelimit-reset"]), now + 62);
    EXPECT_EQ(result.headers.count("retry-after"), 0u);
  }
  const std::string clicks = Clicks();
  HttpResult refused = Track(Body(R"("userAgent":"Visitor/2")"));
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.ErrorCode(), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(refused.headers["x-ratelimit-limit"], "3");
  EXPECT_EQ(refused.headers["x-ratelimit-remaining"], "0");
  const int64_t retry_after = AsInt(refused.headers["retry-after"]);
  EXPECT_GE(retry_after, 19);
  EXPECT_LE(retry_after, 20);
  const int64_t refused_at = absl::ToUnixSeconds(absl::Now());
  EXPECT_GE(AsInt(refused.headers["x-ratelimit-reset"]), refused_at + retry_after - 1);
  EXPECT_LE(AsInt(refused.headers["x-ratelimit-reset"]), refused_at + retry_after + 1);
  const auto& error = refused.json.fields().at("error").struct_value().fields();
  ASSERT_TRUE(error.count("retryAfter")) << refused.body;
  EXPECT_EQ(static_cast<int64_t>(error.at("retryAfter").number_value()), retry_after);
  // The signup shares the address's budget.
  HttpResult signup =
      Public("/v1/track/signup", absl::StrCat(R"({"programId":")", a_.program_id,
                                              R"(","clickId":"clk_x","email":"x@example.com"})"));
  EXPECT_EQ(signup.status, 429) << signup.body;
  EXPECT_EQ(Clicks(), clicks);

  // Another address has a budget of its own.
  affonso::v1::TrackingResult result;
  ASSERT_OK(TrackOverGrpc(Request(a_), &result, "", kChrome, "198.51.100.77"));
  EXPECT_EQ(MetadataValue(context_->GetServerInitialMetadata(), kRateLimitRemainingKey), "2");
}

}  // namespace
}  // namespace affonso::tests
