#include "storage/pg_commission_store.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
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
  // A lead commission has no sale: its currency is the commission's (the SDK
  // types it a non-null string).
  EXPECT_EQ(commission->sale_amount_currency(), "EUR");
  EXPECT_EQ(commission->status(), affonso::v1::COMMISSION_STATUS_PENDING);
  EXPECT_EQ(commission->sales_status(), affonso::v1::SALES_STATUS_COMPLETE);
  EXPECT_EQ(commission->hold_period_days(), 30);
  EXPECT_EQ(commission->earning_type(), affonso::v1::INCENTIVE_TYPE_LEAD);
  EXPECT_GT(commission->created_at().seconds(), 0);
  EXPECT_GT(commission->updated_at().seconds(), commission->created_at().seconds());
  // Nullable: no payment intent, invoice or incentive (inserted without one).
  EXPECT_FALSE(commission->has_payment_intent_id());
  EXPECT_FALSE(commission->has_invoice_id());
  EXPECT_FALSE(commission->has_earning_id());
  EXPECT_TRUE(commission->has_affiliate_id());
  EXPECT_TRUE(commission->has_hold_period_days());
  // The store fills the program; the service drops it unless expanded.
  EXPECT_EQ(commission->affiliate_program().id(), a_.program_id);
  EXPECT_FALSE(commission->affiliate_program().name().empty());
  EXPECT_FALSE(commission->has_affiliate());
  EXPECT_FALSE(commission->has_referral());
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

// The writes through the API: create, update, delete and their events.
class PgCommissionWriteTest : public PgCommissionStoreTest {
 protected:
  CommissionInput Input(const std::string& referral_id) {
    CommissionInput input;
    input.referral_id = referral_id;
    input.sale_amount = "100.10";
    input.sale_amount_currency = "EUR";
    input.commission_amount = "19.99";
    input.commission_currency = "EUR";
    return input;
  }

  Commission MustCreate(const Tenant& tenant, const CommissionInput& input) {
    auto created = store_->CreateCommission(tenant.team_id, input);
    EXPECT_OK(created);
    if (!created.ok()) return Commission();
    EXPECT_TRUE(created->created);
    return created->commission;
  }

  // "type:status" of the transaction events of one commission, oldest first.
  std::string Events(const std::string& commission_id) {
    return db_->QueryValue(
        absl::StrCat("SELECT COALESCE(string_agg(type || ':' || (payload->'data'->>'status'), ',' "
                     "ORDER BY created_at, type), '') FROM outbox_events "
                     "WHERE payload->'data'->>'transactionId' = '",
                     commission_id, "'"));
  }

  std::string Query(const std::string& sql) { return db_->QueryValue(sql); }
};

TEST_F(PgCommissionWriteTest, CreateStoresExactAmountsAndAnnouncesIt) {
  const std::string referral = InsertReferral(a_);
  CommissionInput input = Input(referral);
  input.payment_intent_id = "pi_1";
  input.sales_status = affonso::v1::SALES_STATUS_OPEN;
  input.hold_period_days = 14;
  Commission created = MustCreate(a_, input);
  EXPECT_EQ(created.id().rfind("com_", 0), 0u);
  EXPECT_EQ(created.referral_id(), referral);
  EXPECT_EQ(created.affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(created.program_id(), a_.program_id);
  EXPECT_EQ(created.sale_amount(), 100.10);
  EXPECT_EQ(created.commission_amount(), 19.99);
  EXPECT_EQ(created.sale_amount_currency(), "EUR");
  EXPECT_EQ(created.commission_currency(), "EUR");
  EXPECT_EQ(created.status(), affonso::v1::COMMISSION_STATUS_PENDING);
  EXPECT_EQ(created.sales_status(), affonso::v1::SALES_STATUS_OPEN);
  EXPECT_EQ(created.hold_period_days(), 14);
  EXPECT_EQ(created.payment_intent_id(), "pi_1");
  EXPECT_FALSE(created.has_invoice_id());
  EXPECT_FALSE(created.has_earning_id());  // no incentive earned it
  EXPECT_EQ(created.earning_type(), affonso::v1::INCENTIVE_TYPE_SALE);

  // Stored as numeric, exactly as sent; the event carries exact JSON numbers.
  EXPECT_EQ(Query(absl::StrCat("SELECT sale_amount::text || '/' || commission_amount::text "
                               "FROM commissions WHERE id = '",
                               created.id(), "'")),
            "100.10/19.99");
  EXPECT_EQ(Events(created.id()), "transaction.created:PENDING");
  EXPECT_EQ(
      Query(absl::StrCat("SELECT (payload->'data')::text FROM outbox_events "
                         "WHERE payload->'data'->>'transactionId' = '",
                         created.id(), "'")),
      absl::StrCat("{\"type\": \"COMMISSION\", \"status\": \"PENDING\", \"referralId\": \"",
                   referral, "\", \"saleAmount\": 100.10, \"affiliateId\": \"", a_.affiliate_id,
                   "\", \"saleCurrency\": \"EUR\", \"transactionId\": \"", created.id(),
                   "\", \"commissionAmount\": 19.99, \"commissionCurrency\": \"EUR\"}"));
}

TEST_F(PgCommissionWriteTest, CreateNeedsALiveReferralOfTheTeam) {
  const std::string foreign = InsertReferral(b_);
  EXPECT_THAT(store_->CreateCommission(a_.team_id, Input(foreign)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->CreateCommission(a_.team_id, Input("ref_missing")),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string deleted = InsertReferral(a_);
  db_->QueryValue(
      absl::StrCat("UPDATE referrals SET deleted_at = now() WHERE id = '", deleted, "'"));
  auto refused = store_->CreateCommission(a_.team_id, Input(deleted));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(refused.status().message(), "referral not found");
  EXPECT_EQ(Query("SELECT count(*) FROM commissions"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM outbox_events"), "0");
}

// 16 creates with one payment intent, all at once: one commission, one
// transaction.created, and every caller gets that commission.
TEST_F(PgCommissionWriteTest, PaymentIntentIsIdempotentUnderConcurrentCreates) {
  const std::string referral = InsertReferral(a_);
  constexpr int kCallers = 16;
  std::vector<absl::StatusOr<CreatedCommission>> results(kCallers, absl::UnknownError("not run"));
  std::atomic<int> ready{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      CommissionInput input = Input(referral);
      input.payment_intent_id = "pi_race";
      ready.fetch_add(1);
      while (ready.load() < kCallers) std::this_thread::yield();
      results[i] = store_->CreateCommission(a_.team_id, input);
    });
  }
  for (std::thread& caller : callers) caller.join();
  int created = 0;
  std::string id;
  for (const auto& result : results) {
    ASSERT_OK(result);
    created += result->created ? 1 : 0;
    if (id.empty()) id = result->commission.id();
    EXPECT_EQ(result->commission.id(), id);
    EXPECT_EQ(result->commission.payment_intent_id(), "pi_race");
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(Query("SELECT count(*) FROM commissions WHERE payment_intent_id = 'pi_race'"), "1");
  EXPECT_EQ(Events(id), "transaction.created:PENDING");

  // A later create with it, even naming another referral of the program,
  // answers the first; another team's program is another namespace.
  CommissionInput again = Input(InsertReferral(a_));
  again.payment_intent_id = "pi_race";
  auto repeated = store_->CreateCommission(a_.team_id, again);
  ASSERT_OK(repeated);
  EXPECT_FALSE(repeated->created);
  EXPECT_EQ(repeated->commission.id(), id);
  CommissionInput other_team = Input(InsertReferral(b_));
  other_team.payment_intent_id = "pi_race";
  EXPECT_NE(MustCreate(b_, other_team).id(), id);
  // Without a payment intent every create is a new commission.
  EXPECT_NE(MustCreate(a_, Input(referral)).id(), MustCreate(a_, Input(referral)).id());
}

TEST_F(PgCommissionWriteTest, StatusFollowsTheLifecycleAndAnnouncesEachStep) {
  Commission commission = MustCreate(a_, Input(InsertReferral(a_)));
  CommissionChange approve;
  approve.id = commission.id();
  approve.status = affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT;
  auto approved = store_->UpdateCommission(a_.team_id, approve);
  ASSERT_OK(approved);
  EXPECT_EQ(approved->status(), affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT);

  CommissionChange back = approve;
  back.status = affonso::v1::COMMISSION_STATUS_PENDING;
  auto refused = store_->UpdateCommission(a_.team_id, back);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiErrorField(refused.status()), "status");
  EXPECT_EQ(ApiErrorCode(refused.status()), "VALIDATION_ERROR");

  CommissionChange pay = approve;
  pay.status = affonso::v1::COMMISSION_STATUS_PAID;
  ASSERT_OK(store_->UpdateCommission(a_.team_id, pay));
  // Paid money is not declined.
  CommissionChange decline = approve;
  decline.status = affonso::v1::COMMISSION_STATUS_DECLINED;
  EXPECT_EQ(ApiErrorField(store_->UpdateCommission(a_.team_id, decline).status()), "status");
  EXPECT_EQ(
      Query(absl::StrCat("SELECT status FROM commissions WHERE id = '", commission.id(), "'")),
      "paid");
  // The refused changes wrote nothing.
  EXPECT_EQ(Events(commission.id()),
            "transaction.created:PENDING,transaction.approved:READY_FOR_PAYMENT,"
            "transaction.updated:READY_FOR_PAYMENT,transaction.paid:PAID,"
            "transaction.updated:PAID");

  Commission other = MustCreate(a_, Input(InsertReferral(a_)));
  CommissionChange reject;
  reject.id = other.id();
  reject.status = affonso::v1::COMMISSION_STATUS_DECLINED;
  ASSERT_OK(store_->UpdateCommission(a_.team_id, reject));
  EXPECT_EQ(Events(other.id()),
            "transaction.created:PENDING,transaction.rejected:DECLINED,"
            "transaction.updated:DECLINED");
}

TEST_F(PgCommissionWriteTest, UpdateChangesOnlyPresentFieldsExactly) {
  Commission commission = MustCreate(a_, Input(InsertReferral(a_)));
  CommissionChange change;
  change.id = commission.id();
  change.commission_amount = "0.30";
  change.sales_status = affonso::v1::SALES_STATUS_PARTIAL_REFUNDED;
  change.hold_period_days = 0;
  auto updated = store_->UpdateCommission(a_.team_id, change);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->commission_amount(), 0.3);
  EXPECT_EQ(updated->sale_amount(), 100.10);
  EXPECT_EQ(updated->sales_status(), affonso::v1::SALES_STATUS_PARTIAL_REFUNDED);
  EXPECT_EQ(updated->hold_period_days(), 0);
  EXPECT_EQ(updated->status(), affonso::v1::COMMISSION_STATUS_PENDING);
  // A same-status update is no status step.
  change = CommissionChange();
  change.id = commission.id();
  change.status = affonso::v1::COMMISSION_STATUS_PENDING;
  ASSERT_OK(store_->UpdateCommission(a_.team_id, change));
  EXPECT_EQ(Events(commission.id()),
            "transaction.created:PENDING,transaction.updated:PENDING,"
            "transaction.updated:PENDING");
  EXPECT_EQ(Query(absl::StrCat("SELECT (payload->'data'->>'commissionAmount') FROM outbox_events "
                               "WHERE type = 'transaction.updated' AND "
                               "payload->'data'->>'transactionId' = '",
                               commission.id(), "' ORDER BY created_at LIMIT 1")),
            "0.30");

  change.id = "com_missing";
  EXPECT_THAT(store_->UpdateCommission(a_.team_id, change), StatusIs(absl::StatusCode::kNotFound));
  change.id = commission.id();
  EXPECT_THAT(store_->UpdateCommission(b_.team_id, change), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgCommissionWriteTest, DeleteRemovesUnpaidCommissionsWithAnEvent) {
  Commission pending = MustCreate(a_, Input(InsertReferral(a_)));
  EXPECT_THAT(store_->DeleteCommission(b_.team_id, pending.id()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store_->DeleteCommission(a_.team_id, pending.id()));
  EXPECT_THAT(store_->GetCommission(a_.team_id, pending.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteCommission(a_.team_id, pending.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Events(pending.id()), "transaction.created:PENDING,transaction.deleted:PENDING");

  // Money that left, is leaving or came back keeps its record.
  for (const char* status : {"paid", "processing_payout", "dispute", "refunded"}) {
    SCOPED_TRACE(status);
    const std::string kept = InsertCommission(a_, InsertReferral(a_), status, 0);
    absl::Status refused = store_->DeleteCommission(a_.team_id, kept);
    EXPECT_EQ(ApiErrorCode(refused), "VALIDATION_ERROR");
    EXPECT_EQ(ApiErrorField(refused), "status");
    EXPECT_OK(store_->GetCommission(a_.team_id, kept));
    EXPECT_EQ(Events(kept), "");
  }
}

TEST_F(PgCommissionWriteTest, AmountsAreFixedOncePaidOutOrFinal) {
  for (const char* status : {"processing_payout", "paid", "dispute", "refunded", "declined"}) {
    SCOPED_TRACE(status);
    const std::string id = InsertCommission(a_, InsertReferral(a_), status, 0);
    const std::string before =
        Query(absl::StrCat("SELECT commission_amount::text || commission_currency || "
                           "COALESCE(sale_amount::text, '-') FROM commissions WHERE id = '",
                           id, "'"));
    CommissionChange change;
    change.id = id;
    change.commission_amount = "999.00";
    auto refused = store_->UpdateCommission(a_.team_id, change);
    EXPECT_EQ(ApiErrorField(refused.status()), "commission_amount");
    change = CommissionChange();
    change.id = id;
    change.commission_currency = "EUR";
    EXPECT_EQ(ApiErrorField(store_->UpdateCommission(a_.team_id, change).status()),
              "commission_currency");
    EXPECT_EQ(Query(absl::StrCat("SELECT commission_amount::text || commission_currency || "
                                 "COALESCE(sale_amount::text, '-') FROM commissions WHERE id = '",
                                 id, "'")),
              before);
    EXPECT_EQ(Events(id), "");
  }
  const std::string ready = InsertCommission(a_, InsertReferral(a_), "ready_for_payment", 0);
  CommissionChange change;
  change.id = ready;
  change.commission_amount = "2.50";
  auto updated = store_->UpdateCommission(a_.team_id, change);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->commission_amount(), 2.5);
}

TEST_F(PgCommissionWriteTest, ListFiltersBySalesStatusDatesAndSorts) {
  CommissionInput small = Input(InsertReferral(a_));
  small.commission_amount = "1.00";
  small.sales_status = affonso::v1::SALES_STATUS_REFUNDED;
  small.created_at_us = "1704153600000000";  // 2024-01-02
  CommissionInput large = Input(InsertReferral(a_));
  large.commission_amount = "9.00";
  large.created_at_us = "1706745600000000";  // 2024-02-01
  const std::string small_id = MustCreate(a_, small).id();
  const std::string large_id = MustCreate(a_, large).id();

  CommissionListQuery query;
  query.sales_status = affonso::v1::SALES_STATUS_REFUNDED;
  EXPECT_EQ(ListIds(a_, query), std::vector<std::string>{small_id});
  query = CommissionListQuery();
  query.created_from_us = "1704240000000000";  // from 2024-01-03
  EXPECT_EQ(ListIds(a_, query), std::vector<std::string>{large_id});
  query = CommissionListQuery();
  query.created_to_us = "1704239999999999";  // to the end of 2024-01-02
  EXPECT_EQ(ListIds(a_, query), std::vector<std::string>{small_id});
  query = CommissionListQuery();
  query.sort = "commission_amount:asc";
  EXPECT_EQ(ListIds(a_, query), (std::vector<std::string>{small_id, large_id}));
  query.sort = "commission_amount:desc";
  EXPECT_EQ(ListIds(a_, query), (std::vector<std::string>{large_id, small_id}));
  query.sort = "created_at:asc";
  EXPECT_EQ(ListIds(a_, query), (std::vector<std::string>{small_id, large_id}));
}

}  // namespace
}  // namespace affonso::storage
