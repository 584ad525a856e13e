#include "services/call/permissions.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "proto/affonso/v1/annotations.pb.h"

namespace affonso::services {
namespace {

// "read:affiliates": a verb the contract uses and a lower-case resource.
bool WellFormed(absl::string_view permission) {
  for (absl::string_view verb : {"read:", "write:", "create:"}) {
    if (!absl::ConsumePrefix(&permission, verb)) continue;
    return !permission.empty() && std::all_of(permission.begin(), permission.end(), [](char c) {
      return absl::ascii_islower(c) || c == '_';
    });
  }
  return false;
}

}  // namespace

absl::StatusOr<MethodPermissions> MethodPermissions::FromServices(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  MethodPermissions out;
  std::set<std::string> names;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      const std::string& permission = method->options().GetExtension(affonso::v1::permission);
      // Authorised by what the request names (a program's public id), on a
      // runner of its own that has no permission stage.
      if (method->options().GetExtension(affonso::v1::unauthenticated)) {
        if (!permission.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              method->full_name(), " is unauthenticated and names a permission: one or the other"));
        }
        continue;
      }
      if (permission.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(method->full_name(),
                         " names no permission: every method of the public services "
                         "needs option (affonso.v1.permission) (docs/CONTRACT.md)"));
      }
      if (!WellFormed(permission)) {
        return absl::InvalidArgumentError(
            absl::StrCat(method->full_name(), " names the permission \"", permission,
                         "\", which is not read:<resource>, write:<resource> or "
                         "create:<resource>"));
      }
      out.by_method_[absl::StrCat("/", service->full_name(), "/", method->name())] = permission;
      names.insert(permission);
    }
  }
  out.names_.assign(names.begin(), names.end());
  return out;
}

const std::string* MethodPermissions::For(absl::string_view method) const {
  auto it = by_method_.find(method);
  return it == by_method_.end() ? nullptr : &it->second;
}

absl::Status MethodPermissions::CheckKnown(const std::vector<std::string>& permissions) const {
  for (const std::string& permission : permissions) {
    if (!std::binary_search(names_.begin(), names_.end(), permission)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown permission \"", permission,
                                                     "\"; the permissions are ",
                                                     absl::StrJoin(names_, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status PermissionStage::Admit(const AdmissionRequest& request, AdmissionState* state) const {
  const std::string* needed = permissions_->For(request.method);
  if (needed == nullptr) {
    return absl::InternalError(
        absl::StrCat("no permission is known for the method \"", request.method, "\""));
  }
  if (state->caller.HasPermission(*needed)) return absl::OkStatus();
  const absl::string_view method = request.method;
  absl::Status refused =
      WithApiCode(absl::PermissionDeniedError(
                      absl::StrCat("this API key lacks the permission \"", *needed, "\" that ",
                                   method.substr(method.rfind('/') + 1), " needs")),
                  api_code::kInsufficientPermissions);
  // The rate limit's headers, which an admitted call would have sent.
  for (const auto& [key, value] : state->headers) {
    refused = WithResponseMetadata(refused, key, value);
  }
  return refused;
}

namespace {

class MethodNameInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MethodNameInterceptor(const char* method) : method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::multimap<grpc::string_ref, grpc::string_ref>* metadata =
          methods->GetRecvInitialMetadata();
      if (metadata != nullptr) {
        metadata->erase(grpc::string_ref(kMethodKey));
        metadata->emplace(grpc::string_ref(kMethodKey), grpc::string_ref(method_));
      }
    }
    methods->Proceed();
  }

 private:
  const char* const method_;
};

}  // namespace

grpc::experimental::Interceptor* MethodNameInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  // The generic service (unknown methods) has no name of its own to give.
  if (info->method() == nullptr) return nullptr;
  return new MethodNameInterceptor(info->method());
}

}  // namespace affonso::services
