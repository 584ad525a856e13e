// Team B's key against team A's objects: every endpoint answers NOT_FOUND (or
// B's own empty list), never A's data, and A's rows are left as they were.
#include "common/testing/status_matchers.h"
#include "proto/affonso/v1/affiliates.grpc.pb.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "tests/server_harness.h"

namespace affonso::tests {
namespace {

using namespace affonso::v1;  // NOLINT: test brevity
using ::affonso::matchers::StatusIs;

class TenantIsolationTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    clicks_ = ClickService::NewStub(channel_);
    signups_ = SignupService::NewStub(channel_);
    referrals_ = ReferralService::NewStub(channel_);
    affiliates_ = AffiliateService::NewStub(channel_);

    // Team A's objects: a click converted into a referral, a direct
    // referral, an affiliate.
    TrackClickRequest track;
    track.set_program_id(a_.program_id);
    track.set_tracking_id(a_.tracking_id);
    Click click;
    ASSERT_OK(clicks_->TrackClick(As(a_).get(), track, &click));
    a_click_ = click.id();
    RecordSignupRequest signup;
    signup.set_click_id(a_click_);
    signup.set_email("lead@a.example");
    RecordSignupResponse converted;
    ASSERT_OK(signups_->RecordSignup(As(a_).get(), signup, &converted));
    CreateReferralRequest direct;
    direct.set_affiliate_id(a_.affiliate_id);
    direct.set_email("direct@a.example");
    Referral referral;
    grpc::Status status = referrals_->CreateReferral(As(a_).get(), direct, &referral);
    ASSERT_OK(status);
    a_referral_ = referral.id();
    before_ = Counts();
  }

  void ExpectNotFound(const grpc::Status& status, const char* what) {
    EXPECT_THAT(status, StatusIs(grpc::StatusCode::NOT_FOUND))
        << what << ": " << status.error_message();
  }

  std::unique_ptr<ClickService::Stub> clicks_;
  std::unique_ptr<SignupService::Stub> signups_;
  std::unique_ptr<ReferralService::Stub> referrals_;
  std::unique_ptr<AffiliateService::Stub> affiliates_;
  std::string a_click_, a_referral_, before_;
};

TEST_F(TenantIsolationTest, ClicksAndSignups) {
  TrackClickRequest track;
  track.set_program_id(a_.program_id);
  track.set_tracking_id(a_.tracking_id);
  Click click;
  ExpectNotFound(clicks_->TrackClick(As(b_).get(), track, &click), "TrackClick A's program");
  track.set_program_id(b_.program_id);  // B's program, A's affiliate
  ExpectNotFound(clicks_->TrackClick(As(b_).get(), track, &click), "TrackClick A's affiliate");

  RecordSignupRequest signup;
  signup.set_click_id(a_click_);
  signup.set_email("thief@b.example");
  RecordSignupResponse response;
  auto context = As(b_);
  ExpectNotFound(signups_->RecordSignup(context.get(), signup, &response), "RecordSignup");
  EXPECT_EQ(Trailer(*context, "x-error-code"), "NOT_FOUND");
  EXPECT_EQ(Counts(), before_);
}

TEST_F(TenantIsolationTest, Referrals) {
  Referral referral;
  for (const std::string& id : {a_click_, a_referral_}) {
    GetReferralRequest get;
    get.set_id(id);
    ExpectNotFound(referrals_->GetReferral(As(b_).get(), get, &referral), "GetReferral");
    UpdateReferralRequest update;
    update.set_id(id);
    update.set_name("Mallory");
    ExpectNotFound(referrals_->UpdateReferral(As(b_).get(), update, &referral), "UpdateReferral");
  }
  CreateReferralRequest create;
  create.set_affiliate_id(a_.affiliate_id);
  create.set_email("new@b.example");
  ExpectNotFound(referrals_->CreateReferral(As(b_).get(), create, &referral),
                 "CreateReferral with A's affiliate");
  create.set_affiliate_id(b_.affiliate_id);
  create.set_click_id(a_click_);
  ExpectNotFound(referrals_->CreateReferral(As(b_).get(), create, &referral),
                 "CreateReferral with A's click");

  ListReferralsResponse list;
  ASSERT_OK(referrals_->ListReferrals(As(b_).get(), ListReferralsRequest(), &list));
  EXPECT_EQ(list.data_size(), 0);
  ListReferralsRequest filtered;
  filtered.set_affiliate_id(a_.affiliate_id);
  ASSERT_OK(referrals_->ListReferrals(As(b_).get(), filtered, &list));
  EXPECT_EQ(list.data_size(), 0);
  ListReferralsRequest cursor;
  cursor.set_starting_after(a_referral_);
  grpc::Status status = referrals_->ListReferrals(As(b_).get(), cursor, &list);
  EXPECT_FALSE(status.ok() && list.data_size() > 0) << "A's cursor leaked A's rows";
  ASSERT_OK(referrals_->ListReferrals(As(a_).get(), ListReferralsRequest(), &list));
  EXPECT_EQ(list.data_size(), 2);
  EXPECT_EQ(Counts(), before_);
}

TEST_F(TenantIsolationTest, Affiliates) {
  Affiliate affiliate;
  GetAffiliateRequest get;
  get.set_id(a_.affiliate_id);
  ExpectNotFound(affiliates_->GetAffiliate(As(b_).get(), get, &affiliate), "GetAffiliate");
  UpdateAffiliateRequest update;
  update.set_id(a_.affiliate_id);
  update.set_name("Mallory");
  ExpectNotFound(affiliates_->UpdateAffiliate(As(b_).get(), update, &affiliate), "UpdateAffiliate");
  DeleteAffiliateRequest del;
  del.set_id(a_.affiliate_id);
  DeleteAffiliateResponse deleted;
  ExpectNotFound(affiliates_->DeleteAffiliate(As(b_).get(), del, &deleted), "DeleteAffiliate");
  CreateAffiliateRequest create;
  create.set_name("Eve");
  create.set_email("eve@b.example");
  create.set_program_id(a_.program_id);
  ExpectNotFound(affiliates_->CreateAffiliate(As(b_).get(), create, &affiliate),
                 "CreateAffiliate in A's program");

  ListAffiliatesResponse list;
  ASSERT_OK(affiliates_->ListAffiliates(As(b_).get(), ListAffiliatesRequest(), &list));
  ASSERT_EQ(list.data_size(), 1);
  EXPECT_EQ(list.data(0).id(), b_.affiliate_id);
  ListAffiliatesRequest filtered;
  filtered.set_program_id(a_.program_id);
  ASSERT_OK(affiliates_->ListAffiliates(As(b_).get(), filtered, &list));
  EXPECT_EQ(list.data_size(), 0);
  EXPECT_EQ(Counts(), before_);
}

}  // namespace
}  // namespace affonso::tests
