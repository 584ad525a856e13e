#ifndef AFFONSO_STORAGE_PROGRAM_TERMS_STORE_H_
#define AFFONSO_STORAGE_PROGRAM_TERMS_STORE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/program.pb.h"

namespace affonso::storage {

// Bounds the service validates against and the schema backs (migration 021).
inline constexpr int kMaxPaymentMethods = 10;
inline constexpr int kMaxCommissionsLimit = 1200;
inline constexpr int kMaxCommissionsHoldDays = 3650;
inline constexpr int kMaxCookieLifetimeDays = 3650;
inline constexpr int kDefaultCookieLifetimeDays = 30;

// What a program tells its affiliates: its payment terms, its promotion
// restrictions and its portal's settings (/v1/program/payment-terms,
// /restrictions, /portal).
//
// Every call names the program by `program_id`, "" meaning the team's default
// program; a program the team does not own is NOT_FOUND. A program that never
// set one of them reads as an unset result (the API's null). Updates arrive
// validated and normalised by the service (enums not UNSPECIFIED, amounts
// exact to the cent, texts within their lengths, colours lower case, a
// nullable Value either null or of its type); the first update of a program
// starts from the column defaults of migration 021. Absent fields stay; a
// present null clears. Thread-safe; blocking (one transaction each).
class ProgramTermsStore {
 public:
  virtual ~ProgramTermsStore() = default;

  virtual absl::StatusOr<affonso::v1::PaymentTermsResult> GetPaymentTerms(
      absl::string_view team_id, absl::string_view program_id) = 0;
  // VALIDATION_ERROR on commission_rate when the terms that result are a
  // percentage above 100 (the type may come from the stored terms).
  virtual absl::StatusOr<affonso::v1::PaymentTerms> UpdatePaymentTerms(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::PaymentTermsUpdate& update) = 0;

  virtual absl::StatusOr<affonso::v1::RestrictionsResult> GetRestrictions(
      absl::string_view team_id, absl::string_view program_id) = 0;
  virtual absl::StatusOr<affonso::v1::Restrictions> UpdateRestrictions(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::RestrictionsUpdate& update) = 0;

  virtual absl::StatusOr<affonso::v1::PortalSettingsResult> GetPortalSettings(
      absl::string_view team_id, absl::string_view program_id) = 0;
  virtual absl::StatusOr<affonso::v1::PortalSettings> UpdatePortalSettings(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::PortalSettingsUpdate& update) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PROGRAM_TERMS_STORE_H_
