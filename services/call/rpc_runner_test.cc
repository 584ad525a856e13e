#include "services/call/rpc_runner.h"

#include <string>

#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/program.pb.h"
#include "proto/affonso/v1/referrals.pb.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::CreateReferralRequest;

// metadata {"a":{"a":...{"a":1}}} with `objects` objects, metadata included.
CreateReferralRequest WithNestedMetadata(int objects) {
  CreateReferralRequest request;
  google::protobuf::Struct* object = request.mutable_metadata();
  for (int i = 1; i < objects; ++i) {
    object = (*object->mutable_fields())["a"].mutable_struct_value();
  }
  (*object->mutable_fields())["a"].set_number_value(1);
  return request;
}

// The REST gateway lets a body nest 32 levels (the request object is the
// first); a gRPC request gets the same bound, as a validation error naming
// the field, not a failure further on.
TEST(CheckRequestTest, StructsNestAsDeepAsRestBodiesAndNoDeeper) {
  EXPECT_OK(RpcRunner::CheckRequest(WithNestedMetadata(31)));
  for (int objects : {32, 33, 1000}) {
    absl::Status status = RpcRunner::CheckRequest(WithNestedMetadata(objects));
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << objects;
    EXPECT_THAT(status, HasApiError("VALIDATION_ERROR", "metadata")) << objects;
  }
}

// metadata {"a":[[...["leaf"]...]]} with `lists` arrays.
CreateReferralRequest WithNestedLists(int lists) {
  CreateReferralRequest request;
  google::protobuf::Value* value = &(*request.mutable_metadata()->mutable_fields())["a"];
  for (int i = 0; i < lists; ++i) value = value->mutable_list_value()->add_values();
  value->set_string_value("leaf");
  return request;
}

TEST(CheckRequestTest, ListsAndNestedMessagesCountToo) {
  EXPECT_OK(RpcRunner::CheckRequest(WithNestedLists(30)));  // request, metadata, 30 lists
  EXPECT_EQ(ApiErrorField(RpcRunner::CheckRequest(WithNestedLists(31))), "metadata");

  affonso::v1::UpdateFraudRulesRequest rules;
  rules.mutable_fraud_rules()->mutable_paid_traffic_config()->add_utm_mediums("cpc");
  EXPECT_OK(RpcRunner::CheckRequest(rules));
}

TEST(CheckRequestTest, NulCharactersStillNameTheirField) {
  CreateReferralRequest request = WithNestedMetadata(3);
  request.set_name(std::string("a\0b", 3));
  EXPECT_EQ(ApiErrorField(RpcRunner::CheckRequest(request)), "name");
}

}  // namespace
}  // namespace affonso::services
