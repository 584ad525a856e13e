#ifndef AFFONSO_STORAGE_INCENTIVE_NAMES_H_
#define AFFONSO_STORAGE_INCENTIVE_NAMES_H_

#include "absl/strings/string_view.h"
#include "proto/affonso/v1/common.pb.h"

namespace affonso::storage {

// The one table of IncentiveType's stored names, "lead" | "sale": incentives.type,
// commission_overrides' incentive, commissions.earning_type (the fraud names are in
// fraud_names.h). UNSPECIFIED (or a number the proto does not define) maps to nullptr; text
// that is not a stored name maps to UNSPECIFIED.
const char* IncentiveTypeToDb(affonso::v1::IncentiveType type);
affonso::v1::IncentiveType IncentiveTypeFromDb(absl::string_view text);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_INCENTIVE_NAMES_H_
