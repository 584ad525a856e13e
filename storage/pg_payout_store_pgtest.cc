#include "storage/pg_payout_store.h"

#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/api_error.h"
#include "common/money.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/commission_rows.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

namespace v1 = affonso::v1;
using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using testing::CommissionRow;

class PgPayoutStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgPayoutStore>(&db_->pool());
  }

  std::string Commission(const std::string& affiliate, const std::string& amount,
                         const std::string& currency = "USD",
                         const std::string& status = "ready_for_payment",
                         const testing::Tenant* tenant = nullptr) {
    CommissionRow row;
    row.affiliate_id = affiliate;
    row.amount = amount;
    row.currency = currency;
    row.status = status;
    return testing::InsertCommission(*db_, tenant ? *tenant : a_, row);
  }

  PayoutGeneration Everything(const std::string& team = "") {
    PayoutGeneration generation;
    generation.team_id = team;
    generation.ready_before = absl::Now() + absl::Minutes(1);
    generation.threshold = Money::FromCents(5000);
    return generation;
  }

  std::string Q(const std::string& sql) { return db_->QueryValue(sql); }

  std::string CommissionStatus(const std::string& id) {
    return Q("SELECT status FROM commissions WHERE id = '" + id + "'");
  }

  int EventCount(const std::string& type, const std::string& key, const std::string& id) {
    return std::stoi(Q("SELECT count(*) FROM outbox_events WHERE type = '" + type +
                       "' AND payload->'data'->>'" + key + "' = '" + id + "'"));
  }

  std::unique_ptr<PgPayoutStore> store_;
};

TEST_F(PgPayoutStoreTest, GroupsPerAffiliateAndCurrencyAndNetsClawbacks) {
  const std::string x = testing::InsertAffiliate(*db_, a_, "Xena");
  const std::string y = testing::InsertAffiliate(*db_, a_, "Yann");
  const std::string x1 = Commission(x, "30.00");
  const std::string x2 = Commission(x, "30.10");
  const std::string paid = Commission(x, "20.00", "USD", "paid");
  const std::string clawback = testing::InsertClawback(*db_, a_, paid, "5.05");
  const std::string x_eur = Commission(x, "40.00", "EUR");  // below 50 in EUR
  const std::string y1 = Commission(y, "60.00");
  const std::string pending = Commission(y, "100.00", "USD", "pending");
  Commission(b_.affiliate_id, "99.00", "USD", "ready_for_payment", &b_);  // other team

  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result,
                       store_->GeneratePayouts(Everything(a_.team_id)));
  ASSERT_EQ(result.payout_ids.size(), 2u);
  EXPECT_EQ(result.below_threshold, 1);
  EXPECT_EQ(Q("SELECT count(*) FROM payouts WHERE team_id = '" + b_.team_id + "'"), "0");

  const std::string x_payout = Q("SELECT id FROM payouts WHERE affiliate_id = '" + x + "'");
  ASSERT_OK_AND_ASSIGN(v1::PayoutDetail detail, store_->GetPayout(a_.team_id, x_payout));
  EXPECT_EQ(Money::FromAmount("amount", detail.amount()).value(), Money::FromCents(5505));
  EXPECT_EQ(detail.currency(), "USD");
  EXPECT_EQ(detail.status(), v1::PAYOUT_STATUS_PENDING);
  EXPECT_FALSE(detail.managed_payout());
  EXPECT_FALSE(detail.has_processed_at());
  EXPECT_FALSE(detail.has_payment_reference());
  EXPECT_EQ(detail.payment_method(), "paypal") << "the affiliate's payout method";
  EXPECT_EQ(detail.affiliate().name(), "Xena");
  EXPECT_EQ(detail.affiliate().email(), "xena@payouts.test");
  ASSERT_EQ(detail.transactions_size(), 3);
  Money sum;
  std::set<std::string> commissions;
  for (const v1::PayoutTransaction& line : detail.transactions()) {
    const Money magnitude = Money::FromAmount("amount", std::abs(line.amount())).value();
    sum = line.amount() < 0 ? sum - magnitude : sum + magnitude;
    commissions.insert(line.commission().id());
  }
  EXPECT_EQ(sum, Money::FromCents(5505)) << "the amount is the net of the transactions";
  EXPECT_EQ(commissions, (std::set<std::string>{x1, x2, paid}));
  EXPECT_EQ(detail.transactions(2).amount(), -5.05) << "the clawback comes last, negative";
  EXPECT_EQ(detail.transactions(2).commission().commission_amount(), 20.0);
  EXPECT_EQ(detail.transactions(0).commission().amount(), 100.0) << "the sale amount";

  EXPECT_EQ(CommissionStatus(x1), "processing_payout");
  EXPECT_EQ(CommissionStatus(x2), "processing_payout");
  EXPECT_EQ(CommissionStatus(x_eur), "ready_for_payment");
  EXPECT_EQ(CommissionStatus(y1), "processing_payout");
  EXPECT_EQ(CommissionStatus(pending), "pending");
  EXPECT_EQ(CommissionStatus(paid), "paid");
  EXPECT_EQ(Q("SELECT payout_id FROM commission_clawbacks WHERE id = '" + clawback + "'"),
            x_payout);
  EXPECT_EQ(EventCount("transaction.updated", "transactionId", x1), 1);
  EXPECT_EQ(EventCount("payout.created", "payoutId", x_payout), 1);
  EXPECT_EQ(Q("SELECT payload->'data'->>'amount' FROM outbox_events WHERE type = "
              "'payout.created' AND payload->'data'->>'payoutId' = '" +
              x_payout + "'"),
            "55.05");
  EXPECT_EQ(Q("SELECT string_agg(invoice_number::text, ',' ORDER BY invoice_number) FROM payouts"),
            "1,2");

  // Nothing is paid twice: a second run finds only the EUR group, still short.
  ASSERT_OK_AND_ASSIGN(result, store_->GeneratePayouts(Everything(a_.team_id)));
  EXPECT_TRUE(result.payout_ids.empty());
  EXPECT_EQ(result.below_threshold, 1);
}

TEST_F(PgPayoutStoreTest, OnlyWhatWasReadyBeforeThePeriodIsPaid) {
  const std::string id = Commission(a_.affiliate_id, "80.00");
  PayoutGeneration generation = Everything();
  generation.ready_before = absl::Now() - absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result, store_->GeneratePayouts(generation));
  EXPECT_TRUE(result.payout_ids.empty());
  EXPECT_EQ(CommissionStatus(id), "ready_for_payment");
  // Rows from before migration 017 (no stamp) count as ready long ago.
  Q("UPDATE commissions SET ready_for_payment_at = NULL WHERE id = '" + id + "'");
  ASSERT_OK_AND_ASSIGN(result, store_->GeneratePayouts(generation));
  EXPECT_EQ(result.payout_ids.size(), 1u);
}

// Each program pays on its own payment terms (program_payment_terms), a
// program without them on the defaults: here B's program pays weekly from
// 10.00, A's monthly from 50.00. The run is on Wednesday 2026-12-16: B's
// period began on Monday the 14th, A's on the 1st.
TEST_F(PgPayoutStoreTest, EachProgramPaysOnItsOwnThresholdAndFrequency) {
  Q("INSERT INTO program_payment_terms (team_id, program_id, payment_threshold, "
    "payment_frequency) VALUES ('" +
    b_.team_id + "', '" + b_.program_id + "', 10.00, 'weekly') RETURNING program_id");
  auto ready_at = [&](const std::string& id, const std::string& when) {
    Q("UPDATE commissions SET ready_for_payment_at = '" + when + "' WHERE id = '" + id +
      "' RETURNING id");
  };
  const std::string a_november = Commission(a_.affiliate_id, "20.00");
  ready_at(a_november, "2026-11-20T10:00:00Z");
  const std::string a_december = Commission(a_.affiliate_id, "60.00");
  ready_at(a_december, "2026-12-10T10:00:00Z");
  const std::string b_last_week =
      Commission(b_.affiliate_id, "20.00", "USD", "ready_for_payment", &b_);
  ready_at(b_last_week, "2026-12-10T10:00:00Z");
  const std::string b_this_week =
      Commission(b_.affiliate_id, "5.00", "USD", "ready_for_payment", &b_);
  ready_at(b_this_week, "2026-12-15T10:00:00Z");

  PayoutGeneration generation;
  generation.now = absl::FromCivil(absl::CivilHour(2026, 12, 16, 12), absl::UTCTimeZone());
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result, store_->GeneratePayouts(generation));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  EXPECT_EQ(result.below_threshold, 1) << "A's November 20.00 is below A's default 50.00";
  EXPECT_EQ(Q("SELECT team_id || ' ' || amount::text FROM payouts"), b_.team_id + " 20.00")
      << "B's 20.00 of last week reaches B's threshold of 10.00";
  EXPECT_EQ(CommissionStatus(b_last_week), "processing_payout");
  EXPECT_EQ(CommissionStatus(b_this_week), "ready_for_payment") << "ready in B's current week";
  EXPECT_EQ(CommissionStatus(a_december), "ready_for_payment") << "ready in A's current month";
  EXPECT_EQ(CommissionStatus(a_november), "ready_for_payment");

  // With the same terms A would have been paid: the defaults are what held it back.
  Q("INSERT INTO program_payment_terms (team_id, program_id, payment_threshold, "
    "payment_frequency) VALUES ('" +
    a_.team_id + "', '" + a_.program_id + "', 10.00, 'weekly') RETURNING program_id");
  ASSERT_OK_AND_ASSIGN(result, store_->GeneratePayouts(generation));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  EXPECT_EQ(Q("SELECT amount::text FROM payouts WHERE team_id = '" + a_.team_id + "'"), "80.00");

  // The defaults of the run apply to a program without terms.
  Q("DELETE FROM program_payment_terms WHERE team_id = '" + a_.team_id + "' RETURNING program_id");
  const std::string a_more = Commission(a_.affiliate_id, "15.00");
  ready_at(a_more, "2026-11-21T10:00:00Z");
  generation.threshold = Money::FromCents(1500);
  ASSERT_OK_AND_ASSIGN(result, store_->GeneratePayouts(generation));
  EXPECT_EQ(result.payout_ids.size(), 1u);
}

TEST_F(PgPayoutStoreTest, CompletedPaysEveryCommission) {
  const std::string c1 = Commission(a_.affiliate_id, "25.00");
  const std::string c2 = Commission(a_.affiliate_id, "25.00");
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result, store_->GeneratePayouts(Everything()));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  const std::string id = result.payout_ids[0];

  PayoutChange processing{id, v1::PAYOUT_STATUS_PROCESSING, std::nullopt, std::string("ref-1")};
  ASSERT_OK_AND_ASSIGN(v1::Payout payout, store_->UpdatePayout(a_.team_id, processing));
  EXPECT_EQ(payout.status(), v1::PAYOUT_STATUS_PROCESSING);
  EXPECT_EQ(payout.payment_reference(), "ref-1");
  EXPECT_EQ(EventCount("payout.updated", "payoutId", id), 1);
  EXPECT_EQ(CommissionStatus(c1), "processing_payout");

  PayoutChange completed{id, v1::PAYOUT_STATUS_COMPLETED, std::string("wire"), std::nullopt};
  ASSERT_OK_AND_ASSIGN(payout, store_->UpdatePayout(a_.team_id, completed));
  EXPECT_EQ(payout.status(), v1::PAYOUT_STATUS_COMPLETED);
  EXPECT_TRUE(payout.has_processed_at());
  EXPECT_EQ(payout.payment_method(), "wire");
  EXPECT_EQ(payout.payment_reference(), "ref-1");
  EXPECT_EQ(EventCount("payout.paid", "payoutId", id), 1);
  EXPECT_EQ(Q("SELECT payload->'data'->>'status' FROM outbox_events WHERE type = 'payout.paid'"),
            "completed");
  for (const std::string& commission : {c1, c2}) {
    EXPECT_EQ(CommissionStatus(commission), "paid");
    EXPECT_EQ(EventCount("transaction.paid", "transactionId", commission), 1);
  }
  // Completed again (a corrected reference): payout.updated, never a second
  // payout.paid.
  PayoutChange corrected{id, v1::PAYOUT_STATUS_COMPLETED, std::nullopt, std::string("ref-2")};
  ASSERT_OK_AND_ASSIGN(payout, store_->UpdatePayout(a_.team_id, corrected));
  EXPECT_EQ(payout.payment_reference(), "ref-2");
  EXPECT_EQ(EventCount("payout.paid", "payoutId", id), 1);
  EXPECT_EQ(EventCount("payout.updated", "payoutId", id), 2);
  // Final.
  EXPECT_THAT(store_->UpdatePayout(a_.team_id, {id, v1::PAYOUT_STATUS_FAILED, {}, {}}),
              HasApiError("VALIDATION_ERROR", "status"));
  EXPECT_EQ(CommissionStatus(c1), "paid");
  EXPECT_EQ(EventCount("payout.failed", "payoutId", id), 0);
}

TEST_F(PgPayoutStoreTest, FailedFreesCommissionsAndClawbacksForTheNextPayout) {
  const std::string c1 = Commission(a_.affiliate_id, "70.00");
  const std::string paid = Commission(a_.affiliate_id, "10.00", "USD", "paid");
  const std::string clawback = testing::InsertClawback(*db_, a_, paid, "4.00");
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result, store_->GeneratePayouts(Everything()));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  const std::string first = result.payout_ids[0];
  ASSERT_OK_AND_ASSIGN(v1::Payout payout,
                       store_->UpdatePayout(a_.team_id, {first, v1::PAYOUT_STATUS_FAILED, {}, {}}));
  EXPECT_EQ(payout.status(), v1::PAYOUT_STATUS_FAILED);
  EXPECT_FALSE(payout.has_processed_at());
  EXPECT_EQ(EventCount("payout.failed", "payoutId", first), 1);
  EXPECT_EQ(CommissionStatus(c1), "ready_for_payment");
  EXPECT_EQ(EventCount("transaction.updated", "transactionId", c1), 2);
  EXPECT_EQ(EventCount("transaction.approved", "transactionId", c1), 0);
  EXPECT_EQ(Q("SELECT payout_id IS NULL FROM commission_clawbacks WHERE id = '" + clawback + "'"),
            "t");
  // The failed payout keeps its record.
  ASSERT_OK_AND_ASSIGN(v1::PayoutDetail detail, store_->GetPayout(a_.team_id, first));
  EXPECT_EQ(detail.transactions_size(), 2);

  // The stamp moved (ready again now), so the next period's run pays it.
  ASSERT_OK_AND_ASSIGN(result, store_->GeneratePayouts(Everything()));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  const std::string second = result.payout_ids[0];
  EXPECT_NE(second, first);
  EXPECT_EQ(Q("SELECT amount FROM payouts WHERE id = '" + second + "'"), "66.00");
  EXPECT_EQ(Q("SELECT invoice_number FROM payouts WHERE id = '" + second + "'"), "2");
  EXPECT_EQ(Q("SELECT payout_id FROM commission_clawbacks WHERE id = '" + clawback + "'"), second);
  EXPECT_EQ(CommissionStatus(c1), "processing_payout");

  // Cancelled: payout.updated, the commission back again.
  ASSERT_OK(store_->UpdatePayout(a_.team_id, {second, v1::PAYOUT_STATUS_CANCELLED, {}, {}}));
  EXPECT_EQ(EventCount("payout.updated", "payoutId", second), 1);
  EXPECT_EQ(CommissionStatus(c1), "ready_for_payment");
  EXPECT_THAT(store_->UpdatePayout(a_.team_id, {second, v1::PAYOUT_STATUS_PENDING, {}, {}}),
              HasApiError("VALIDATION_ERROR", "status"));
}

TEST_F(PgPayoutStoreTest, AnotherTeamsPayoutIsNotFound) {
  Commission(a_.affiliate_id, "70.00");
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result, store_->GeneratePayouts(Everything()));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  const std::string id = result.payout_ids[0];
  EXPECT_THAT(store_->GetPayout(b_.team_id, id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->UpdatePayout(b_.team_id, {id, v1::PAYOUT_STATUS_COMPLETED, {}, {}}),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(PayoutPage page, store_->ListPayouts(b_.team_id, PayoutListQuery()));
  EXPECT_EQ(page.total, 0);
  EXPECT_EQ(Q("SELECT status FROM payouts WHERE id = '" + id + "'"), "pending");
}

TEST_F(PgPayoutStoreTest, ListFiltersSortsAndShowsADeletedAffiliateAsNull) {
  const std::string x = testing::InsertAffiliate(*db_, a_, "Xena");
  const std::string y = testing::InsertAffiliate(*db_, a_, "Yann");
  Commission(x, "60.00");
  Commission(y, "90.00");
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result, store_->GeneratePayouts(Everything()));
  ASSERT_EQ(result.payout_ids.size(), 2u);
  PayoutListQuery query;
  query.sort = "amount:asc";
  ASSERT_OK_AND_ASSIGN(PayoutPage page, store_->ListPayouts(a_.team_id, query));
  ASSERT_EQ(page.payouts.size(), 2u);
  EXPECT_EQ(page.total, 2);
  EXPECT_EQ(page.payouts[0].affiliate_id(), x);
  EXPECT_EQ(page.payouts[1].affiliate_id(), y);
  query.affiliate_id = y;
  ASSERT_OK_AND_ASSIGN(page, store_->ListPayouts(a_.team_id, query));
  ASSERT_EQ(page.payouts.size(), 1u);
  EXPECT_EQ(page.payouts[0].affiliate_id(), y);
  query.affiliate_id.clear();
  query.status = v1::PAYOUT_STATUS_COMPLETED;
  ASSERT_OK_AND_ASSIGN(page, store_->ListPayouts(a_.team_id, query));
  EXPECT_EQ(page.total, 0);
  query.status = v1::PAYOUT_STATUS_UNSPECIFIED;
  query.limit = 1;
  query.page = 3;
  ASSERT_OK_AND_ASSIGN(page, store_->ListPayouts(a_.team_id, query));
  EXPECT_TRUE(page.payouts.empty());
  EXPECT_EQ(page.total, 2);

  Q("UPDATE affiliates SET deleted_at = now() WHERE id = '" + x + "'");
  const std::string x_payout = Q("SELECT id FROM payouts WHERE affiliate_id = '" + x + "'");
  ASSERT_OK_AND_ASSIGN(v1::PayoutDetail detail, store_->GetPayout(a_.team_id, x_payout));
  EXPECT_FALSE(detail.has_affiliate());
  EXPECT_EQ(detail.affiliate_id(), x);
}

// Three replicas generate at once over one database: every commission is in
// exactly one payout, every clawback netted once, and each payout's amount is
// what SQL recomputes from the rows.
TEST_F(PgPayoutStoreTest, ReplicasRacingPayEachCommissionOnce) {
  constexpr int kAffiliates = 24;
  constexpr int kPerAffiliate = 6;
  for (int i = 0; i < kAffiliates; ++i) {
    const std::string affiliate = testing::InsertAffiliate(*db_, a_, absl::StrCat("A", i));
    for (int j = 0; j < kPerAffiliate; ++j) {
      Commission(affiliate, absl::StrCat(5 + i % 7, ".", 10 + j * 13));
      if (j % 2 == 0) Commission(affiliate, absl::StrCat(3 + j, ".33"), "EUR");
    }
    const std::string paid = Commission(affiliate, "9.99", "USD", "paid");
    testing::InsertClawback(*db_, a_, paid, absl::StrCat("1.", 10 + i));
  }
  std::vector<std::unique_ptr<ConnectionPool>> pools;
  std::vector<std::unique_ptr<PgPayoutStore>> replicas;
  for (int i = 0; i < 3; ++i) {
    PoolConfig config;
    config.database_url = db_->url();
    config.size = 2;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ConnectionPool> pool, ConnectionPool::Create(config));
    replicas.push_back(std::make_unique<PgPayoutStore>(pool.get()));
    pools.push_back(std::move(pool));
  }
  PayoutGeneration generation = Everything();
  generation.threshold = Money::FromCents(1000);
  generation.groups_per_page = 5;  // several pages per run
  std::vector<absl::StatusOr<PayoutGenerationResult>> results(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] { results[i] = replicas[i]->GeneratePayouts(generation); });
  }
  for (std::thread& thread : threads) thread.join();
  size_t created = 0;
  for (const auto& result : results) {
    ASSERT_OK(result);
    created += result->payout_ids.size();
  }
  // A group a replica skipped as busy was paid by another; one more run finds
  // nothing left.
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult last, store_->GeneratePayouts(generation));
  created += last.payout_ids.size();
  EXPECT_EQ(created, static_cast<size_t>(2 * kAffiliates)) << "one per affiliate and currency";
  EXPECT_EQ(Q("SELECT count(*) FROM payouts"), std::to_string(2 * kAffiliates));
  EXPECT_EQ(Q("SELECT count(*) FROM commissions WHERE status = 'ready_for_payment'"), "0");
  EXPECT_EQ(Q("SELECT count(*) FROM (SELECT commission_id FROM payout_transactions WHERE kind = "
              "'commission' GROUP BY commission_id HAVING count(*) > 1) d"),
            "0");
  EXPECT_EQ(Q("SELECT count(*) FROM commissions c WHERE c.status = 'processing_payout' AND NOT "
              "EXISTS (SELECT 1 FROM payout_transactions t WHERE t.commission_id = c.id)"),
            "0");
  EXPECT_EQ(Q("SELECT count(*) FROM commission_clawbacks WHERE payout_id IS NULL"), "0");
  EXPECT_EQ(Q("SELECT count(*) FROM (SELECT clawback_id FROM payout_transactions WHERE kind = "
              "'clawback' GROUP BY clawback_id HAVING count(*) > 1) d"),
            "0");
  // Recomputed from the commissions and clawbacks themselves, not from the
  // payout's own lines.
  EXPECT_EQ(Q("SELECT count(*) FROM payouts p WHERE p.amount <> "
              "  (SELECT COALESCE(sum(c.commission_amount), 0) FROM commissions c "
              "   JOIN payout_transactions t ON t.commission_id = c.id AND t.kind = 'commission' "
              "   WHERE t.payout_id = p.id) "
              "- (SELECT COALESCE(sum(k.amount), 0) FROM commission_clawbacks k "
              "   WHERE k.payout_id = p.id)"),
            "0");
  EXPECT_EQ(Q("SELECT count(*) FROM payouts p WHERE p.amount <> (SELECT sum(t.amount) FROM "
              "payout_transactions t WHERE t.payout_id = p.id)"),
            "0");
  EXPECT_EQ(Q("SELECT sum(amount) FROM payouts"),
            Q("SELECT (SELECT sum(commission_amount) FROM commissions WHERE status = "
              "'processing_payout') - (SELECT sum(amount) FROM commission_clawbacks)"));
  EXPECT_EQ(Q("SELECT max(invoice_number) = count(*) AND count(DISTINCT invoice_number) = "
              "count(*) FROM payouts"),
            "t")
      << "invoice numbers 1..n without gaps or duplicates";
  EXPECT_EQ(Q("SELECT count(*) FROM outbox_events WHERE type = 'payout.created'"),
            std::to_string(2 * kAffiliates));
}

TEST_F(PgPayoutStoreTest, TheDatabaseRefusesACommissionInTwoLivePayouts) {
  const std::string c1 = Commission(a_.affiliate_id, "70.00");
  ASSERT_OK_AND_ASSIGN(PayoutGenerationResult result, store_->GeneratePayouts(Everything()));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  const std::string duplicate = absl::StrCat(
      "INSERT INTO payouts (team_id, id, affiliate_id, program_id, invoice_number, amount, "
      "currency) VALUES ('",
      a_.team_id, "', 'pay_dup', '", a_.affiliate_id, "', '", a_.program_id,
      "', 99, 70, 'USD'); INSERT INTO payout_transactions (team_id, id, payout_id, kind, "
      "commission_id, amount, commission_amount, sale_amount, commission_created_at) VALUES ('",
      a_.team_id, "', 'ptx_dup', 'pay_dup', 'commission', '", c1, "', 70, 70, 0, now())");
  EXPECT_ANY_THROW(Q(duplicate));
}

}  // namespace
}  // namespace affonso::storage
