#include "services/api/event_service.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::CreateConversionRequest;
using affonso::v1::CreateEventRequest;
using affonso::v1::EventResult;
using affonso::v1::SegmentTrackRequest;

class FakeEvents : public storage::SourceEventStore {
 public:
  absl::StatusOr<storage::ReservedEvent> Reserve(absl::string_view,
                                                 const storage::SourceEventInput& input) override {
    ++reserves;
    if (!input.external_event_id.empty()) {
      for (const auto& [id, event] : rows) {
        if (event.source == input.source && event.external_event_id == input.external_event_id) {
          return storage::ReservedEvent{event, false};
        }
      }
    }
    storage::SourceEvent event;
    event.id = absl::StrCat("evt_", rows.size() + 1);
    event.source = input.source;
    event.external_event_id = input.external_event_id;
    event.event_name = input.event_name;
    event.event_type = input.event_type;
    event.referral_id = input.referral_id;
    event.program_id = input.program_id;
    event.created_at = created_at;
    payloads[event.id] = input.payload;
    rows[event.id] = event;
    return storage::ReservedEvent{event, true};
  }
  absl::StatusOr<storage::SourceEvent> Complete(absl::string_view, absl::string_view id,
                                                absl::string_view action,
                                                absl::string_view referral_status,
                                                absl::string_view transaction_id) override {
    auto it = rows.find(std::string(id));
    if (it == rows.end()) return NotFoundError("event");
    if (it->second.action.empty()) {
      it->second.action = std::string(action);
      it->second.referral_status = std::string(referral_status);
      it->second.transaction_id = std::string(transaction_id);
    }
    return it->second;
  }
  std::map<std::string, storage::SourceEvent> rows;
  std::map<std::string, std::string> payloads;
  absl::Time created_at = absl::Now();
  int reserves = 0;
};

// ref_lead (lead), ref_active (active), clk_new (a click not converted yet).
class FakeRecorder : public ConversionRecorder {
 public:
  absl::StatusOr<Attribution> Attribute(absl::string_view,
                                        const CreateConversionRequest& request) override {
    const std::string id =
        !request.referral_id().empty() ? request.referral_id() : request.click_id();
    Attribution attribution;
    attribution.program_id = "prg_1";
    attribution.affiliate_id = "aff_1";
    attribution.referral_id = id;
    if (id == "ref_lead") {
      attribution.referral_status = "lead";
    } else if (id == "ref_active") {
      attribution.referral_status = "active";
    } else if (id == "ref_trialing") {
      attribution.referral_status = "trialing";
    } else if (id != "clk_new") {
      return NotFoundError("referral");
    }
    return attribution;
  }
  absl::StatusOr<affonso::v1::Conversion> Record(absl::string_view,
                                                 const CreateConversionRequest& request,
                                                 absl::string_view source_event_id) override {
    recorded.push_back(request);
    auto it = by_key.find(request.external_event_id());
    if (it != by_key.end()) {
      affonso::v1::Conversion again = it->second;
      again.set_replayed(true);
      return again;
    }
    affonso::v1::Conversion conversion;
    conversion.set_id(absl::StrCat("com_", by_key.size() + 1));
    conversion.set_referral_id(request.referral_id());
    conversion.set_sale_amount(request.sale_amount());
    conversion.set_external_event_id(request.external_event_id());
    conversion.set_source_event_id(std::string(source_event_id));
    by_key[request.external_event_id()] = conversion;
    return conversion;
  }
  std::vector<CreateConversionRequest> recorded;
  std::map<std::string, affonso::v1::Conversion> by_key;
};

class FakeSignups : public storage::SignupStore {
 public:
  void ConvertClickAsync(std::string, const affonso::v1::RecordSignupRequest* request,
                         storage::ConversionCallback done) override {
    last = *request;
    storage::Conversion conversion;
    conversion.referral.set_id(request->click_id());
    conversion.referral.set_status(affonso::v1::REFERRAL_STATUS_LEAD);
    conversion.created = converted.insert(request->click_id()).second;
    done(conversion);
  }
  std::set<std::string> converted;
  affonso::v1::RecordSignupRequest last;
};

class FakeReferrals : public storage::ReferralStore {
 public:
  absl::StatusOr<affonso::v1::Referral> CreateReferral(
      absl::string_view, const affonso::v1::CreateReferralRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::Referral> GetReferral(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::Referral> UpdateReferral(
      absl::string_view, const affonso::v1::UpdateReferralRequest& request) override {
    updates.push_back(request);
    affonso::v1::Referral referral;
    referral.set_id(request.id());
    referral.set_status(request.status());
    return referral;
  }
  absl::StatusOr<affonso::v1::ListReferralsResponse> ListReferrals(
      absl::string_view, const affonso::v1::ListReferralsRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DeleteReferral(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::ReferralStats> GetReferralStats(absl::string_view,
                                                              absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  std::vector<affonso::v1::UpdateReferralRequest> updates;
};

class RecordingVerifier : public RequestVerifier {
 public:
  absl::Status Verify(absl::string_view, absl::string_view program_id, absl::string_view source,
                      const SignedRequest& request) override {
    calls.push_back(absl::StrCat(program_id, "/", source, "/", request.signature));
    return refuse ? absl::UnauthenticatedError("bad signature") : absl::OkStatus();
  }
  std::vector<std::string> calls;
  bool refuse = false;
};

class EventServiceTest : public ::testing::Test {
 protected:
  absl::StatusOr<EventResult> Ingest(const CreateEventRequest& event,
                                     absl::string_view source = "api") {
    SignedRequest signed_request;
    signed_request.signature = "sig";
    return service_.Ingest("team_a", source, event, signed_request, "{}");
  }
  static CreateEventRequest Event(const std::string& referral, const std::string& type,
                                  const std::string& external_id = "") {
    CreateEventRequest event;
    event.set_event_name("something");
    event.set_referral_id(referral);
    event.set_event_type(type);
    event.set_external_event_id(external_id);
    return event;
  }

  testing::FakeAuthenticator authenticator_;
  FakeEvents events_;
  FakeRecorder recorder_;
  FakeSignups signups_;
  FakeReferrals referrals_;
  RecordingVerifier verifier_;
  EventServiceImpl service_{
      RpcRunner(&authenticator_), &events_, &recorder_, &signups_, &referrals_, &verifier_};
};

TEST_F(EventServiceTest, ConversionGoesThroughTheConversionPathAndReplays) {
  CreateEventRequest event = Event("ref_active", "", "order_1");
  event.set_sale_amount(49.5);
  ASSERT_OK_AND_ASSIGN(EventResult first, Ingest(event));
  ASSERT_TRUE(first.has_conversion());
  EXPECT_FALSE(first.conversion().replayed());
  EXPECT_EQ(first.conversion().source_event_id(), "evt_1");
  ASSERT_EQ(recorder_.recorded.size(), 1u);
  EXPECT_EQ(recorder_.recorded[0].external_event_id(), "order_1");
  EXPECT_EQ(recorder_.recorded[0].sale_amount(), 49.5);
  EXPECT_EQ(events_.rows.at("evt_1").action, "conversion");
  EXPECT_EQ(events_.rows.at("evt_1").transaction_id, first.conversion().id());
  ASSERT_OK_AND_ASSIGN(EventResult again, Ingest(event));
  EXPECT_TRUE(again.conversion().replayed());
  EXPECT_EQ(again.conversion().id(), first.conversion().id());
  EXPECT_EQ(events_.rows.size(), 1u);
  EXPECT_EQ(verifier_.calls, (std::vector<std::string>{"prg_1//sig", "prg_1//sig"}));
}

TEST_F(EventServiceTest, ASourceKeysItsConversionsApart) {
  CreateEventRequest event = Event("ref_active", "conversion", "m1");
  event.set_sale_amount(10);
  ASSERT_OK_AND_ASSIGN(EventResult result, Ingest(event, "segment"));
  EXPECT_EQ(recorder_.recorded.back().external_event_id(), "segment:m1");
  EXPECT_EQ(verifier_.calls.back(), "prg_1/segment/sig");
  // Without an external id the event's own id is the conversion's key.
  event.clear_external_event_id();
  ASSERT_OK(Ingest(event));
  EXPECT_EQ(recorder_.recorded.back().external_event_id(), "evt_2");
}

TEST_F(EventServiceTest, ConversionIsValidatedBeforeAnythingIsWritten) {
  EXPECT_THAT(Ingest(Event("ref_active", "conversion", "x")),
              HasApiError("VALIDATION_ERROR", "sale_amount"));
  EXPECT_EQ(events_.reserves, 0);
  EXPECT_TRUE(verifier_.calls.empty());
}

TEST_F(EventServiceTest, LeadConvertsAClickOnceThenIsAlreadyLead) {
  CreateEventRequest event = Event("", "lead", "signup_1");
  event.set_click_id("clk_new");
  event.set_email("a@b.test");
  ASSERT_OK_AND_ASSIGN(EventResult first, Ingest(event));
  ASSERT_TRUE(first.has_event());
  EXPECT_EQ(first.event().action(), "lead_created");
  EXPECT_EQ(first.event().referral_status(), "lead");
  EXPECT_EQ(first.event().referral_id(), "clk_new");
  EXPECT_EQ(first.event().source_event_id(), "evt_1");
  EXPECT_FALSE(first.event().has_transaction_id());
  EXPECT_EQ(signups_.last.email(), "a@b.test");
  ASSERT_OK_AND_ASSIGN(EventResult again, Ingest(event));
  EXPECT_TRUE(again.event().replayed());
  EXPECT_EQ(again.event().action(), "lead_created");
  // Another event about the same (now converted) click.
  event.set_external_event_id("signup_2");
  ASSERT_OK_AND_ASSIGN(EventResult other, Ingest(event));
  EXPECT_EQ(other.event().action(), "already_lead");
  ASSERT_OK_AND_ASSIGN(EventResult existing, Ingest(Event("ref_active", "lead")));
  EXPECT_EQ(existing.event().action(), "already_lead");
  EXPECT_EQ(existing.event().referral_status(), "active");
}

TEST_F(EventServiceTest, TrialMovesOnlyALeadToTrialing) {
  ASSERT_OK_AND_ASSIGN(EventResult lead, Ingest(Event("ref_lead", "trial")));
  EXPECT_EQ(lead.event().action(), "trial_started");
  EXPECT_EQ(lead.event().referral_status(), "trialing");
  ASSERT_EQ(referrals_.updates.size(), 1u);
  EXPECT_EQ(referrals_.updates[0].status(), affonso::v1::REFERRAL_STATUS_TRIALING);
  ASSERT_OK_AND_ASSIGN(EventResult trialing, Ingest(Event("ref_trialing", "trial")));
  EXPECT_EQ(trialing.event().action(), "already_trialing");
  ASSERT_OK_AND_ASSIGN(EventResult active, Ingest(Event("ref_active", "trial")));
  EXPECT_EQ(active.event().action(), "recorded");
  EXPECT_EQ(active.event().referral_status(), "active");
  EXPECT_EQ(referrals_.updates.size(), 1u);
}

TEST_F(EventServiceTest, MilestonesAndUnknownTypesAreRecorded) {
  ASSERT_OK_AND_ASSIGN(EventResult milestone, Ingest(Event("ref_active", "")));
  EXPECT_EQ(milestone.event().event_type(), "milestone");
  EXPECT_EQ(milestone.event().action(), "recorded");
  ASSERT_OK_AND_ASSIGN(EventResult unknown, Ingest(Event("ref_lead", "Webinar_Attended", "w1")));
  EXPECT_EQ(unknown.event().event_type(), "webinar_attended");
  EXPECT_EQ(unknown.event().action(), "recorded");
  EXPECT_EQ(unknown.event().external_event_id(), "w1");
  EXPECT_TRUE(referrals_.updates.empty());
  EXPECT_TRUE(recorder_.recorded.empty());
}

TEST_F(EventServiceTest, RefusalsComeBeforeAnyWrite) {
  EXPECT_THAT(Ingest(Event("ref_other_team", "milestone")), StatusIs(absl::StatusCode::kNotFound));
  CreateEventRequest unnamed = Event("ref_active", "milestone");
  unnamed.clear_event_name();
  EXPECT_THAT(Ingest(unnamed), HasApiError("VALIDATION_ERROR", "event_name"));
  EXPECT_THAT(Ingest(Event("ref_active", "milestone", std::string(201, 'x'))),
              HasApiError("VALIDATION_ERROR", "external_event_id"));
  EXPECT_THAT(service_.Ingest("team_a", "api", Event("ref_active", "milestone"), {},
                              std::string(kMaxEventPayloadBytes + 1, 'x')),
              HasApiError("VALIDATION_ERROR", "payload"));
  CreateEventRequest bad_email = Event("ref_active", "lead");
  bad_email.set_email("not an email");
  EXPECT_THAT(Ingest(bad_email), HasApiError("VALIDATION_ERROR", "email"));
  verifier_.refuse = true;
  EXPECT_THAT(Ingest(Event("ref_active", "milestone")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(events_.reserves, 0);
}

TEST_F(EventServiceTest, AnEventBeingRecordedIsRetriedThenTakenOver) {
  ASSERT_OK(events_.Reserve("team_a", {"api", "e1", "something", "lead", "clk_new", "prg_1", "{}"})
                .status());
  CreateEventRequest event = Event("", "lead", "e1");
  event.set_click_id("clk_new");
  EXPECT_THAT(Ingest(event), StatusIs(absl::StatusCode::kAborted));
  events_.rows.begin()->second.created_at = absl::Now() - kEventTakeoverAfter - absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(EventResult taken, Ingest(event));
  EXPECT_EQ(taken.event().action(), "lead_created");
  EXPECT_TRUE(taken.event().replayed());
}

TEST(SegmentMappingTest, OrderCompletedIsAConversion) {
  SegmentTrackRequest track;
  ASSERT_OK(google::protobuf::util::JsonStringToMessage(
      R"({"type":"track","event":"Order Completed","messageId":"m1","userId":"u1",
          "timestamp":"2026-01-02T03:04:05Z",
          "properties":{"revenue":12.5,"total":99,"currency":"eur","coupon":"SAVE",
                        "affonso_referral":"clk_1",
                        "products":[{"product_id":"p1"},{"sku":"x"},{"product_id":"p2"}]}})",
      &track));
  ASSERT_OK_AND_ASSIGN(CreateEventRequest event, EventFromSegment(track));
  EXPECT_EQ(event.event_type(), "conversion");
  EXPECT_EQ(event.event_name(), "Order Completed");
  EXPECT_EQ(event.external_event_id(), "m1");
  EXPECT_EQ(event.external_user_id(), "u1");
  EXPECT_EQ(event.affonso_referral(), "clk_1");
  EXPECT_EQ(event.sale_amount(), 12.5);
  EXPECT_EQ(event.sale_amount_currency(), "eur");
  EXPECT_EQ(event.coupon_code(), "SAVE");
  ASSERT_EQ(event.product_ids_size(), 2);
  EXPECT_EQ(event.product_ids(1), "p2");
  EXPECT_EQ(event.occurred_at().seconds(), 1767323045);
}

TEST(SegmentMappingTest, SignedUpIsALeadAndOthersAreMilestones) {
  SegmentTrackRequest track;
  ASSERT_OK(google::protobuf::util::JsonStringToMessage(
      R"({"type":"track","event":"Signed Up","messageId":"m2","userId":"u2",
          "properties":{"click_id":"clk_2"},"context":{"traits":{"email":"x@y.test"}}})",
      &track));
  ASSERT_OK_AND_ASSIGN(CreateEventRequest lead, EventFromSegment(track));
  EXPECT_EQ(lead.event_type(), "lead");
  EXPECT_EQ(lead.email(), "x@y.test");
  EXPECT_EQ(lead.click_id(), "clk_2");
  track.set_event("Order Completed");
  track.mutable_properties()->mutable_fields()->erase("click_id");
  ASSERT_OK_AND_ASSIGN(CreateEventRequest sale, EventFromSegment(track));
  EXPECT_FALSE(sale.has_sale_amount());  // refused by the conversion path
  track.set_event("Page Liked");
  ASSERT_OK_AND_ASSIGN(CreateEventRequest other, EventFromSegment(track));
  EXPECT_EQ(other.event_type(), "milestone");
  track.set_type("identify");
  EXPECT_THAT(EventFromSegment(track), HasApiError("VALIDATION_ERROR", "type"));
  track.set_type("track");
  track.clear_message_id();
  EXPECT_THAT(EventFromSegment(track), HasApiError("VALIDATION_ERROR", "messageId"));
}

TEST(CustomPayloadTest, ReadsTheEventFieldsInEitherCase) {
  google::protobuf::Struct payload;
  ASSERT_OK(google::protobuf::util::JsonStringToMessage(
      R"({"event_name":"Paid","eventType":"conversion","referralId":"ref_1","sale_amount":5,
          "interval":"yearly","signed_body":"!!","extra":{"a":1}})",
      &payload));
  ASSERT_OK_AND_ASSIGN(CreateEventRequest event, EventFromCustomPayload(payload));
  EXPECT_EQ(event.event_name(), "Paid");
  EXPECT_EQ(event.event_type(), "conversion");
  EXPECT_EQ(event.referral_id(), "ref_1");
  EXPECT_EQ(event.sale_amount(), 5);
  EXPECT_EQ(event.interval(), affonso::v1::CONVERSION_INTERVAL_YEARLY);
  EXPECT_TRUE(event.signed_body().empty());
  ASSERT_OK(google::protobuf::util::JsonStringToMessage(R"({"sale_amount":"lots"})", &payload));
  EXPECT_THAT(EventFromCustomPayload(payload), HasApiError("VALIDATION_ERROR", ""));
}

}  // namespace
}  // namespace affonso::services
