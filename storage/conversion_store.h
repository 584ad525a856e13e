#ifndef AFFONSO_STORAGE_CONVERSION_STORE_H_
#define AFFONSO_STORAGE_CONVERSION_STORE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/money.h"
#include "google/protobuf/repeated_field.h"
#include "proto/affonso/v1/conversions.pb.h"

namespace affonso::storage {

// Which kind of identifier names a sale's referral (docs/MONEY.md,
// "Conversions").
enum class ReferralIdentifier {
  kReferralId,      // a referral's id (ref_..., or the click id it kept)
  kClickId,         // a click (click_id, affonso_id, affonso_referral)
  kCustomerId,      // referrals.customer_id
  kExternalUserId,  // referrals.external_user_id
  kCouponCode,      // a coupon of the team: its affiliate
};

// Whom a sale is for. Exactly one of referral_id, click_id (a click of the
// team no referral converted yet) and coupon_id is set.
struct SaleAttribution {
  std::string referral_id;
  std::string click_id;
  std::string coupon_id;
  std::string program_id;
  std::string affiliate_id;
  std::string referral_status;  // as stored ("lead", ...); "" without a referral
};

// A validated sale, attributed to a referral (referral_id) or a coupon
// (coupon_id: the store creates the coupon's referral).
struct SaleInput {
  SaleAttribution attribution;
  std::string external_event_id;  // required
  std::string source_event_id;    // "" = none
  Money sale_amount;
  std::string currency;  // upper case; "" = the incentive's, else USD
  google::protobuf::RepeatedPtrField<std::string> product_ids;
  google::protobuf::RepeatedPtrField<std::string> price_ids;
  std::string interval;  // "", "monthly" or "yearly"
  bool is_subscription = false;
  std::string created_at_us;  // "" = now
  // UNSPECIFIED: pending, or pending_manual_approval for a manual incentive.
  affonso::v1::CommissionStatus status = affonso::v1::COMMISSION_STATUS_UNSPECIFIED;
  affonso::v1::SalesStatus sales_status = affonso::v1::SALES_STATUS_COMPLETE;
  std::string metadata_json;  // a JSON object; "" = {}
  std::string coupon_code;
};

struct RecordedConversion {
  affonso::v1::Conversion conversion;
  // false: the team already had a conversion with this external_event_id,
  // which is answered instead (nothing written).
  bool created = false;
};

// A validated refund of conversion `conversion_id`.
struct RefundInput {
  std::string conversion_id;
  std::optional<Money> amount;  // none = what is left of the sale
  std::string currency;         // upper case; "" = the sale's
  std::string reason;
  std::string external_event_id;  // "" = not idempotent
  std::string refunded_at_us;     // "" = now
};

// Scoped to `team_id`: another team's referral, click, coupon or conversion
// is NOT_FOUND. Each write is one transaction with its outbox events.
// Thread-safe; every call blocks on the database.
class ConversionStore {
 public:
  virtual ~ConversionStore() = default;

  // NOT_FOUND ("referral") unless `value` names a live (not deleted) referral
  // of the team, a click of the team not converted yet (click_id set), or a
  // coupon of the team whose affiliate is live (coupon_id set).
  virtual absl::StatusOr<SaleAttribution> Attribute(absl::string_view team_id,
                                                    ReferralIdentifier kind,
                                                    absl::string_view value) = 0;

  // The team's conversion with this external_event_id, if any.
  virtual absl::StatusOr<std::optional<affonso::v1::Conversion>> FindByExternalEventId(
      absl::string_view team_id, absl::string_view external_event_id) = 0;

  // NOT_FOUND ("conversion") for a commission that is not a sale of the team.
  virtual absl::StatusOr<affonso::v1::Conversion> GetConversion(absl::string_view team_id,
                                                                absl::string_view id) = 0;

  // Records the sale with its commission (computed by the store's
  // SaleCommissionPolicy), transaction.created, and the referral's first
  // conversion (referral.converted), exactly once per external_event_id
  // however many calls race. NOT_FOUND ("referral") when the referral was
  // deleted meanwhile.
  virtual absl::StatusOr<RecordedConversion> RecordSale(absl::string_view team_id,
                                                        const SaleInput& input) = 0;

  // Refunds part or all of a conversion's sale (docs/MONEY.md, "Refunds and
  // clawbacks"). VALIDATION_ERROR on `amount` (not above 0, above what is
  // left, or nothing left) or `currency` (not the sale's); DUPLICATE_ERROR
  // on `external_event_id` when another conversion's refund holds it. A
  // repeated external_event_id refunds nothing more and answers the
  // conversion as it is.
  virtual absl::StatusOr<affonso::v1::Conversion> RefundConversion(absl::string_view team_id,
                                                                   const RefundInput& input) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CONVERSION_STORE_H_
