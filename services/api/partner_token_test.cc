#include "services/api/partner_token.h"

#include <string>

#include "absl/strings/match.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

PartnerTokenSigner Signer(const std::string& secret = std::string(32, 'k')) {
  auto signer = PartnerTokenSigner::Create(secret);
  EXPECT_OK(signer);
  return *std::move(signer);
}

PartnerTokenClaims Claims(PartnerTokenPurpose purpose = PartnerTokenPurpose::kPortal) {
  PartnerTokenClaims claims;
  claims.purpose = purpose;
  claims.team_id = "team_abc123";
  claims.token_id = "ptk_XYZ789";
  claims.expires_at_unix = absl::ToUnixSeconds(kNow) + 900;
  return claims;
}

std::string Reason(const absl::Status& status) { return ApiErrorCode(status); }

TEST(PartnerTokenTest, SignedTokenVerifiesWithItsClaims) {
  const PartnerTokenSigner signer = Signer();
  const std::string token = signer.Sign(Claims());
  EXPECT_TRUE(absl::StartsWith(token, "afpt_team_abc123.ptk_XYZ789.")) << token;
  ASSERT_OK_AND_ASSIGN(PartnerTokenClaims claims,
                       signer.Verify(token, PartnerTokenPurpose::kPortal, kNow));
  EXPECT_EQ(claims.team_id, "team_abc123");
  EXPECT_EQ(claims.token_id, "ptk_XYZ789");
  EXPECT_EQ(claims.expires_at_unix, absl::ToUnixSeconds(kNow) + 900);
  EXPECT_EQ(claims.purpose, PartnerTokenPurpose::kPortal);
  const std::string embed = signer.Sign(Claims(PartnerTokenPurpose::kEmbed));
  EXPECT_TRUE(absl::StartsWith(embed, "afet_")) << embed;
  EXPECT_OK(signer.Verify(embed, PartnerTokenPurpose::kEmbed, kNow));
}

TEST(PartnerTokenTest, ChangingAnyByteGrantsNothing) {
  const PartnerTokenSigner signer = Signer();
  const std::string token = signer.Sign(Claims());
  for (size_t i = 0; i < token.size(); ++i) {
    for (char replacement : {'A', '0', '.', '_', '-'}) {
      if (token[i] == replacement) continue;
      std::string tampered = token;
      tampered[i] = replacement;
      const auto verified = signer.Verify(tampered, PartnerTokenPurpose::kPortal, kNow);
      ASSERT_THAT(verified.status(), StatusIs(absl::StatusCode::kUnauthenticated))
          << "byte " << i << " -> " << replacement;
      EXPECT_EQ(Reason(verified.status()), api_code::kInvalidToken) << "byte " << i;
    }
  }
  // Cut short, extended, or doubled.
  for (const std::string& altered :
       {token.substr(0, token.size() - 1), token + "A", token + "=", token + token, "." + token}) {
    EXPECT_EQ(Reason(signer.Verify(altered, PartnerTokenPurpose::kPortal, kNow).status()),
              api_code::kInvalidToken)
        << altered;
  }
}

TEST(PartnerTokenTest, RelabellingTheKindBreaksTheSignature) {
  const PartnerTokenSigner signer = Signer();
  std::string token = signer.Sign(Claims(PartnerTokenPurpose::kPortal));
  token.replace(0, 4, "afet");
  EXPECT_EQ(Reason(signer.Verify(token, PartnerTokenPurpose::kEmbed, kNow).status()),
            api_code::kInvalidToken);
}

TEST(PartnerTokenTest, OneKindIsNeverTheOther) {
  const PartnerTokenSigner signer = Signer();
  const auto portal_as_embed = signer.Verify(signer.Sign(Claims(PartnerTokenPurpose::kPortal)),
                                             PartnerTokenPurpose::kEmbed, kNow);
  EXPECT_THAT(portal_as_embed.status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(Reason(portal_as_embed.status()), api_code::kWrongTokenPurpose);
  const auto embed_as_portal = signer.Verify(signer.Sign(Claims(PartnerTokenPurpose::kEmbed)),
                                             PartnerTokenPurpose::kPortal, kNow);
  EXPECT_EQ(Reason(embed_as_portal.status()), api_code::kWrongTokenPurpose);
}

TEST(PartnerTokenTest, ExpiredAtItsExpiry) {
  const PartnerTokenSigner signer = Signer();
  const std::string token = signer.Sign(Claims());
  EXPECT_OK(signer.Verify(token, PartnerTokenPurpose::kPortal, kNow + absl::Seconds(899)));
  for (absl::Duration later : {absl::Seconds(900), absl::Seconds(901), absl::Hours(24)}) {
    const auto verified = signer.Verify(token, PartnerTokenPurpose::kPortal, kNow + later);
    EXPECT_THAT(verified.status(), StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_EQ(Reason(verified.status()), api_code::kTokenExpired);
  }
}

TEST(PartnerTokenTest, AnotherSecretsTokenIsInvalid) {
  const std::string token = Signer(std::string(32, 'a')).Sign(Claims());
  EXPECT_EQ(
      Reason(
          Signer(std::string(32, 'b')).Verify(token, PartnerTokenPurpose::kPortal, kNow).status()),
      api_code::kInvalidToken);
  const PartnerTokenSigner random = PartnerTokenSigner::WithRandomSecret();
  EXPECT_EQ(Reason(random.Verify(token, PartnerTokenPurpose::kPortal, kNow).status()),
            api_code::kInvalidToken);
  EXPECT_OK(random.Verify(random.Sign(Claims()), PartnerTokenPurpose::kPortal, kNow));
}

TEST(PartnerTokenTest, EmptyApiKeyAndGarbageAreRefused) {
  const PartnerTokenSigner signer = Signer();
  EXPECT_EQ(Reason(signer.Verify("", PartnerTokenPurpose::kPortal, kNow).status()),
            api_code::kMissingToken);
  for (const char* garbage : {"sk_live_0123456789abcdefghijklmnopqrstuv", "Bearer x", "afpt_",
                              "a.b.c.d", "....", "afpt_team.ptk.1.", "\xff\xfe"}) {
    const auto verified = signer.Verify(garbage, PartnerTokenPurpose::kPortal, kNow);
    EXPECT_EQ(Reason(verified.status()), api_code::kInvalidToken) << garbage;
    EXPECT_FALSE(absl::StrContains(verified.status().message(), garbage)) << garbage;
  }
  EXPECT_EQ(
      Reason(signer.Verify(std::string(10000, 'a'), PartnerTokenPurpose::kPortal, kNow).status()),
      api_code::kInvalidToken);
}

TEST(PartnerTokenTest, ShortSecretsAreRefused) {
  EXPECT_THAT(PartnerTokenSigner::Create(std::string(31, 'k')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace affonso::services
