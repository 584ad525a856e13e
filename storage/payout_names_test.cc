#include "storage/payout_names.h"

#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

namespace v1 = affonso::v1;

TEST(PayoutNamesTest, NamesRoundTrip) {
  for (v1::PayoutStatus status :
       {v1::PAYOUT_STATUS_PENDING, v1::PAYOUT_STATUS_PROCESSING, v1::PAYOUT_STATUS_COMPLETED,
        v1::PAYOUT_STATUS_FAILED, v1::PAYOUT_STATUS_CANCELLED}) {
    ASSERT_NE(PayoutStatusToDb(status), nullptr);
    EXPECT_EQ(PayoutStatusFromDb(PayoutStatusToDb(status)), status);
  }
  EXPECT_EQ(PayoutStatusToDb(v1::PAYOUT_STATUS_UNSPECIFIED), nullptr);
  EXPECT_EQ(PayoutStatusFromDb("paid"), v1::PAYOUT_STATUS_UNSPECIFIED);
}

TEST(PayoutNamesTest, Transitions) {
  EXPECT_TRUE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_PENDING, v1::PAYOUT_STATUS_PROCESSING));
  EXPECT_TRUE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_PENDING, v1::PAYOUT_STATUS_COMPLETED));
  EXPECT_TRUE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_PENDING, v1::PAYOUT_STATUS_CANCELLED));
  EXPECT_TRUE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_PROCESSING, v1::PAYOUT_STATUS_FAILED));
  EXPECT_TRUE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_PROCESSING, v1::PAYOUT_STATUS_COMPLETED));
  EXPECT_TRUE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_COMPLETED, v1::PAYOUT_STATUS_COMPLETED));
  EXPECT_FALSE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_PROCESSING, v1::PAYOUT_STATUS_PENDING));
  EXPECT_FALSE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_COMPLETED, v1::PAYOUT_STATUS_FAILED));
  EXPECT_FALSE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_FAILED, v1::PAYOUT_STATUS_PENDING));
  EXPECT_FALSE(
      PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_CANCELLED, v1::PAYOUT_STATUS_PROCESSING));
  EXPECT_FALSE(PayoutStatusChangeAllowed(v1::PAYOUT_STATUS_PENDING, v1::PAYOUT_STATUS_UNSPECIFIED));
}

TEST(PayoutNamesTest, Events) {
  EXPECT_STREQ(PayoutStatusEvent(v1::PAYOUT_STATUS_COMPLETED), "payout.paid");
  EXPECT_STREQ(PayoutStatusEvent(v1::PAYOUT_STATUS_FAILED), "payout.failed");
  EXPECT_STREQ(PayoutStatusEvent(v1::PAYOUT_STATUS_CANCELLED), "payout.updated");
  EXPECT_STREQ(PayoutStatusEvent(v1::PAYOUT_STATUS_PROCESSING), "payout.updated");
}

}  // namespace
}  // namespace affonso::storage
