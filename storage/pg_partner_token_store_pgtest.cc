#include "storage/pg_partner_token_store.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::IsOkAndHolds;
using ::affonso::matchers::StatusIs;

class PgPartnerTokenStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgPartnerTokenStore>(&db_->pool());
  }

  int64_t InAnHour() const { return absl::ToUnixMicros(absl::Now() + absl::Hours(1)); }

  std::unique_ptr<PgPartnerTokenStore> store_;
};

TEST_F(PgPartnerTokenStoreTest, IssuesAndResolvesForTheTeamAndPurposeOnly) {
  db_->QueryValue(absl::StrCat("UPDATE programs SET website_url = 'https://a.example' WHERE id = '",
                               a_.program_id, "' RETURNING id"));
  const int64_t expires = InAnHour();
  ASSERT_OK_AND_ASSIGN(PartnerTokenGrant issued, store_->IssueToken(a_.team_id, "ptk_one", "portal",
                                                                    a_.affiliate_id, expires));
  EXPECT_EQ(issued.program_id, a_.program_id);
  EXPECT_EQ(issued.tracking_id, a_.tracking_id);
  EXPECT_EQ(issued.partnership_status, "approved");
  EXPECT_EQ(issued.website_url, "https://a.example");
  EXPECT_EQ(issued.referral_parameter, "via");
  // Micros survive the round trip to the second they were given in.
  EXPECT_EQ(issued.expires_at_micros / 1000000, expires / 1000000);

  ASSERT_OK_AND_ASSIGN(PartnerTokenGrant resolved,
                       store_->ResolveToken(a_.team_id, "ptk_one", "portal"));
  EXPECT_EQ(resolved.affiliate_id, a_.affiliate_id);
  EXPECT_EQ(resolved.team_id, a_.team_id);
  // Another team's scope, another purpose: no such token.
  EXPECT_THAT(store_->ResolveToken(b_.team_id, "ptk_one", "portal").status(),
              HasApiError(api_code::kInvalidToken));
  EXPECT_THAT(store_->ResolveToken(a_.team_id, "ptk_one", "embed").status(),
              HasApiError(api_code::kInvalidToken));
  EXPECT_THAT(store_->ResolveToken(a_.team_id, "ptk_other", "portal").status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PgPartnerTokenStoreTest, NoTokenForAnotherTeamsDeletedOrRejectedAffiliate) {
  EXPECT_THAT(
      store_->IssueToken(a_.team_id, "ptk_b", "portal", b_.affiliate_id, InAnHour()).status(),
      StatusIs(absl::StatusCode::kNotFound));
  db_->QueryValue(absl::StrCat("UPDATE affiliates SET partnership_status = 'rejected' WHERE id = '",
                               a_.affiliate_id, "' RETURNING id"));
  EXPECT_THAT(
      store_->IssueToken(a_.team_id, "ptk_r", "portal", a_.affiliate_id, InAnHour()).status(),
      HasApiError(api_code::kValidation, "partnership_status"));
  db_->QueryValue(absl::StrCat("UPDATE affiliates SET deleted_at = now() WHERE id = '",
                               a_.affiliate_id, "' RETURNING id"));
  EXPECT_THAT(
      store_->IssueToken(a_.team_id, "ptk_d", "portal", a_.affiliate_id, InAnHour()).status(),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM partner_tokens"), "0");
}

TEST_F(PgPartnerTokenStoreTest, RevokedOrOrphanedTokensAreRefused) {
  ASSERT_OK(store_->IssueToken(a_.team_id, "ptk_1", "portal", a_.affiliate_id, InAnHour()));
  ASSERT_OK(store_->IssueToken(a_.team_id, "ptk_2", "embed", a_.affiliate_id, InAnHour()));
  ASSERT_OK(store_->IssueToken(b_.team_id, "ptk_3", "portal", b_.affiliate_id, InAnHour()));
  // Another team cannot revoke it.
  EXPECT_THAT(store_->RevokeToken(b_.team_id, "ptk_1"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store_->RevokeToken(a_.team_id, "ptk_1"));
  EXPECT_THAT(store_->RevokeToken(a_.team_id, "ptk_1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ResolveToken(a_.team_id, "ptk_1", "portal").status(),
              HasApiError(api_code::kTokenRevoked));
  EXPECT_OK(store_->ResolveToken(a_.team_id, "ptk_2", "embed"));
  // An affiliate rejected behind the store's back still grants nothing.
  db_->QueryValue(absl::StrCat("UPDATE affiliates SET partnership_status = 'rejected' WHERE id = '",
                               a_.affiliate_id, "' RETURNING id"));
  EXPECT_THAT(store_->ResolveToken(a_.team_id, "ptk_2", "embed").status(),
              HasApiError(api_code::kTokenRevoked));
  EXPECT_THAT(store_->RevokeAffiliateTokens(b_.team_id, a_.affiliate_id), IsOkAndHolds(0));
  EXPECT_THAT(store_->RevokeAffiliateTokens(a_.team_id, a_.affiliate_id), IsOkAndHolds(1));
  EXPECT_OK(store_->ResolveToken(b_.team_id, "ptk_3", "portal"));
}

TEST_F(PgPartnerTokenStoreTest, TheDefaultProgramOnlyNeverAnother) {
  EXPECT_THAT(store_->DefaultProgram(a_.team_id), IsOkAndHolds(a_.program_id));
  EXPECT_THAT(store_->DefaultProgram("team_none"), StatusIs(absl::StatusCode::kNotFound));
  // A team whose programs are none of them the default: 404, as the other
  // stores answer an absent program_id, not the oldest program.
  db_->QueryValue(absl::StrCat("UPDATE programs SET is_default = false WHERE team_id = '",
                               a_.team_id, "' RETURNING id"));
  EXPECT_THAT(store_->DefaultProgram(a_.team_id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgPartnerTokenStoreTest, IssuingDeletesTheAffiliatesLongExpiredRowsOnly) {
  ASSERT_OK(store_->IssueToken(a_.team_id, "ptk_old", "portal", a_.affiliate_id, InAnHour()));
  ASSERT_OK(store_->IssueToken(a_.team_id, "ptk_recent", "portal", a_.affiliate_id, InAnHour()));
  ASSERT_OK(store_->IssueToken(b_.team_id, "ptk_b_old", "portal", b_.affiliate_id, InAnHour()));
  // Expired two hours ago, and a minute ago (within the clock margin).
  db_->QueryValue(
      "UPDATE partner_tokens SET expires_at = now() - interval '2 hours' "
      "WHERE id IN ('ptk_old', 'ptk_b_old') RETURNING id");
  db_->QueryValue(
      "UPDATE partner_tokens SET expires_at = now() - interval '1 minute' "
      "WHERE id = 'ptk_recent' RETURNING id");
  ASSERT_OK(store_->IssueToken(a_.team_id, "ptk_new", "embed", a_.affiliate_id, InAnHour()));
  EXPECT_EQ(db_->QueryValue("SELECT string_agg(id, ',' ORDER BY id) FROM partner_tokens"),
            "ptk_b_old,ptk_new,ptk_recent");
}

}  // namespace
}  // namespace affonso::storage
