#include "storage/commission_names.h"

#include <string>

#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

namespace v1 = affonso::v1;

TEST(CommissionNamesTest, EveryStatusRoundTrips) {
  for (int number = v1::CommissionStatus_MIN; number <= v1::CommissionStatus_MAX; ++number) {
    const auto status = static_cast<v1::CommissionStatus>(number);
    if (status == v1::COMMISSION_STATUS_UNSPECIFIED) continue;
    const char* name = CommissionStatusToDb(status);
    ASSERT_NE(name, nullptr) << number;
    EXPECT_EQ(CommissionStatusFromDb(name), status) << name;
  }
  EXPECT_EQ(CommissionStatusToDb(v1::COMMISSION_STATUS_UNSPECIFIED), nullptr);
  EXPECT_EQ(CommissionStatusToDb(static_cast<v1::CommissionStatus>(99)), nullptr);
  EXPECT_EQ(CommissionStatusFromDb("clawed_back"), v1::COMMISSION_STATUS_UNSPECIFIED);
  EXPECT_STREQ(CommissionStatusToDb(v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL),
               "pending_manual_approval");
}

TEST(CommissionNamesTest, EverySalesStatusRoundTrips) {
  for (int number = v1::SalesStatus_MIN; number <= v1::SalesStatus_MAX; ++number) {
    const auto status = static_cast<v1::SalesStatus>(number);
    if (status == v1::SALES_STATUS_UNSPECIFIED) continue;
    const char* name = SalesStatusToDb(status);
    ASSERT_NE(name, nullptr) << number;
    EXPECT_EQ(SalesStatusFromDb(name), status) << name;
  }
  EXPECT_STREQ(SalesStatusToDb(v1::SALES_STATUS_PARTIAL_REFUNDED), "partial_refunded");
  EXPECT_EQ(SalesStatusToDb(v1::SALES_STATUS_UNSPECIFIED), nullptr);
  EXPECT_EQ(SalesStatusFromDb("lost"), v1::SALES_STATUS_UNSPECIFIED);
}

TEST(CommissionStatusChangeTest, TheLifecycleMovesForward) {
  EXPECT_TRUE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PENDING,
                                            v1::COMMISSION_STATUS_READY_FOR_PAYMENT));
  EXPECT_TRUE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_READY_FOR_PAYMENT,
                                            v1::COMMISSION_STATUS_PAID));
  EXPECT_TRUE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PENDING,
                                            v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL));
  EXPECT_TRUE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL,
                                            v1::COMMISSION_STATUS_READY_FOR_PAYMENT));
  EXPECT_TRUE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_READY_FOR_PAYMENT,
                                            v1::COMMISSION_STATUS_PROCESSING_PAYOUT));
  EXPECT_TRUE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PROCESSING_PAYOUT,
                                            v1::COMMISSION_STATUS_PAID));
  // A failed payout goes back in line.
  EXPECT_TRUE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PROCESSING_PAYOUT,
                                            v1::COMMISSION_STATUS_READY_FOR_PAYMENT));
  EXPECT_TRUE(
      CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PAID, v1::COMMISSION_STATUS_REFUNDED));
  EXPECT_TRUE(
      CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PAID, v1::COMMISSION_STATUS_DISPUTE));
  EXPECT_TRUE(
      CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_DISPUTE, v1::COMMISSION_STATUS_PAID));
  for (auto from : {v1::COMMISSION_STATUS_PENDING, v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL,
                    v1::COMMISSION_STATUS_READY_FOR_PAYMENT}) {
    EXPECT_TRUE(CommissionStatusChangeAllowed(from, v1::COMMISSION_STATUS_DECLINED)) << from;
  }
}

TEST(CommissionStatusChangeTest, NoWayBackAndNoSkippingPayment) {
  EXPECT_FALSE(
      CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PENDING, v1::COMMISSION_STATUS_PAID));
  EXPECT_FALSE(
      CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PAID, v1::COMMISSION_STATUS_PENDING));
  EXPECT_FALSE(
      CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PAID, v1::COMMISSION_STATUS_DECLINED));
  EXPECT_FALSE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_READY_FOR_PAYMENT,
                                             v1::COMMISSION_STATUS_PENDING));
  // Final states.
  for (int to = v1::CommissionStatus_MIN; to <= v1::CommissionStatus_MAX; ++to) {
    const auto target = static_cast<v1::CommissionStatus>(to);
    if (target != v1::COMMISSION_STATUS_DECLINED) {
      EXPECT_FALSE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_DECLINED, target)) << to;
    }
    if (target != v1::COMMISSION_STATUS_REFUNDED) {
      EXPECT_FALSE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_REFUNDED, target)) << to;
    }
  }
  // The same status is a no-op; UNSPECIFIED and unknown numbers never pass.
  EXPECT_TRUE(
      CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PAID, v1::COMMISSION_STATUS_PAID));
  EXPECT_FALSE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PENDING,
                                             v1::COMMISSION_STATUS_UNSPECIFIED));
  EXPECT_FALSE(CommissionStatusChangeAllowed(v1::COMMISSION_STATUS_PENDING,
                                             static_cast<v1::CommissionStatus>(99)));
}

TEST(CommissionStatusEventTest, OnlyApprovalPaymentAndRejectionAnnounceThemselves) {
  EXPECT_STREQ(CommissionStatusEvent(v1::COMMISSION_STATUS_READY_FOR_PAYMENT),
               "transaction.approved");
  EXPECT_STREQ(CommissionStatusEvent(v1::COMMISSION_STATUS_PAID), "transaction.paid");
  EXPECT_STREQ(CommissionStatusEvent(v1::COMMISSION_STATUS_DECLINED), "transaction.rejected");
  EXPECT_EQ(CommissionStatusEvent(v1::COMMISSION_STATUS_REFUNDED), nullptr);
  EXPECT_EQ(CommissionStatusEvent(v1::COMMISSION_STATUS_PENDING), nullptr);
}

}  // namespace
}  // namespace affonso::storage
