#ifndef AFFONSO_STORAGE_REFERRAL_STORE_H_
#define AFFONSO_STORAGE_REFERRAL_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/referrals.pb.h"

namespace affonso::storage {

// ListReferralsRequest.limit 0 means this.
inline constexpr int kDefaultReferralPageSize = 10;

// Every method is scoped to `team_id`: another team's referral, affiliate or
// click is NOT_FOUND, exactly like a missing one, and so is a deleted
// referral. Requests are assumed validated by the service. Referrals come
// back without `affiliate` and `stats` (the service adds them on request).
class ReferralStore {
 public:
  virtual ~ReferralStore() = default;

  // A direct referral (`ref_` id) for the team's live affiliate
  // `request.affiliate_id()`, in that affiliate's program. NOT_FOUND
  // ("affiliate" / "click") when either is not the team's; ALREADY_EXISTS
  // (DUPLICATE_ERROR, field `email`) when the email already has a referral in
  // the program, (field `click_id`) when the click already has one.
  virtual absl::StatusOr<affonso::v1::Referral> CreateReferral(
      absl::string_view team_id, const affonso::v1::CreateReferralRequest& request) = 0;

  virtual absl::StatusOr<affonso::v1::Referral> GetReferral(absl::string_view team_id,
                                                            absl::string_view referral_id) = 0;

  // Changes only the fields present in `request`. ALREADY_EXISTS (field
  // `email`) when the new email collides with another direct referral's.
  virtual absl::StatusOr<affonso::v1::Referral> UpdateReferral(
      absl::string_view team_id, const affonso::v1::UpdateReferralRequest& request) = 0;

  // One page, keyset-paginated on (created_at, id). INVALID_ARGUMENT naming
  // the cursor field when the cursor is not one of the team's referrals.
  virtual absl::StatusOr<affonso::v1::ListReferralsResponse> ListReferrals(
      absl::string_view team_id, const affonso::v1::ListReferralsRequest& request) = 0;

  // Soft delete, in one transaction: the referral leaves every read, its
  // pending, pending_manual_approval and ready_for_payment commissions become
  // declined (each with transaction.updated and transaction.rejected), the
  // others are kept as they are, and referral.deleted goes to the outbox. Its
  // click stays, and stays used (docs/BEHAVIOUR.md).
  virtual absl::Status DeleteReferral(absl::string_view team_id, absl::string_view referral_id) = 0;

  // The referral's stats from its commissions (ReferralStats). A referral
  // without commissions (or a missing one) has zeros: callers read the
  // referral first.
  virtual absl::StatusOr<affonso::v1::ReferralStats> GetReferralStats(
      absl::string_view team_id, absl::string_view referral_id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_REFERRAL_STORE_H_
