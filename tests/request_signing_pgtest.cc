// Request signing end to end (docs/MONEY.md "Request signing"): real HTTP,
// the in-process gateway, the server's own verifier over the database's
// signing secrets, PostgreSQL. Signatures are made with the SDK's algorithm
// (http.ts): lower-case hex HMAC-SHA256 of "<unix seconds>.<raw body>".
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "proto/affonso/v1/conversions.grpc.pb.h"
#include "services/signing/signing_verifier.h"
#include "storage/pg_signing_secret_store.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using storage::testing::Tenant;

constexpr char kSecret[] = "ssk_0123456789abcdefghijABCDEFGHIJ";

class RequestSigningRestTest : public RestTest {
 protected:
  void SetUp() override {
    RestTest::SetUp();
    if (HasFatalFailure()) return;
    InsertSaleIncentive(a_);
    InsertSaleIncentive(b_);
    // Set before any request, so no server cache holds "no secret".
    storage::PgSigningSecretStore secrets(&db_->pool());
    ASSERT_OK(secrets.Set(a_.team_id, a_.program_id, "", kSecret));
  }

  void InsertSaleIncentive(const Tenant& tenant) {
    db_->QueryValue(absl::StrCat(
        "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, "
        "is_percentage, hold_period_days) SELECT '",
        NewId("inc"),
        "', team_id, program_id, id, 'revenue share', 'sale', 10, true, 0 "
        "FROM affiliate_groups WHERE program_id = '",
        tenant.program_id, "' AND is_default"));
  }

  std::string Body(const Tenant& tenant, const std::string& event) {
    return absl::StrCat(R"({"clickId":")", storage::testing::InsertClick(*db_, tenant),
                        R"(","sale_amount":49.99,"external_event_id":")", event, R"("})");
  }

  // The SDK's request: Authorization, JSON, and when `secret` is given the
  // two signature headers over `signed_body` at `at`; `body` is what is sent.
  HttpResult Post(const Tenant& tenant, const std::string& body, const std::string& secret,
                  absl::Time at, const std::string* signed_body = nullptr,
                  const std::string& target = "/v1/conversions") {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Authorization", "Bearer " + tenant.api_key}, {"Content-Type", "application/json"}};
    if (!secret.empty()) {
      const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(at));
      headers.emplace_back("X-Affonso-Timestamp", timestamp);
      headers.emplace_back(
          "X-Affonso-Signature",
          services::RequestSignature(secret, timestamp, signed_body ? *signed_body : body));
    }
    return Http(rest_->port(), "POST", target, body, headers);
  }

  std::string Sales(const Tenant& tenant) {
    return db_->QueryValue(
        "SELECT count(*) FROM commissions WHERE earning_type = 'sale' AND "
        "team_id = '" +
        tenant.team_id + "'");
  }

  void ExpectUnauthorized(const HttpResult& result, const std::string& reason) {
    EXPECT_EQ(result.status, 401) << result.body;
    EXPECT_EQ(result.ErrorCode(), "UNAUTHORIZED") << result.body;
    EXPECT_EQ(result.ErrorReason(), reason) << result.body;
    EXPECT_FALSE(result.json.fields().at("success").bool_value()) << result.body;
  }
};

TEST_F(RequestSigningRestTest, SignedAcceptedOthersRefusedAndNothingWritten) {
  const std::string body = Body(a_, "inv-1");
  HttpResult unsigned_call = Post(a_, body, "", absl::Now());
  ExpectUnauthorized(unsigned_call, "MISSING_SIGNATURE");
  EXPECT_FALSE(unsigned_call.json.fields()
                   .at("error")
                   .struct_value()
                   .fields()
                   .at("message")
                   .string_value()
                   .empty());
  EXPECT_EQ(Sales(a_), "0");

  ExpectUnauthorized(Post(a_, body, kSecret, absl::Now() - absl::Seconds(301)), "STALE_SIGNATURE");
  ExpectUnauthorized(Post(a_, body, kSecret, absl::Now() + absl::Seconds(400)), "STALE_SIGNATURE");
  ExpectUnauthorized(Post(a_, body, "ssk_wrong", absl::Now()), "INVALID_SIGNATURE");
  // Signed, then the amount changed on the way.
  std::string tampered = body;
  tampered.replace(tampered.find("49.99"), 5, "99.99");
  ExpectUnauthorized(Post(a_, tampered, kSecret, absl::Now(), &body), "INVALID_SIGNATURE");
  // A signed_body key in the JSON is no way around it.
  const std::string smuggled = absl::StrCat(body.substr(0, body.size() - 1),
                                            R"(,"signed_body":"ignored","signedBody":"x"})");
  ExpectUnauthorized(Post(a_, smuggled, kSecret, absl::Now(), &body), "INVALID_SIGNATURE");
  EXPECT_EQ(Sales(a_), "0") << "nothing written by a refused request";

  HttpResult signed_call = Post(a_, body, kSecret, absl::Now());
  ASSERT_EQ(signed_call.status, 201) << signed_call.body;
  EXPECT_EQ(signed_call.DataString("program_id"), a_.program_id);
  EXPECT_EQ(Sales(a_), "1");
  // Whitespace the SDK did not send is part of what is signed.
  const std::string spaced = Body(a_, "inv-2") + "\n";
  ASSERT_EQ(Post(a_, spaced, kSecret, absl::Now()).status, 201);

  // The refund is signed too.
  const std::string id = signed_call.DataString("id");
  const std::string refund = R"({"amount":10,"external_event_id":"re-1"})";
  const std::string refund_target = "/v1/conversions/" + id + "/refund";
  ExpectUnauthorized(Post(a_, refund, "", absl::Now(), nullptr, refund_target),
                     "MISSING_SIGNATURE");
  HttpResult refunded = Post(a_, refund, kSecret, absl::Now(), nullptr, refund_target);
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(refunded.DataString("sales_status"), "partial_refunded");
}

TEST_F(RequestSigningRestTest, ProgramWithoutSecretAcceptsUnsignedAndSecretsStayInTheirTeam) {
  // Team b has no secret: unsigned is fine, and team a's secret is not its.
  HttpResult unsigned_b = Post(b_, Body(b_, "inv-b1"), "", absl::Now());
  EXPECT_EQ(unsigned_b.status, 201) << unsigned_b.body;
  HttpResult signed_b = Post(b_, Body(b_, "inv-b2"), kSecret, absl::Now());
  EXPECT_EQ(signed_b.status, 201) << signed_b.body << " (signature ignored without a secret)";
  EXPECT_EQ(Sales(b_), "2");
  // Team a's program still insists.
  ExpectUnauthorized(Post(a_, Body(a_, "inv-a1"), "", absl::Now()), "MISSING_SIGNATURE");
}

// Over gRPC the caller passes the bytes it signed in signed_body and the two
// headers as metadata.
TEST_F(RequestSigningRestTest, OverGrpcWithSignedBody) {
  auto stub = affonso::v1::ConversionService::NewStub(server_->InProcessChannel());
  affonso::v1::CreateConversionRequest request;
  request.set_click_id(storage::testing::InsertClick(*db_, a_));
  request.set_sale_amount(10);
  request.set_external_event_id("grpc-1");
  request.set_signed_body("anything the caller signed");
  affonso::v1::Conversion created;
  {
    auto context = As(a_);
    grpc::Status status = stub->CreateConversion(context.get(), request, &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto context = As(a_);
    const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
    context->AddMetadata("x-affonso-timestamp", timestamp);
    context->AddMetadata("x-affonso-signature",
                         services::RequestSignature(kSecret, timestamp, request.signed_body()));
    grpc::Status status = stub->CreateConversion(context.get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(created.program_id(), a_.program_id);
}

}  // namespace
}  // namespace affonso::tests
