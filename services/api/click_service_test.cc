#include "services/api/click_service.h"

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::Click;
using affonso::v1::TrackClickRequest;

class FakeClickStore : public storage::ClickStore {
 public:
  absl::StatusOr<Click> TrackClick(absl::string_view team_id,
                                   const TrackClickRequest& request) override {
    ++calls;
    if (team_id != "team_a" || request.program_id() != "prg_a") return NotFoundError("program");
    Click click;
    click.set_id("clk_new");
    click.set_program_id(request.program_id());
    click.set_tracking_id(request.tracking_id());
    return click;
  }
  int calls = 0;
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
  EXPECT_EQ(click.id(), "clk_new");
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
  EXPECT_EQ(store_.calls, 0);
}

}  // namespace
}  // namespace affonso::services
