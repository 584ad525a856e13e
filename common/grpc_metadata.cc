#include "common/grpc_metadata.h"

namespace affonso {

std::string MetadataValue(const GrpcMetadata& metadata, absl::string_view key) {
  auto it = metadata.lower_bound(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end() || it->first != grpc::string_ref(key.data(), key.size())) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace affonso
