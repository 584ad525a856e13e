#include "services/api/partner_access_service.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "services/api/affiliate_service.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

constexpr size_t kMaxPartnerNameLength = 255;
constexpr size_t kMaxPartnerEmailLength = 254;
constexpr size_t kMaxImageUrlLength = 2048;
constexpr size_t kMaxExternalUserIdLength = 255;

google::protobuf::Timestamp TimestampOfMicros(int64_t micros) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
}

// The store's partnership_status text; a rejected affiliate's tokens are
// refused before this is read.
affonso::v1::PartnershipStatus StatusOf(const std::string& stored) {
  if (stored == "approved") return affonso::v1::PARTNERSHIP_STATUS_APPROVED;
  if (stored == "rejected") return affonso::v1::PARTNERSHIP_STATUS_REJECTED;
  return affonso::v1::PARTNERSHIP_STATUS_PENDING;
}

std::function<absl::Time()> OrNow(std::function<absl::Time()> clock) {
  if (clock) return clock;
  return [] { return absl::Now(); };
}

void FillSession(const storage::PartnerTokenGrant& grant, affonso::v1::PartnerSession* session) {
  session->set_affiliate_id(grant.affiliate_id);
  session->set_program_id(grant.program_id);
  if (grant.name) session->set_name(*grant.name);
  if (grant.email) session->set_email(*grant.email);
  session->set_tracking_id(grant.tracking_id);
  session->set_partnership_status(StatusOf(grant.partnership_status));
  session->set_link(ReferralLink(grant));
  *session->mutable_expires_at() = TimestampOfMicros(grant.expires_at_micros);
}

// No key to sign or verify with (PARTNER_TOKEN_SECRET unset).
absl::Status PartnerTokensNotConfigured() {
  return absl::FailedPreconditionError(
      "partner tokens are not configured on this server (PARTNER_TOKEN_SECRET is not set)");
}

}  // namespace

std::string ReferralLink(const storage::PartnerTokenGrant& grant) {
  if (grant.website_url.empty() || grant.tracking_id.empty()) return "";
  const absl::string_view separator = absl::StrContains(grant.website_url, '?') ? "&" : "?";
  return absl::StrCat(grant.website_url, separator, grant.referral_parameter, "=",
                      grant.tracking_id);
}

absl::Status ValidateCreateEmbedToken(const affonso::v1::CreateEmbedTokenRequest& request) {
  if (!request.has_partner()) return ValidationError("partner", "partner is required");
  const affonso::v1::EmbedPartner& partner = request.partner();
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("partner.email", partner.email()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("partner.email", partner.email(), kMaxPartnerEmailLength));
  AFFONSO_RETURN_IF_ERROR(CheckEmail("partner.email", partner.email()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("partner.name", partner.name(), kMaxPartnerNameLength));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("partner.image", partner.image(), kMaxImageUrlLength));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("external_user_id", request.external_user_id(), kMaxExternalUserIdLength));
  return CheckEncodedSize("metadata", request.metadata(), kMaxAffiliateMetadataBytes);
}

PartnerAccessServiceImpl::PartnerAccessServiceImpl(RpcRunner runner,
                                                   storage::PartnerTokenStore* tokens,
                                                   storage::AffiliateStore* affiliates,
                                                   const PartnerTokenSigner* signer,
                                                   PartnerAccessOptions options)
    : runner_(std::move(runner)),
      tokens_(tokens),
      affiliates_(affiliates),
      signer_(signer),
      options_(std::move(options)) {
  options_.clock = OrNow(std::move(options_.clock));
}

absl::StatusOr<std::pair<std::string, storage::PartnerTokenGrant>> PartnerAccessServiceImpl::Issue(
    const std::string& team_id, const std::string& affiliate_id, PartnerTokenPurpose purpose) {
  AFFONSO_RETURN_IF_ERROR(RequireSigner());
  const absl::Duration ttl =
      purpose == PartnerTokenPurpose::kEmbed ? options_.embed_token_ttl : options_.portal_token_ttl;
  // Whole seconds: the signed expiry is in seconds, and the row must say the same.
  const int64_t expires_unix = absl::ToUnixSeconds(options_.clock() + ttl);
  PartnerTokenClaims claims;
  claims.purpose = purpose;
  claims.team_id = team_id;
  claims.token_id = NewId("ptk");
  claims.expires_at_unix = expires_unix;
  AFFONSO_ASSIGN_OR_RETURN(
      storage::PartnerTokenGrant grant,
      tokens_->IssueToken(team_id, claims.token_id, PartnerTokenPurposeName(purpose), affiliate_id,
                          expires_unix * 1000000));
  return std::make_pair(signer_->Sign(claims), std::move(grant));
}

absl::Status PartnerAccessServiceImpl::RequireSigner() const {
  if (signer_ != nullptr) return absl::OkStatus();
  return PartnerTokensNotConfigured();
}

std::string PartnerAccessServiceImpl::PortalUrl(const std::string& program_id,
                                                const std::string& token) const {
  return absl::StrCat(absl::StripSuffix(options_.portal_base_url, "/"), "/", program_id,
                      "#token=", token);
}

grpc::Status PartnerAccessServiceImpl::CreatePortalToken(
    grpc::ServerContext* context, const affonso::v1::CreatePortalTokenRequest* request,
    affonso::v1::AffiliatePortalToken* response) {
  return runner_.Run(
      context, "CreatePortalToken", *request, [&](const Caller& caller) -> absl::Status {
        if (!LooksLikeId(request->id(), "aff")) return NotFoundError("affiliate");
        AFFONSO_ASSIGN_OR_RETURN(
            auto issued, Issue(caller.team_id, request->id(), PartnerTokenPurpose::kPortal));
        response->set_token(issued.first);
        response->set_portal_url(PortalUrl(issued.second.program_id, issued.first));
        *response->mutable_expires_at() = TimestampOfMicros(issued.second.expires_at_micros);
        RpcRunner::SetHttpCode(context, 201);
        return absl::OkStatus();
      });
}

grpc::Status PartnerAccessServiceImpl::CreateEmbedToken(
    grpc::ServerContext* context, const affonso::v1::CreateEmbedTokenRequest* request,
    affonso::v1::EmbedToken* response) {
  return runner_.Run(
      context, "CreateEmbedToken", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_RETURN_IF_ERROR(ValidateCreateEmbedToken(*request));
        std::string program_id = request->program_id();
        if (program_id.empty()) {
          AFFONSO_ASSIGN_OR_RETURN(program_id, tokens_->DefaultProgram(caller.team_id));
        } else if (!LooksLikeId(program_id, "prg")) {
          return NotFoundError("program");
        }
        if (!request->group_id().empty() && !LooksLikeId(request->group_id(), "grp")) {
          return NotFoundError("group");
        }
        // Before anything is written: without a key no token can be issued.
        AFFONSO_RETURN_IF_ERROR(RequireSigner());
        const affonso::v1::EmbedPartner& partner = request->partner();
        // The affiliate the create path would make (its validation, and the
        // store's create with its affiliate.created event) unless the
        // program already has a live one with the email; the store finds or
        // creates under a lock, so concurrent calls make one affiliate.
        affonso::v1::CreateAffiliateRequest create;
        create.set_name(partner.name().empty() ? partner.email() : partner.name());
        create.set_email(partner.email());
        create.set_program_id(program_id);
        create.set_group_id(request->group_id());
        create.set_external_user_id(request->external_user_id());
        if (request->has_metadata()) *create.mutable_metadata() = request->metadata();
        create.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_PENDING);
        AFFONSO_RETURN_IF_ERROR(ValidateCreateAffiliate(create));
        AFFONSO_ASSIGN_OR_RETURN(storage::AffiliateStore::FoundOrCreated partner_affiliate,
                                 affiliates_->FindOrCreateAffiliateByEmail(
                                     caller.team_id, NormalizedCreateAffiliate(create)));
        if (partner_affiliate.created) RpcRunner::SetHttpCode(context, 201);
        // A separate step: when it fails after a create, a retry finds the
        // affiliate and issues its token.
        AFFONSO_ASSIGN_OR_RETURN(auto issued, Issue(caller.team_id, partner_affiliate.affiliate_id,
                                                    PartnerTokenPurpose::kEmbed));
        response->set_public_token(issued.first);
        *response->mutable_expires_at() = TimestampOfMicros(issued.second.expires_at_micros);
        response->set_link(ReferralLink(issued.second));
        response->set_portal_url(PortalUrl(issued.second.program_id, issued.first));
        response->set_partnership_status(StatusOf(issued.second.partnership_status));
        return absl::OkStatus();
      });
}

PartnerPortalServiceImpl::PartnerPortalServiceImpl(RpcRunner runner,
                                                   storage::PartnerTokenStore* tokens,
                                                   const PartnerTokenSigner* signer,
                                                   std::function<absl::Time()> clock)
    : runner_(std::move(runner)),
      tokens_(tokens),
      signer_(signer),
      clock_(OrNow(std::move(clock))) {}

grpc::Status PartnerPortalServiceImpl::Session(grpc::ServerContext* context,
                                               absl::string_view method,
                                               const affonso::v1::PartnerSessionRequest& request,
                                               PartnerTokenPurpose purpose,
                                               affonso::v1::PartnerSession* response) {
  return runner_.Run(context, method, request, [&](const Caller&) -> absl::Status {
    if (signer_ == nullptr) return PartnerTokensNotConfigured();
    AFFONSO_ASSIGN_OR_RETURN(PartnerTokenClaims claims,
                             signer_->Verify(request.token(), purpose, clock_()));
    AFFONSO_ASSIGN_OR_RETURN(
        storage::PartnerTokenGrant grant,
        tokens_->ResolveToken(claims.team_id, claims.token_id, PartnerTokenPurposeName(purpose)));
    FillSession(grant, response);
    return absl::OkStatus();
  });
}

grpc::Status PartnerPortalServiceImpl::GetPortalSession(
    grpc::ServerContext* context, const affonso::v1::PartnerSessionRequest* request,
    affonso::v1::PartnerSession* response) {
  return Session(context, "GetPortalSession", *request, PartnerTokenPurpose::kPortal, response);
}

grpc::Status PartnerPortalServiceImpl::GetEmbedSession(
    grpc::ServerContext* context, const affonso::v1::PartnerSessionRequest* request,
    affonso::v1::PartnerSession* response) {
  return Session(context, "GetEmbedSession", *request, PartnerTokenPurpose::kEmbed, response);
}

}  // namespace affonso::services
