#include "services/api/click_service.h"

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::Click;
using affonso::v1::TrackClickRequest;

// Answers at once, or, while `hold` is set, keeps each call's callback for
// the test to answer later from its own thread (as the batch workers do).
class FakeClickStore : public storage::ClickStore {
 public:
  void TrackClickAsync(std::string team_id, const TrackClickRequest* request,
                       storage::ClickCallback done) override {
    absl::MutexLock lock(&mu);
    ++calls;
    if (hold) {
      held.push_back({std::move(team_id), *request, std::move(done)});
      return;
    }
    done(Answer(team_id, *request));
  }
  static absl::StatusOr<Click> Answer(absl::string_view team_id, const TrackClickRequest& request) {
    if (team_id != "team_a" || request.program_id() != "prg_a") return NotFoundError("program");
    Click click;
    click.set_id("clk_" + request.tracking_id());
    click.set_program_id(request.program_id());
    click.set_tracking_id(request.tracking_id());
    return click;
  }
  struct Held {
    std::string team_id;
    TrackClickRequest request;
    storage::ClickCallback done;
  };
  absl::Mutex mu;  // calls come from gRPC's threads and the admission threads
  int calls ABSL_GUARDED_BY(mu) = 0;
  bool hold ABSL_GUARDED_BY(mu) = false;
  std::vector<Held> held ABSL_GUARDED_BY(mu);
};

TrackClickRequest Valid() {
  TrackClickRequest request;
  request.set_program_id("prg_a");
  request.set_tracking_id("alice");
  return request;
}

TEST(ValidateTrackClickTest, RequiredFieldsAndLimits) {
  EXPECT_OK(ValidateTrackClick(Valid()));
  TrackClickRequest request = Valid();
  request.clear_program_id();
  EXPECT_EQ(ApiErrorField(ValidateTrackClick(request)), "program_id");
  request = Valid();
  request.clear_tracking_id();
  EXPECT_EQ(ApiErrorField(ValidateTrackClick(request)), "tracking_id");

  struct Limit {
    void (TrackClickRequest::*set)(const std::string&);
    const char* field;
    size_t max;
  };
  const Limit limits[] = {
      {&TrackClickRequest::set_sub1, "sub1", 255},
      {&TrackClickRequest::set_sub5, "sub5", 255},
      {&TrackClickRequest::set_referrer, "referrer", 2000},
      {&TrackClickRequest::set_ip, "ip", 45},
      {&TrackClickRequest::set_user_agent, "user_agent", 1000},
      {&TrackClickRequest::set_utm_medium, "utm_medium", 255},
      {&TrackClickRequest::set_gclid, "gclid", 255},
      {&TrackClickRequest::set_ttclid, "ttclid", 255},
  };
  for (const Limit& limit : limits) {
    request = Valid();
    (request.*limit.set)(std::string(limit.max, 'x'));
    EXPECT_OK(ValidateTrackClick(request)) << limit.field;
    (request.*limit.set)(std::string(limit.max + 1, 'x'));
    EXPECT_EQ(ApiErrorField(ValidateTrackClick(request)), limit.field);
  }
}

TEST(ValidateTrackClickTest, CountryIsOptionalAndTwoLetters) {
  TrackClickRequest request = Valid();
  for (const char* good : {"", "KP", "de"}) {
    request.set_country(good);
    EXPECT_OK(ValidateTrackClick(request)) << good;
  }
  for (const char* bad : {"K", "DEU", "1A", "D-", "\xc3\xa9"}) {
    request.set_country(bad);
    EXPECT_EQ(ApiErrorField(ValidateTrackClick(request)), "country") << bad;
  }
}

class ClickServiceTest : public ::testing::Test {
 protected:
  testing::FakeAuthenticator authenticator_;
  FakeClickStore store_;
  ClickServiceImpl service_{&authenticator_, &store_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::ClickService::Stub> stub_ =
      affonso::v1::ClickService::NewStub(server_.channel());
};

TEST_F(ClickServiceTest, CreatedClickIs201) {
  auto context = testing::ContextWithAuth();
  Click click;
  ASSERT_OK(stub_->TrackClick(context.get(), Valid(), &click));
  EXPECT_EQ(click.id(), "clk_alice");
  EXPECT_EQ(testing::ServerMetadata(*context, "x-http-code"), "201");
}

TEST_F(ClickServiceTest, OtherTeamsProgramIsNotFound) {
  auto context = testing::ContextWithAuth();
  TrackClickRequest request = Valid();
  request.set_program_id("prg_b");
  Click click;
  EXPECT_THAT(stub_->TrackClick(context.get(), request, &click),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(testing::ServerMetadata(*context, "x-error-code", true), "NOT_FOUND");
}

TEST_F(ClickServiceTest, ValidationErrorNamesFieldAndSkipsStore) {
  auto context = testing::ContextWithAuth();
  TrackClickRequest request = Valid();
  request.set_ip(std::string(46, '1'));
  Click click;
  EXPECT_THAT(stub_->TrackClick(context.get(), request, &click),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(testing::ServerMetadata(*context, "x-error-field", true), "ip");
  absl::MutexLock lock(&store_.mu);
  EXPECT_EQ(store_.calls, 0);
}

// The handler returns while the store holds the call: calls wait in the
// store (its batch) on no gRPC thread, and each is answered whenever, and
// in whatever order, the store answers it.
TEST_F(ClickServiceTest, CallsWaitingOnTheStoreHoldNoThreadAndAreAnsweredWhenItAnswers) {
  {
    absl::MutexLock lock(&store_.mu);
    store_.hold = true;
  }
  constexpr int kCalls = 3;
  const char* const tracking_ids[kCalls] = {"alice", "bob", "carol"};
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<Click> clicks(kCalls);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(testing::ContextWithAuth());
    callers.emplace_back([&, i] {
      TrackClickRequest request = Valid();
      request.set_tracking_id(tracking_ids[i]);
      statuses[i] = stub_->TrackClick(contexts[i].get(), request, &clicks[i]);
    });
  }
  std::vector<FakeClickStore::Held> held;
  {
    absl::MutexLock lock(&store_.mu);
    auto all_held = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_.mu) {
      return store_.held.size() == static_cast<size_t>(kCalls);
    };
    store_.mu.Await(absl::Condition(&all_held));
    held = std::move(store_.held);
  }
  // Answered last to first, one of them NOT_FOUND.
  held[0].team_id = "team_b";
  for (int i = kCalls - 1; i >= 0; --i) {
    held[i].done(FakeClickStore::Answer(held[i].team_id, held[i].request));
  }
  for (std::thread& caller : callers) caller.join();
  int not_found = 0;
  for (int i = 0; i < kCalls; ++i) {
    if (!statuses[i].ok()) {
      EXPECT_THAT(statuses[i], StatusIs(grpc::StatusCode::NOT_FOUND));
      EXPECT_EQ(testing::ServerMetadata(*contexts[i], "x-error-code", true), "NOT_FOUND");
      EXPECT_EQ(held[0].request.tracking_id(), tracking_ids[i]);
      ++not_found;
      continue;
    }
    EXPECT_EQ(clicks[i].id(), std::string("clk_") + tracking_ids[i]);
    EXPECT_EQ(testing::ServerMetadata(*contexts[i], "x-http-code"), "201");
  }
  EXPECT_EQ(not_found, 1);
}

TEST_F(ClickServiceTest, MissingKeyNeverReachesTheStore) {
  auto context = testing::ContextWithAuth("Bearer sk_unknown");
  Click click;
  EXPECT_THAT(stub_->TrackClick(context.get(), Valid(), &click),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  absl::MutexLock lock(&store_.mu);
  EXPECT_EQ(store_.calls, 0);
}

}  // namespace
}  // namespace affonso::services
