#include "services/call/admission.h"

#include <optional>
#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;

// Knows "Bearer cached" from memory; "Bearer stored" only by a lookup.
class FakeAuthenticator : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const override {
    ++lookups;
    if (authorization == "Bearer cached" || authorization == "Bearer stored") {
      return Caller{"team_1", "key_1"};
    }
    return InvalidApiKeyError();
  }
  std::optional<absl::StatusOr<Caller>> AuthenticateWithoutWaiting(
      absl::string_view authorization, absl::string_view client_address) const override {
    if (authorization == "Bearer stored") return std::nullopt;
    return Authenticate(authorization);
  }
  mutable int lookups = 0;
};

// Records its turn; refuses when told to; decides without waiting when told to.
class RecordingStage : public AdmissionStage {
 public:
  RecordingStage(std::string name, std::vector<std::string>* log) : name_(name), log_(log) {}
  absl::Status Admit(const AdmissionRequest& request, AdmissionState* state) const override {
    log_->push_back(name_);
    state->headers.emplace_back(name_, state->caller.team_id);
    return refusal;
  }
  std::optional<absl::Status> AdmitWithoutWaiting(const AdmissionRequest& request,
                                                  AdmissionState* state) const override {
    if (!decides_without_waiting) return std::nullopt;
    return Admit(request, state);
  }
  absl::Status refusal;
  bool decides_without_waiting = false;

 private:
  const std::string name_;
  std::vector<std::string>* log_;
};

AdmissionRequest Request(std::string authorization, int count = 1) {
  return AdmissionRequest{std::move(authorization), count, "192.0.2.1"};
}

class AdmissionTest : public ::testing::Test {
 protected:
  FakeAuthenticator authenticator_;
  AuthenticationStage authentication_{&authenticator_};
  std::vector<std::string> log_;
  RecordingStage second_{"second", &log_};
  RecordingStage third_{"third", &log_};
  Admission admission_{{&authentication_, &second_, &third_}};
  AdmissionState state_;
};

TEST_F(AdmissionTest, StagesRunInOrderAfterAuthenticationAndSeeItsCaller) {
  absl::Status status = admission_.Admit(Request("Bearer stored"), &state_);
  ASSERT_OK(status);
  EXPECT_EQ(state_.caller.team_id, "team_1");
  EXPECT_EQ(log_, (std::vector<std::string>{"second", "third"}));
  EXPECT_EQ(state_.headers, (ResponseHeaders{{"second", "team_1"}, {"third", "team_1"}}));
}

TEST_F(AdmissionTest, FirstRefusalIsTheAnswerAndLaterStagesDoNotRun) {
  second_.refusal = absl::ResourceExhaustedError("limited");
  EXPECT_EQ(admission_.Admit(Request("Bearer stored"), &state_).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(log_, std::vector<std::string>{"second"});
  log_.clear();
  EXPECT_EQ(ApiErrorCode(admission_.Admit(Request("Bearer wrong"), &state_)), "INVALID_API_KEY");
  EXPECT_TRUE(log_.empty());
}

TEST_F(AdmissionTest, MoreThanOneAuthorizationHeaderIsRefusedWithoutAuthenticating) {
  absl::Status status = admission_.Admit(Request("Bearer stored", 2), &state_);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(ApiErrorCode(status), "INVALID_API_KEY");
  EXPECT_EQ(authenticator_.lookups, 0);
  absl::Status inline_status;
  EXPECT_EQ(admission_.AdmitWithoutWaiting(Request("Bearer stored", 2), &state_, &inline_status),
            admission_.size());
  EXPECT_EQ(ApiErrorCode(inline_status), "INVALID_API_KEY");
  EXPECT_EQ(authenticator_.lookups, 0);
}

TEST_F(AdmissionTest, WithoutWaitingStopsAtTheFirstStageThatMightWait) {
  absl::Status status = absl::UnknownError("unset");
  // The key needs a lookup: nothing ran.
  EXPECT_EQ(admission_.AdmitWithoutWaiting(Request("Bearer stored"), &state_, &status), 0u);
  EXPECT_EQ(authenticator_.lookups, 0);
  // A cached key: authentication done, the second stage might wait.
  EXPECT_EQ(admission_.AdmitWithoutWaiting(Request("Bearer cached"), &state_, &status), 1u);
  EXPECT_EQ(state_.caller.team_id, "team_1");
  EXPECT_TRUE(log_.empty());
  // ... and the rest goes on from there.
  EXPECT_OK(admission_.Admit(Request("Bearer cached"), &state_, 1));
  EXPECT_EQ(authenticator_.lookups, 1);  // the cached check only
  EXPECT_EQ(log_, (std::vector<std::string>{"second", "third"}));
}

TEST_F(AdmissionTest, WithoutWaitingDecidesWhenEveryStageCan) {
  second_.decides_without_waiting = true;
  third_.decides_without_waiting = true;
  absl::Status status = absl::UnknownError("unset");
  EXPECT_EQ(admission_.AdmitWithoutWaiting(Request("Bearer cached"), &state_, &status),
            admission_.size());
  EXPECT_OK(status);
  EXPECT_EQ(log_, (std::vector<std::string>{"second", "third"}));
  second_.refusal = absl::ResourceExhaustedError("limited");
  log_.clear();
  EXPECT_EQ(admission_.AdmitWithoutWaiting(Request("Bearer cached"), &state_, &status),
            admission_.size());
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(log_, std::vector<std::string>{"second"});
}

TEST_F(AdmissionTest, RefusalFromMemoryEndsAdmissionWithoutWaiting) {
  absl::Status status;
  EXPECT_EQ(admission_.AdmitWithoutWaiting(Request("Bearer wrong"), &state_, &status),
            admission_.size());
  EXPECT_EQ(ApiErrorCode(status), "INVALID_API_KEY");
  EXPECT_TRUE(log_.empty());
}

}  // namespace
}  // namespace affonso::services
