#ifndef AFFONSO_SERVICES_API_CREATIVE_SERVICE_H_
#define AFFONSO_SERVICES_API_CREATIVE_SERVICE_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/creatives.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/creative_store.h"

namespace affonso::services {

// A creative's limits (docs/BEHAVIOUR.md "Creatives"). The long texts count
// bytes of UTF-8, so that a page of 100 creatives stays well inside one gRPC
// message (4 MiB): at most about 23 KiB each.
inline constexpr size_t kMaxCreativeNameLength = 255;         // characters
inline constexpr size_t kMaxCreativeSubcategoryLength = 100;  // characters
inline constexpr size_t kMaxCreativeUrlLength = 2048;         // characters (ASCII)
inline constexpr size_t kMaxCreativeTextBytes = 2000;  // description, usage_notes, restrictions
inline constexpr size_t kMaxCreativeContentBytes = 10000;
inline constexpr int kMaxCreativeTags = 20;
inline constexpr size_t kMaxCreativeTagLength = 50;  // characters
inline constexpr int kMaxCreativeDimension = 100000;
inline constexpr int kDefaultCreativePageLimit = 10;
inline constexpr int kMaxCreativePageLimit = 100;

// Validates a create or update body and returns it normalised for the store:
// every present nullable field a string or null (category lower case, one of
// the SDK's six), tags trimmed and without duplicates (first kept; a null
// list is an empty one), dimensions null or exactly {width, height} with
// integers 1..kMaxCreativeDimension. Each failure is a VALIDATION_ERROR
// naming its field.
absl::StatusOr<affonso::v1::CreativeInput> ValidateCreativeInput(
    const affonso::v1::CreativeInput& input);

// page 0 = 1, limit 0 = 10 (at most 100); category one of the six (any case)
// or empty.
absl::StatusOr<storage::CreativeListQuery> ParseListCreatives(
    const affonso::v1::ListCreativesRequest& request);

class CreativeServiceImpl final : public affonso::v1::CreativeService::Service {
 public:
  CreativeServiceImpl(RpcRunner runner, storage::CreativeStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status ListCreatives(grpc::ServerContext* context,
                             const affonso::v1::ListCreativesRequest* request,
                             affonso::v1::ListCreativesResponse* response) override;
  grpc::Status CreateCreative(grpc::ServerContext* context,
                              const affonso::v1::CreateCreativeRequest* request,
                              affonso::v1::Creative* response) override;
  grpc::Status GetCreative(grpc::ServerContext* context,
                           const affonso::v1::GetCreativeRequest* request,
                           affonso::v1::Creative* response) override;
  grpc::Status UpdateCreative(grpc::ServerContext* context,
                              const affonso::v1::UpdateCreativeRequest* request,
                              affonso::v1::Creative* response) override;
  grpc::Status DeleteCreative(grpc::ServerContext* context,
                              const affonso::v1::DeleteCreativeRequest* request,
                              affonso::v1::DeleteCreativeResponse* response) override;

 private:
  RpcRunner runner_;
  storage::CreativeStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_CREATIVE_SERVICE_H_
