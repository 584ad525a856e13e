#ifndef AFFONSO_STORAGE_AFFILIATE_STORE_H_
#define AFFONSO_STORAGE_AFFILIATE_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/affiliates.pb.h"

namespace affonso::storage {

// An affiliate has at most this many commission overrides: each carries its
// incentive's terms, and a page of 100 affiliates with their overrides must
// fit in one gRPC message (docs/BEHAVIOUR.md).
inline constexpr int kMaxCommissionOverridesPerAffiliate = 5;

// List orders; ties are broken by id in the same direction.
enum class AffiliateSort {
  kNewest,  // created_at DESC, the default
  kOldest,
  kNameAsc,  // case-insensitive
  kNameDesc,
  kEmailAsc,
  kEmailDesc,
};

// One page of an offset list; page and limit already resolved (defaults
// applied, range checked) by the caller.
struct AffiliateListQuery {
  int page = 1;
  int limit = 10;
  // UNSPECIFIED / empty = no filter.
  affonso::v1::PartnershipStatus partnership_status = affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED;
  std::string group_id;  // the effective group (stored or program default)
  std::string program_id;
  std::string search;  // case-insensitive substring of name or email
  AffiliateSort sort = AffiliateSort::kNewest;
  // created_at bounds in epoch microseconds: at or after / strictly before.
  std::optional<int64_t> created_from_micros;
  std::optional<int64_t> created_before_micros;
};

struct AffiliatePage {
  std::vector<affonso::v1::Affiliate> affiliates;
  int total = 0;  // matching rows across all pages
};

// Every method is scoped to `team_id`: another team's affiliate, like a
// deleted one, is NOT_FOUND. Requests are assumed validated. Affiliates come
// back with group_id set to the effective group (the program's default group
// when none is stored).
class AffiliateStore {
 public:
  virtual ~AffiliateStore() = default;

  // source is "api". Empty optional inputs (company name, country code,
  // payout method) are stored as NULL. Writes affiliate.created (and
  // affiliate.confirmed for an approved one) to the outbox in the same
  // statement; a failed create writes nothing.
  // NOT_FOUND for a program of another team or a group outside the program;
  // ALREADY_EXISTS (DUPLICATE_ERROR on tracking_id) when the tracking id is
  // taken in the program. An empty tracking id is generated.
  virtual absl::StatusOr<affonso::v1::Affiliate> CreateAffiliate(
      absl::string_view team_id, const affonso::v1::CreateAffiliateRequest& request) = 0;

  virtual absl::StatusOr<affonso::v1::Affiliate> GetAffiliate(absl::string_view team_id,
                                                              absl::string_view id) = 0;

  // POST /v1/embed/token's partner: the live affiliate of request.program_id
  // whose email equals request.email (case-insensitive; the oldest when there
  // are several), else one created exactly as CreateAffiliate does (its
  // outbox events included). One transaction holding a lock on (team,
  // program, lower(email)), so concurrent calls for one new email create one
  // affiliate. NOT_FOUND as CreateAffiliate (another team's program even when
  // the email matches nothing).
  struct FoundOrCreated {
    std::string affiliate_id;
    bool created = false;
  };
  virtual absl::StatusOr<FoundOrCreated> FindOrCreateAffiliateByEmail(
      absl::string_view team_id, const affonso::v1::CreateAffiliateRequest& request) = 0;

  // Changes only the fields present in `request` (partnership_status carries
  // the status; the service folds `status` into it). Present and "" clears
  // group_id, external_user_id, company_name, country_code, and payout_method
  // (with the details). In the same statement: affiliate.updated when a
  // stored field changed (none for a no-op), affiliate.confirmed when the
  // status becomes approved, and a rejection revokes the partner tokens.
  virtual absl::StatusOr<affonso::v1::Affiliate> UpdateAffiliate(
      absl::string_view team_id, const affonso::v1::UpdateAffiliateRequest& request) = 0;

  // Soft delete; NOT_FOUND when already deleted. Writes affiliate.deleted and
  // revokes the affiliate's partner tokens in the same statement.
  virtual absl::Status DeleteAffiliate(absl::string_view team_id, absl::string_view id) = 0;

  // Newest first (created_at DESC, id DESC).
  virtual absl::StatusOr<AffiliatePage> ListAffiliates(absl::string_view team_id,
                                                       const AffiliateListQuery& query) = 0;

  // Commission overrides. The affiliate must be live and the team's and have
  // fewer than kMaxCommissionOverridesPerAffiliate (else VALIDATION_ERROR on
  // incentive_id);
  // NOT_FOUND("incentive") unless the incentive belongs to the affiliate's
  // program; VALIDATION_ERROR on is_percentage for a lead incentive (a lead
  // pays a fixed amount); DUPLICATE_ERROR on incentive_id when the affiliate
  // already has an override for it. The amount is assumed validated.
  virtual absl::StatusOr<affonso::v1::CommissionOverride> CreateCommissionOverride(
      absl::string_view team_id, const affonso::v1::CreateCommissionOverrideRequest& request) = 0;

  // NOT_FOUND unless the override is the team's and the (live) affiliate's.
  virtual absl::Status DeleteCommissionOverride(absl::string_view team_id,
                                                absl::string_view affiliate_id,
                                                absl::string_view override_id) = 0;

  // The overrides of every affiliate in `affiliate_ids` (one query for a
  // whole page), keyed by affiliate id, oldest first; affiliates without any
  // have no entry.
  virtual absl::StatusOr<std::map<std::string, std::vector<affonso::v1::CommissionOverride>>>
  ListCommissionOverrides(absl::string_view team_id,
                          const std::vector<std::string>& affiliate_ids) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_AFFILIATE_STORE_H_
