#ifndef AFFONSO_SERVICES_API_AFFILIATE_SERVICE_H_
#define AFFONSO_SERVICES_API_AFFILIATE_SERVICE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "proto/affonso/v1/affiliates.grpc.pb.h"
#include "proto/affonso/v1/coupons.pb.h"
#include "services/call/authenticator.h"
#include "services/call/pagination.h"
#include "services/call/rpc_runner.h"
#include "storage/affiliate_store.h"
#include "storage/coupon_store.h"
#include "storage/onboarding_store.h"

namespace affonso::services {

inline constexpr int kDefaultAffiliatePageLimit = 10;
inline constexpr int kMaxAffiliatePageLimit = 100;
// Free-form fields, as JSON: with the other limits they keep a page of 100
// affiliates, every expansion included, inside the 4 MiB gRPC message limit
// (docs/BEHAVIOUR.md has the arithmetic).
inline constexpr size_t kMaxAffiliateMetadataBytes = 16 * 1024;
inline constexpr size_t kMaxPayoutDetailsBytes = 2 * 1024;

// What a read's `expand` asked for (the SDK's AffiliateExpandField values).
struct AffiliateExpansions {
  bool promo_codes = false;           // promoCodes
  bool commission_overrides = false;  // commissionOverrides
  bool invoice_details = false;       // invoiceDetails
  bool payout_method = false;         // payoutMethod
  bool onboarding_responses = false;  // onboardingResponses
};

// Validation of each affiliate RPC's input; exposed for tests. Each returns a
// VALIDATION_ERROR naming the field at fault.
absl::Status ValidateCreateAffiliate(const affonso::v1::CreateAffiliateRequest& request);
absl::Status ValidateUpdateAffiliate(const affonso::v1::UpdateAffiliateRequest& request);
// The request as the store takes it: `status` folded into
// partnership_status, country_code upper case. Assumes it was validated.
affonso::v1::CreateAffiliateRequest NormalizedCreateAffiliate(
    const affonso::v1::CreateAffiliateRequest& request);
affonso::v1::UpdateAffiliateRequest NormalizedUpdateAffiliate(
    const affonso::v1::UpdateAffiliateRequest& request);
// The five SDK expand values, repeated and/or comma-separated; anything else
// is a VALIDATION_ERROR on expand.
absl::StatusOr<AffiliateExpansions> ParseAffiliateExpand(
    const google::protobuf::RepeatedPtrField<std::string>& expand);
// Keeps in `affiliate` only the expansions asked for (the store fills
// payout_method whenever one is stored) and names each in
// affiliate->expanded, so that an expansion that found nothing renders as
// null or []. Commission overrides are attached by the caller.
void ApplyAffiliateExpansions(const AffiliateExpansions& expansions,
                              affonso::v1::Affiliate* affiliate);
// The affiliate `id` as another object embeds it (a referral's or a
// commission's expand=affiliate): as GET /v1/affiliates/{id} answers without
// expand, so never its payout details. nullopt when it is gone (deleted);
// `cache` holds the answers by id, so each affiliate is read once per call.
absl::StatusOr<const std::optional<affonso::v1::Affiliate>*> EmbeddedAffiliate(
    storage::AffiliateStore* affiliates, absl::string_view team_id, const std::string& id,
    std::map<std::string, std::optional<affonso::v1::Affiliate>>* cache);
// incentive_id required; amount finite, >= 0, at most 2 decimals (and at most
// 100 when it is a percentage).
absl::Status ValidateCreateCommissionOverride(
    const affonso::v1::CreateCommissionOverrideRequest& request);
// Validates and resolves defaults (page 0 = 1, limit 0 = 10), the sort and
// the date bounds; with expand=onboardingResponses the limit is at most
// storage::kMaxOnboardingExpandedPageLimit (a page must fit one gRPC message).
absl::StatusOr<storage::AffiliateListQuery> ParseListAffiliates(
    const affonso::v1::ListAffiliatesRequest& request);

// A coupon as the Affiliate's expand=promoCodes shows it (the SDK's
// AffiliatePromoCode): its code, coupon_id = the coupon's id, promo_code_id
// null (there is no payment provider to have issued one), its discount type,
// value and duration, created_at.
affonso::v1::AffiliatePromoCode PromoCodeOf(const affonso::v1::Coupon& coupon);

class AffiliateServiceImpl final : public affonso::v1::AffiliateService::Service {
 public:
  // `coupons` answers expand=promoCodes (null: always []), `onboarding`
  // expand=onboardingResponses (null: always null).
  AffiliateServiceImpl(RpcRunner runner, storage::AffiliateStore* store,
                       storage::CouponStore* coupons = nullptr,
                       storage::OnboardingStore* onboarding = nullptr)
      : runner_(std::move(runner)), store_(store), coupons_(coupons), onboarding_(onboarding) {}

  grpc::Status CreateAffiliate(grpc::ServerContext* context,
                               const affonso::v1::CreateAffiliateRequest* request,
                               affonso::v1::Affiliate* response) override;
  grpc::Status GetAffiliate(grpc::ServerContext* context,
                            const affonso::v1::GetAffiliateRequest* request,
                            affonso::v1::Affiliate* response) override;
  grpc::Status UpdateAffiliate(grpc::ServerContext* context,
                               const affonso::v1::UpdateAffiliateRequest* request,
                               affonso::v1::Affiliate* response) override;
  grpc::Status DeleteAffiliate(grpc::ServerContext* context,
                               const affonso::v1::DeleteAffiliateRequest* request,
                               affonso::v1::DeleteAffiliateResponse* response) override;
  grpc::Status ListAffiliates(grpc::ServerContext* context,
                              const affonso::v1::ListAffiliatesRequest* request,
                              affonso::v1::ListAffiliatesResponse* response) override;
  grpc::Status CreateCommissionOverride(grpc::ServerContext* context,
                                        const affonso::v1::CreateCommissionOverrideRequest* request,
                                        affonso::v1::CommissionOverride* response) override;
  grpc::Status DeleteCommissionOverride(
      grpc::ServerContext* context, const affonso::v1::DeleteCommissionOverrideRequest* request,
      affonso::v1::DeleteCommissionOverrideResponse* response) override;

 private:
  // Applies `expansions` to each affiliate, filling commission_overrides,
  // promo_codes and onboarding_responses with one store call each when asked.
  absl::Status Expand(const std::string& team_id, const AffiliateExpansions& expansions,
                      google::protobuf::RepeatedPtrField<affonso::v1::Affiliate>* affiliates);

  RpcRunner runner_;
  storage::AffiliateStore* store_;
  storage::CouponStore* coupons_;
  storage::OnboardingStore* onboarding_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_AFFILIATE_SERVICE_H_
