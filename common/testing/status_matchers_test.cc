#include "common/testing/status_matchers.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace affonso::matchers {
namespace {

using ::testing::Eq;
using ::testing::ExplainMatchResult;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Matches;
using ::testing::Not;
using ::testing::StringMatchResultListener;

// Shaped like grpc::Status, which this library must not depend on.
enum class FakeGrpcCode { kOk = 0, kNotFound = 5 };
class FakeGrpcStatus {
 public:
  FakeGrpcStatus(FakeGrpcCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  FakeGrpcCode error_code() const { return code_; }
  std::string error_message() const { return message_; }
  bool ok() const { return code_ == FakeGrpcCode::kOk; }

 private:
  FakeGrpcCode code_;
  std::string message_;
};

// Shaped like protobuf's util::Status: code() / message(), absl's numbering.
class FakeProtobufStatus {
 public:
  FakeProtobufStatus(int code, std::string message) : code_(code), message_(std::move(message)) {}
  int code() const { return code_; }
  std::string message() const { return message_; }
  bool ok() const { return code_ == 0; }

 private:
  int code_;
  std::string message_;
};

template <typename M, typename T>
std::string Explain(const M& matcher, const T& value) {
  StringMatchResultListener listener;
  ExplainMatchResult(matcher, value, &listener);
  return listener.str();
}

TEST(IsOkTest, MatchesOnlyOkStatuses) {
  EXPECT_TRUE(Matches(IsOk())(absl::OkStatus()));
  EXPECT_FALSE(Matches(IsOk())(absl::NotFoundError("gone")));
  EXPECT_TRUE(Matches(IsOk())(absl::StatusOr<int>(1)));
  EXPECT_FALSE(Matches(IsOk())(absl::StatusOr<int>(absl::InternalError("boom"))));
  EXPECT_TRUE(Matches(IsOk())(FakeGrpcStatus(FakeGrpcCode::kOk, "")));
  EXPECT_FALSE(Matches(IsOk())(FakeGrpcStatus(FakeGrpcCode::kNotFound, "gone")));
  EXPECT_THAT(absl::NotFoundError("gone"), Not(IsOk()));
  EXPECT_TRUE(Matches(IsOk())(FakeProtobufStatus(0, "")));
  EXPECT_FALSE(Matches(IsOk())(FakeProtobufStatus(3, "bad json")));
  EXPECT_TRUE(Matches(StatusIs(absl::StatusCode::kInvalidArgument, "bad json"))(
      FakeProtobufStatus(3, "bad json")));
}

TEST(IsOkTest, ExplainsWithTheStatus) {
  EXPECT_EQ(Explain(IsOk(), absl::NotFoundError("gone")), "which has status NOT_FOUND: gone");
  EXPECT_EQ(Explain(IsOk(), FakeGrpcStatus(FakeGrpcCode::kNotFound, "gone")),
            "which has status NOT_FOUND: gone");
}

TEST(StatusIsTest, MatchesTheCode) {
  const absl::Status gone = absl::NotFoundError("affiliate not found");
  EXPECT_TRUE(Matches(StatusIs(absl::StatusCode::kNotFound))(gone));
  EXPECT_FALSE(Matches(StatusIs(absl::StatusCode::kInvalidArgument))(gone));
  EXPECT_FALSE(Matches(StatusIs(absl::StatusCode::kNotFound))(absl::OkStatus()));
  EXPECT_TRUE(Matches(StatusIs(absl::StatusCode::kOk))(absl::OkStatus()));
  EXPECT_TRUE(Matches(StatusIs(absl::StatusCode::kNotFound))(absl::StatusOr<int>(gone)));
  EXPECT_FALSE(Matches(StatusIs(absl::StatusCode::kNotFound))(absl::StatusOr<int>(1)));
  EXPECT_TRUE(Matches(StatusIs(Not(absl::StatusCode::kOk)))(gone));
}

TEST(StatusIsTest, TakesAnotherStatusEnum) {
  const FakeGrpcStatus gone(FakeGrpcCode::kNotFound, "gone");
  EXPECT_TRUE(Matches(StatusIs(FakeGrpcCode::kNotFound))(gone));
  EXPECT_TRUE(Matches(StatusIs(absl::StatusCode::kNotFound))(gone));
  EXPECT_FALSE(Matches(StatusIs(FakeGrpcCode::kOk))(gone));
  EXPECT_TRUE(Matches(StatusIs(FakeGrpcCode::kNotFound))(absl::NotFoundError("gone")));
}

TEST(StatusIsTest, MatchesTheMessage) {
  const absl::Status gone = absl::NotFoundError("affiliate not found");
  EXPECT_TRUE(Matches(StatusIs(absl::StatusCode::kNotFound, "affiliate not found"))(gone));
  EXPECT_TRUE(Matches(StatusIs(absl::StatusCode::kNotFound, HasSubstr("affiliate")))(gone));
  EXPECT_FALSE(Matches(StatusIs(absl::StatusCode::kNotFound, HasSubstr("program")))(gone));
  EXPECT_FALSE(Matches(StatusIs(absl::StatusCode::kInternal, HasSubstr("affiliate")))(gone));
  EXPECT_TRUE(Matches(StatusIs(FakeGrpcCode::kNotFound, "gone"))(
      FakeGrpcStatus(FakeGrpcCode::kNotFound, "gone")));
}

TEST(StatusIsTest, ExplainsWithTheStatus) {
  EXPECT_EQ(Explain(StatusIs(absl::StatusCode::kInternal), absl::NotFoundError("gone")),
            "which has status NOT_FOUND: gone");
  EXPECT_THAT(
      Explain(StatusIs(absl::StatusCode::kNotFound, HasSubstr("x")), absl::NotFoundError("gone")),
      HasSubstr("which has status NOT_FOUND: gone"));
  std::stringstream description;
  ::testing::Matcher<absl::Status>(StatusIs(absl::StatusCode::kNotFound, "gone"))
      .DescribeTo(&description);
  EXPECT_THAT(description.str(), HasSubstr("NOT_FOUND"));
  EXPECT_THAT(description.str(), HasSubstr("\"gone\""));
}

TEST(IsOkAndHoldsTest, MatchesTheValueOfAnOkStatusOr) {
  EXPECT_TRUE(Matches(IsOkAndHolds(3))(absl::StatusOr<int>(3)));
  EXPECT_TRUE(Matches(IsOkAndHolds(Gt(2)))(absl::StatusOr<int>(3)));
  EXPECT_FALSE(Matches(IsOkAndHolds(4))(absl::StatusOr<int>(3)));
  EXPECT_FALSE(Matches(IsOkAndHolds(3))(absl::StatusOr<int>(absl::NotFoundError("gone"))));
  EXPECT_TRUE(Matches(IsOkAndHolds(HasSubstr("ll")))(absl::StatusOr<std::string>("hello")));
  EXPECT_TRUE(Matches(IsOkAndHolds(::testing::Pointee(7)))(
      absl::StatusOr<std::unique_ptr<int>>(std::make_unique<int>(7))));
}

TEST(IsOkAndHoldsTest, Explains) {
  EXPECT_EQ(Explain(IsOkAndHolds(3), absl::StatusOr<int>(absl::NotFoundError("gone"))),
            "which has status NOT_FOUND: gone");
  EXPECT_EQ(Explain(IsOkAndHolds(Eq(4)), absl::StatusOr<int>(3)), "which holds 3");
}

TEST(MacrosTest, PassOnOk) {
  EXPECT_OK(absl::OkStatus());
  EXPECT_OK(absl::StatusOr<int>(1)) << "context";
  ASSERT_OK(absl::OkStatus());
  ASSERT_OK(FakeGrpcStatus(FakeGrpcCode::kOk, ""));
  ASSERT_OK_AND_ASSIGN(int value, absl::StatusOr<int>(5));
  EXPECT_EQ(value, 5);
  ASSERT_OK_AND_ASSIGN(value, absl::StatusOr<int>(6));
  EXPECT_EQ(value, 6);
  ASSERT_OK_AND_ASSIGN(auto owned, absl::StatusOr<std::unique_ptr<int>>(std::make_unique<int>(8)));
  EXPECT_EQ(*owned, 8);
}

TEST(MacrosTest, FailAndPrintTheStatus) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(absl::NotFoundError("gone")), "NOT_FOUND: gone");
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(absl::StatusOr<int>(absl::InternalError("boom"))),
                          "INTERNAL: boom");
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(absl::NotFoundError("gone")) << "the context", "the context");
  EXPECT_FATAL_FAILURE(ASSERT_OK(absl::NotFoundError("gone")), "NOT_FOUND: gone");
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(absl::NotFoundError("gone"), StatusIs(absl::StatusCode::kInternal)),
      "NOT_FOUND: gone");
}

// Must be a free function: EXPECT_FATAL_FAILURE's statement can't use locals.
void AssignFromError() {
  ASSERT_OK_AND_ASSIGN(int value, absl::StatusOr<int>(absl::NotFoundError("gone")));
  (void)value;
  ADD_FAILURE() << "not reached";
}

TEST(MacrosTest, AssertOkAndAssignStopsOnError) {
  EXPECT_FATAL_FAILURE(AssignFromError(), "NOT_FOUND: gone");
}

}  // namespace
}  // namespace affonso::matchers
