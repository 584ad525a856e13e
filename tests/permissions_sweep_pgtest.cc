// API-key permissions over every REST route and every RPC, driven by the
// route table and the contract's descriptors so a new endpoint cannot be
// missed: a key without the route's permission is refused 403 (REST: code
// FORBIDDEN with reason INSUFFICIENT_PERMISSIONS; gRPC: PERMISSION_DENIED with
// the error-code trailer INSUFFICIENT_PERMISSIONS) before the method runs, so
// the refusal changes nothing; a key with only that permission is not refused.
#include <grpcpp/generic/generic_stub.h>

#include <future>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "common/wire_metadata.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/route_table.h"
#include "proto/affonso/v1/annotations.pb.h"
#include "services/call/permissions.h"
#include "storage/pg_api_key_store.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

std::string RouteKey(const gateway::Route& route) {
  return absl::StrCat(route.http_method, " ", route.path_template);
}

std::string Permission(const google::protobuf::MethodDescriptor* method) {
  return method->options().GetExtension(affonso::v1::permission);
}

// The public endpoints (POST /v1/track, the pixel's signup, the partner-token
// reads) need no key and so no permission: tests/tracking_rest_pgtest.cc and
// tests/partner_access_rest_pgtest.cc cover what authorises them.
bool Unauthenticated(const google::protobuf::MethodDescriptor* method) {
  return method->options().GetExtension(affonso::v1::unauthenticated);
}

class PermissionsSweepTest : public RestTest {
 protected:
  // Rate limiting on, as in production: a refused call is still counted.
  void Configure(services::ServerConfig& config) override {
    config.rate_limit_per_minute = 6000;
    config.rate_limit_per_second = 1000;
  }

  void SetUp() override {
    RestTest::SetUp();
    if (HasFatalFailure()) return;
    auto table = gateway::RouteTable::FromServices(gateway::ContractServices());
    ASSERT_OK(table);
    table_ = *std::move(table);
    auto permissions = services::MethodPermissions::FromServices(gateway::ContractServices());
    ASSERT_OK(permissions);
    names_ = permissions->names();
    ASSERT_GE(names_.size(), 2u);
    for (const std::string& name : names_) {
      std::vector<std::string> others;
      for (const std::string& other : names_) {
        if (other != name) others.push_back(other);
      }
      without_[name] = KeyWith(others);
      only_[name] = KeyWith({name});
    }
  }

  // Tenant A as a key of A's with just `permissions`; its id in `*id`.
  storage::testing::Tenant KeyWith(const std::vector<std::string>& permissions,
                                   std::string* id = nullptr) {
    storage::PgApiKeyStore store(&db_->pool());
    auto key = store.CreateApiKeyWithPermissions(a_.team_id, permissions);
    EXPECT_OK(key);
    storage::testing::Tenant tenant = a_;
    tenant.api_key = key.ok() ? key->key : "";
    if (id != nullptr && key.ok()) *id = key->id;
    return tenant;
  }

  // The route's path with every variable bound to an id that names nothing.
  static std::string PathOf(const gateway::Route& route) {
    std::string path;
    for (const gateway::Route::Segment& segment : route.segments) {
      absl::StrAppend(&path, "/", segment.field.empty() ? segment.literal : "nope_1");
    }
    return path;
  }

  // "<table>=<md5 of its rows>" for every table but the rate limiter's (each
  // call, refused or not, takes from its bucket).
  std::string Snapshot() {
    return db_->QueryValue(
        "SELECT string_agg(table_name || '=' || (xpath('/row/c/text()', query_to_xml("
        "  'SELECT md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) AS c "
        "   FROM ' || quote_ident(table_name) || ' t', false, true, '')))[1]::text, ',' "
        "  ORDER BY table_name) "
        "FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'rate_limit%'");
  }

  // A REST refusal for want of `permission`, in the gateway's form:
  // {"code":"FORBIDDEN",...,"details":[{"reason":"INSUFFICIENT_PERMISSIONS"}]}
  // (a gateway that names the reason as the code passes too).
  static void ExpectRefused(const HttpResult& result, const std::string& permission) {
    EXPECT_EQ(result.status, 403) << result.body;
    EXPECT_TRUE(absl::StrContains(result.body, "INSUFFICIENT_PERMISSIONS")) << result.body;
    EXPECT_TRUE(absl::StrContains(result.body, permission))
        << "names no permission: " << result.body;
    const std::string code = result.ErrorCode();
    EXPECT_TRUE(code == "FORBIDDEN" || code == "INSUFFICIENT_PERMISSIONS") << result.body;
    if (code == "FORBIDDEN") {
      const auto& error = result.json.fields().at("error").struct_value().fields();
      auto details = error.find("details");
      ASSERT_NE(details, error.end()) << result.body;
      ASSERT_GE(details->second.list_value().values_size(), 1) << result.body;
      const auto& first = details->second.list_value().values(0).struct_value().fields();
      ASSERT_TRUE(first.count("reason")) << result.body;
      EXPECT_EQ(first.at("reason").string_value(), "INSUFFICIENT_PERMISSIONS") << result.body;
    }
    EXPECT_TRUE(result.headers.count("x-ratelimit-limit")) << result.head;
  }

  // Calls `method` over gRPC with an empty request as `key`.
  grpc::Status CallRpc(const google::protobuf::MethodDescriptor* method, const std::string& key,
                       grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer " + key);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::GenericStub stub(channel_);
    grpc::Slice slice("");
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(context, absl::StrCat("/", method->service()->full_name(), "/", method->name()),
                   grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  gateway::RouteTable table_;
  std::vector<std::string> names_;
  std::map<std::string, storage::testing::Tenant> without_, only_;  // by permission
};

TEST_F(PermissionsSweepTest, EveryRouteAndEveryRpcNamesAPermission) {
  ASSERT_FALSE(table_.routes().empty());
  int unauthenticated = 0;
  for (const gateway::Route& route : table_.routes()) {
    if (Unauthenticated(route.method)) {
      EXPECT_TRUE(Permission(route.method).empty()) << RouteKey(route);
      ++unauthenticated;
      continue;
    }
    EXPECT_FALSE(Permission(route.method).empty())
        << "route with no permission: " << RouteKey(route) << " (" << route.method->full_name()
        << ")";
  }
  // The pixel's two, and the two partner-token reads (the token is their
  // authority: tests/partner_access_rest_pgtest.cc).
  EXPECT_EQ(unauthenticated, 4) << "only POST /v1/track, POST /v1/track/signup, POST "
                                   "/v1/portal/me and POST /v1/embed/me need no key";
  for (const auto* service : gateway::ContractServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      if (Unauthenticated(service->method(i))) continue;
      EXPECT_FALSE(Permission(service->method(i)).empty())
          << "rpc with no permission: " << service->method(i)->full_name();
    }
  }
}

TEST_F(PermissionsSweepTest, EveryRouteRefusesAKeyWithoutItsPermission) {
  const std::string before = Snapshot();
  ASSERT_TRUE(absl::StrContains(before, "affiliates=")) << before;
  int refused = 0;
  std::string sample;
  for (const gateway::Route& route : table_.routes()) {
    if (Unauthenticated(route.method)) continue;
    const std::string permission = Permission(route.method);
    SCOPED_TRACE(absl::StrCat(RouteKey(route), " needs ", permission));
    ASSERT_TRUE(without_.count(permission)) << "a permission no method needs?";
    const std::string path = PathOf(route);
    ASSERT_EQ(table_.Match(route.http_method, path).route, &route) << path;
    const std::string body = route.body.empty() ? "" : "{}";
    HttpResult result = Call(route.http_method, path, body, &without_[permission]);
    ExpectRefused(result, permission);
    if (sample.empty()) sample = result.body;
    ++refused;
  }
  EXPECT_EQ(Snapshot(), before) << "a refused call changed the database";

  for (const gateway::Route& route : table_.routes()) {
    if (Unauthenticated(route.method)) continue;
    const std::string permission = Permission(route.method);
    SCOPED_TRACE(absl::StrCat(RouteKey(route), " needs ", permission));
    const std::string body = route.body.empty() ? "" : "{}";
    HttpResult result = Call(route.http_method, PathOf(route), body, &only_[permission]);
    EXPECT_NE(result.status, 403) << result.body;  // any other answer will do
    EXPECT_NE(result.status, 0);
  }
  std::cout << "permission sweep: " << refused << " routes refused without their permission, "
            << "e.g. " << sample << "\n";
}

TEST_F(PermissionsSweepTest, EveryRpcRefusesAKeyWithoutItsPermission) {
  const std::string before = Snapshot();
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const auto* service : gateway::ContractServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      if (!Unauthenticated(service->method(i))) methods.push_back(service->method(i));
    }
  }
  for (const auto* method : methods) {
    const std::string permission = Permission(method);
    SCOPED_TRACE(absl::StrCat(method->full_name(), " needs ", permission));
    grpc::ClientContext context;
    grpc::Status status = CallRpc(method, without_[permission].api_key, &context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_EQ(Trailer(context, kErrorCodeKey), "INSUFFICIENT_PERMISSIONS");
    EXPECT_TRUE(absl::StrContains(status.error_message(), permission)) << status.error_message();
  }
  EXPECT_EQ(Snapshot(), before) << "a refused call changed the database";
  for (const auto* method : methods) {
    const std::string permission = Permission(method);
    SCOPED_TRACE(absl::StrCat(method->full_name(), " needs ", permission));
    grpc::ClientContext context;
    grpc::Status status = CallRpc(method, only_[permission].api_key, &context);
    EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  }
}

// Valid writes, refused for want of their permission, write nothing; the
// same requests with it succeed (so they were valid).
TEST_F(PermissionsSweepTest, ARefusedWriteChangesNothing) {
  const std::string affiliate = absl::StrCat(
      R"({"name":"Perm Test","email":"perm@example.com","program_id":")", a_.program_id, R"("})");
  const std::string click = absl::StrCat(R"({"program_id":")", a_.program_id,
                                         R"(","tracking_id":")", a_.tracking_id, R"("})");
  const std::string affiliates = "SELECT count(*) FROM affiliates";
  const std::string clicks = "SELECT count(*) FROM clicks";
  const std::string affiliates_before = db_->QueryValue(affiliates);
  const std::string clicks_before = db_->QueryValue(clicks);

  ExpectRefused(Call("POST", "/v1/affiliates", affiliate, &without_["write:affiliates"]),
                "write:affiliates");
  ExpectRefused(Call("POST", "/v1/clicks", click, &only_["write:affiliates"]), "create:clicks");
  EXPECT_EQ(db_->QueryValue(affiliates), affiliates_before);
  EXPECT_EQ(db_->QueryValue(clicks), clicks_before);

  EXPECT_EQ(Call("POST", "/v1/affiliates", affiliate, &only_["write:affiliates"]).status, 201);
  EXPECT_EQ(Call("POST", "/v1/clicks", click, &only_["create:clicks"]).status, 201);
  EXPECT_EQ(std::stoi(db_->QueryValue(affiliates)), std::stoi(affiliates_before) + 1);
  EXPECT_EQ(std::stoi(db_->QueryValue(clicks)), std::stoi(clicks_before) + 1);
}

// The onboarding form is the program's (read:program / write:program); an
// affiliate's answers are the affiliate's (read:affiliates / write:affiliates).
TEST_F(PermissionsSweepTest, OnboardingFormsAreProgramSettingsAndAnswersAffiliateData) {
  const std::string form =
      R"({"name":"Onboarding","questions":[{"question":"Site?","type":"text_input","order":1}]})";
  const std::string forms = "SELECT count(*) FROM onboarding_forms";
  ExpectRefused(Call("POST", "/v1/onboarding-form", form, &only_["write:affiliates"]),
                "write:program");
  ExpectRefused(Call("GET", "/v1/onboarding-form", "", &only_["read:affiliates"]), "read:program");
  EXPECT_EQ(db_->QueryValue(forms), "0");
  HttpResult created = Call("POST", "/v1/onboarding-form", form, &only_["write:program"]);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(db_->QueryValue(forms), "1");
  EXPECT_EQ(Call("GET", "/v1/onboarding-form", "", &only_["read:program"]).status, 200);

  const std::string question = created.json.fields()
                                   .at("data")
                                   .struct_value()
                                   .fields()
                                   .at("questions")
                                   .list_value()
                                   .values(0)
                                   .struct_value()
                                   .fields()
                                   .at("id")
                                   .string_value();
  const std::string responses = "/v1/affiliates/" + a_.affiliate_id + "/onboarding-responses";
  const std::string answer = absl::StrCat(R"({"responses":[{"question_id":")", question,
                                          R"(","answer":"https://partner.example"}]})");
  const std::string answers = "SELECT count(*) FROM onboarding_answers";
  ExpectRefused(Call("POST", responses, answer, &only_["write:program"]), "write:affiliates");
  ExpectRefused(Call("GET", responses, "", &only_["read:program"]), "read:affiliates");
  EXPECT_EQ(db_->QueryValue(answers), "0");
  EXPECT_EQ(Call("POST", responses, answer, &only_["write:affiliates"]).status, 200);
  EXPECT_EQ(db_->QueryValue(answers), "1");
  EXPECT_EQ(Call("GET", responses, "", &only_["read:affiliates"]).status, 200);
}

// Refused calls take from the key's rate limit like any other: a key cannot
// hammer the server with calls it may not make.
TEST_F(PermissionsSweepTest, RefusedCallsCountAgainstTheKeysRateLimit) {
  storage::PgApiKeyStore store(&db_->pool());
  std::string id;
  const storage::testing::Tenant key = KeyWith({"read:referrals"}, &id);
  ASSERT_OK(store.SetApiKeyRateLimit(id, 3, 3));
  for (int i = 0; i < 3; ++i)
    ExpectRefused(Call("GET", "/v1/affiliates", "", &key), "read:affiliates");
  EXPECT_EQ(Call("GET", "/v1/affiliates", "", &key).status, 429);
  EXPECT_EQ(Call("GET", "/v1/referrals", "", &key).status, 429);
}

// A permission change reaches the running server as a revocation does: at
// once through the change feed, at the latest after the key cache's TTL.
TEST_F(PermissionsSweepTest, APermissionChangeTakesEffectOnTheRunningServer) {
  storage::PgApiKeyStore store(&db_->pool());
  auto issued = store.CreateApiKey(a_.team_id);
  ASSERT_OK(issued);
  storage::testing::Tenant key = a_;
  key.api_key = issued->key;
  ASSERT_EQ(Call("GET", "/v1/affiliates", "", &key).status, 200);  // now cached

  auto await_status = [&](int status) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);  // beyond the 10 s TTL
    HttpResult result;
    do {
      result = Call("GET", "/v1/affiliates", "", &key);
      if (result.status == status) return result;
      absl::SleepFor(absl::Milliseconds(20));
    } while (absl::Now() < deadline);
    return result;
  };
  ASSERT_OK(store.SetApiKeyPermissions(issued->id, std::vector<std::string>{"read:referrals"}));
  ExpectRefused(await_status(403), "read:affiliates");
  EXPECT_EQ(Call("GET", "/v1/referrals", "", &key).status, 200);
  ASSERT_OK(store.SetApiKeyPermissions(issued->id, std::nullopt));
  EXPECT_EQ(await_status(200).status, 200);
}

}  // namespace
}  // namespace affonso::tests
