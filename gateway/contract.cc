// Links every .proto of the affonso.v1 contract into the binary and lists its
// services. A new rpc in an existing service needs nothing here; a new .proto
// file adds one line below.
#include "absl/strings/match.h"
#include "gateway/grpc_proxy.h"
#include "proto/affonso/v1/affiliates.pb.h"
#include "proto/affonso/v1/clicks.pb.h"
#include "proto/affonso/v1/commissions.pb.h"
#include "proto/affonso/v1/program.pb.h"
#include "proto/affonso/v1/referrals.pb.h"
#include "proto/affonso/v1/signups.pb.h"
#include "proto/affonso/v1/webhooks.pb.h"

namespace affonso::gateway {

std::vector<const google::protobuf::ServiceDescriptor*> ContractServices() {
  const google::protobuf::FileDescriptor* files[] = {
      affonso::v1::Click::descriptor()->file(),
      affonso::v1::RecordSignupRequest::descriptor()->file(),
      affonso::v1::Referral::descriptor()->file(),
      affonso::v1::Affiliate::descriptor()->file(),
      affonso::v1::FraudRules::descriptor()->file(),
      affonso::v1::Commission::descriptor()->file(),
      affonso::v1::WebhookEndpoint::descriptor()->file(),
  };
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto* file : files) {
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

}  // namespace affonso::gateway
