#ifndef AFFONSO_STORAGE_PG_CONVERSION_STORE_H_
#define AFFONSO_STORAGE_PG_CONVERSION_STORE_H_

#include "storage/conversion_store.h"
#include "storage/pool.h"
#include "storage/sale_commission_policy.h"

namespace affonso::storage {

// Conversions are commissions (earning_type 'sale') with the columns of
// migration 015. A sale is one transaction: a per-(team, external_event_id)
// advisory lock, so identical calls queue and the later ones answer the
// first's row; then the referral's row lock (FOR UPDATE), so the referral's
// earlier conversions counted for the incentive's length cannot change under
// it and racing renewals cannot both be its Nth. A refund locks the
// commission row.
class PgConversionStore final : public ConversionStore {
 public:
  // `policy` computes each sale's commission; it must outlive the store.
  PgConversionStore(ConnectionPool* pool, const SaleCommissionPolicy* policy)
      : pool_(pool), policy_(policy) {}

  absl::StatusOr<SaleAttribution> Attribute(absl::string_view team_id, ReferralIdentifier kind,
                                            absl::string_view value) override;
  absl::StatusOr<std::optional<affonso::v1::Conversion>> FindByExternalEventId(
      absl::string_view team_id, absl::string_view external_event_id) override;
  absl::StatusOr<affonso::v1::Conversion> GetConversion(absl::string_view team_id,
                                                        absl::string_view id) override;
  absl::StatusOr<RecordedConversion> RecordSale(absl::string_view team_id,
                                                const SaleInput& input) override;
  absl::StatusOr<affonso::v1::Conversion> RefundConversion(absl::string_view team_id,
                                                           const RefundInput& input) override;

 private:
  ConnectionPool* pool_;
  const SaleCommissionPolicy* policy_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_CONVERSION_STORE_H_
