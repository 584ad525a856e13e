#ifndef AFFONSO_SERVICES_API_PARTNER_ACCESS_SERVICE_H_
#define AFFONSO_SERVICES_API_PARTNER_ACCESS_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/affonso/v1/partner_access.grpc.pb.h"
#include "services/api/partner_token.h"
#include "services/call/rpc_runner.h"
#include "storage/affiliate_store.h"
#include "storage/partner_token_store.h"

namespace affonso::services {

struct PartnerAccessOptions {
  absl::Duration portal_token_ttl = absl::Minutes(15);
  absl::Duration embed_token_ttl = absl::Hours(1);
  // The portal's address; a token's portalUrl is
  // <portal_base_url>/<program id>#token=<token>.
  std::string portal_base_url = "http://localhost:8080/portal";
  // Tests move time; absl::Now otherwise.
  std::function<absl::Time()> clock;
};

// The referral link of a grant: the program's website URL with
// ?<parameter>=<tracking id> (or &... when it has a query); "" without a URL.
std::string ReferralLink(const storage::PartnerTokenGrant& grant);

// Validation of POST /v1/embed/token; exposed for tests.
absl::Status ValidateCreateEmbedToken(const affonso::v1::CreateEmbedTokenRequest& request);

// Issues the tokens (API key, write:affiliates). Both stores and the signer
// outlive the service. A null signer (no PARTNER_TOKEN_SECRET) refuses every
// issue with FAILED_PRECONDITION (REST 400), before anything is written.
class PartnerAccessServiceImpl final : public affonso::v1::PartnerAccessService::Service {
 public:
  PartnerAccessServiceImpl(RpcRunner runner, storage::PartnerTokenStore* tokens,
                           storage::AffiliateStore* affiliates, const PartnerTokenSigner* signer,
                           PartnerAccessOptions options);

  grpc::Status CreatePortalToken(grpc::ServerContext* context,
                                 const affonso::v1::CreatePortalTokenRequest* request,
                                 affonso::v1::AffiliatePortalToken* response) override;
  grpc::Status CreateEmbedToken(grpc::ServerContext* context,
                                const affonso::v1::CreateEmbedTokenRequest* request,
                                affonso::v1::EmbedToken* response) override;

 private:
  // Records and signs a token of `purpose` for the team's affiliate.
  absl::StatusOr<std::pair<std::string, storage::PartnerTokenGrant>> Issue(
      const std::string& team_id, const std::string& affiliate_id, PartnerTokenPurpose purpose);
  std::string PortalUrl(const std::string& program_id, const std::string& token) const;
  absl::Status RequireSigner() const;

  RpcRunner runner_;
  storage::PartnerTokenStore* tokens_;
  storage::AffiliateStore* affiliates_;
  const PartnerTokenSigner* signer_;
  PartnerAccessOptions options_;
};

// What the tokens grant (no API key: the runner is the public one). A
// refused token is 401 UNAUTHORIZED with the reason of
// PartnerTokenSigner::Verify or PartnerTokenStore::ResolveToken. A null
// signer answers FAILED_PRECONDITION, as the issuing service does.
class PartnerPortalServiceImpl final : public affonso::v1::PartnerPortalService::Service {
 public:
  PartnerPortalServiceImpl(RpcRunner runner, storage::PartnerTokenStore* tokens,
                           const PartnerTokenSigner* signer,
                           std::function<absl::Time()> clock = nullptr);

  grpc::Status GetPortalSession(grpc::ServerContext* context,
                                const affonso::v1::PartnerSessionRequest* request,
                                affonso::v1::PartnerSession* response) override;
  grpc::Status GetEmbedSession(grpc::ServerContext* context,
                               const affonso::v1::PartnerSessionRequest* request,
                               affonso::v1::PartnerSession* response) override;

 private:
  grpc::Status Session(grpc::ServerContext* context, absl::string_view method,
                       const affonso::v1::PartnerSessionRequest& request,
                       PartnerTokenPurpose purpose, affonso::v1::PartnerSession* response);

  RpcRunner runner_;
  storage::PartnerTokenStore* tokens_;
  const PartnerTokenSigner* signer_;
  std::function<absl::Time()> clock_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_PARTNER_ACCESS_SERVICE_H_
