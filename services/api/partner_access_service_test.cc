#include "services/api/partner_access_service.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "common/wire_metadata.h"
#include "gtest/gtest.h"
#include "services/call/admission.h"
#include "services/call/admission_executor.h"
#include "services/testing/fake_affiliate_store.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using affonso::v1::AffiliatePortalToken;
using affonso::v1::CreateEmbedTokenRequest;
using affonso::v1::CreatePortalTokenRequest;
using affonso::v1::EmbedToken;
using affonso::v1::PartnerSession;
using affonso::v1::PartnerSessionRequest;

// partner_tokens in memory, team-scoped as the real one.
class FakePartnerTokenStore : public storage::PartnerTokenStore {
 public:
  absl::StatusOr<storage::PartnerTokenGrant> IssueToken(absl::string_view team_id,
                                                        absl::string_view token_id,
                                                        absl::string_view purpose,
                                                        absl::string_view affiliate_id,
                                                        int64_t expires_at_micros) override {
    auto affiliate = affiliates.find(Key(team_id, affiliate_id));
    if (affiliate == affiliates.end()) return NotFoundError("affiliate");
    storage::PartnerTokenGrant grant = affiliate->second;
    grant.token_id = std::string(token_id);
    grant.purpose = std::string(purpose);
    grant.team_id = std::string(team_id);
    grant.expires_at_micros = expires_at_micros;
    tokens[Key(team_id, token_id)] = grant;
    return grant;
  }
  absl::StatusOr<storage::PartnerTokenGrant> ResolveToken(absl::string_view team_id,
                                                          absl::string_view token_id,
                                                          absl::string_view purpose) override {
    ++resolves;
    auto token = tokens.find(Key(team_id, token_id));
    if (token == tokens.end() || token->second.purpose != purpose) {
      return WithApiCode(absl::UnauthenticatedError("not valid"), api_code::kInvalidToken);
    }
    if (revoked.count(Key(team_id, token_id))) {
      return WithApiCode(absl::UnauthenticatedError("revoked"), api_code::kTokenRevoked);
    }
    return token->second;
  }
  absl::Status RevokeToken(absl::string_view team_id, absl::string_view token_id) override {
    revoked.insert(Key(team_id, token_id));
    return absl::OkStatus();
  }
  absl::StatusOr<int> RevokeAffiliateTokens(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::string> DefaultProgram(absl::string_view) override {
    return std::string("prg_1");
  }

  void AddAffiliate(const std::string& team_id, const std::string& id, const std::string& email,
                    const std::string& status = "approved") {
    storage::PartnerTokenGrant grant;
    grant.team_id = team_id;
    grant.affiliate_id = id;
    grant.program_id = "prg_1";
    grant.email = email;
    grant.tracking_id = "trk-" + id;
    grant.partnership_status = status;
    grant.website_url = "https://shop.example.com/?ref=1";
    grant.referral_parameter = "via";
    affiliates[Key(team_id, id)] = grant;
  }

  static std::string Key(absl::string_view team, absl::string_view id) {
    return absl::StrCat(team, "/", id);
  }

  std::map<std::string, storage::PartnerTokenGrant> affiliates;  // by team/affiliate id
  std::map<std::string, storage::PartnerTokenGrant> tokens;      // by team/token id
  std::set<std::string> revoked;
  int resolves = 0;
};

// Finds the token store's affiliates by email and records the creates the
// embed call makes; the created affiliate becomes one the token store knows.
class RecordingAffiliateStore : public testing::FakeAffiliateStore {
 public:
  explicit RecordingAffiliateStore(FakePartnerTokenStore* tokens) : tokens_(tokens) {}
  absl::StatusOr<FoundOrCreated> FindOrCreateAffiliateByEmail(
      absl::string_view team_id, const affonso::v1::CreateAffiliateRequest& request) override {
    if (request.program_id() != "prg_1") return NotFoundError("program");
    for (const auto& [key, grant] : tokens_->affiliates) {
      if (grant.team_id == team_id && grant.email && *grant.email == request.email()) {
        return FoundOrCreated{grant.affiliate_id, false};
      }
    }
    creates.push_back(request);
    const std::string id = "aff_new" + std::to_string(creates.size());
    tokens_->AddAffiliate(std::string(team_id), id, request.email(), "pending");
    return FoundOrCreated{id, true};
  }
  std::vector<affonso::v1::CreateAffiliateRequest> creates;

 private:
  FakePartnerTokenStore* tokens_;
};

class PartnerAccessServiceTest : public ::testing::Test {
 protected:
  PartnerAccessServiceTest()
      : affiliates_(&tokens_),
        signer_(*PartnerTokenSigner::Create(std::string(32, 's'))),
        admission_(std::vector<const AdmissionStage*>{}),
        rpc_metrics_(&registry_),
        executor_(AdmissionExecutor::Options{1, 16}),
        access_(&authenticator_, &tokens_, &affiliates_, &signer_, Options()),
        portal_(RpcRunner(&admission_, &calls_, &rpc_metrics_, &executor_), &tokens_, &signer_,
                [this] { return now_; }),
        server_({&access_, &portal_}),
        access_stub_(affonso::v1::PartnerAccessService::NewStub(server_.channel())),
        portal_stub_(affonso::v1::PartnerPortalService::NewStub(server_.channel())) {
    tokens_.AddAffiliate("team_a", "aff_a", "a@example.com");
    tokens_.AddAffiliate("team_b", "aff_b", "b@example.com");
  }

  PartnerAccessOptions Options() {
    PartnerAccessOptions options;
    options.portal_base_url = "https://portal.example.com/";
    options.clock = [this] { return now_; };
    return options;
  }

  grpc::Status Portal(const std::string& affiliate_id, AffiliatePortalToken* token) {
    CreatePortalTokenRequest request;
    request.set_id(affiliate_id);
    auto context = testing::ContextWithAuth();
    return access_stub_->CreatePortalToken(context.get(), request, token);
  }
  grpc::Status Embed(const CreateEmbedTokenRequest& request, EmbedToken* token) {
    context_ = testing::ContextWithAuth();
    return access_stub_->CreateEmbedToken(context_.get(), request, token);
  }
  grpc::Status Session(bool portal, const std::string& token, PartnerSession* session) {
    PartnerSessionRequest request;
    request.set_token(token);
    context_ = std::make_unique<grpc::ClientContext>();
    return portal ? portal_stub_->GetPortalSession(context_.get(), request, session)
                  : portal_stub_->GetEmbedSession(context_.get(), request, session);
  }
  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }

  absl::Time now_ = absl::FromUnixSeconds(1800000000);
  testing::FakeAuthenticator authenticator_;
  FakePartnerTokenStore tokens_;
  RecordingAffiliateStore affiliates_;
  PartnerTokenSigner signer_;
  metrics::Registry registry_;
  Admission admission_;
  ServerCalls calls_;
  RpcMetrics rpc_metrics_;
  AdmissionExecutor executor_;
  PartnerAccessServiceImpl access_;
  PartnerPortalServiceImpl portal_;
  testing::InProcessServer server_;
  std::unique_ptr<affonso::v1::PartnerAccessService::Stub> access_stub_;
  std::unique_ptr<affonso::v1::PartnerPortalService::Stub> portal_stub_;
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(PartnerAccessServiceTest, APortalTokenLivesFifteenMinutes) {
  AffiliatePortalToken token;
  ASSERT_TRUE(Portal("aff_a", &token).ok());
  EXPECT_EQ(token.expires_at().seconds(), absl::ToUnixSeconds(now_ + absl::Minutes(15)));
  EXPECT_EQ(token.portal_url(), "https://portal.example.com/prg_1#token=" + token.token());

  now_ += absl::Minutes(15) - absl::Seconds(1);
  PartnerSession session;
  ASSERT_TRUE(Session(true, token.token(), &session).ok());
  EXPECT_EQ(session.affiliate_id(), "aff_a");
  EXPECT_EQ(session.link(), "https://shop.example.com/?ref=1&via=trk-aff_a");
  EXPECT_EQ(session.partnership_status(), affonso::v1::PARTNERSHIP_STATUS_APPROVED);

  now_ += absl::Seconds(1);
  const int resolves = tokens_.resolves;
  grpc::Status expired = Session(true, token.token(), &session);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Trailer("x-error-code"), "TOKEN_EXPIRED");
  EXPECT_EQ(tokens_.resolves, resolves) << "an expired token needs no lookup";
}

TEST_F(PartnerAccessServiceTest, AnotherTeamsAffiliateIsNotFound) {
  AffiliatePortalToken token;
  EXPECT_EQ(Portal("aff_b", &token).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Portal("bogus", &token).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(tokens_.tokens.empty());
}

TEST_F(PartnerAccessServiceTest, AnEmbedTokenLivesAnHourAndCreatesThroughTheAffiliateStore) {
  CreateEmbedTokenRequest request;
  request.mutable_partner()->set_email("new@example.com");
  request.set_external_user_id("u-9");
  EmbedToken token;
  ASSERT_TRUE(Embed(request, &token).ok());
  ASSERT_EQ(affiliates_.creates.size(), 1u);
  const affonso::v1::CreateAffiliateRequest& create = affiliates_.creates[0];
  EXPECT_EQ(create.name(), "new@example.com");  // no name: the email
  EXPECT_EQ(create.email(), "new@example.com");
  EXPECT_EQ(create.program_id(), "prg_1");
  EXPECT_EQ(create.external_user_id(), "u-9");
  EXPECT_EQ(create.partnership_status(), affonso::v1::PARTNERSHIP_STATUS_PENDING);
  EXPECT_EQ(token.partnership_status(), affonso::v1::PARTNERSHIP_STATUS_PENDING);
  EXPECT_EQ(token.expires_at().seconds(), absl::ToUnixSeconds(now_ + absl::Hours(1)));
  EXPECT_EQ(token.link(), "https://shop.example.com/?ref=1&via=trk-aff_new1");
  EXPECT_EQ(testing::ServerMetadata(*context_, std::string(kHttpCodeKey)), "201");

  // Again: found, not created.
  ASSERT_TRUE(Embed(request, &token).ok());
  EXPECT_EQ(affiliates_.creates.size(), 1u);

  PartnerSession session;
  EXPECT_EQ(Session(false, token.public_token(), &session).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(Session(true, token.public_token(), &session).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Trailer("x-error-code"), "WRONG_TOKEN_PURPOSE");
}

TEST_F(PartnerAccessServiceTest, EmbedValidationComesFirst) {
  EmbedToken token;
  CreateEmbedTokenRequest request;
  EXPECT_EQ(Embed(request, &token).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Trailer("x-error-field"), "partner");
  request.mutable_partner()->set_email("nope");
  EXPECT_EQ(Embed(request, &token).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Trailer("x-error-field"), "partner.email");
  request.mutable_partner()->set_email("x@example.com");
  request.set_program_id("not-a-program");
  EXPECT_EQ(Embed(request, &token).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(affiliates_.creates.empty());
  EXPECT_TRUE(tokens_.tokens.empty());
}

TEST_F(PartnerAccessServiceTest, ARevokedTokenIsRefused) {
  AffiliatePortalToken token;
  ASSERT_TRUE(Portal("aff_a", &token).ok());
  ASSERT_EQ(tokens_.tokens.size(), 1u);
  tokens_.revoked.insert(tokens_.tokens.begin()->first);
  PartnerSession session;
  EXPECT_EQ(Session(true, token.token(), &session).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Trailer("x-error-code"), "TOKEN_REVOKED");
}

TEST_F(PartnerAccessServiceTest, WithoutAKeyNothingIsIssuedNorWritten) {
  PartnerAccessServiceImpl access(&authenticator_, &tokens_, &affiliates_, nullptr, Options());
  PartnerPortalServiceImpl portal(RpcRunner(&admission_, &calls_, &rpc_metrics_, &executor_),
                                  &tokens_, nullptr);
  testing::InProcessServer server({&access, &portal});
  auto access_stub = affonso::v1::PartnerAccessService::NewStub(server.channel());
  auto portal_stub = affonso::v1::PartnerPortalService::NewStub(server.channel());

  CreatePortalTokenRequest portal_request;
  portal_request.set_id("aff_a");
  AffiliatePortalToken portal_token;
  auto context = testing::ContextWithAuth();
  grpc::Status refused =
      access_stub->CreatePortalToken(context.get(), portal_request, &portal_token);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("PARTNER_TOKEN_SECRET"), std::string::npos)
      << refused.error_message();

  CreateEmbedTokenRequest embed_request;
  embed_request.mutable_partner()->set_email("new@example.com");
  EmbedToken embed_token;
  context = testing::ContextWithAuth();
  EXPECT_EQ(access_stub->CreateEmbedToken(context.get(), embed_request, &embed_token).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(affiliates_.creates.empty()) << "no affiliate created for a token never issued";
  EXPECT_TRUE(tokens_.tokens.empty());

  PartnerSessionRequest session_request;
  session_request.set_token("afpt_team_a.ptk_x.1800000900.sig");
  PartnerSession session;
  grpc::ClientContext session_context;
  EXPECT_EQ(portal_stub->GetPortalSession(&session_context, session_request, &session).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace affonso::services
