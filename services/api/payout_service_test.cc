#include "services/api/payout_service.h"

#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

namespace v1 = affonso::v1;
using ::affonso::matchers::HasApiError;

TEST(ParseListPayoutsTest, DefaultsAndFilters) {
  v1::ListPayoutsRequest request;
  ASSERT_OK_AND_ASSIGN(storage::PayoutListQuery query, ParseListPayouts(request));
  EXPECT_EQ(query.page, 1);
  EXPECT_EQ(query.limit, 10);
  EXPECT_EQ(query.sort, "created_at:desc");
  EXPECT_EQ(query.status, v1::PAYOUT_STATUS_UNSPECIFIED);
  request.set_status(v1::PAYOUT_STATUS_FAILED);
  request.set_affiliate_id("aff_1");
  request.set_sort("-amount");
  request.set_date_from("2024-03-01");
  ASSERT_OK_AND_ASSIGN(query, ParseListPayouts(request));
  EXPECT_EQ(query.status, v1::PAYOUT_STATUS_FAILED);
  EXPECT_EQ(query.affiliate_id, "aff_1");
  EXPECT_EQ(query.sort, "amount:desc");
  EXPECT_EQ(query.created_from_us, "1709251200000000");
  request.set_sort("invoice_number:asc");
  ASSERT_OK_AND_ASSIGN(query, ParseListPayouts(request));
  EXPECT_EQ(query.sort, "invoice_number:asc");
}

TEST(ParseListPayoutsTest, RefusalsNameTheirField) {
  v1::ListPayoutsRequest request;
  request.set_sort("email");
  EXPECT_THAT(ParseListPayouts(request), HasApiError("VALIDATION_ERROR", "sort"));
  request.Clear();
  request.set_status(v1::PAYOUT_STATUS_UNSPECIFIED);
  EXPECT_THAT(ParseListPayouts(request), HasApiError("VALIDATION_ERROR", "status"));
  request.Clear();
  request.set_date_to("yesterday");
  EXPECT_THAT(ParseListPayouts(request), HasApiError("VALIDATION_ERROR", "dateTo"));
  request.Clear();
  request.set_limit(1000);
  EXPECT_THAT(ParseListPayouts(request), HasApiError("VALIDATION_ERROR"));
}

TEST(ParseUpdatePayoutTest, StatusIsRequiredAndPaymentFieldsAreOptional) {
  v1::UpdatePayoutRequest request;
  request.set_id("pay_1");
  EXPECT_THAT(ParseUpdatePayout(request), HasApiError("VALIDATION_ERROR", "status"));
  request.set_status(static_cast<v1::PayoutStatus>(99));
  EXPECT_THAT(ParseUpdatePayout(request), HasApiError("VALIDATION_ERROR", "status"));
  request.set_status(v1::PAYOUT_STATUS_COMPLETED);
  ASSERT_OK_AND_ASSIGN(storage::PayoutChange change, ParseUpdatePayout(request));
  EXPECT_EQ(change.status, v1::PAYOUT_STATUS_COMPLETED);
  EXPECT_FALSE(change.payment_method.has_value());
  EXPECT_FALSE(change.payment_reference.has_value());
  request.set_payment_method("wire");
  request.set_payment_reference(std::string(256, 'x'));
  EXPECT_THAT(ParseUpdatePayout(request), HasApiError("VALIDATION_ERROR", "paymentReference"));
  request.set_payment_reference("TX-1");
  ASSERT_OK_AND_ASSIGN(change, ParseUpdatePayout(request));
  EXPECT_EQ(*change.payment_method, "wire");
  EXPECT_EQ(*change.payment_reference, "TX-1");
}

}  // namespace
}  // namespace affonso::services
