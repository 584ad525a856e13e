#include "storage/pg_commission_store.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::Commission;
using testing::Tenant;

// Commissions are written by the conversion paths; these tests only read, so
// the rows are inserted with plain SQL.
class PgCommissionStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgCommissionStore>(&db_->pool());
  }

  std::string InsertReferral(const Tenant& tenant, const std::string& affiliate_id = "") {
    const std::string id = NewId("ref");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, status) VALUES ('",
        id, "', '", tenant.team_id, "', '", tenant.program_id, "', '",
        affiliate_id.empty() ? tenant.affiliate_id : affiliate_id, "', 'direct', 'lead')"));
    return id;
  }

  // `age_seconds` back-dates created_at, so the order is known.
  std::string InsertCommission(const Tenant& tenant, const std::string& referral_id,
                               const std::string& status, int age_seconds,
                               const std::string& affiliate_id = "") {
    const std::string id = NewId("com");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "
        "commission_amount, commission_currency, status, hold_period_days, earning_type, "
        "created_at, updated_at) VALUES ('",
        id, "', '", tenant.team_id, "', '", tenant.program_id, "', '", referral_id, "', '",
        affiliate_id.empty() ? tenant.affiliate_id : affiliate_id, "', 12.50, 'EUR', '", status,
        "', 30, 'lead', now() - interval '", age_seconds, " seconds', now())"));
    return id;
  }

  std::string InsertAffiliate(const Tenant& tenant) {
    const std::string id = NewId("aff");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
        "partnership_status) VALUES ('",
        id, "', '", tenant.team_id, "', '", tenant.program_id, "', 'Bob', 'bob@a.test', '",
        absl::AsciiStrToLower(RandomBase62(8)), "', 'approved')"));
    return id;
  }

  std::vector<std::string> ListIds(const Tenant& tenant, const CommissionListQuery& query,
                                   int* total = nullptr) {
    auto page = store_->ListCommissions(tenant.team_id, query);
    EXPECT_OK(page);
    std::vector<std::string> ids;
    if (!page.ok()) return ids;
    for (const Commission& commission : page->commissions) ids.push_back(commission.id());
    if (total) *total = page->total;
    return ids;
  }

  std::unique_ptr<PgCommissionStore> store_;
};

TEST_F(PgCommissionStoreTest, GetReadsEveryField) {
  const std::string referral = InsertReferral(a_);
  const std::string id = InsertCommission(a_, referral, "pending", 5);
  auto commission = store_->GetCommission(a_.team_id, id);
  ASSERT_OK(commission);
  EXPECT_EQ(commission->id(), id);
  EXPECT_EQ(commission->referral_id(), referral);
  EXPECT_EQ(commission->affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(commission->program_id(), a_.program_id);
  EXPECT_EQ(commission->commission_amount(), 12.5);
  EXPECT_EQ(commission->commission_currency(), "EUR");
  EXPECT_EQ(commission->sale_amount(), 0);
  EXPECT_EQ(commission->sale_amount_currency(), "");
  EXPECT_EQ(commission->status(), affonso::v1::COMMISSION_STATUS_PENDING);
  EXPECT_EQ(commission->hold_period_days(), 30);
  EXPECT_EQ(commission->earning_type(), affonso::v1::INCENTIVE_TYPE_LEAD);
  EXPECT_GT(commission->created_at().seconds(), 0);
  EXPECT_GT(commission->updated_at().seconds(), commission->created_at().seconds());
}

TEST_F(PgCommissionStoreTest, AnotherTeamsOrAnUnknownCommissionIsNotFound) {
  const std::string id = InsertCommission(a_, InsertReferral(a_), "pending", 0);
  auto foreign = store_->GetCommission(b_.team_id, id);
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(foreign.status().message(), "commission not found");
  EXPECT_THAT(store_->GetCommission(a_.team_id, "com_missing"),
              StatusIs(absl::StatusCode::kNotFound));
  int total = -1;
  EXPECT_TRUE(ListIds(b_, CommissionListQuery(), &total).empty());
  EXPECT_EQ(total, 0);
}

TEST_F(PgCommissionStoreTest, StatusStringsMapToTheEnum) {
  for (const auto& [text, status] :
       std::vector<std::pair<std::string, affonso::v1::CommissionStatus>>{
           {"pending", affonso::v1::COMMISSION_STATUS_PENDING},
           {"ready_for_payment", affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT},
           {"paid", affonso::v1::COMMISSION_STATUS_PAID},
           {"declined", affonso::v1::COMMISSION_STATUS_DECLINED}}) {
    EXPECT_EQ(CommissionStatusFromDb(text), status);
    EXPECT_EQ(CommissionStatusToDb(status), text);
    const std::string id = InsertCommission(a_, InsertReferral(a_), text, 0);
    auto commission = store_->GetCommission(a_.team_id, id);
    ASSERT_OK(commission);
    EXPECT_EQ(commission->status(), status) << text;
  }
  EXPECT_EQ(CommissionStatusToDb(affonso::v1::COMMISSION_STATUS_UNSPECIFIED), nullptr);
  EXPECT_EQ(CommissionStatusFromDb("clawed_back"), affonso::v1::COMMISSION_STATUS_UNSPECIFIED);
}

TEST_F(PgCommissionStoreTest, ListPaginatesNewestFirst) {
  std::vector<std::string> newest_first;
  for (int age = 0; age < 5; ++age) {
    newest_first.push_back(InsertCommission(a_, InsertReferral(a_), "pending", age * 10));
  }
  InsertCommission(b_, InsertReferral(b_), "pending", 0);

  CommissionListQuery query;
  query.limit = 2;
  int total = -1;
  EXPECT_EQ(ListIds(a_, query, &total),
            (std::vector<std::string>{newest_first[0], newest_first[1]}));
  EXPECT_EQ(total, 5);
  query.page = 3;
  EXPECT_EQ(ListIds(a_, query, &total), std::vector<std::string>{newest_first[4]});
  EXPECT_EQ(total, 5);
  query.page = 4;  // past the end: no rows, the total still counts
  EXPECT_TRUE(ListIds(a_, query, &total).empty());
  EXPECT_EQ(total, 5);
}

TEST_F(PgCommissionStoreTest, SameCreatedAtIsOrderedByIdDescending) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(InsertCommission(a_, InsertReferral(a_), "paid", 0));
  db_->QueryValue("UPDATE commissions SET created_at = '2026-01-01T00:00:00Z'");
  std::sort(ids.rbegin(), ids.rend());
  EXPECT_EQ(ListIds(a_, CommissionListQuery()), ids);
}

TEST_F(PgCommissionStoreTest, ListFiltersByAffiliateReferralAndStatus) {
  const std::string bob = InsertAffiliate(a_);
  const std::string alice_referral = InsertReferral(a_);
  const std::string bob_referral = InsertReferral(a_, bob);
  const std::string alice_pending = InsertCommission(a_, alice_referral, "pending", 30);
  const std::string alice_paid = InsertCommission(a_, InsertReferral(a_), "paid", 20);
  const std::string bob_pending = InsertCommission(a_, bob_referral, "pending", 10, bob);

  CommissionListQuery query;
  query.affiliate_id = a_.affiliate_id;
  int total = -1;
  EXPECT_EQ(ListIds(a_, query, &total), (std::vector<std::string>{alice_paid, alice_pending}));
  EXPECT_EQ(total, 2);
  query.status = affonso::v1::COMMISSION_STATUS_PENDING;
  EXPECT_EQ(ListIds(a_, query), std::vector<std::string>{alice_pending});
  query.affiliate_id.clear();
  EXPECT_EQ(ListIds(a_, query), (std::vector<std::string>{bob_pending, alice_pending}));
  query.referral_id = bob_referral;
  EXPECT_EQ(ListIds(a_, query), std::vector<std::string>{bob_pending});
  query.status = affonso::v1::COMMISSION_STATUS_PAID;
  EXPECT_TRUE(ListIds(a_, query, &total).empty());
  EXPECT_EQ(total, 0);
  // A filter on another team's affiliate finds nothing.
  CommissionListQuery foreign;
  foreign.affiliate_id = a_.affiliate_id;
  EXPECT_TRUE(ListIds(b_, foreign).empty());
}

}  // namespace
}  // namespace affonso::storage
