#ifndef AFFONSO_GATEWAY_OPENAPI_OPENAPI_H_
#define AFFONSO_GATEWAY_OPENAPI_OPENAPI_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace affonso::gateway {

// Full name of a service, method, message, field, enum or enum value -> its
// proto comment (leading, then trailing), whitespace-normalized.
using ProtoComments = std::map<std::string, std::string>;

struct OpenApiOptions {
  // Used where a descriptor carries no SourceCodeInfo, which is the case for
  // the generated pool; openapi_gen fills it from a protoc descriptor set.
  ProtoComments comments;
};

// The OpenAPI 3.0.3 document (pretty-printed JSON, deterministic) of the REST
// surface the gateway derives from the google.api.http rules of `services`:
// the same paths, verbs, parameters, envelopes and status codes.
std::string BuildOpenApi(const std::vector<const google::protobuf::ServiceDescriptor*>& services);
std::string BuildOpenApi(const std::vector<const google::protobuf::ServiceDescriptor*>& services,
                         const OpenApiOptions& options);

// The comments of every element of a FileDescriptorSet written by
// `protoc --include_imports --include_source_info`.
absl::StatusOr<ProtoComments> CommentsFromDescriptorSet(
    const google::protobuf::FileDescriptorSet& descriptor_set);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_OPENAPI_OPENAPI_H_
