#include "common/api_error.h"

#include <algorithm>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso {
namespace {

using ::affonso::matchers::StatusIs;

TEST(ApiErrorTest, ValidationErrorCarriesCodeAndField) {
  absl::Status status = ValidationError("email", "email is not a valid address");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiErrorCode(status), "VALIDATION_ERROR");
  EXPECT_EQ(ApiErrorField(status), "email");
}

TEST(ApiErrorTest, MissingAndInvalidKeysAreDistinctUnauthenticated) {
  EXPECT_THAT(MissingApiKeyError(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(ApiErrorCode(MissingApiKeyError()), "MISSING_API_KEY");
  EXPECT_EQ(ApiErrorCode(InvalidApiKeyError()), "INVALID_API_KEY");
  EXPECT_EQ(ApiErrorCode(InvalidApiKeyFormatError()), "INVALID_API_KEY_FORMAT");
}

TEST(ApiErrorTest, InsufficientPermissionsIsPermissionDeniedNamingThePermission) {
  absl::Status status = InsufficientPermissionsError("write:referrals");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(ApiErrorCode(status), "INSUFFICIENT_PERMISSIONS");
  EXPECT_NE(status.message().find("write:referrals"), absl::string_view::npos);
}

TEST(ApiErrorTest, AuthReasonsArePublishedAsTheSdkCodes) {
  for (absl::string_view reason : {"MISSING_API_KEY", "INVALID_API_KEY_FORMAT", "INVALID_API_KEY",
                                   "API_KEY_DISABLED", "API_KEY_EXPIRED"}) {
    EXPECT_EQ(PublicErrorCode(reason), "UNAUTHORIZED");
    EXPECT_EQ(AuthErrorReason(reason), reason);
  }
  EXPECT_EQ(PublicErrorCode("INSUFFICIENT_PERMISSIONS"), "FORBIDDEN");
  EXPECT_EQ(AuthErrorReason("INSUFFICIENT_PERMISSIONS"), "INSUFFICIENT_PERMISSIONS");
  EXPECT_EQ(PublicErrorCode("NOT_FOUND"), "NOT_FOUND");
  EXPECT_EQ(AuthErrorReason("NOT_FOUND"), "");
}

// Only the rate limiter's explicit code is a 429: a message over a size
// limit or a full pool is not the caller's budget.
TEST(ApiErrorTest, ResourceExhaustedWithoutTheRateLimitCodeIsUnavailable) {
  EXPECT_EQ(ApiErrorCode(absl::ResourceExhaustedError("message larger than max")),
            "SERVICE_UNAVAILABLE");
}

TEST(ApiErrorTest, CodeDerivedFromCanonicalCodeWithoutPayload) {
  EXPECT_EQ(ApiErrorCode(absl::UnavailableError("db down")), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(ApiErrorCode(absl::InternalError("bug")), "INTERNAL_ERROR");
  EXPECT_EQ(ApiErrorCode(absl::NotFoundError("x")), "NOT_FOUND");
  EXPECT_EQ(ApiErrorCode(absl::AlreadyExistsError("x")), "DUPLICATE_ERROR");
  // The gateway answers FAILED_PRECONDITION with 400: the code must agree.
  EXPECT_EQ(ApiErrorCode(absl::FailedPreconditionError("x")), "VALIDATION_ERROR");
  EXPECT_EQ(ApiErrorField(absl::InternalError("bug")), "");
  EXPECT_EQ(ApiErrorCode(absl::OkStatus()), "");
}

TEST(ApiErrorTest, DuplicateErrorNamesField) {
  absl::Status status = DuplicateError("tracking_id", "taken");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ApiErrorField(status), "tracking_id");
}

TEST(ApiErrorTest, ResponseMetadataTravelsWithTheStatus) {
  absl::Status status = WithResponseMetadata(
      WithApiCode(absl::ResourceExhaustedError("slow down"), api_code::kRateLimit), "retry-after",
      "3");
  status = WithResponseMetadata(status, "x-ratelimit-remaining", "0");
  auto metadata = ResponseMetadata(status);
  std::sort(metadata.begin(), metadata.end());
  ASSERT_EQ(metadata.size(), 2u);
  EXPECT_EQ(metadata[0], std::make_pair(std::string("retry-after"), std::string("3")));
  EXPECT_EQ(metadata[1], std::make_pair(std::string("x-ratelimit-remaining"), std::string("0")));
  EXPECT_EQ(ApiErrorCode(status), "RATE_LIMIT_EXCEEDED");
  EXPECT_TRUE(ResponseMetadata(absl::InternalError("x")).empty());
}

TEST(ApiErrorTest, ServerFaultsAreOursNotTheCallers) {
  for (absl::StatusCode code : {absl::StatusCode::kInternal, absl::StatusCode::kUnavailable,
                                absl::StatusCode::kDataLoss, absl::StatusCode::kUnknown,
                                absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kAborted}) {
    EXPECT_TRUE(IsServerFault(code)) << absl::StatusCodeToString(code);
  }
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
        absl::StatusCode::kAlreadyExists, absl::StatusCode::kUnauthenticated,
        absl::StatusCode::kResourceExhausted, absl::StatusCode::kFailedPrecondition}) {
    EXPECT_FALSE(IsServerFault(code)) << absl::StatusCodeToString(code);
  }
}

}  // namespace
}  // namespace affonso
