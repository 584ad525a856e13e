#include "gateway/transcoder/contract.h"

#include <algorithm>

#include "proto/affonso/v1/affiliates.pb.h"
#include "proto/affonso/v1/clicks.pb.h"
#include "proto/affonso/v1/commissions.pb.h"
#include "proto/affonso/v1/common.pb.h"
#include "proto/affonso/v1/conversions.pb.h"
#include "proto/affonso/v1/coupons.pb.h"
#include "proto/affonso/v1/creatives.pb.h"
#include "proto/affonso/v1/events.pb.h"
#include "proto/affonso/v1/marketplace.pb.h"
#include "proto/affonso/v1/notifications.pb.h"
#include "proto/affonso/v1/onboarding.pb.h"
#include "proto/affonso/v1/partner_access.pb.h"
#include "proto/affonso/v1/payouts.pb.h"
#include "proto/affonso/v1/program.pb.h"
#include "proto/affonso/v1/referrals.pb.h"
#include "proto/affonso/v1/signups.pb.h"
#include "proto/affonso/v1/tracking.pb.h"
#include "proto/affonso/v1/webhooks.pb.h"

namespace affonso::gateway {

std::vector<const google::protobuf::FileDescriptor*> ContractFiles() {
  std::vector<const google::protobuf::FileDescriptor*> files = {
      affonso::v1::Affiliate::descriptor()->file(),
      affonso::v1::Click::descriptor()->file(),
      affonso::v1::Commission::descriptor()->file(),
      affonso::v1::Conversion::descriptor()->file(),
      affonso::v1::Coupon::descriptor()->file(),
      affonso::v1::Creative::descriptor()->file(),
      affonso::v1::EventResult::descriptor()->file(),
      affonso::v1::MarketplaceProgram::descriptor()->file(),
      affonso::v1::Notification::descriptor()->file(),
      affonso::v1::OnboardingForm::descriptor()->file(),
      affonso::v1::Pagination::descriptor()->file(),
      affonso::v1::AffiliatePortalToken::descriptor()->file(),
      affonso::v1::Payout::descriptor()->file(),
      affonso::v1::FraudRules::descriptor()->file(),
      affonso::v1::Referral::descriptor()->file(),
      affonso::v1::RecordSignupRequest::descriptor()->file(),
      affonso::v1::TrackRequest::descriptor()->file(),
      affonso::v1::WebhookEndpoint::descriptor()->file(),
  };
  std::sort(files.begin(), files.end(),
            [](const auto* a, const auto* b) { return a->name() < b->name(); });
  return files;
}

std::vector<const google::protobuf::ServiceDescriptor*> ContractServices() {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto* file : ContractFiles()) {
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

}  // namespace affonso::gateway
