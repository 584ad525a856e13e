// Bad input gets INVALID_ARGUMENT naming the field, and writes nothing.
#include <string>

#include "common/testing/status_matchers.h"
#include "proto/affonso/v1/affiliates.grpc.pb.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "proto/affonso/v1/coupons.grpc.pb.h"
#include "proto/affonso/v1/creatives.grpc.pb.h"
#include "proto/affonso/v1/notifications.grpc.pb.h"
#include "proto/affonso/v1/onboarding.grpc.pb.h"
#include "proto/affonso/v1/partner_access.grpc.pb.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "tests/server_harness.h"

namespace affonso::tests {
namespace {

using namespace affonso::v1;  // NOLINT: test brevity
using ::affonso::matchers::StatusIs;

class BadInputTest : public ServerTest {
 protected:
  template <typename Call>
  void ExpectRejected(const std::string& field, Call call) {
    const std::string before = Counts();
    auto context = As(a_);
    grpc::Status status = call(context.get());
    EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT))
        << field << ": " << status.error_message();
    EXPECT_EQ(Trailer(*context, "x-error-code"), "VALIDATION_ERROR") << field;
    EXPECT_EQ(Trailer(*context, "x-error-field"), field);
    EXPECT_EQ(Counts(), before) << field;
  }
};

TEST_F(BadInputTest, Signups) {
  auto stub = SignupService::NewStub(channel_);
  auto call = [&](RecordSignupRequest request) {
    return [&stub, request](grpc::ClientContext* context) {
      RecordSignupResponse response;
      return stub->RecordSignup(context, request, &response);
    };
  };
  RecordSignupRequest request;
  request.set_email("a@example.com");
  ExpectRejected("click_id", call(request));
  request.set_click_id("clk_abc");
  request.clear_email();
  ExpectRejected("email", call(request));
  request.set_email("not-an-email");
  ExpectRejected("email", call(request));
  request.set_email("a@example.com");
  request.set_name(std::string(256, 'n'));
  ExpectRejected("name", call(request));
}

TEST_F(BadInputTest, Clicks) {
  auto stub = ClickService::NewStub(channel_);
  auto call = [&](TrackClickRequest request) {
    return [&stub, request](grpc::ClientContext* context) {
      Click click;
      return stub->TrackClick(context, request, &click);
    };
  };
  TrackClickRequest request;
  request.set_tracking_id(a_.tracking_id);
  ExpectRejected("program_id", call(request));
  request.set_program_id(a_.program_id);
  request.clear_tracking_id();
  ExpectRejected("tracking_id", call(request));
  request.set_tracking_id(a_.tracking_id);
  request.set_referrer(std::string(2001, 'r'));
  ExpectRejected("referrer", call(request));
  request.clear_referrer();
  request.set_sub3(std::string(256, 's'));
  ExpectRejected("sub3", call(request));
}

TEST_F(BadInputTest, Referrals) {
  auto stub = ReferralService::NewStub(channel_);
  auto create = [&](CreateReferralRequest request) {
    return [&stub, request](grpc::ClientContext* context) {
      Referral referral;
      return stub->CreateReferral(context, request, &referral);
    };
  };
  CreateReferralRequest request;
  request.set_email("a@example.com");
  ExpectRejected("affiliate_id", create(request));
  request.set_affiliate_id(a_.affiliate_id);
  request.set_email("nope");
  ExpectRejected("email", create(request));
  request.clear_email();
  ExpectRejected("email", create(request));
  ListReferralsRequest list;
  list.set_limit(101);
  ExpectRejected("limit", [&](grpc::ClientContext* context) {
    ListReferralsResponse response;
    return stub->ListReferrals(context, list, &response);
  });
}

// A Struct nested deeper than a REST body may nest is the client's error at
// every depth, never INTERNAL: up to what gRPC decodes (100 protobuf levels,
// three per level of objects) the check every request gets names the field;
// past it gRPC cannot decode the request, so no field is named. The limit
// holds for what is stored too, so no response holding it grows past what a
// client decodes.
TEST_F(BadInputTest, DeeplyNestedStructs) {
  auto stub = ReferralService::NewStub(channel_);
  for (int objects : {31, 32, 33, 34, 40, 200}) {
    SCOPED_TRACE(objects);
    CreateReferralRequest request;
    request.set_affiliate_id(a_.affiliate_id);
    request.set_email("deep" + std::to_string(objects) + "@example.com");
    google::protobuf::Struct* object = request.mutable_metadata();
    for (int i = 1; i < objects; ++i) {
      object = (*object->mutable_fields())["a"].mutable_struct_value();
    }
    (*object->mutable_fields())["a"].set_number_value(1);
    if (objects == 31) {  // the request object and 31 Structs: 32 levels
      auto context = As(a_);
      Referral referral;
      grpc::Status status = stub->CreateReferral(context.get(), request, &referral);
      EXPECT_OK(status);
      continue;
    }
    const std::string before = Counts();
    auto context = As(a_);
    Referral referral;
    grpc::Status status = stub->CreateReferral(context.get(), request, &referral);
    EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT)) << status.error_message();
    EXPECT_EQ(Trailer(*context, "x-error-code"), "VALIDATION_ERROR");
    EXPECT_EQ(Trailer(*context, "x-error-field"), objects <= 33 ? "metadata" : "");
    EXPECT_EQ(Counts(), before);
  }
}

TEST_F(BadInputTest, Affiliates) {
  auto stub = AffiliateService::NewStub(channel_);
  auto create = [&](CreateAffiliateRequest request) {
    return [&stub, request](grpc::ClientContext* context) {
      Affiliate affiliate;
      return stub->CreateAffiliate(context, request, &affiliate);
    };
  };
  CreateAffiliateRequest request;
  request.set_email("aff@example.com");
  request.set_program_id(a_.program_id);
  ExpectRejected("name", create(request));
  request.set_name("Aff");
  request.set_email("bad");
  ExpectRejected("email", create(request));
  request.set_email("aff@example.com");
  request.clear_program_id();
  ExpectRejected("program_id", create(request));
  UpdateAffiliateRequest update;
  update.set_id(a_.affiliate_id);
  update.set_email("still bad");
  ExpectRejected("email", [&](grpc::ClientContext* context) {
    Affiliate affiliate;
    return stub->UpdateAffiliate(context, update, &affiliate);
  });
}

// Over gRPC too; the coupons table is not in Counts(), so it is counted here.
TEST_F(BadInputTest, Coupons) {
  auto stub = CouponService::NewStub(channel_);
  auto create = [&](CreateCouponRequest request) {
    return [&stub, request](grpc::ClientContext* context) {
      Coupon coupon;
      return stub->CreateCoupon(context, request, &coupon);
    };
  };
  CreateCouponRequest request;
  request.set_affiliate_id(a_.affiliate_id);
  request.set_code("SAVE10");
  request.set_discount_type(DISCOUNT_TYPE_PERCENTAGE);
  request.set_discount_value(10);
  request.set_duration(COUPON_DURATION_FOREVER);
  auto rejected = [&](const std::string& field, const CreateCouponRequest& bad) {
    ExpectRejected(field, create(bad));
    EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM coupons"), "0") << field;
  };
  CreateCouponRequest bad = request;
  bad.clear_affiliate_id();
  rejected("affiliate_id", bad);
  bad = request;
  bad.set_code("SAVE 10");
  rejected("code", bad);
  bad = request;
  bad.set_discount_value(100.5);
  rejected("discount_value", bad);
  bad = request;
  bad.set_discount_value(-0.01);
  rejected("discount_value", bad);
  bad = request;
  bad.clear_discount_type();
  rejected("discount_type", bad);
  bad = request;
  bad.set_duration(COUPON_DURATION_REPEATING);
  rejected("duration_in_months", bad);
  bad = request;
  bad.set_currency("EURO");
  rejected("currency", bad);
  ListCouponsRequest list;
  list.set_sort("secret");
  ExpectRejected("sort", [&](grpc::ClientContext* context) {
    ListCouponsResponse response;
    return stub->ListCoupons(context, list, &response);
  });
  // And the valid request is accepted.
  auto context = As(a_);
  Coupon coupon;
  EXPECT_OK(stub->CreateCoupon(context.get(), request, &coupon));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM coupons"), "1");
}

// Over gRPC too; the creatives table is not in Counts(), so it is counted here.
TEST_F(BadInputTest, Creatives) {
  auto stub = CreativeService::NewStub(channel_);
  auto create = [&](CreateCreativeRequest request) {
    return [&stub, request](grpc::ClientContext* context) {
      Creative creative;
      return stub->CreateCreative(context, request, &creative);
    };
  };
  CreateCreativeRequest request;
  request.mutable_creative()->mutable_name()->set_string_value("Banner");
  request.mutable_creative()->mutable_url()->set_string_value("https://cdn.example.com/b.png");
  auto rejected = [&](const std::string& field, const CreateCreativeRequest& bad) {
    ExpectRejected(field, create(bad));
    EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM creatives"), "0") << field;
  };
  CreateCreativeRequest bad = request;
  bad.mutable_creative()->mutable_url()->set_string_value("data:text/html,<script>x</script>");
  rejected("url", bad);
  bad = request;
  bad.mutable_creative()->mutable_name()->set_string_value(std::string(256, 'n'));
  rejected("name", bad);
  bad = request;
  bad.mutable_creative()->mutable_category()->set_string_value("billboard");
  rejected("category", bad);
  bad = request;
  for (int i = 0; i < 21; ++i) {
    bad.mutable_creative()->mutable_tags()->add_values()->set_string_value("t" + std::to_string(i));
  }
  rejected("tags", bad);
  bad = request;
  (*bad.mutable_creative()->mutable_dimensions()->mutable_struct_value()->mutable_fields())["width"]
      .set_number_value(0);
  rejected("dimensions", bad);
  bad = request;
  bad.mutable_creative()->mutable_content()->set_string_value(std::string(10001, 'c'));
  rejected("content", bad);
  ListCreativesRequest list;
  list.set_category("posters");
  ExpectRejected("category", [&](grpc::ClientContext* context) {
    ListCreativesResponse response;
    return stub->ListCreatives(context, list, &response);
  });
  // And the valid request is accepted.
  auto context = As(a_);
  Creative creative;
  EXPECT_OK(stub->CreateCreative(context.get(), request, &creative));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM creatives"), "1");
  // An update with a bad field changes nothing.
  UpdateCreativeRequest update;
  update.set_id(creative.id());
  update.mutable_creative()->mutable_name()->set_string_value("Renamed");
  update.mutable_creative()->mutable_url()->set_string_value("ftp://example.com/");
  ExpectRejected("url", [&](grpc::ClientContext* context) {
    Creative updated;
    return stub->UpdateCreative(context, update, &updated);
  });
  EXPECT_EQ(db_->QueryValue("SELECT name FROM creatives"), "Banner");
}

TEST_F(BadInputTest, Notifications) {
  auto stub = NotificationService::NewStub(channel_);
  auto update = [&](UpdateNotificationRequest request) {
    return [&stub, request](grpc::ClientContext* context) {
      Notification notification;
      return stub->UpdateNotification(context, request, &notification);
    };
  };
  auto rejected = [&](const std::string& field, const UpdateNotificationRequest& bad) {
    ExpectRejected(field, update(bad));
    EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM program_notification_settings"), "0") << field;
  };
  UpdateNotificationRequest request;
  request.set_email_type_id("new_commission");
  request.mutable_notification()->mutable_custom_subject()->set_string_value(
      "You earned {{commission_amount}} {{currency}}");
  UpdateNotificationRequest bad = request;
  bad.mutable_notification()->mutable_custom_subject()->set_string_value("{{secret_key}}");
  rejected("custom_subject", bad);
  bad = request;
  bad.mutable_notification()->mutable_custom_body()->set_string_value("<p>{{affiliate_name</p>");
  rejected("custom_body", bad);
  bad = request;
  bad.mutable_notification()->mutable_custom_subject()->set_string_value("a\r\nBcc: x@example.com");
  rejected("custom_subject", bad);
  bad = request;
  bad.set_email_type_id("new_affiliate_application");  // fixed text
  bad.mutable_notification()->mutable_custom_subject()->set_string_value("{{program_name}}");
  rejected("custom_subject", bad);
  PreviewNotificationRequest preview;
  preview.set_email_type_id("payout_sent");
  preview.mutable_draft()->set_body("<p>{{referral_name}}</p>");
  ExpectRejected("body", [&](grpc::ClientContext* context) {
    NotificationPreview response;
    return stub->PreviewNotification(context, preview, &response);
  });
  // An unknown type is not found, and the valid request is accepted.
  bad = request;
  bad.set_email_type_id("password_reset");
  {
    auto context = As(a_);
    Notification notification;
    EXPECT_THAT(stub->UpdateNotification(context.get(), bad, &notification),
                StatusIs(grpc::StatusCode::NOT_FOUND));
  }
  auto context = As(a_);
  Notification notification;
  EXPECT_OK(stub->UpdateNotification(context.get(), request, &notification));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM program_notification_settings"), "1");
}

// Over gRPC, fields named as the REST body writes them; the onboarding tables
// are not in Counts(), so they are counted here.
TEST_F(BadInputTest, Onboarding) {
  auto stub = OnboardingService::NewStub(channel_);
  const std::string tables =
      "SELECT (SELECT count(*) FROM onboarding_forms) || '/' || (SELECT count(*) FROM "
      "onboarding_questions) || '/' || (SELECT count(*) FROM onboarding_answers)";
  CreateOnboardingFormRequest create;
  create.mutable_form()->set_name("Onboarding");
  OnboardingQuestionInput* question = create.mutable_form()->add_questions();
  question->set_question("Where do you promote us?");
  question->set_type("single_choice");
  question->set_is_required(true);
  question->add_options("Blog");
  question->set_order(1);
  auto rejected = [&](const std::string& field, const CreateOnboardingFormRequest& bad) {
    ExpectRejected(field, [&stub, bad](grpc::ClientContext* context) {
      OnboardingForm form;
      return stub->CreateOnboardingForm(context, bad, &form);
    });
    EXPECT_EQ(db_->QueryValue(tables), "0/0/0") << field;
  };
  CreateOnboardingFormRequest bad = create;
  bad.mutable_form()->clear_name();
  rejected("name", bad);
  bad = create;
  bad.mutable_form()->mutable_questions(0)->clear_options();
  rejected("questions[0].options", bad);
  bad = create;
  bad.mutable_form()->mutable_questions(0)->add_options("Blog");
  rejected("questions[0].options", bad);
  bad = create;
  bad.mutable_form()->mutable_questions(0)->set_type("dropdown");
  rejected("questions[0].type", bad);
  bad = create;
  bad.mutable_form()->mutable_questions(0)->clear_order();
  rejected("questions[0].order", bad);

  // The valid form is accepted; answers are checked against it.
  OnboardingForm form;
  {
    auto context = As(a_);
    ASSERT_OK(stub->CreateOnboardingForm(context.get(), create, &form));
  }
  SubmitOnboardingResponsesRequest submit;
  submit.set_affiliate_id(a_.affiliate_id);
  OnboardingAnswerInput* answer = submit.add_responses();
  answer->set_question_id(form.questions(0).id());
  answer->mutable_answer()->set_string_value("Podcast");
  const std::string before = db_->QueryValue(tables);
  ExpectRejected("responses[0].answer", [&](grpc::ClientContext* context) {
    AffiliateOnboardingResponses responses;
    return stub->SubmitOnboardingResponses(context, submit, &responses);
  });
  submit.mutable_responses(0)->clear_answer();
  submit.set_mark_complete(true);
  ExpectRejected("responses", [&](grpc::ClientContext* context) {
    AffiliateOnboardingResponses responses;
    return stub->SubmitOnboardingResponses(context, submit, &responses);
  });
  EXPECT_EQ(db_->QueryValue(tables), before);
  EXPECT_EQ(db_->QueryValue("SELECT onboarding_completed FROM affiliates WHERE id = '" +
                            a_.affiliate_id + "'"),
            "f");
}

TEST_F(BadInputTest, EmbedTokenRequests) {
  auto stub = PartnerAccessService::NewStub(channel_);
  CreateEmbedTokenRequest request;
  request.mutable_partner()->set_email("partner@example.com");
  request.mutable_partner()->set_name("Partner");
  auto rejected = [&](const std::string& field, const CreateEmbedTokenRequest& bad) {
    ExpectRejected(field, [&](grpc::ClientContext* context) {
      EmbedToken token;
      return stub->CreateEmbedToken(context, bad, &token);
    });
  };
  rejected("partner", CreateEmbedTokenRequest());
  CreateEmbedTokenRequest bad = request;
  bad.mutable_partner()->clear_email();
  rejected("partner.email", bad);
  bad = request;
  bad.mutable_partner()->set_email("partner at example.com");
  rejected("partner.email", bad);
  bad = request;
  bad.mutable_partner()->set_name(std::string(256, 'n'));
  rejected("partner.name", bad);
  bad = request;
  bad.mutable_partner()->set_image(std::string(2049, 'i'));
  rejected("partner.image", bad);
  bad = request;
  bad.set_external_user_id(std::string(256, 'u'));
  rejected("external_user_id", bad);
  bad = request;
  (*bad.mutable_metadata()->mutable_fields())["blob"].set_string_value(std::string(17 << 10, 'm'));
  rejected("metadata", bad);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM partner_tokens"), "0");
  // And the valid request is accepted.
  auto context = As(a_);
  EmbedToken token;
  EXPECT_OK(stub->CreateEmbedToken(context.get(), request, &token));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM partner_tokens"), "1");
}

}  // namespace
}  // namespace affonso::tests
