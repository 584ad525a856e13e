// The documented REST API end to end: real HTTP, the in-process gateway, the
// real services and PostgreSQL.
#include "common/testing/status_matchers.h"
#include "gateway/rest_gateway.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class RestE2eTest : public RestTest {
 protected:
  static Headers Auth(const storage::testing::Tenant& tenant) {
    return {{"Authorization", "Bearer " + tenant.api_key}, {"Content-Type", "application/json"}};
  }

  std::string TrackClick(const storage::testing::Tenant& tenant) {
    HttpResult click = Call("POST", "/v1/clicks",
                            R"({"programId":")" + tenant.program_id + R"(","trackingId":")" +
                                tenant.tracking_id + R"(","utmSource":"newsletter"})",
                            &tenant);
    EXPECT_EQ(click.status, 201) << click.body;
    return click.DataString("id");
  }
};

TEST_F(RestE2eTest, DocumentedSignupFlow) {
  HttpResult click =
      Call("POST", "/v1/clicks",
           R"({"programId":")" + a_.program_id + R"(","trackingId":")" + a_.tracking_id +
               R"(","sub1":"s","createdAt":"2026-01-02T03:04:05Z"})");
  ASSERT_EQ(click.status, 201) << click.body;
  EXPECT_TRUE(click.json.fields().at("success").bool_value());
  const std::string click_id = click.DataString("id");
  EXPECT_EQ(click_id.rfind("clk_", 0), 0u);
  EXPECT_EQ(click.DataString("tracking_id"), a_.tracking_id);
  EXPECT_EQ(click.DataString("program_id"), a_.program_id);
  EXPECT_EQ(click.DataString("created_at"), "2026-01-02T03:04:05Z");

  const std::string signup = R"({"click_id":")" + click_id + R"(","email":"lead@example.com"})";
  HttpResult first = Call("POST", "/v1/signups", signup);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.DataString("id"), click_id);
  EXPECT_EQ(first.DataString("status"), "lead");
  EXPECT_EQ(first.DataString("email"), "lead@example.com");
  EXPECT_EQ(first.DataString("affiliate_id"), a_.affiliate_id);
  EXPECT_EQ(first.Data().fields().count("created"), 0u);  // data is the referral alone

  HttpResult again = Call("POST", "/v1/signups", signup);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Data().DebugString(), first.Data().DebugString());

  // camelCase input works for signups too.
  HttpResult camel =
      Call("POST", "/v1/signups", R"({"clickId":")" + click_id + R"(","externalUserId":"u1"})");
  EXPECT_EQ(camel.status, 200) << camel.body;
}

TEST_F(RestE2eTest, SignupErrorsUseTheEnvelope) {
  const std::string click_id = TrackClick(a_);
  HttpResult missing = Call("POST", "/v1/signups", R"({"email":"a@example.com"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(missing.ErrorField(), "click_id");
  EXPECT_FALSE(missing.json.fields().at("success").bool_value());

  HttpResult bad_email =
      Call("POST", "/v1/signups", R"({"click_id":")" + click_id + R"(","email":"nope"})");
  EXPECT_EQ(bad_email.status, 400);
  EXPECT_EQ(bad_email.ErrorField(), "email");

  HttpResult no_key =
      Http(rest_->port(), "POST", "/v1/signups", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(no_key.status, 401);
  EXPECT_EQ(no_key.ErrorCode(), "UNAUTHORIZED");
  EXPECT_EQ(no_key.ErrorReason(), "MISSING_API_KEY");
  HttpResult bad_key =
      Http(rest_->port(), "POST", "/v1/signups", "{}",
           {{"Authorization", "Bearer sk_live_nope"}, {"Content-Type", "application/json"}});
  EXPECT_EQ(bad_key.status, 401);
  EXPECT_EQ(bad_key.ErrorCode(), "UNAUTHORIZED");
  EXPECT_EQ(bad_key.ErrorReason(), "INVALID_API_KEY");

  HttpResult other_team = Call(
      "POST", "/v1/signups", R"({"click_id":")" + click_id + R"(","email":"a@example.com"})", &b_);
  EXPECT_EQ(other_team.status, 404);
  EXPECT_EQ(other_team.ErrorCode(), "NOT_FOUND");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "0");
}

TEST_F(RestE2eTest, ReferralsEndpoints) {
  HttpResult created =
      Call("POST", "/v1/referrals",
           R"({"affiliate_id":")" + a_.affiliate_id +
               R"(","email":"d@example.com","status":"trialing","metadata":{"plan":"pro"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.DataString("id");
  EXPECT_EQ(created.DataString("status"), "trialing");
  EXPECT_FALSE(created.DataString("converted_at").empty());

  HttpResult duplicate =
      Call("POST", "/v1/referrals",
           R"({"affiliate_id":")" + a_.affiliate_id + R"(","email":"D@example.com"})");
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.ErrorCode(), "DUPLICATE_ERROR");
  EXPECT_EQ(duplicate.ErrorField(), "email");

  HttpResult got = Call("GET", "/v1/referrals/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Data().fields().at("metadata").struct_value().fields().at("plan").string_value(),
            "pro");

  HttpResult updated = Call("PUT", "/v1/referrals/" + id, R"({"status":"customer","name":"Dee"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.DataString("status"), "customer");
  EXPECT_EQ(updated.DataString("name"), "Dee");

  TrackClick(a_);
  HttpResult list = Call("GET", "/v1/referrals?limit=1&status=customer&order=asc");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json.fields().at("data").list_value().values_size(), 1);
  EXPECT_FALSE(list.json.fields().at("has_more").bool_value());

  EXPECT_EQ(Call("GET", "/v1/referrals?limit=500").ErrorField(), "limit");
  EXPECT_EQ(Call("GET", "/v1/referrals/" + id, "", &b_).status, 404);
}

TEST_F(RestE2eTest, AffiliatesEndpoints) {
  HttpResult created = Call("POST", "/v1/affiliates",
                            R"({"name":"Bo","email":"bo@example.com","program_id":")" +
                                a_.program_id + R"(","partnership_status":"approved"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.DataString("id");
  // Issue 15: the SDK's Affiliate, upper-case status, nulls sent, no expansions.
  EXPECT_EQ(created.DataString("partnership_status"), "APPROVED");
  EXPECT_FALSE(created.DataString("tracking_id").empty());
  EXPECT_EQ(created.DataString("source"), "api");
  EXPECT_EQ(created.Data().fields().at("external_user_id").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_FALSE(created.Data().fields().at("onboarding_completed").bool_value());
  for (const char* expansion : {"promoCodes", "commissionOverrides", "invoiceDetails",
                                "payoutMethod", "onboardingResponses", "expanded"}) {
    EXPECT_EQ(created.Data().fields().count(expansion), 0u) << expansion;
  }

  HttpResult list = Call("GET", "/v1/affiliates?page=1&limit=1&partnership_status=approved");
  ASSERT_EQ(list.status, 200) << list.body;
  const auto& pagination = list.json.fields().at("pagination").struct_value().fields();
  EXPECT_EQ(pagination.at("total").number_value(), 2);
  EXPECT_TRUE(pagination.at("has_next_page").bool_value());

  HttpResult expanded = Call("GET", "/v1/affiliates/" + id + "?expand=commissionOverrides");
  ASSERT_EQ(expanded.status, 200) << expanded.body;
  // Expanded and empty: [] and null, not absent.
  HttpResult all = Call("GET", "/v1/affiliates/" + id +
                                   "?expand=promoCodes,commissionOverrides,invoiceDetails,"
                                   "payoutMethod,onboardingResponses");
  ASSERT_EQ(all.status, 200) << all.body;
  const auto& fields = all.Data().fields();
  EXPECT_EQ(fields.at("promoCodes").list_value().values_size(), 0);
  EXPECT_EQ(fields.at("commissionOverrides").list_value().values_size(), 0);
  for (const char* empty : {"invoiceDetails", "payoutMethod", "onboardingResponses"}) {
    ASSERT_EQ(fields.count(empty), 1u) << empty;
    EXPECT_EQ(fields.at(empty).kind_case(), google::protobuf::Value::kNullValue) << empty;
  }
  EXPECT_EQ(fields.count("expanded"), 0u);
  HttpResult unknown = Call("GET", "/v1/affiliates/" + id + "?expand=referrals");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.ErrorField(), "expand");

  HttpResult updated = Call("PUT", "/v1/affiliates/" + id,
                            R"({"name":"Bob","status":"rejected","payout_method":"paypal",)"
                            R"("payout_details":{"email":"bob@example.com"}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.DataString("name"), "Bob");
  EXPECT_EQ(updated.DataString("email"), "bo@example.com");
  EXPECT_EQ(updated.DataString("partnership_status"), "REJECTED");
  HttpResult payout = Call("GET", "/v1/affiliates/" + id + "?expand=payoutMethod");
  ASSERT_EQ(payout.status, 200) << payout.body;
  const auto& method = payout.Data().fields().at("payoutMethod").struct_value().fields();
  EXPECT_EQ(method.at("type").string_value(), "paypal");
  EXPECT_EQ(method.at("details").struct_value().fields().at("email").string_value(),
            "bob@example.com");

  HttpResult deleted = Call("DELETE", "/v1/affiliates/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_TRUE(deleted.json.fields().at("success").bool_value());
  EXPECT_EQ(deleted.json.fields().at("message").string_value(), "affiliate deleted");
  EXPECT_EQ(deleted.json.fields().count("data"), 0u);
  EXPECT_EQ(Call("GET", "/v1/affiliates/" + id).status, 404);
}

TEST_F(RestE2eTest, ProtocolErrors) {
  HttpResult unknown = Call("GET", "/v1/nothing");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.ErrorCode(), "NOT_FOUND");

  HttpResult verb = Call("DELETE", "/v1/signups");
  EXPECT_EQ(verb.status, 405);
  EXPECT_EQ(verb.ErrorCode(), "METHOD_NOT_ALLOWED");
  EXPECT_EQ(verb.headers["allow"], "POST");

  HttpResult text = Http(rest_->port(), "POST", "/v1/signups", "click_id=x",
                         {{"Authorization", "Bearer " + a_.api_key},
                          {"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(text.ErrorCode(), "UNSUPPORTED_MEDIA_TYPE");

  for (const char* body : {"{", "[]", "{\"click_id\":}", "\xff\xfe"}) {
    HttpResult malformed = Call("POST", "/v1/signups", body);
    EXPECT_EQ(malformed.status, 400) << body;
    EXPECT_EQ(malformed.ErrorCode(), "VALIDATION_ERROR") << body;
  }

  // Percent-escapes that decode to bytes that are not UTF-8: the client's
  // mistake (400), not a request the backend fails to parse (500).
  for (const char* target : {"/v1/referrals/ref_%FF", "/v1/referrals?affiliate_id=%C3"}) {
    HttpResult bytes = Call("GET", target);
    EXPECT_EQ(bytes.status, 400) << target << " " << bytes.body;
    EXPECT_EQ(bytes.ErrorCode(), "VALIDATION_ERROR") << target;
  }

  HttpResult huge = Call("POST", "/v1/signups", std::string(100 << 10, ' '));
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(huge.ErrorCode(), "PAYLOAD_TOO_LARGE");

  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "0");
}

TEST_F(RestE2eTest, RequestIdIsEchoedOrGenerated) {
  HttpResult given = Http(rest_->port(), "GET", "/v1/referrals", "",
                          {{"Authorization", "Bearer " + a_.api_key}, {"X-Request-Id", "abc-123"}});
  EXPECT_EQ(given.headers["x-request-id"], "abc-123");
  HttpResult generated = Call("GET", "/v1/referrals");
  EXPECT_EQ(generated.headers["x-request-id"].rfind("req_", 0), 0u);
}

TEST_F(RestE2eTest, HealthReadinessAndOpenApi) {
  EXPECT_EQ(Http(rest_->port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(Http(rest_->port(), "GET", "/readyz").status, 200);
  HttpResult openapi = Http(rest_->port(), "GET", "/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  EXPECT_TRUE(openapi.json.fields().count("paths")) << openapi.body.substr(0, 200);
  server_->StopServing();
  HttpResult not_ready = Http(rest_->port(), "GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.ErrorCode(), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(Http(rest_->port(), "GET", "/healthz").status, 200);
}

// A standalone gateway whose backend is down: fail fast with the envelope.
TEST(RestBackendDownTest, AnswersServiceUnavailable) {
  gateway::RestGatewayConfig config;
  config.http.address = "127.0.0.1";
  config.http.port = 0;
  config.backend_deadline = absl::Seconds(2);
  auto rest = gateway::RestGateway::Start(
      config, grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  ASSERT_OK(rest);
  HttpResult down =
      Http((*rest)->port(), "POST", "/v1/signups", R"({"click_id":"clk_1"})",
           {{"Authorization", "Bearer sk_live_x"}, {"Content-Type", "application/json"}});
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(down.ErrorCode(), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(Http((*rest)->port(), "GET", "/readyz").status, 503);
  EXPECT_EQ(Http((*rest)->port(), "GET", "/healthz").status, 200);
  (*rest)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace affonso::tests
