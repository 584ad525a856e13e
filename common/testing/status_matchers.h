#ifndef AFFONSO_COMMON_TESTING_STATUS_MATCHERS_H_
#define AFFONSO_COMMON_TESTING_STATUS_MATCHERS_H_

// gMock matchers for statuses (Abseil 20220623 ships none; these follow
// cel-cpp's internal/testing.h). They accept absl::Status, absl::StatusOr<T>
// and anything shaped like grpc::Status (error_code() / error_message()), and
// print the status when they fail:
//
//   EXPECT_OK(store.Delete(id));
//   EXPECT_THAT(store.Get(id), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(stub->Get(&context, request, &reply), StatusIs(grpc::StatusCode::NOT_FOUND));
//   EXPECT_THAT(Parse("x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x")));
//   EXPECT_THAT(Parse("1"), IsOkAndHolds(1));
//   ASSERT_OK_AND_ASSIGN(Program program, store.Get(id));
//
// Prefer the specific expected error to a bare "not ok".

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affonso::matchers {
namespace internal_status {

inline absl::Status GetStatus(const absl::Status& status) { return status; }

template <typename T>
absl::Status GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// grpc::Status, without depending on gRPC: its codes are absl's, number for number.
template <typename S, typename = decltype(static_cast<int>(std::declval<const S&>().error_code())),
          typename = decltype(std::string(std::declval<const S&>().error_message()))>
absl::Status GetStatus(const S& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      std::string(status.error_message()));
}

// protobuf's util::Status (code() / message(), codes numbered as absl's).
template <typename S, std::enable_if_t<!std::is_same_v<S, absl::Status>, int> = 0,
          typename = decltype(static_cast<int>(std::declval<const S&>().code())),
          typename = decltype(std::string(std::declval<const S&>().message()))>
absl::Status GetStatus(const S& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.code()), std::string(status.message()));
}

template <typename T>
class IsOkMatcherImpl : public ::testing::MatcherInterface<T> {
 public:
  bool MatchAndExplain(T actual, ::testing::MatchResultListener* listener) const override {
    const absl::Status status = GetStatus(actual);
    if (status.ok()) return true;
    *listener << "which has status " << status;
    return false;
  }
  void DescribeTo(std::ostream* os) const override { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const override { *os << "is not OK"; }
};

class IsOkMatcher {
 public:
  template <typename T>
  operator ::testing::Matcher<T>() const {  // NOLINT: implicit by design
    return ::testing::Matcher<T>(new IsOkMatcherImpl<T>());
  }
};

template <typename T>
class StatusIsMatcherImpl : public ::testing::MatcherInterface<T> {
 public:
  StatusIsMatcherImpl(::testing::Matcher<absl::StatusCode> code,
                      ::testing::Matcher<const std::string&> message)
      : code_(std::move(code)), message_(std::move(message)) {}

  bool MatchAndExplain(T actual, ::testing::MatchResultListener* listener) const override {
    const absl::Status status = GetStatus(actual);
    *listener << "which has status " << status;
    ::testing::StringMatchResultListener inner;
    if (!code_.MatchAndExplain(status.code(), &inner)) {
      if (!inner.str().empty()) *listener << ", whose code " << inner.str();
      return false;
    }
    const std::string message(status.message());
    if (!message_.MatchAndExplain(message, &inner)) {
      if (!inner.str().empty()) *listener << ", whose message " << inner.str();
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "has a status code that ";
    code_.DescribeTo(os);
    *os << ", and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "has a status code that ";
    code_.DescribeNegationTo(os);
    *os << ", or a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  const ::testing::Matcher<absl::StatusCode> code_;
  const ::testing::Matcher<const std::string&> message_;
};

class StatusIsMatcher {
 public:
  StatusIsMatcher(::testing::Matcher<absl::StatusCode> code,
                  ::testing::Matcher<const std::string&> message)
      : code_(std::move(code)), message_(std::move(message)) {}

  template <typename T>
  operator ::testing::Matcher<T>() const {  // NOLINT: implicit by design
    return ::testing::Matcher<T>(new StatusIsMatcherImpl<T>(code_, message_));
  }

 private:
  ::testing::Matcher<absl::StatusCode> code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename StatusOrT, typename InnerMatcher>
class IsOkAndHoldsMatcherImpl : public ::testing::MatcherInterface<StatusOrT> {
 public:
  using Value = typename std::decay_t<StatusOrT>::value_type;

  explicit IsOkAndHoldsMatcherImpl(const InnerMatcher& inner)
      : inner_(::testing::SafeMatcherCast<const Value&>(inner)) {}

  bool MatchAndExplain(StatusOrT actual, ::testing::MatchResultListener* listener) const override {
    if (!actual.ok()) {
      *listener << "which has status " << actual.status();
      return false;
    }
    ::testing::StringMatchResultListener inner;
    const bool matches = inner_.MatchAndExplain(*actual, &inner);
    *listener << "which holds " << ::testing::PrintToString(*actual);
    if (!inner.str().empty()) *listener << ", " << inner.str();
    return matches;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and holds a value that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not OK, or holds a value that ";
    inner_.DescribeNegationTo(os);
  }

 private:
  const ::testing::Matcher<const Value&> inner_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename StatusOrT>
  operator ::testing::Matcher<StatusOrT>() const {  // NOLINT: implicit by design
    return ::testing::Matcher<StatusOrT>(
        new IsOkAndHoldsMatcherImpl<StatusOrT, InnerMatcher>(inner_));
  }

 private:
  InnerMatcher inner_;
};

// A code given as another status enum (grpc::StatusCode), or a matcher of absl's.
template <typename C>
::testing::Matcher<absl::StatusCode> CodeMatcher(const C& code) {
  if constexpr (std::is_enum_v<C> && !std::is_same_v<C, absl::StatusCode>) {
    return ::testing::Eq(static_cast<absl::StatusCode>(code));
  } else {
    return ::testing::MatcherCast<absl::StatusCode>(code);
  }
}

}  // namespace internal_status

// The status is OK.
inline internal_status::IsOkMatcher IsOk() { return {}; }

// The status's code matches `code` (an absl::StatusCode, a grpc::StatusCode, or a
// matcher of absl::StatusCode), and its message matches `message`.
template <typename CodeMatcher>
internal_status::StatusIsMatcher StatusIs(const CodeMatcher& code) {
  return {internal_status::CodeMatcher(code), ::testing::_};
}
template <typename CodeMatcher, typename MessageMatcher>
internal_status::StatusIsMatcher StatusIs(const CodeMatcher& code, const MessageMatcher& message) {
  return {internal_status::CodeMatcher(code), ::testing::MatcherCast<const std::string&>(message)};
}

// An OK absl::StatusOr<T> whose value matches `inner`.
template <typename InnerMatcher>
internal_status::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>> IsOkAndHolds(
    InnerMatcher&& inner) {
  return internal_status::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>(
      std::forward<InnerMatcher>(inner));
}

}  // namespace affonso::matchers

// Both print the status when it is not OK, and take `<<` for more context.
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::affonso::matchers::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::affonso::matchers::IsOk())

// Evaluates `rexpr` (an absl::StatusOr<T>) once, asserts it is OK, and moves its
// value into `lhs` (a declaration such as `auto x` or an existing variable).
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  AFFONSO_ASSERT_OK_AND_ASSIGN_IMPL_(    \
      AFFONSO_STATUS_MATCHERS_CONCAT_(affonso_status_or_, __LINE__), lhs, rexpr)
#define AFFONSO_ASSERT_OK_AND_ASSIGN_IMPL_(status_or, lhs, rexpr) \
  auto status_or = (rexpr);                                       \
  ASSERT_OK(status_or);                                           \
  lhs = std::move(status_or).value()
#define AFFONSO_STATUS_MATCHERS_CONCAT_INNER_(a, b) a##b
#define AFFONSO_STATUS_MATCHERS_CONCAT_(a, b) AFFONSO_STATUS_MATCHERS_CONCAT_INNER_(a, b)

#endif  // AFFONSO_COMMON_TESTING_STATUS_MATCHERS_H_
