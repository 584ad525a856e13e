#include "gateway/transcoder/route_table.h"

#include "common/testing/status_matchers.h"
#include "gateway/transcoder/contract.h"
#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

using ::affonso::matchers::StatusIs;

const google::protobuf::ServiceDescriptor* Service(const std::string& name) {
  for (const auto* service : ContractServices()) {
    if (service->name() == name) return service;
  }
  ADD_FAILURE() << "no service " << name;
  return nullptr;
}

RouteTable Table() {
  auto table = RouteTable::FromServices({Service("ReferralService"), Service("AffiliateService"),
                                         Service("SignupService"), Service("ProgramService")});
  EXPECT_OK(table);
  return *std::move(table);
}

TEST(PathTemplateTest, ParsesLiteralsAndVariables) {
  auto segments = ParsePathTemplate("/v1/affiliates/{affiliate_id}/commission-overrides/{id=*}");
  ASSERT_OK(segments);
  ASSERT_EQ(segments->size(), 5u);
  EXPECT_EQ((*segments)[0].literal, "v1");
  EXPECT_EQ((*segments)[2].field, "affiliate_id");
  EXPECT_EQ((*segments)[4].field, "id");
  EXPECT_THAT(ParsePathTemplate("v1/x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePathTemplate("/v1/{a=b/**}"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePathTemplate("/v1//x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RouteTableTest, EveryAnnotatedRpcIsARoute) {
  RouteTable table = Table();
  int expected = 0;
  for (const char* name :
       {"ReferralService", "AffiliateService", "SignupService", "ProgramService"}) {
    expected += Service(name)->method_count();
  }
  EXPECT_EQ(static_cast<int>(table.routes().size()), expected);
}

TEST(RouteTableTest, MatchesVerbAndBindsVariables) {
  RouteTable table = Table();
  RouteMatch match = table.Match("GET", "/v1/referrals/ref_123");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->method->name(), "GetReferral");
  ASSERT_EQ(match.bindings.size(), 1u);
  EXPECT_EQ(match.bindings[0], (std::pair<std::string, std::string>{"id", "ref_123"}));

  match = table.Match("PUT", "/v1/referrals/ref_123");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->method->name(), "UpdateReferral");

  match = table.Match("DELETE", "/v1/affiliates/aff_1/commission-overrides/ovr_2");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.bindings.size(), 2u);
  EXPECT_EQ(match.bindings[1].second, "ovr_2");
}

TEST(RouteTableTest, LiteralBeatsVariable) {
  RouteTable table = Table();
  RouteMatch match = table.Match("GET", "/v1/program/groups");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->method->name(), "ListGroups");
}

TEST(RouteTableTest, WrongVerbListsAllowedMethods) {
  RouteTable table = Table();
  RouteMatch match = table.Match("PATCH", "/v1/referrals/ref_1");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_EQ(match.allowed_methods, (std::vector<std::string>{"GET", "PUT", "DELETE"}));
  match = table.Match("PATCH", "/v1/signups");
  EXPECT_EQ(match.allowed_methods, std::vector<std::string>{"POST"});
}

TEST(RouteTableTest, UnknownPathIsNoMatch) {
  RouteTable table = Table();
  for (const char* path :
       {"/", "/v1", "/v2/referrals", "/v1/referrals/a/b", "/v1/referrals//", "/v1/referrals/%zz"}) {
    RouteMatch match = table.Match("GET", path);
    EXPECT_EQ(match.route, nullptr) << path;
    EXPECT_TRUE(match.allowed_methods.empty()) << path;
  }
}

TEST(RouteTableTest, DecodesPercentEscapesAndToleratesTrailingSlash) {
  RouteTable table = Table();
  RouteMatch match = table.Match("GET", "/v1/referrals/ref%5F1/");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.bindings[0].second, "ref_1");
}

TEST(PercentDecodeTest, HandlesPlusAndErrors) {
  EXPECT_EQ(*PercentDecode("a+b%20c", true), "a b c");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_THAT(PercentDecode("%", true), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%4", true), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%g0", true), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace affonso::gateway
