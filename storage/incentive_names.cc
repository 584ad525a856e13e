#include "storage/incentive_names.h"

namespace affonso::storage {

const char* IncentiveTypeToDb(affonso::v1::IncentiveType type) {
  switch (type) {
    case affonso::v1::INCENTIVE_TYPE_LEAD:
      return "lead";
    case affonso::v1::INCENTIVE_TYPE_SALE:
      return "sale";
    default:
      return nullptr;
  }
}

affonso::v1::IncentiveType IncentiveTypeFromDb(absl::string_view text) {
  if (text == "lead") return affonso::v1::INCENTIVE_TYPE_LEAD;
  if (text == "sale") return affonso::v1::INCENTIVE_TYPE_SALE;
  return affonso::v1::INCENTIVE_TYPE_UNSPECIFIED;
}

}  // namespace affonso::storage
