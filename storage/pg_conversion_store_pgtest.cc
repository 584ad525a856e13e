#include "storage/pg_conversion_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/rules/commission_calculation.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::Conversion;
using testing::Tenant;

class PgConversionStoreTest : public testing::TwoTenantTest {
 protected:
  PgConversionStoreTest() : TwoTenantTest(/*pool_size=*/16) {}

  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgConversionStore>(&db_->pool(), &calculator_);
  }

  std::string InsertReferral(const Tenant& tenant, const std::string& status = "lead") {
    const std::string id = NewId("ref");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, status, "
        "customer_id) VALUES ('",
        id, "', '", tenant.team_id, "', '", tenant.program_id, "', '", tenant.affiliate_id,
        "', 'direct', '", status, "', 'cus_", id, "')"));
    return id;
  }

  // A sale incentive in the tenant's default group; `extra` sets more columns.
  std::string InsertIncentive(const Tenant& tenant, const std::string& amount, bool percentage,
                              const std::string& extra_columns = "",
                              const std::string& extra_values = "") {
    const std::string id = NewId("inc");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, "
        "is_percentage, currency, hold_period_days",
        extra_columns, ") SELECT '", id, "', team_id, program_id, id, 'sale', 'sale', ", amount,
        ", ", percentage ? "true" : "false", ", 'EUR', 7", extra_values,
        " FROM affiliate_groups WHERE program_id = '", tenant.program_id, "' AND is_default"));
    return id;
  }

  SaleInput Sale(const std::string& referral, const std::string& event, int64_t cents) {
    SaleInput input;
    input.attribution.referral_id = referral;
    input.external_event_id = event;
    input.sale_amount = Money::FromCents(cents);
    return input;
  }

  std::string Count(const std::string& where) {
    return db_->QueryValue("SELECT count(*) FROM " + where);
  }

  services::SaleCommissionCalculator calculator_;
  std::unique_ptr<PgConversionStore> store_;
};

TEST_F(PgConversionStoreTest, RecordsTheSaleWithItsCommissionAndConvertsTheReferral) {
  const std::string incentive = InsertIncentive(a_, "12.5", true);
  const std::string referral = InsertReferral(a_);
  SaleInput input = Sale(referral, "order-1", 1000);  // 10.00
  input.product_ids.Add("prod_1");
  input.interval = "monthly";
  input.is_subscription = true;
  input.metadata_json = R"({"plan":"pro"})";
  input.source_event_id = "evt_source";
  ASSERT_OK_AND_ASSIGN(RecordedConversion recorded, store_->RecordSale(a_.team_id, input));
  EXPECT_TRUE(recorded.created);
  const Conversion& conversion = recorded.conversion;
  EXPECT_EQ(conversion.referral_id(), referral);
  EXPECT_EQ(conversion.commission_amount(), 1.25);
  EXPECT_EQ(conversion.sale_amount(), 10.0);
  EXPECT_EQ(conversion.sale_amount_currency(), "EUR");  // the incentive's
  EXPECT_EQ(conversion.commission_currency(), "EUR");
  EXPECT_EQ(conversion.status(), affonso::v1::COMMISSION_STATUS_PENDING);
  EXPECT_EQ(conversion.sales_status(), affonso::v1::SALES_STATUS_COMPLETE);
  EXPECT_EQ(conversion.hold_period_days(), 7);
  EXPECT_EQ(conversion.matched_incentive_id(), incentive);
  EXPECT_EQ(conversion.earning_id(), incentive);
  EXPECT_EQ(conversion.external_event_id(), "order-1");
  EXPECT_EQ(conversion.source_event_id(), "evt_source");
  EXPECT_EQ(conversion.calculation_mode(), "auto");
  EXPECT_EQ(conversion.earning_type(), affonso::v1::INCENTIVE_TYPE_SALE);
  EXPECT_EQ(db_->QueryValue("SELECT status || ' ' || (converted_at IS NOT NULL) FROM referrals "
                            "WHERE id = '" +
                            referral + "'"),
            "active true");
  EXPECT_EQ(db_->QueryValue("SELECT product_ids::text || billing_interval || is_subscription || "
                            "(metadata->>'plan') FROM commissions WHERE id = '" +
                            conversion.id() + "'"),
            "{prod_1}monthlytruepro");
  EXPECT_EQ(Count("outbox_events WHERE type = 'transaction.created' AND "
                  "payload->'data'->>'transactionId' = '" +
                  conversion.id() + "'"),
            "1");
  EXPECT_EQ(Count("outbox_events WHERE type = 'referral.converted' AND "
                  "payload->'data'->>'referralId' = '" +
                  referral + "'"),
            "1");

  // A second sale of the same referral: no second referral.converted.
  ASSERT_OK(store_->RecordSale(a_.team_id, Sale(referral, "order-2", 1000)).status());
  EXPECT_EQ(Count("outbox_events WHERE type = 'referral.converted'"), "1");
}

TEST_F(PgConversionStoreTest, NoIncentiveRecordsTheSaleAtZero) {
  const std::string referral = InsertReferral(a_);
  ASSERT_OK_AND_ASSIGN(RecordedConversion recorded,
                       store_->RecordSale(a_.team_id, Sale(referral, "order-0", 5000)));
  EXPECT_EQ(recorded.conversion.commission_amount(), 0);
  EXPECT_FALSE(recorded.conversion.has_matched_incentive_id());
  EXPECT_EQ(recorded.conversion.sale_amount_currency(), "USD");
  EXPECT_EQ(recorded.conversion.hold_period_days(), 30);
}

TEST_F(PgConversionStoreTest, RepeatAnswersTheFirstAndWritesNothing) {
  InsertIncentive(a_, "3", false);
  const std::string referral = InsertReferral(a_);
  ASSERT_OK_AND_ASSIGN(RecordedConversion first,
                       store_->RecordSale(a_.team_id, Sale(referral, "order-r", 1000)));
  // Different content, same key: the first result.
  ASSERT_OK_AND_ASSIGN(RecordedConversion again,
                       store_->RecordSale(a_.team_id, Sale(referral, "order-r", 99999)));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.conversion.SerializeAsString(), first.conversion.SerializeAsString());
  EXPECT_EQ(Count("commissions"), "1");
  // Another team may use the same key.
  ASSERT_OK_AND_ASSIGN(RecordedConversion other,
                       store_->RecordSale(b_.team_id, Sale(InsertReferral(b_), "order-r", 1000)));
  EXPECT_TRUE(other.created);
  // And another team's referral is not found.
  EXPECT_THAT(store_->RecordSale(b_.team_id, Sale(referral, "order-x", 1000)).status(),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto found, store_->FindByExternalEventId(a_.team_id, "order-r"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id(), first.conversion.id());
}

TEST_F(PgConversionStoreTest, SixtyFourRacingRepeatsMakeOneConversion) {
  InsertIncentive(a_, "10", true);
  const std::string referral = InsertReferral(a_);
  constexpr int kCalls = 64;
  std::vector<absl::StatusOr<RecordedConversion>> results(kCalls, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = store_->RecordSale(a_.team_id, Sale(referral, "order-race", 4242));
    });
  }
  go = true;
  for (std::thread& thread : threads) thread.join();
  int created = 0;
  std::string first;
  for (const auto& result : results) {
    ASSERT_OK(result.status());
    if (result->created) ++created;
    if (first.empty()) first = result->conversion.SerializeAsString();
    EXPECT_EQ(result->conversion.SerializeAsString(), first);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(Count("commissions"), "1");
  EXPECT_EQ(Count("outbox_events WHERE type = 'transaction.created'"), "1");
  EXPECT_EQ(Count("outbox_events WHERE type = 'referral.converted'"), "1");
}

TEST_F(PgConversionStoreTest, PaymentLimitedHoldsUnderRacingRenewals) {
  InsertIncentive(a_, "5", false, ", incentive_length, length_value", ", 'payment_limited', 3");
  const std::string referral = InsertReferral(a_);
  constexpr int kRenewals = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kRenewals; ++i) {
    threads.emplace_back([&, i] {
      SaleInput renewal = Sale(referral, absl::StrCat("renewal-", i), 2000);
      renewal.is_subscription = true;
      if (!store_->RecordSale(a_.team_id, renewal).ok()) ++failures;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count("commissions WHERE matched_incentive_id IS NOT NULL AND commission_amount = 5"),
            "3");
  EXPECT_EQ(Count("commissions WHERE matched_incentive_id IS NULL AND commission_amount = 0"), "5");
}

TEST_F(PgConversionStoreTest, ManualApprovalWaits) {
  InsertIncentive(a_, "5", false, ", approval_type", ", 'manual'");
  const std::string referral = InsertReferral(a_);
  SaleInput input = Sale(referral, "order-m", 2000);
  input.status = affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT;  // not above the approval
  ASSERT_OK_AND_ASSIGN(RecordedConversion recorded, store_->RecordSale(a_.team_id, input));
  EXPECT_EQ(recorded.conversion.status(), affonso::v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL);
}

TEST_F(PgConversionStoreTest, AttributesByEachIdentifier) {
  const std::string referral = InsertReferral(a_);
  ASSERT_OK_AND_ASSIGN(SaleAttribution by_id,
                       store_->Attribute(a_.team_id, ReferralIdentifier::kReferralId, referral));
  EXPECT_EQ(by_id.referral_id, referral);
  EXPECT_EQ(by_id.referral_status, "lead");
  ASSERT_OK_AND_ASSIGN(
      SaleAttribution by_customer,
      store_->Attribute(a_.team_id, ReferralIdentifier::kCustomerId, "cus_" + referral));
  EXPECT_EQ(by_customer.referral_id, referral);
  const std::string click = testing::InsertClick(*db_, a_);
  ASSERT_OK_AND_ASSIGN(SaleAttribution by_click,
                       store_->Attribute(a_.team_id, ReferralIdentifier::kClickId, click));
  EXPECT_EQ(by_click.click_id, click);
  EXPECT_EQ(by_click.referral_id, "");
  EXPECT_THAT(store_->Attribute(b_.team_id, ReferralIdentifier::kReferralId, referral).status(),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->Attribute(b_.team_id, ReferralIdentifier::kClickId, click).status(),
              HasApiError("NOT_FOUND"));
  db_->QueryValue("UPDATE referrals SET deleted_at = now() WHERE id = '" + referral + "'");
  EXPECT_THAT(store_->Attribute(a_.team_id, ReferralIdentifier::kReferralId, referral).status(),
              HasApiError("NOT_FOUND"));
}

TEST_F(PgConversionStoreTest, CouponSaleCreatesTheAffiliatesReferral) {
  InsertIncentive(a_, "4", false);
  const std::string coupon = NewId("cpn");
  db_->QueryValue(absl::StrCat(
      "INSERT INTO coupons (team_id, id, program_id, affiliate_id, code, discount_type, "
      "discount_value, duration) VALUES ('",
      a_.team_id, "', '", coupon, "', '", a_.program_id, "', '", a_.affiliate_id,
      "', 'SPRING', 'percentage', 10, 'forever')"));
  ASSERT_OK_AND_ASSIGN(SaleAttribution attribution,
                       store_->Attribute(a_.team_id, ReferralIdentifier::kCouponCode, "spring"));
  EXPECT_EQ(attribution.coupon_id, coupon);
  EXPECT_THAT(store_->Attribute(b_.team_id, ReferralIdentifier::kCouponCode, "SPRING").status(),
              HasApiError("NOT_FOUND"));
  SaleInput input = Sale("", "order-c", 3000);
  input.attribution = attribution;
  input.coupon_code = "spring";
  ASSERT_OK_AND_ASSIGN(RecordedConversion recorded, store_->RecordSale(a_.team_id, input));
  EXPECT_EQ(recorded.conversion.affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(recorded.conversion.commission_amount(), 4);
  EXPECT_EQ(db_->QueryValue("SELECT source || ' ' || status FROM referrals WHERE id = '" +
                            recorded.conversion.referral_id() + "'"),
            "direct active");
  ASSERT_OK_AND_ASSIGN(RecordedConversion again, store_->RecordSale(a_.team_id, input));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(Count("referrals"), "1");
}

class PgConversionRefundTest : public PgConversionStoreTest {
 protected:
  // A 100.00 sale paying 33.33%: 33.33.
  Conversion Record(const std::string& event = "order-refund") {
    if (referral_.empty()) {
      InsertIncentive(a_, "33.33", true);
      referral_ = InsertReferral(a_);
    }
    absl::StatusOr<RecordedConversion> recorded =
        store_->RecordSale(a_.team_id, Sale(referral_, event, 10000));
    EXPECT_OK(recorded.status());
    return recorded.ok() ? recorded->conversion : Conversion();
  }

  absl::StatusOr<Conversion> Refund(const std::string& id, std::optional<int64_t> cents,
                                    const std::string& event = "") {
    RefundInput input;
    input.conversion_id = id;
    if (cents.has_value()) input.amount = Money::FromCents(*cents);
    input.external_event_id = event;
    return store_->RefundConversion(a_.team_id, input);
  }

  std::string referral_;
};

TEST_F(PgConversionRefundTest, PartialThenFullRoundsFromTheOriginal) {
  const Conversion conversion = Record();
  ASSERT_EQ(conversion.commission_amount(), 33.33);
  // 33.33 * 70 / 100 = 23.331 -> 23.33.
  ASSERT_OK_AND_ASSIGN(Conversion partial, Refund(conversion.id(), 3000));
  EXPECT_EQ(partial.commission_amount(), 23.33);
  EXPECT_EQ(partial.sales_status(), affonso::v1::SALES_STATUS_PARTIAL_REFUNDED);
  EXPECT_EQ(partial.status(), affonso::v1::COMMISSION_STATUS_PENDING);
  // 33.33 * 0.01 / 100 = 0.003333 -> 0.00 (from the original, not from 23.33).
  ASSERT_OK_AND_ASSIGN(Conversion almost, Refund(conversion.id(), 6999));
  EXPECT_EQ(almost.commission_amount(), 0);
  EXPECT_THAT(Refund(conversion.id(), 2).status(), HasApiError("VALIDATION_ERROR", "amount"));
  EXPECT_THAT(Refund(conversion.id(), 0).status(), HasApiError("VALIDATION_ERROR", "amount"));
  ASSERT_OK_AND_ASSIGN(Conversion full, Refund(conversion.id(), std::nullopt));  // the rest
  EXPECT_EQ(full.sales_status(), affonso::v1::SALES_STATUS_REFUNDED);
  EXPECT_EQ(full.status(), affonso::v1::COMMISSION_STATUS_REFUNDED);
  EXPECT_THAT(Refund(conversion.id(), std::nullopt).status(),
              HasApiError("VALIDATION_ERROR", "amount"));
  EXPECT_EQ(Count("outbox_events WHERE type = 'transaction.updated'"), "2");
  EXPECT_EQ(Count("outbox_events WHERE type = 'transaction.rejected'"), "1");
  // The rows agree with what was answered, recomputed in SQL.
  EXPECT_EQ(db_->QueryValue("SELECT sum(amount) FROM conversion_refunds WHERE commission_id = '" +
                            conversion.id() + "'"),
            "100.00");
  EXPECT_EQ(db_->QueryValue("SELECT round(c.original_commission_amount * (c.sale_amount - "
                            "c.refunded_amount) / c.sale_amount, 2) = c.commission_amount "
                            "FROM commissions c WHERE id = '" +
                            conversion.id() + "'"),
            "t");
}

TEST_F(PgConversionRefundTest, RefundIsIdempotentOnItsEventId) {
  const Conversion conversion = Record();
  ASSERT_OK_AND_ASSIGN(Conversion first, Refund(conversion.id(), 1000, "refund-1"));
  ASSERT_OK_AND_ASSIGN(Conversion again, Refund(conversion.id(), 1000, "refund-1"));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(Count("conversion_refunds"), "1");
  EXPECT_EQ(db_->QueryValue("SELECT refunded_amount FROM commissions WHERE id = '" +
                            conversion.id() + "'"),
            "10.00");
  // Without an event id each call refunds.
  ASSERT_OK(Refund(conversion.id(), 1000).status());
  ASSERT_OK(Refund(conversion.id(), 1000).status());
  EXPECT_EQ(Count("conversion_refunds"), "3");
  // The key belongs to that conversion's refund.
  const Conversion other = Record("order-other");
  EXPECT_THAT(Refund(other.id(), 1000, "refund-1").status(),
              HasApiError("DUPLICATE_ERROR", "external_event_id"));
  // Another team's conversion is not found; the currency must be the sale's.
  RefundInput foreign;
  foreign.conversion_id = conversion.id();
  EXPECT_THAT(store_->RefundConversion(b_.team_id, foreign).status(), HasApiError("NOT_FOUND"));
  RefundInput currency;
  currency.conversion_id = conversion.id();
  currency.currency = "USD";
  EXPECT_THAT(store_->RefundConversion(a_.team_id, currency).status(),
              HasApiError("VALIDATION_ERROR", "currency"));
}

TEST_F(PgConversionRefundTest, PaidCommissionIsClawedBack) {
  const Conversion conversion = Record();
  db_->QueryValue("UPDATE commissions SET status = 'paid' WHERE id = '" + conversion.id() + "'");
  ASSERT_OK_AND_ASSIGN(Conversion partial, Refund(conversion.id(), 3000));
  EXPECT_EQ(partial.commission_amount(), 33.33);  // as paid
  EXPECT_EQ(partial.status(), affonso::v1::COMMISSION_STATUS_PAID);
  ASSERT_OK(Refund(conversion.id(), std::nullopt).status());
  // 33.33 - 23.33, then 23.33 - 0: the whole commission, and no more.
  EXPECT_EQ(db_->QueryValue("SELECT string_agg(amount::text, ',' ORDER BY amount) FROM "
                            "commission_clawbacks WHERE commission_id = '" +
                            conversion.id() + "'"),
            "10.00,23.33");
  EXPECT_EQ(db_->QueryValue("SELECT sum(amount) FROM commission_clawbacks"), "33.33");
  EXPECT_EQ(Count("outbox_events WHERE type = 'transaction.updated'"), "2");
  EXPECT_EQ(Count("outbox_events WHERE type = 'transaction.rejected'"), "0");
}

// Refunded while in a payout (clawed back), then the payout failed: the
// commission is unpaid again, and the next refund must not count the first
// one twice (once in the commission, once in the clawback still owed).
TEST_F(PgConversionRefundTest, RefundAfterAFailedPayoutCountsEarlierClawbacksOnce) {
  const Conversion conversion = Record();
  const std::string where = " WHERE id = '" + conversion.id() + "'";
  db_->QueryValue("UPDATE commissions SET status = 'processing_payout'" + where);
  ASSERT_OK(Refund(conversion.id(), 3000).status());  // clawback 33.33 - 23.33 = 10.00
  db_->QueryValue("UPDATE commissions SET status = 'ready_for_payment'" + where);
  // 33.33 * 45 / 100 = 14.9985 -> 15.00 is what the affiliate earns now; the
  // commission keeps the 10.00 still owed, so it nets to 15.00.
  ASSERT_OK_AND_ASSIGN(Conversion second, Refund(conversion.id(), 2500));
  EXPECT_EQ(second.commission_amount(), 25.00);
  EXPECT_EQ(db_->QueryValue("SELECT c.commission_amount - (SELECT sum(amount) FROM "
                            "commission_clawbacks k WHERE k.commission_id = c.id) FROM "
                            "commissions c" +
                            where),
            "15.00");
  // The rest: the commission is the owed 10.00 (netted by the clawback), not
  // refunded at 0 with 10.00 owed on top.
  ASSERT_OK_AND_ASSIGN(Conversion full, Refund(conversion.id(), std::nullopt));
  EXPECT_EQ(full.commission_amount(), 10.00);
  EXPECT_EQ(full.status(), affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT);
  EXPECT_EQ(full.sales_status(), affonso::v1::SALES_STATUS_REFUNDED);
}

TEST_F(PgConversionRefundTest, RacingRefundsStayExact) {
  const Conversion conversion = Record();
  constexpr int kRefunds = 16;  // 16 x 10.00 of a 100.00 sale: 10 succeed
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, refused{0};
  for (int i = 0; i < kRefunds; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<Conversion> result = Refund(conversion.id(), 1000);
      if (result.ok()) {
        ++ok;
      } else if (result.status().code() == absl::StatusCode::kInvalidArgument) {
        ++refused;
      }
    });
    // A sale of the same referral racing the refunds.
    if (i == kRefunds / 2) {
      threads.emplace_back([&] {
        EXPECT_OK(store_->RecordSale(a_.team_id, Sale(referral_, "order-racing", 500)).status());
      });
    }
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(refused.load(), 6);
  EXPECT_EQ(db_->QueryValue("SELECT refunded_amount::text || ' ' || commission_amount::text || ' ' "
                            "|| status FROM commissions WHERE id = '" +
                            conversion.id() + "'"),
            "100.00 0.00 refunded");
  EXPECT_EQ(db_->QueryValue("SELECT sum(amount) FROM conversion_refunds"), "100.00");
  EXPECT_EQ(Count("commissions"), "2");
}

}  // namespace
}  // namespace affonso::storage
