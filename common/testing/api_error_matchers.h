#ifndef AFFONSO_COMMON_TESTING_API_ERROR_MATCHERS_H_
#define AFFONSO_COMMON_TESTING_API_ERROR_MATCHERS_H_

// A matcher for the API error a status carries (common/api_error.h):
//
//   EXPECT_THAT(Validate(request), HasApiError("VALIDATION_ERROR", "email"));
//   EXPECT_THAT(store.Get(id), HasApiError("NOT_FOUND"));
//
// It accepts absl::Status and absl::StatusOr<T>; an OK status never matches.

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"

namespace affonso::matchers {
namespace internal_status {

template <typename T>
class HasApiErrorMatcherImpl : public ::testing::MatcherInterface<T> {
 public:
  HasApiErrorMatcherImpl(::testing::Matcher<const std::string&> code,
                         ::testing::Matcher<const std::string&> field)
      : code_(std::move(code)), field_(std::move(field)) {}

  bool MatchAndExplain(T actual, ::testing::MatchResultListener* listener) const override {
    const absl::Status status = GetStatus(actual);
    *listener << "which has status " << status;
    if (status.ok()) return false;
    const std::string code = ApiErrorCode(status);
    const std::string field = ApiErrorField(status);
    *listener << " (API code \"" << code << "\", field \"" << field << "\")";
    return code_.Matches(code) && field_.Matches(field);
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "is an error whose API code ";
    code_.DescribeTo(os);
    *os << ", and whose field ";
    field_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is OK, or an error whose API code ";
    code_.DescribeNegationTo(os);
    *os << ", or whose field ";
    field_.DescribeNegationTo(os);
  }

 private:
  const ::testing::Matcher<const std::string&> code_;
  const ::testing::Matcher<const std::string&> field_;
};

class HasApiErrorMatcher {
 public:
  HasApiErrorMatcher(::testing::Matcher<const std::string&> code,
                     ::testing::Matcher<const std::string&> field)
      : code_(std::move(code)), field_(std::move(field)) {}

  template <typename T>
  operator ::testing::Matcher<T>() const {  // NOLINT: implicit by design
    return ::testing::Matcher<T>(new HasApiErrorMatcherImpl<T>(code_, field_));
  }

 private:
  ::testing::Matcher<const std::string&> code_;
  ::testing::Matcher<const std::string&> field_;
};

}  // namespace internal_status

// A failed status whose API code (ApiErrorCode: "VALIDATION_ERROR", "NOT_FOUND", ...)
// is `code`, whatever field it names.
inline internal_status::HasApiErrorMatcher HasApiError(absl::string_view code) {
  return {::testing::Eq(std::string(code)), ::testing::_};
}

// ... and whose field at fault (ApiErrorField; "" when none) is `field`.
inline internal_status::HasApiErrorMatcher HasApiError(absl::string_view code,
                                                       absl::string_view field) {
  return {::testing::Eq(std::string(code)), ::testing::Eq(std::string(field))};
}

}  // namespace affonso::matchers

#endif  // AFFONSO_COMMON_TESTING_API_ERROR_MATCHERS_H_
