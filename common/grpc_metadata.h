#ifndef AFFONSO_COMMON_GRPC_METADATA_H_
#define AFFONSO_COMMON_GRPC_METADATA_H_

#include <grpcpp/support/string_ref.h>

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace affonso {

// gRPC's metadata as it hands it over: a server's client_metadata(), a
// client's GetServerInitialMetadata() / GetServerTrailingMetadata().
using GrpcMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

// The first value of `key` (lower-case, as gRPC stores keys) in `metadata`,
// "" when absent.
std::string MetadataValue(const GrpcMetadata& metadata, absl::string_view key);

}  // namespace affonso

#endif  // AFFONSO_COMMON_GRPC_METADATA_H_
