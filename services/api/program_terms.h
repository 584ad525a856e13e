#ifndef AFFONSO_SERVICES_API_PROGRAM_TERMS_H_
#define AFFONSO_SERVICES_API_PROGRAM_TERMS_H_

#include "absl/status/statusor.h"
#include "proto/affonso/v1/program.pb.h"

namespace affonso::services {

// Validation of the PATCH bodies of /v1/program/payment-terms, /restrictions
// and /portal (docs/BEHAVIOUR.md "Payment terms, restrictions, portal"). Each
// returns the body normalised for storage::ProgramTermsStore, or a
// VALIDATION_ERROR naming the field: enums not UNSPECIFIED; amounts exact
// (common/money.h: at most two decimals); a nullable field null or of its
// type, "" read as null; texts within their lengths.

// commission_rate a percentage 0-100 when commission_type says so (the store
// checks it again against the stored type); payment_methods trimmed,
// deduplicated, 1-50 printable characters each, at most 10; owner_country an
// ISO 3166-1 alpha-2 code, upper-cased; invoice_prefix 1-20 of A-Z a-z 0-9
// '-' '_'.
absl::StatusOr<affonso::v1::PaymentTermsUpdate> ValidatePaymentTermsUpdate(
    const affonso::v1::PaymentTermsUpdate& update);
// additional_restrictions <= 5000 characters.
absl::StatusOr<affonso::v1::RestrictionsUpdate> ValidateRestrictionsUpdate(
    const affonso::v1::RestrictionsUpdate& update);
// Colours "#rrggbb" (lower-cased); support_email_value an email address; the
// terms and privacy values <= 5000 characters; custom_texts an object of at
// most 50 keys (1-64 letters, digits, '_', '-', '.') and 8 KiB.
absl::StatusOr<affonso::v1::PortalSettingsUpdate> ValidatePortalSettingsUpdate(
    const affonso::v1::PortalSettingsUpdate& update);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_PROGRAM_TERMS_H_
