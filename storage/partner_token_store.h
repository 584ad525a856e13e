#ifndef AFFONSO_STORAGE_PARTNER_TOKEN_STORE_H_
#define AFFONSO_STORAGE_PARTNER_TOKEN_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso::storage {

// A partner token's row (partner_tokens) with what its holder may see: its
// affiliate as it is now and the program's referral-link settings.
struct PartnerTokenGrant {
  std::string token_id;
  std::string purpose;  // "portal" or "embed"
  std::string team_id;
  std::string affiliate_id;
  std::string program_id;
  int64_t expires_at_micros = 0;
  // The affiliate's, read live.
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::string tracking_id;
  std::string partnership_status;  // "pending", "approved", "rejected"
  // The program's website_url ("" when none) and default referral parameter.
  std::string website_url;
  std::string referral_parameter;
};

// The rows behind the partner tokens (docs/BEHAVIOUR.md "Partner access").
// Every method is scoped to `team_id`. Thread-safe; blocking (SQL).
class PartnerTokenStore {
 public:
  virtual ~PartnerTokenStore() = default;

  // Records token `token_id` of `purpose` for the team's live affiliate
  // `affiliate_id`, expiring at `expires_at_micros` (epoch). NOT_FOUND
  // ("affiliate") for another team's, a deleted or an unknown affiliate;
  // VALIDATION_ERROR on partnership_status for a rejected one.
  virtual absl::StatusOr<PartnerTokenGrant> IssueToken(absl::string_view team_id,
                                                       absl::string_view token_id,
                                                       absl::string_view purpose,
                                                       absl::string_view affiliate_id,
                                                       int64_t expires_at_micros) = 0;

  // The grant of the team's token `token_id` of `purpose`. UNAUTHENTICATED
  // INVALID_TOKEN when there is no such row (another team's, or another
  // purpose's); TOKEN_REVOKED when it was revoked or its affiliate is
  // deleted or rejected. Expiry is the caller's (the signed claims carry it).
  virtual absl::StatusOr<PartnerTokenGrant> ResolveToken(absl::string_view team_id,
                                                         absl::string_view token_id,
                                                         absl::string_view purpose) = 0;

  // Revokes one token (NOT_FOUND("token") unless it is the team's and not
  // yet revoked) or every live token of an affiliate (how many).
  virtual absl::Status RevokeToken(absl::string_view team_id, absl::string_view token_id) = 0;
  virtual absl::StatusOr<int> RevokeAffiliateTokens(absl::string_view team_id,
                                                    absl::string_view affiliate_id) = 0;

  // The team's default program; NOT_FOUND("program") when it has none.
  virtual absl::StatusOr<std::string> DefaultProgram(absl::string_view team_id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PARTNER_TOKEN_STORE_H_
