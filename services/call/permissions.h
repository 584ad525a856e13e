#ifndef AFFONSO_SERVICES_CALL_PERMISSIONS_H_
#define AFFONSO_SERVICES_CALL_PERMISSIONS_H_

#include <grpcpp/support/server_interceptor.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "services/call/admission.h"

namespace affonso::services {

// The permission each method of the public services needs (`option
// (affonso.v1.permission)`, docs/CONTRACT.md), read once from the descriptors.
class MethodPermissions {
 public:
  // Fails (INVALID_ARGUMENT, naming the method) when a method names no
  // permission or one not of the form "read:x", "write:x" or "create:x": a
  // method without one must stop the server at start-up, never be open.
  static absl::StatusOr<MethodPermissions> FromServices(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  // The permission of `method` ("/affonso.v1.AffiliateService/GetAffiliate");
  // null when it is no method of those services.
  const std::string* For(absl::string_view method) const;

  // Every permission some method needs, sorted: what a key may be given.
  const std::vector<std::string>& names() const { return names_; }

  // OK when every one of `permissions` is one of names(); else
  // INVALID_ARGUMENT naming the first unknown one and listing the known.
  absl::Status CheckKnown(const std::vector<std::string>& permissions) const;

 private:
  absl::flat_hash_map<std::string, std::string> by_method_;
  std::vector<std::string> names_;
};

// The admission stage after authentication and the rate limit: refuses a
// call whose key lacks the permission its method needs, PERMISSION_DENIED
// with INSUFFICIENT_PERMISSIONS and a message naming the permission. It runs
// after the rate limit's take so a refused call is counted like any other: a
// key looping over calls it may not make is throttled (429) as it would be
// for calls it may make, and the 403 carries the X-RateLimit-* headers every
// answer carries. A call whose method it does not know (the interceptor is
// missing, or the method is not one of the public services') is refused
// INTERNAL: never let through. Decides from memory alone.
class PermissionStage final : public AdmissionStage {
 public:
  // `permissions` outlives the stage.
  explicit PermissionStage(const MethodPermissions* permissions) : permissions_(permissions) {}

  absl::Status Admit(const AdmissionRequest& request, AdmissionState* state) const override;
  std::optional<absl::Status> AdmitWithoutWaiting(const AdmissionRequest& request,
                                                  AdmissionState* state) const override {
    return Admit(request, state);
  }

 private:
  const MethodPermissions* permissions_;
};

// Names each call's method in its client metadata under kMethodKey
// (admission.h), before any handler runs, for synchronous and callback
// services alike; the name it points to lives as long as the server. For the
// ServerBuilder.
class MethodNameInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_PERMISSIONS_H_
