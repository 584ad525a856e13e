#include "services/call/permissions.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/grpc_metadata.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "common/wire_metadata.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/annotations.pb.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "services/call/admission.h"
#include "services/call/admission_executor.h"
#include "services/call/rpc_runner.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using ::testing::HasSubstr;

// test.ThingService: GetThing and PutThing with the permissions given ("" for
// none), built in `pool`.
const google::protobuf::ServiceDescriptor* ThingService(google::protobuf::DescriptorPool* pool,
                                                        const std::string& get_permission,
                                                        const std::string& put_permission) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("test/things.proto");
  file.set_package("test");
  file.set_syntax("proto3");
  file.add_message_type()->set_name("Thing");
  google::protobuf::ServiceDescriptorProto* service = file.add_service();
  service->set_name("ThingService");
  for (const auto& [name, permission] :
       {std::pair{"GetThing", get_permission}, std::pair{"PutThing", put_permission}}) {
    google::protobuf::MethodDescriptorProto* method = service->add_method();
    method->set_name(name);
    method->set_input_type(".test.Thing");
    method->set_output_type(".test.Thing");
    if (!permission.empty()) {
      method->mutable_options()->SetExtension(affonso::v1::permission, permission);
    }
  }
  if (pool->BuildFile(file) == nullptr) return nullptr;
  return pool->FindServiceByName("test.ThingService");
}

TEST(MethodPermissionsTest, ReadsEachMethodsPermissionByItsFullName) {
  google::protobuf::DescriptorPool pool;
  const auto* service = ThingService(&pool, "read:things", "write:things");
  ASSERT_NE(service, nullptr);
  auto permissions = MethodPermissions::FromServices({service});
  ASSERT_OK(permissions);
  ASSERT_NE(permissions->For("/test.ThingService/GetThing"), nullptr);
  EXPECT_EQ(*permissions->For("/test.ThingService/GetThing"), "read:things");
  EXPECT_EQ(*permissions->For("/test.ThingService/PutThing"), "write:things");
  EXPECT_EQ(permissions->For("/test.ThingService/DropThing"), nullptr);
  EXPECT_EQ(permissions->For("GetThing"), nullptr);
  EXPECT_EQ(permissions->For(""), nullptr);
  EXPECT_EQ(permissions->names(), (std::vector<std::string>{"read:things", "write:things"}));
}

TEST(MethodPermissionsTest, AMethodWithoutAPermissionStopsStartUp) {
  google::protobuf::DescriptorPool pool;
  const auto* service = ThingService(&pool, "read:things", "");
  ASSERT_NE(service, nullptr);
  auto permissions = MethodPermissions::FromServices({service});
  EXPECT_THAT(permissions.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(permissions.status().message(), HasSubstr("test.ThingService.PutThing"));
  EXPECT_THAT(permissions.status().message(), HasSubstr("names no permission"));
}

TEST(MethodPermissionsTest, AMalformedPermissionStopsStartUp) {
  for (const char* malformed :
       {"things", "read:", "delete:things", "Read:Things", "read:things "}) {
    SCOPED_TRACE(malformed);
    google::protobuf::DescriptorPool pool;
    const auto* service = ThingService(&pool, "read:things", malformed);
    ASSERT_NE(service, nullptr);
    auto permissions = MethodPermissions::FromServices({service});
    EXPECT_THAT(permissions.status(), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(permissions.status().message(), HasSubstr("PutThing"));
  }
}

TEST(MethodPermissionsTest, CheckKnownNamesTheUnknownPermissionAndTheKnownOnes) {
  google::protobuf::DescriptorPool pool;
  auto permissions =
      MethodPermissions::FromServices({ThingService(&pool, "read:things", "create:things")});
  ASSERT_OK(permissions);
  EXPECT_OK(permissions->CheckKnown({}));
  EXPECT_OK(permissions->CheckKnown({"create:things", "read:things"}));
  absl::Status unknown = permissions->CheckKnown({"read:things", "write:things"});
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(unknown.message(), HasSubstr("\"write:things\""));
  EXPECT_THAT(unknown.message(), HasSubstr("create:things, read:things"));
}

// Two of the contract's services, as the generated code has them (the sweep,
// tests:permissions_sweep_pgtest, reads every one).
TEST(MethodPermissionsTest, TheContractsServicesNameTheirPermissions) {
  auto permissions = MethodPermissions::FromServices(
      {affonso::v1::TrackClickRequest::descriptor()->file()->FindServiceByName("ClickService"),
       affonso::v1::RecordSignupRequest::descriptor()->file()->FindServiceByName("SignupService")});
  ASSERT_OK(permissions);
  EXPECT_EQ(*permissions->For("/affonso.v1.ClickService/TrackClick"), "create:clicks");
  EXPECT_EQ(*permissions->For("/affonso.v1.SignupService/RecordSignup"), "write:referrals");
}

class PermissionStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto permissions =
        MethodPermissions::FromServices({ThingService(&pool_, "read:things", "write:things")});
    ASSERT_OK(permissions);
    permissions_ = *std::move(permissions);
  }

  static AdmissionRequest Request(std::string method) {
    AdmissionRequest request;
    request.authorization = "Bearer key";
    request.authorization_count = 1;
    request.method = std::move(method);
    return request;
  }

  static AdmissionState Holding(std::vector<std::string> permissions) {
    AdmissionState state;
    state.caller = Caller{"team_1", "key_1"};
    state.caller.permissions =
        std::make_shared<const std::vector<std::string>>(std::move(permissions));
    return state;
  }

  google::protobuf::DescriptorPool pool_;
  MethodPermissions permissions_;
  PermissionStage stage_{&permissions_};
};

TEST_F(PermissionStageTest, AKeyWithoutAListMayCallEveryMethod) {
  AdmissionState state;
  state.caller = Caller{"team_1", "key_1"};
  EXPECT_OK(stage_.Admit(Request("/test.ThingService/GetThing"), &state));
  EXPECT_OK(stage_.Admit(Request("/test.ThingService/PutThing"), &state));
}

TEST_F(PermissionStageTest, AKeyMayCallOnlyTheMethodsOfItsPermissions) {
  AdmissionState state = Holding({"read:things"});
  EXPECT_OK(stage_.Admit(Request("/test.ThingService/GetThing"), &state));
  absl::Status refused = stage_.Admit(Request("/test.ThingService/PutThing"), &state);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(ApiErrorCode(refused), "INSUFFICIENT_PERMISSIONS");
  EXPECT_THAT(refused.message(), HasSubstr("\"write:things\""));
  EXPECT_THAT(refused.message(), HasSubstr("PutThing"));

  AdmissionState none_of_them = Holding({"read:other"});
  EXPECT_THAT(stage_.Admit(Request("/test.ThingService/GetThing"), &none_of_them),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(PermissionStageTest, DecidesWithoutWaiting) {
  AdmissionState state = Holding({"read:things"});
  std::optional<absl::Status> admitted =
      stage_.AdmitWithoutWaiting(Request("/test.ThingService/GetThing"), &state);
  ASSERT_TRUE(admitted.has_value());
  EXPECT_OK(*admitted);
  std::optional<absl::Status> refused =
      stage_.AdmitWithoutWaiting(Request("/test.ThingService/PutThing"), &state);
  ASSERT_TRUE(refused.has_value());
  EXPECT_THAT(*refused, StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(PermissionStageTest, AnUnknownMethodIsNeverLetThrough) {
  AdmissionState state;  // every permission
  state.caller = Caller{"team_1", "key_1"};
  for (const char* method : {"", "/test.ThingService/DropThing", "GetThing"}) {
    SCOPED_TRACE(method);
    absl::Status status = stage_.Admit(Request(method), &state);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal));
  }
}

TEST_F(PermissionStageTest, ARefusalCarriesTheRateLimitHeadersOfTheCall) {
  AdmissionState state = Holding({"read:things"});
  state.headers = {{kRateLimitLimitKey, "300"}, {kRateLimitRemainingKey, "299"}};
  absl::Status refused = stage_.Admit(Request("/test.ThingService/PutThing"), &state);
  EXPECT_THAT(ResponseMetadata(refused),
              ::testing::UnorderedElementsAre(
                  std::pair<std::string, std::string>{kRateLimitLimitKey, "300"},
                  std::pair<std::string, std::string>{kRateLimitRemainingKey, "299"}));
}

// ---- the whole call path: the interceptor names the method, RpcRunner's
// admission checks it, for a synchronous and a callback service.

// "Bearer all": every permission; "Bearer clicks": create:clicks only.
class KeyAuthenticator final : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const override {
    Caller caller{"team_1", "key_1"};
    if (authorization == "Bearer all") return caller;
    if (authorization == "Bearer clicks") {
      caller.permissions = std::make_shared<const std::vector<std::string>>(
          std::vector<std::string>{"create:clicks"});
      return caller;
    }
    return InvalidApiKeyError();
  }
  std::optional<absl::StatusOr<Caller>> AuthenticateWithoutWaiting(
      absl::string_view authorization, absl::string_view client_address) const override {
    return Authenticate(authorization);
  }
};

class Clicks final : public affonso::v1::ClickService::Service {
 public:
  explicit Clicks(RpcRunner runner) : runner_(std::move(runner)) {}
  grpc::Status TrackClick(grpc::ServerContext* context,
                          const affonso::v1::TrackClickRequest* request,
                          affonso::v1::Click* response) override {
    return runner_.Run(context, "TrackClick", *request, [&](const Caller&) {
      response->set_id("clk_1");
      return absl::OkStatus();
    });
  }

 private:
  RpcRunner runner_;
};

class Signups final : public affonso::v1::SignupService::CallbackService {
 public:
  explicit Signups(RpcRunner runner) : runner_(std::move(runner)) {}
  grpc::ServerUnaryReactor* RecordSignup(grpc::CallbackServerContext* context,
                                         const affonso::v1::RecordSignupRequest* request,
                                         affonso::v1::RecordSignupResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    runner_.BeginAsync(context, [this, context, reactor](CallScope scope) {
      absl::Status status = scope.caller.ok() ? absl::OkStatus() : scope.caller.status();
      reactor->Finish(runner_.End(context, "RecordSignup", scope, status));
    });
    return reactor;
  }

 private:
  RpcRunner runner_;
};

class CallPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto permissions = MethodPermissions::FromServices(
        {affonso::v1::TrackClickRequest::descriptor()->file()->FindServiceByName("ClickService"),
         affonso::v1::RecordSignupRequest::descriptor()->file()->FindServiceByName(
             "SignupService")});
    ASSERT_OK(permissions);
    permissions_ = *std::move(permissions);
  }

  void Serve(bool name_methods) {
    grpc::ServerBuilder builder;
    if (name_methods) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
      factories.push_back(std::make_unique<MethodNameInterceptorFactory>());
      builder.experimental().SetInterceptorCreators(std::move(factories));
    }
    builder.RegisterService(&clicks_);
    builder.RegisterService(&signups_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    executor_.Shutdown();
  }

  grpc::Status TrackClick(const std::string& key, grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer " + key);
    affonso::v1::Click click;
    return affonso::v1::ClickService::NewStub(channel_)->TrackClick(
        context, affonso::v1::TrackClickRequest(), &click);
  }

  grpc::Status RecordSignup(const std::string& key, grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer " + key);
    affonso::v1::RecordSignupResponse response;
    return affonso::v1::SignupService::NewStub(channel_)->RecordSignup(
        context, affonso::v1::RecordSignupRequest(), &response);
  }

  KeyAuthenticator authenticator_;
  AuthenticationStage authentication_{&authenticator_};
  MethodPermissions permissions_;
  PermissionStage permission_stage_{&permissions_};
  Admission admission_{{&authentication_, &permission_stage_}};
  ServerCalls calls_;
  metrics::Registry registry_;
  RpcMetrics metrics_{&registry_};
  AdmissionExecutor executor_{AdmissionExecutor::Options{1, 16}};
  RpcRunner runner_{&admission_, &calls_, &metrics_, &executor_};
  Clicks clicks_{runner_};
  Signups signups_{runner_};
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(CallPathTest, SyncAndCallbackMethodsAreCheckedAgainstTheKeysPermissions) {
  Serve(/*name_methods=*/true);
  {
    grpc::ClientContext context;
    EXPECT_TRUE(TrackClick("clicks", &context).ok());
  }
  {
    grpc::ClientContext context;
    grpc::Status status = RecordSignup("clicks", &context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("write:referrals"));
    EXPECT_EQ(MetadataValue(context.GetServerTrailingMetadata(), kErrorCodeKey),
              "INSUFFICIENT_PERMISSIONS");
  }
  for (bool sync : {true, false}) {
    grpc::ClientContext context;
    EXPECT_TRUE((sync ? TrackClick("all", &context) : RecordSignup("all", &context)).ok());
  }
}

TEST_F(CallPathTest, WithoutTheMethodsNamedEveryCallIsRefused) {
  Serve(/*name_methods=*/false);
  for (bool sync : {true, false}) {
    SCOPED_TRACE(sync ? "sync" : "callback");
    grpc::ClientContext context;
    grpc::Status status = sync ? TrackClick("all", &context) : RecordSignup("all", &context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  }
}

}  // namespace
}  // namespace affonso::services
