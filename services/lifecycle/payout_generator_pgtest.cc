#include "services/lifecycle/payout_generator.h"

#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/pg_payout_store.h"
#include "storage/testing/commission_rows.h"
#include "storage/testing/fixtures.h"

namespace affonso::services {
namespace {

using storage::testing::CommissionRow;

class PayoutGeneratorTest : public storage::testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<storage::PgPayoutStore>(&db_->pool());
  }

  std::unique_ptr<PayoutGenerator> Generator(absl::Time now) {
    PayoutGeneratorOptions options;
    options.clock = [now] { return now; };
    return std::make_unique<PayoutGenerator>(store_.get(), options, &registry_);
  }

  std::string Ready(const std::string& amount) {
    CommissionRow row;
    row.amount = amount;
    return storage::testing::InsertCommission(*db_, a_, row);
  }

  int Payouts() { return std::stoi(db_->QueryValue("SELECT count(*) FROM payouts")); }

  metrics::Registry registry_;
  std::unique_ptr<storage::PgPayoutStore> store_;
};

absl::Time NextMonth() {
  const absl::TimeZone utc = absl::UTCTimeZone();
  return absl::FromCivil(absl::ToCivilMonth(absl::Now(), utc) + 1, utc) + absl::Hours(3);
}

TEST_F(PayoutGeneratorTest, PaysOnTheFirstOfTheMonthWhatWasReadyBefore) {
  Ready("30.00");
  Ready("25.00");
  // This month: the commissions became ready in it, so they wait.
  ASSERT_OK_AND_ASSIGN(storage::PayoutGenerationResult result, Generator(absl::Now())->RunOnce());
  EXPECT_TRUE(result.payout_ids.empty());
  EXPECT_EQ(Payouts(), 0);
  // The 1st of next month: paid, 55.00 >= the default threshold of 50.00.
  ASSERT_OK_AND_ASSIGN(result, Generator(NextMonth())->RunOnce());
  ASSERT_EQ(result.payout_ids.size(), 1u);
  EXPECT_EQ(db_->QueryValue("SELECT amount FROM payouts"), "55.00");
  // Later runs of the period find nothing new.
  ASSERT_OK_AND_ASSIGN(result, Generator(NextMonth() + absl::Hours(5))->RunOnce());
  EXPECT_TRUE(result.payout_ids.empty());
  EXPECT_EQ(registry_.AddCounter("affonso_payouts_generated_total", "", {}).WithLabels({}).Value(),
            1u);
}

TEST_F(PayoutGeneratorTest, BelowTheDefaultThresholdWaits) {
  Ready("49.99");
  ASSERT_OK_AND_ASSIGN(storage::PayoutGenerationResult result, Generator(NextMonth())->RunOnce());
  EXPECT_TRUE(result.payout_ids.empty());
  EXPECT_EQ(result.below_threshold, 1);
  Ready("0.01");
  ASSERT_OK_AND_ASSIGN(result, Generator(NextMonth())->RunOnce());
  EXPECT_EQ(result.payout_ids.size(), 1u);
  EXPECT_EQ(db_->QueryValue("SELECT amount FROM payouts"), "50.00");
}

// A program's own payment terms drive the job: B's program pays weekly from
// 10.00, A's (no terms) monthly from 50.00. A week on, B's 20.00 is paid and
// A's 20.00 waits below the default threshold.
TEST_F(PayoutGeneratorTest, AProgramsOwnThresholdAndFrequencyDriveItsPayouts) {
  db_->QueryValue(
      "INSERT INTO program_payment_terms (team_id, program_id, payment_threshold, "
      "payment_frequency) VALUES ('" +
      b_.team_id + "', '" + b_.program_id + "', 10.00, 'weekly') RETURNING team_id");
  const std::string a_commission = Ready("20.00");
  // Ready long ago, so A's group is due whatever month the run falls in.
  db_->QueryValue(
      "UPDATE commissions SET ready_for_payment_at = '2000-01-03T00:00:00Z' WHERE id = '" +
      a_commission + "' RETURNING id");
  CommissionRow row;
  row.amount = "20.00";
  storage::testing::InsertCommission(*db_, b_, row);
  ASSERT_OK_AND_ASSIGN(storage::PayoutGenerationResult result,
                       Generator(absl::Now() + absl::Hours(24 * 7))->RunOnce());
  ASSERT_EQ(result.payout_ids.size(), 1u);
  EXPECT_EQ(result.below_threshold, 1);
  EXPECT_EQ(db_->QueryValue("SELECT team_id || ' ' || amount::text FROM payouts"),
            b_.team_id + " 20.00");
}

TEST_F(PayoutGeneratorTest, StartRunsInTheBackgroundAndStops) {
  Ready("80.00");
  std::unique_ptr<PayoutGenerator> generator = Generator(NextMonth());
  generator->Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Payouts() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  generator->Stop();
  EXPECT_EQ(Payouts(), 1);
}

}  // namespace
}  // namespace affonso::services
