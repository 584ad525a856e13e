#ifndef AFFONSO_STORAGE_COMMISSION_STORE_H_
#define AFFONSO_STORAGE_COMMISSION_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/commissions.pb.h"

namespace affonso::storage {

// One page of the offset list; page and limit already resolved by the caller.
struct CommissionListQuery {
  int page = 1;
  int limit = 10;
  // Empty / UNSPECIFIED = no filter.
  std::string affiliate_id;
  std::string referral_id;
  affonso::v1::CommissionStatus status = affonso::v1::COMMISSION_STATUS_UNSPECIFIED;
};

struct CommissionPage {
  std::vector<affonso::v1::Commission> commissions;
  int total = 0;  // matching rows across all pages
};

// Read-only: commissions are written by the conversion paths. Scoped to
// `team_id`: another team's commission is NOT_FOUND.
class CommissionStore {
 public:
  virtual ~CommissionStore() = default;

  // Newest first (created_at DESC, id DESC).
  virtual absl::StatusOr<CommissionPage> ListCommissions(absl::string_view team_id,
                                                         const CommissionListQuery& query) = 0;

  virtual absl::StatusOr<affonso::v1::Commission> GetCommission(absl::string_view team_id,
                                                                absl::string_view id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_COMMISSION_STORE_H_
