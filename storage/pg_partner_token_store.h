#ifndef AFFONSO_STORAGE_PG_PARTNER_TOKEN_STORE_H_
#define AFFONSO_STORAGE_PG_PARTNER_TOKEN_STORE_H_

#include "storage/partner_token_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgPartnerTokenStore final : public PartnerTokenStore {
 public:
  explicit PgPartnerTokenStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<PartnerTokenGrant> IssueToken(absl::string_view team_id,
                                               absl::string_view token_id,
                                               absl::string_view purpose,
                                               absl::string_view affiliate_id,
                                               int64_t expires_at_micros) override;
  absl::StatusOr<PartnerTokenGrant> ResolveToken(absl::string_view team_id,
                                                 absl::string_view token_id,
                                                 absl::string_view purpose) override;
  absl::Status RevokeToken(absl::string_view team_id, absl::string_view token_id) override;
  absl::StatusOr<int> RevokeAffiliateTokens(absl::string_view team_id,
                                            absl::string_view affiliate_id) override;
  absl::StatusOr<std::string> DefaultProgram(absl::string_view team_id) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_PARTNER_TOKEN_STORE_H_
