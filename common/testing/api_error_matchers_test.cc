#include "common/testing/api_error_matchers.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/api_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace affonso::matchers {
namespace {

using ::testing::Matches;
using ::testing::Not;

TEST(HasApiErrorTest, MatchesCodeAndField) {
  const absl::Status bad_email = ValidationError("email", "email is invalid");
  EXPECT_TRUE(Matches(HasApiError("VALIDATION_ERROR", "email"))(bad_email));
  EXPECT_TRUE(Matches(HasApiError("VALIDATION_ERROR"))(bad_email));
  EXPECT_FALSE(Matches(HasApiError("VALIDATION_ERROR", "name"))(bad_email));
  EXPECT_FALSE(Matches(HasApiError("NOT_FOUND"))(bad_email));
  EXPECT_TRUE(Matches(HasApiError("NOT_FOUND", ""))(NotFoundError("click")));
  EXPECT_TRUE(Matches(HasApiError("DUPLICATE_ERROR", "tracking_id"))(
      absl::StatusOr<int>(DuplicateError("tracking_id", "taken"))));
  // Derived from the canonical code when there is no payload.
  EXPECT_TRUE(Matches(HasApiError("VALIDATION_ERROR", ""))(absl::InvalidArgumentError("x")));
  EXPECT_THAT(bad_email, Not(HasApiError("VALIDATION_ERROR", "name")));
}

TEST(HasApiErrorTest, NeverMatchesOk) {
  EXPECT_FALSE(Matches(HasApiError("VALIDATION_ERROR"))(absl::OkStatus()));
  EXPECT_FALSE(Matches(HasApiError("INTERNAL_ERROR", ""))(absl::StatusOr<int>(1)));
}

TEST(HasApiErrorTest, FailurePrintsCodeAndField) {
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(ValidationError("email", "email is invalid"),
                                      HasApiError("VALIDATION_ERROR", "name")),
                          "field \"email\"");
}

}  // namespace
}  // namespace affonso::matchers
