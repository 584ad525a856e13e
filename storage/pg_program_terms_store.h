#ifndef AFFONSO_STORAGE_PG_PROGRAM_TERMS_STORE_H_
#define AFFONSO_STORAGE_PG_PROGRAM_TERMS_STORE_H_

#include "absl/strings/string_view.h"
#include "storage/pool.h"
#include "storage/program_terms_store.h"

namespace affonso::storage {

// Over program_payment_terms, program_restrictions and
// program_portal_settings (migration 021), one row per program each.
class PgProgramTermsStore final : public ProgramTermsStore {
 public:
  explicit PgProgramTermsStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<affonso::v1::PaymentTermsResult> GetPaymentTerms(
      absl::string_view team_id, absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::PaymentTerms> UpdatePaymentTerms(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::PaymentTermsUpdate& update) override;
  absl::StatusOr<affonso::v1::RestrictionsResult> GetRestrictions(
      absl::string_view team_id, absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::Restrictions> UpdateRestrictions(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::RestrictionsUpdate& update) override;
  absl::StatusOr<affonso::v1::PortalSettingsResult> GetPortalSettings(
      absl::string_view team_id, absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::PortalSettings> UpdatePortalSettings(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::PortalSettingsUpdate& update) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_PROGRAM_TERMS_STORE_H_
