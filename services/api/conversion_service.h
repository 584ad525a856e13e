#ifndef AFFONSO_SERVICES_API_CONVERSION_SERVICE_H_
#define AFFONSO_SERVICES_API_CONVERSION_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/conversions.grpc.pb.h"
#include "services/api/conversion_recorder.h"
#include "services/call/request_signing.h"
#include "services/call/rpc_runner.h"
#include "storage/conversion_store.h"
#include "storage/signup_store.h"

namespace affonso::services {

// A conversion's metadata is capped as a referral's is.
inline constexpr size_t kMaxConversionMetadataBytes = 8 * 1024;

// The identifier a request attributes its sale by: the first set of
// referral_id, click_id, affonso_id, affonso_referral, customer_id,
// external_user_id, then coupon_code. VALIDATION_ERROR (field referral_id)
// when none is set, or naming the field that is too long.
struct ReferralKey {
  storage::ReferralIdentifier kind;
  std::string value;
};
absl::StatusOr<ReferralKey> ParseReferralKey(const affonso::v1::CreateConversionRequest& request);

// Validates a create and resolves its defaults (everything but the
// attribution); each failure names its field.
absl::StatusOr<storage::SaleInput> ParseCreateConversion(
    const affonso::v1::CreateConversionRequest& request);
absl::StatusOr<storage::RefundInput> ParseRefundConversion(
    const affonso::v1::RefundConversionRequest& request);

// POST /v1/conversions and POST /v1/conversions/{id}/refund (docs/MONEY.md,
// "Conversions", "Refunds and clawbacks"), and the ConversionRecorder the
// other sale paths (/v1/events, sources) record through. A click not
// converted yet is converted through `signups` (the signup path: fraud
// checks, lead commission, referral.lead, exactly once) before its sale is
// recorded. Signed requests are checked by `verifier` once the program is
// known, before anything is written. Every pointer outlives the service.
class ConversionServiceImpl final : public affonso::v1::ConversionService::Service,
                                    public ConversionRecorder {
 public:
  ConversionServiceImpl(RpcRunner runner, storage::ConversionStore* store,
                        storage::SignupStore* signups, RequestVerifier* verifier)
      : runner_(std::move(runner)), store_(store), signups_(signups), verifier_(verifier) {}

  grpc::Status CreateConversion(grpc::ServerContext* context,
                                const affonso::v1::CreateConversionRequest* request,
                                affonso::v1::Conversion* response) override;
  grpc::Status RefundConversion(grpc::ServerContext* context,
                                const affonso::v1::RefundConversionRequest* request,
                                affonso::v1::Conversion* response) override;

  // ConversionRecorder. For a click not converted yet, referral_id is the
  // click's id (its referral will take it) and referral_status "".
  absl::StatusOr<Attribution> Attribute(
      absl::string_view team_id, const affonso::v1::CreateConversionRequest& request) override;
  // The answer's `replayed` says whether the conversion was recorded before.
  absl::StatusOr<affonso::v1::Conversion> Record(
      absl::string_view team_id, const affonso::v1::CreateConversionRequest& request,
      absl::string_view source_event_id) override;

 private:
  // The whole create; `signed_request` null = not checked here (the caller
  // checked it).
  absl::StatusOr<affonso::v1::Conversion> RecordSale(
      absl::string_view team_id, const affonso::v1::CreateConversionRequest& request,
      absl::string_view source_event_id, const SignedRequest* signed_request);

  RpcRunner runner_;
  storage::ConversionStore* store_;
  storage::SignupStore* signups_;
  RequestVerifier* verifier_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_CONVERSION_SERVICE_H_
