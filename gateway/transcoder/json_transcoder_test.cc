#include "gateway/transcoder/json_transcoder.h"

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/testdata/rendering.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/affiliates.pb.h"
#include "proto/affonso/v1/clicks.pb.h"
#include "proto/affonso/v1/conversions.pb.h"
#include "proto/affonso/v1/events.pb.h"
#include "proto/affonso/v1/program.pb.h"
#include "proto/affonso/v1/referrals.pb.h"
#include "proto/affonso/v1/signups.pb.h"

namespace affonso::gateway {
namespace {

using namespace affonso::v1;  // NOLINT: test brevity
using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;

const Route& RouteFor(const std::string& service, const std::string& method) {
  static const RouteTable* table = new RouteTable(*RouteTable::FromServices(ContractServices()));
  for (const Route& route : table->routes()) {
    if (route.method->service()->name() == service && route.method->name() == method) return route;
  }
  ADD_FAILURE() << "no route " << method;
  return table->routes()[0];
}

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_OK(google::protobuf::util::JsonStringToMessage(json, &parsed)) << json;
  return parsed;
}

TEST(BuildRequestTest, AcceptsSnakeAndCamelCase) {
  TrackClickRequest click;
  ASSERT_OK(BuildRequest(RouteFor("ClickService", "TrackClick"), {}, "",
                         R"({"programId":"prg_1","tracking_id":"t","utmMedium":"cpc","ignored":1})",
                         &click));
  EXPECT_EQ(click.program_id(), "prg_1");
  EXPECT_EQ(click.tracking_id(), "t");
  EXPECT_EQ(click.utm_medium(), "cpc");
}

// The raw_body field holds the HTTP body byte for byte (what a signature
// covers); a JSON key of its name is ignored, whatever it holds.
TEST(BuildRequestTest, RawBodyFieldGetsTheBodyVerbatim) {
  const std::string body =
      " {\"referral_id\":\"ref_1\",  \"signed_body\":\"Zm9v\",\"signedBody\":{\"x\":1},"
      "\"sale_amount\":10.5}\n";
  CreateConversionRequest conversion;
  ASSERT_OK(
      BuildRequest(RouteFor("ConversionService", "CreateConversion"), {}, "", body, &conversion));
  EXPECT_EQ(conversion.referral_id(), "ref_1");
  EXPECT_EQ(conversion.signed_body(), body);

  RefundConversionRequest refund;
  const std::string refund_body = R"({"amount":1,"signed_body":null})";
  ASSERT_OK(BuildRequest(RouteFor("ConversionService", "RefundConversion"), {{"id", "com_1"}}, "",
                         refund_body, &refund));
  EXPECT_EQ(refund.id(), "com_1");
  EXPECT_EQ(refund.signed_body(), refund_body);

  ASSERT_OK(BuildRequest(RouteFor("ConversionService", "RefundConversion"), {{"id", "com_1"}}, "",
                         "", &refund));
  EXPECT_EQ(refund.signed_body(), "");
}

TEST(RenderSuccessTest, RawBodyFieldIsNeverRendered) {
  CreateConversionRequest request;
  request.set_referral_id("ref_1");
  request.set_signed_body("secret bytes");
  ASSERT_OK_AND_ASSIGN(std::string json,
                       RenderSuccess(RouteFor("ConversionService", "CreateConversion"), request));
  EXPECT_TRUE(absl::StrContains(json, "ref_1")) << json;
  EXPECT_FALSE(absl::StrContains(json, "signed_body")) << json;
  EXPECT_FALSE(absl::StrContains(json, "secret bytes")) << json;
}

TEST(BuildRequestTest, TimestampsAndNulls) {
  TrackClickRequest click;
  ASSERT_OK(BuildRequest(RouteFor("ClickService", "TrackClick"), {}, "",
                         R"({"program_id":"p","createdAt":"2024-05-01T10:00:00Z","sub1":null})",
                         &click));
  EXPECT_EQ(click.created_at().seconds(), 1714557600);
  absl::Status bad = BuildRequest(RouteFor("ClickService", "TrackClick"), {}, "",
                                  R"({"createdAt":"yesterday"})", &click);
  EXPECT_EQ(ApiErrorField(bad), "created_at");
}

TEST(BuildRequestTest, WrongTypesNameTheField) {
  RecordSignupRequest signup;
  const Route& route = RouteFor("SignupService", "RecordSignup");
  for (const auto& [json, field] :
       std::vector<std::pair<std::string, std::string>>{{R"({"click_id":123})", "click_id"},
                                                        {R"({"email":["a"]})", "email"},
                                                        {R"({"name":{"first":"x"}})", "name"},
                                                        {R"({"click_id":true})", "click_id"}}) {
    absl::Status status = BuildRequest(route, {}, "", json, &signup);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << json;
    EXPECT_EQ(ApiErrorField(status), field) << json;
  }
}

TEST(BuildRequestTest, MalformedOrNonObjectBodyIsValidationError) {
  RecordSignupRequest signup;
  const Route& route = RouteFor("SignupService", "RecordSignup");
  for (const char* json : {"{", "[1,2]", "\"x\"", "{\"a\":}", "nul", "{\"a\":1}}"}) {
    absl::Status status = BuildRequest(route, {}, "", json, &signup);
    EXPECT_EQ(ApiErrorCode(status), "VALIDATION_ERROR") << json;
  }
  std::string deep(5000, '[');
  EXPECT_EQ(ApiErrorCode(BuildRequest(route, {}, "", "{\"a\":" + deep, &signup)),
            "VALIDATION_ERROR");
}

// protobuf's parser is quadratic in the depth of nested arrays: such a body
// must be refused before it reaches it, and legitimate nesting still pass.
TEST(BuildRequestTest, DeepNestingIsRefusedBeforeParsing) {
  CreateReferralRequest create;
  const Route& route = RouteFor("ReferralService", "CreateReferral");
  const std::string arrays = std::string(100000, '[') + std::string(100000, ']');
  absl::Status status =
      BuildRequest(route, {}, "", "{\"metadata\":{\"a\":" + arrays + "}}", &create);
  EXPECT_EQ(ApiErrorCode(status), "VALIDATION_ERROR");
  EXPECT_EQ(status.message(), "request body is nested too deeply");
  // Brackets inside strings (escaped quotes included) are text, not nesting.
  const std::string text = "\"\\\"" + std::string(100, '[') + "\"";
  ASSERT_OK(BuildRequest(route, {}, "", "{\"name\":" + text + "}", &create));
  EXPECT_EQ(create.name(), "\"" + std::string(100, '['));
  std::string nested = "1";
  for (int i = 0; i < 30; ++i) nested = "{\"a\":" + nested + "}";
  EXPECT_OK(BuildRequest(route, {}, "", "{\"metadata\":" + nested + "}", &create));
}

// protobuf's parser also reads single-quoted strings: a pre-check that knew
// only double quotes took the '"' below for the start of a string and never
// saw the arrays after it, which protobuf then parsed for seconds.
TEST(BuildRequestTest, SingleQuotedStringsCannotHideDeepNesting) {
  CreateReferralRequest create;
  const Route& route = RouteFor("ReferralService", "CreateReferral");
  const std::string arrays = std::string(10000, '[') + std::string(10000, ']');
  for (const std::string& body :
       {"{'metadata':{'k':'\"','v':" + arrays + "}}", "{\"name\":'\"',\"metadata\":" + arrays + "}",
        "{\"metadata\":{\"k\":'\"',\"v\":" + arrays + "}}"}) {
    const absl::Time start = absl::Now();
    absl::Status status = BuildRequest(route, {}, "", body, &create);
    const absl::Duration took = absl::Now() - start;
    EXPECT_THAT(status, HasApiError("VALIDATION_ERROR", "")) << body.substr(0, 40);
    // Microseconds; protobuf took seconds on this 20 KB body.
    EXPECT_LT(took, absl::Milliseconds(200)) << body.substr(0, 40);
  }
}

// One rule for what reaches protobuf: strict RFC 8259 JSON. Each of these
// protobuf would read (or could), each is refused before it does.
TEST(BuildRequestTest, OnlyStrictJsonIsRead) {
  CreateReferralRequest create;
  const Route& route = RouteFor("ReferralService", "CreateReferral");
  for (const char* body : {
           "{'name':'x'}",                      // single-quoted strings
           "{\"name\":'x'}",                    //
           "{name:\"x\"}",                      // bare keys
           "{\"name\":\"x\",}",                 // trailing commas
           "{\"metadata\":{\"a\":[1,]}}",       //
           "{\"metadata\":{\"a\":[,1]}}",       //
           "{\"name\":\"x\" /* c */}",          // comments
           "// c\n{\"name\":\"x\"}",            //
           "{\"name\":\"x\"}#",                 //
           "{\"metadata\":{\"a\":NaN}}",        // non-numbers
           "{\"metadata\":{\"a\":Infinity}}",   //
           "{\"metadata\":{\"a\":-Infinity}}",  //
           "{\"metadata\":{\"a\":01}}",         // numbers outside the grammar
           "{\"metadata\":{\"a\":+1}}",         //
           "{\"metadata\":{\"a\":.5}}",         //
           "{\"metadata\":{\"a\":1.}}",         //
           "{\"metadata\":{\"a\":1e}}",         //
           "{\"metadata\":{\"a\":0x10}}",       //
           "{\"metadata\":{\"a\":-}}",          //
           "{\"metadata\":{\"a\":True}}",       // literals
           "{\"metadata\":{\"a\":nul}}",        //
           "{\"metadata\":{\"a\":undefined}}",  //
           "{\v\"name\":\"x\"}",                // whitespace JSON does not have
           "{\f\"name\":\"x\"}",                //
           "\xEF\xBB\xBF{\"name\":\"x\"}",      // a byte-order mark
           "{\"name\":\"\\x41\"}",              // escapes JSON does not have
           "{\"name\":\"\\'\"}",                //
           "{\"name\":\"\\u12\"}",              //
           "{\"name\":\"\\ud800\"}",            // unpaired surrogates
           "{\"name\":\"\\udc00\\ud800\"}",     //
           "{\"name\":\"\\ud800\\u0041\"}",     //
           "{\"name\":\"\xC0\xAF\"}",           // not UTF-8
           "{\"name\" \"x\"}",                  // structure
           "{\"name\":\"x\" \"email\":\"y\"}",  //
           "{\"name\":\"x\"}{}",                //
           "{\"name\":\"x\"",                   //
           "{\"name\":\"x}",                    //
           "{\"metadata\":{\"a\":[1}}}",        //
           "{\"metadata\":{\"a\":{]}}}",        //
           "{1:\"x\"}",                         //
       }) {
    absl::Status status = BuildRequest(route, {}, "", body, &create);
    EXPECT_THAT(status, HasApiError("VALIDATION_ERROR", "")) << body;
    EXPECT_TRUE(absl::StartsWith(status.message(), "request body is not valid JSON")) << body;
  }
}

TEST(BuildRequestTest, StrictJsonReadsAsBefore) {
  CreateReferralRequest create;
  const Route& route = RouteFor("ReferralService", "CreateReferral");
  ASSERT_OK(BuildRequest(route, {}, "",
                         " \t\r\n{ \"name\" : \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\","
                         "\"metadata\":{\"n\":[-0.5e+3,0,1E2,-0,12.25e-1,true,false,null,[],{}],"
                         "\"\\u0041\":\"caf\xC3\xA9\"} } \n",
                         &create));
  EXPECT_EQ(create.name(), "a\"\\/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80");
  const auto& n = create.metadata().fields().at("n").list_value();
  ASSERT_EQ(n.values_size(), 10);
  EXPECT_EQ(n.values(0).number_value(), -500);
  EXPECT_EQ(n.values(2).number_value(), 100);
  EXPECT_EQ(n.values(4).number_value(), 1.225);
  EXPECT_EQ(create.metadata().fields().at("A").string_value(), "caf\xC3\xA9");
  // Raw control characters in strings pass, as protobuf reads them, so that a
  // NUL byte reaches the service's check, which names its field.
  std::string raw = "{\"name\":\"a";
  raw += '\0';
  raw += "\tb\"}";
  ASSERT_OK(BuildRequest(route, {}, "", raw, &create));
  EXPECT_EQ(create.name(), std::string("a\0\tb", 4));
}

// The bound is 32 levels, the body's own object included, and nothing of it
// can be hidden from the count any more.
TEST(BuildRequestTest, NestingBoundIsExact) {
  CreateReferralRequest create;
  const Route& route = RouteFor("ReferralService", "CreateReferral");
  auto body = [](int arrays) {
    return "{\"metadata\":{\"a\":" + std::string(arrays, '[') + std::string(arrays, ']') + "}}";
  };
  ASSERT_OK(BuildRequest(route, {}, "", body(30), &create));
  absl::Status status = BuildRequest(route, {}, "", body(31), &create);
  EXPECT_EQ(ApiErrorCode(status), "VALIDATION_ERROR");
  EXPECT_EQ(status.message(), "request body is nested too deeply");
}

// Path segments and query values are percent-decoded bytes.
TEST(BuildRequestTest, StringsFromPathAndQueryMustBeUtf8) {
  GetReferralRequest get;
  absl::Status status =
      BuildRequest(RouteFor("ReferralService", "GetReferral"), {{"id", "ref_\xff"}}, "", "", &get);
  EXPECT_THAT(status, HasApiError("VALIDATION_ERROR", "id"));
  ListReferralsRequest list;
  const Route& route = RouteFor("ReferralService", "ListReferrals");
  EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "affiliate_id=aff_%C0%AF", "", &list)),
            "affiliate_id");
  ASSERT_OK(BuildRequest(route, {}, "affiliate_id=aff_%C3%A9", "", &list));
  EXPECT_EQ(list.affiliate_id(), "aff_\xC3\xA9");
}

TEST(BuildRequestTest, EnumsAcceptLowercaseApiNames) {
  CreateReferralRequest create;
  const Route& route = RouteFor("ReferralService", "CreateReferral");
  ASSERT_OK(BuildRequest(route, {}, "", R"({"status":"customer"})", &create));
  EXPECT_EQ(create.status(), REFERRAL_STATUS_CUSTOMER);
  ASSERT_OK(BuildRequest(route, {}, "", R"({"status":"REFERRAL_STATUS_ACTIVE"})", &create));
  EXPECT_EQ(create.status(), REFERRAL_STATUS_ACTIVE);
  EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "", R"({"status":"vip"})", &create)), "status");
  EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "", R"({"status":"unspecified"})", &create)),
            "status");
  EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "", R"({"status":99})", &create)), "status");
  // Found by the fuzzer: a number beyond int's range was cast (undefined
  // behaviour, caught by UBSan) before being looked up.
  for (const char* body : {R"({"status":1e35})", R"({"status":-1e300})", R"({"status":2147483648})",
                           R"({"status":1.5})"}) {
    EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "", body, &create)), "status") << body;
  }
  ASSERT_OK(BuildRequest(route, {}, "", R"({"status":2})", &create));
  EXPECT_EQ(create.status(), REFERRAL_STATUS_TRIALING);
}

TEST(BuildRequestTest, QueryParametersBindWithTypes) {
  ListReferralsRequest list;
  const Route& route = RouteFor("ReferralService", "ListReferrals");
  ASSERT_OK(BuildRequest(route, {},
                         "limit=25&status=lead&order=asc&starting_after=ref_1&"
                         "created_gte=2024-01-01T00%3A00%3A00Z&unknown=1&affiliateId=aff+1",
                         "", &list));
  EXPECT_EQ(list.limit(), 25);
  EXPECT_EQ(list.status(), REFERRAL_STATUS_LEAD);
  EXPECT_EQ(list.order(), LIST_ORDER_ASC);
  EXPECT_EQ(list.starting_after(), "ref_1");
  EXPECT_EQ(list.created_gte().seconds(), 1704067200);
  EXPECT_EQ(list.affiliate_id(), "aff 1");
  EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "limit=ten", "", &list)), "limit");
  EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "limit=1.5", "", &list)), "limit");
  EXPECT_EQ(ApiErrorField(BuildRequest(route, {}, "limit=99999999999", "", &list)), "limit");
  EXPECT_EQ(ApiErrorCode(BuildRequest(route, {}, "limit=%zz", "", &list)), "VALIDATION_ERROR");
}

// Found by fuzzing (tests/fuzz/json_transcode): percent-decoded bytes went
// into proto3 strings as they were, and the backend then failed to parse the
// request: a 500 for a client's typo.
TEST(BuildRequestTest, PathAndQueryValuesMustBeUtf8) {
  ListReferralsRequest list;
  const Route& list_route = RouteFor("ReferralService", "ListReferrals");
  absl::Status status = BuildRequest(list_route, {}, "affiliate_id=%FCaff_1", "", &list);
  EXPECT_THAT(status, HasApiError("VALIDATION_ERROR", "affiliate_id"));
  EXPECT_EQ(ApiErrorField(BuildRequest(list_route, {}, "starting_after=%ED%A0%80", "", &list)),
            "starting_after");
  GetAffiliateRequest get;
  const Route& get_route = RouteFor("AffiliateService", "GetAffiliate");
  EXPECT_EQ(ApiErrorField(BuildRequest(get_route, {{"id", "aff_\xC3"}}, "", "", &get)), "id");
  EXPECT_EQ(ApiErrorField(BuildRequest(get_route, {{"id", "aff_1"}}, "expand=%C0%AF", "", &get)),
            "expand");
  ASSERT_OK(BuildRequest(get_route, {{"id", "caf\xC3\xA9"}}, "", "", &get));
  EXPECT_EQ(get.id(), "caf\xC3\xA9");
}

TEST(BuildRequestTest, RepeatedQueryParameters) {
  GetAffiliateRequest get;
  const Route& route = RouteFor("AffiliateService", "GetAffiliate");
  ASSERT_OK(BuildRequest(route, {{"id", "aff_1"}}, "expand=a&expand=b", "", &get));
  EXPECT_EQ(get.id(), "aff_1");
  ASSERT_EQ(get.expand_size(), 2);
  EXPECT_EQ(get.expand(1), "b");
}

// The SDK sends a list as one comma-separated value (expand: "a,b").
TEST(BuildRequestTest, CommaSeparatedQueryValuesFillARepeatedField) {
  GetAffiliateRequest get;
  const Route& route = RouteFor("AffiliateService", "GetAffiliate");
  ASSERT_OK(BuildRequest(route, {{"id", "aff_1"}},
                         "expand=promoCodes%2CcommissionOverrides&expand=payoutMethod,", "", &get));
  ASSERT_EQ(get.expand_size(), 3);
  EXPECT_EQ(get.expand(0), "promoCodes");
  EXPECT_EQ(get.expand(1), "commissionOverrides");
  EXPECT_EQ(get.expand(2), "payoutMethod");
}

TEST(BuildRequestTest, PathVariablesWinOverBody) {
  UpdateReferralRequest update;
  const Route& route = RouteFor("ReferralService", "UpdateReferral");
  ASSERT_OK(BuildRequest(route, {{"id", "ref_path"}}, "",
                         R"({"id":"ref_body","name":"N","metadata":{"plan":"pro","n":2}})",
                         &update));
  EXPECT_EQ(update.id(), "ref_path");
  EXPECT_TRUE(update.has_name());
  EXPECT_EQ(update.metadata().fields().at("plan").string_value(), "pro");
}

TEST(BuildRequestTest, BodyFieldRuleTakesQueryToo) {
  UpdateFraudRulesRequest update;
  const Route& route = RouteFor("ProgramService", "UpdateFraudRules");
  ASSERT_EQ(route.body, "fraud_rules");
  ASSERT_OK(
      BuildRequest(route, {}, "program_id=prg_9", R"({"selfReferralMode":"block"})", &update));
  EXPECT_EQ(update.program_id(), "prg_9");
  EXPECT_EQ(update.fraud_rules().self_referral_mode(), FRAUD_MODE_BLOCK);
}

TEST(BuildRequestTest, ExplicitNullIsANullValueInAValueField) {
  UpdateProgramRequest update;
  const Route& route = RouteFor("ProgramService", "UpdateProgram");
  ASSERT_OK(BuildRequest(route, {}, "",
                         R"({"tagline":null,"logo_url":"https://x.example/l.png","name":null,)"
                         R"("affiliate_links_enabled":null})",
                         &update));
  ASSERT_TRUE(update.program().has_tagline());
  EXPECT_EQ(update.program().tagline().kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(update.program().logo_url().string_value(), "https://x.example/l.png");
  EXPECT_FALSE(update.program().has_category());  // absent stays absent
  // null on a string with presence clears it (the service refuses an empty
  // name); on a bool it is absent.
  ASSERT_TRUE(update.program().has_name());
  EXPECT_EQ(update.program().name(), "");
  EXPECT_FALSE(update.program().has_affiliate_links_enabled());

  UpdateTrackingSettingsRequest tracking;
  ASSERT_OK(BuildRequest(RouteFor("ProgramService", "UpdateTrackingSettings"), {}, "",
                         R"({"tracking_template":null,"enabled_referral_parameters":null})",
                         &tracking));
  EXPECT_TRUE(tracking.tracking().has_tracking_template());
  // A message with presence: set, empty.
  ASSERT_TRUE(tracking.tracking().has_enabled_referral_parameters());
  EXPECT_EQ(tracking.tracking().enabled_referral_parameters().values_size(), 0);
}

TEST(BuildRequestTest, EmptyBodyIsEmptyRequest) {
  RecordSignupRequest signup;
  EXPECT_OK(BuildRequest(RouteFor("SignupService", "RecordSignup"), {}, "", "  ", &signup));
  EXPECT_EQ(signup.ByteSizeLong(), 0u);
}

TEST(RenderSuccessTest, ResponseBodyBecomesDataWithApiEnums) {
  RecordSignupResponse response;
  response.set_created(true);
  response.mutable_referral()->set_id("clk_1");
  response.mutable_referral()->set_status(REFERRAL_STATUS_LEAD);
  auto json = RenderSuccess(RouteFor("SignupService", "RecordSignup"), response);
  ASSERT_OK(json);
  auto parsed = Parse(*json);
  EXPECT_TRUE(parsed.fields().at("success").bool_value());
  const auto& data = parsed.fields().at("data").struct_value().fields();
  EXPECT_EQ(data.at("id").string_value(), "clk_1");
  EXPECT_EQ(data.at("status").string_value(), "lead");
  // Every field without presence is present (customer_id, which the SDK types
  // nullable, has presence now: CONTRACT.md renders it null).
  EXPECT_EQ(data.at("affiliate_id").string_value(), "");
  EXPECT_EQ(data.count("created"), 0u);
}

// json_union: the set member of the oneof is the whole `data`.
TEST(RenderSuccessTest, JsonUnionRendersItsSetMemberAlone) {
  const Route& route = RouteFor("EventService", "CreateEvent");
  EventResult event;
  event.mutable_event()->set_referral_id("ref_1");
  event.mutable_event()->set_action("recorded");
  auto json = RenderSuccess(route, event);
  ASSERT_OK(json);
  EXPECT_TRUE(absl::StrContains(*json, R"("data":{"referral_id":"ref_1","transaction_id":null,)"))
      << *json;
  auto parsed = Parse(*json);
  const auto& data = parsed.fields().at("data").struct_value().fields();
  EXPECT_EQ(data.size(), 9u);
  EXPECT_EQ(data.at("action").string_value(), "recorded");
  EXPECT_EQ(data.count("event"), 0u);

  EventResult sale;
  sale.mutable_conversion()->set_id("com_1");
  sale.mutable_conversion()->set_calculation_mode("auto");
  json = RenderSuccess(route, sale);
  ASSERT_OK(json);
  parsed = Parse(*json);
  const auto& conversion = parsed.fields().at("data").struct_value().fields();
  EXPECT_EQ(conversion.at("id").string_value(), "com_1");
  EXPECT_EQ(conversion.at("calculation_mode").string_value(), "auto");
  EXPECT_EQ(conversion.count("conversion"), 0u);
  EXPECT_EQ(conversion.count("action"), 0u);

  json = RenderSuccess(route, EventResult());
  ASSERT_OK(json);
  EXPECT_EQ(*json, R"({"success":true,"data":null})");
}

// A body bound to a Struct field takes the whole free-form object.
TEST(BuildRequestTest, BodyBoundToAStructTakesTheWholeObject) {
  IngestSourceEventRequest request;
  ASSERT_OK(BuildRequest(RouteFor("EventService", "IngestSourceEvent"), {{"source", "custom"}}, "",
                         R"({"event_name":"x","nested":{"a":[1,2]}})", &request));
  EXPECT_EQ(request.source(), "custom");
  EXPECT_EQ(request.payload().fields().at("event_name").string_value(), "x");
  EXPECT_EQ(request.payload()
                .fields()
                .at("nested")
                .struct_value()
                .fields()
                .at("a")
                .list_value()
                .values_size(),
            2);
}

TEST(RenderSuccessTest, ListsSpreadIntoTheEnvelope) {
  ListReferralsResponse response;
  response.add_data()->set_status(REFERRAL_STATUS_REJECTED);
  response.set_has_more(true);
  auto parsed = Parse(*RenderSuccess(RouteFor("ReferralService", "ListReferrals"), response));
  EXPECT_TRUE(parsed.fields().at("has_more").bool_value());
  EXPECT_EQ(parsed.fields()
                .at("data")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("status")
                .string_value(),
            "rejected");

  ListAffiliatesResponse affiliates;
  affiliates.mutable_pagination()->set_total(3);
  parsed = Parse(*RenderSuccess(RouteFor("AffiliateService", "ListAffiliates"), affiliates));
  EXPECT_EQ(parsed.fields().at("pagination").struct_value().fields().at("total").number_value(), 3);
  EXPECT_EQ(parsed.fields().at("data").list_value().values_size(), 0);
}

TEST(RenderSuccessTest, NestedEnumsAndPlainResponses) {
  Affiliate affiliate;
  affiliate.set_partnership_status(PARTNERSHIP_STATUS_APPROVED);
  affiliate.add_commission_overrides()->set_incentive_type(INCENTIVE_TYPE_LEAD);
  auto parsed = Parse(*RenderSuccess(RouteFor("AffiliateService", "GetAffiliate"), affiliate));
  const auto& data = parsed.fields().at("data").struct_value().fields();
  EXPECT_EQ(data.at("partnership_status").string_value(), "APPROVED");
  EXPECT_EQ(data.at("commissionOverrides")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("incentive_type")
                .string_value(),
            "lead");
}

TEST(RenderSuccessTest, WritesFieldsInDeclarationOrderWithExactValues) {
  Referral referral;
  referral.set_id("clk_1");
  referral.set_name("Zo\xc3\xab \"Q\"\n");
  referral.mutable_created_at()->set_seconds(1714557600);
  referral.mutable_created_at()->set_nanos(120000000);
  (*referral.mutable_metadata()->mutable_fields())["plan"].set_string_value("pro");
  (*referral.mutable_metadata()->mutable_fields())["seats"].set_number_value(3);
  auto json = RenderSuccess(RouteFor("ReferralService", "GetReferral"), referral);
  ASSERT_OK(json);
  EXPECT_EQ(json->rfind(R"({"success":true,"data":{"id":"clk_1","affiliate_id":"",)", 0), 0u)
      << *json;
  EXPECT_NE(json->find(R"("created_at":"2024-05-01T10:00:00.120Z")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("metadata":{"plan":"pro","seats":3})"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("converted_at":null)"), std::string::npos)
      << "an unset timestamp is null: " << *json;
  auto parsed = Parse(*json);
  EXPECT_EQ(parsed.fields().at("data").struct_value().fields().at("name").string_value(),
            "Zo\xc3\xab \"Q\"\n");
}

// docs/CONTRACT.md: the SDK's `x: T | null` is a field with presence, null
// when unset; its `x?: T` is marked omit_when_unset and left out.
TEST(RenderSuccessTest, UnsetFieldsWithPresenceAreNullUnlessMarkedOmitWhenUnset) {
  Route route;
  testing::Shape shape;
  auto json = RenderSuccess(route, shape);
  ASSERT_OK(json);
  EXPECT_EQ(*json,
            R"({"success":true,"data":{"plain":"","nullable_text":null,"nullable_count":null,)"
            R"("nullable_time":null,"nullable_inner":null,"tags":[]}})");

  shape.set_nullable_text("");
  shape.set_nullable_count(0);
  shape.mutable_nullable_time()->set_seconds(0);
  shape.mutable_nullable_inner()->set_name("in");
  shape.mutable_expansion()->set_name("ex");
  shape.set_maybe_absent("here");
  json = RenderSuccess(route, shape);
  ASSERT_OK(json);
  EXPECT_EQ(*json, R"({"success":true,"data":{"plain":"","nullable_text":"","nullable_count":0,)"
                   R"("nullable_time":"1970-01-01T00:00:00Z","nullable_inner":{"name":"in"},)"
                   R"("expansion":{"name":"ex"},"maybe_absent":"here","tags":[]}})")
      << "a set field is its value, even an empty one";
}

// The SDK clears a field by sending null (`group_id: null`).
TEST(BuildRequestTest, NullClearsAStringOrMessageWithPresenceAndLeavesOthersAbsent) {
  Route route;
  route.body = "*";
  testing::Shape shape;
  ASSERT_OK(BuildRequest(route, {}, "",
                         R"({"plain":null,"nullable_text":null,"nullableCount":null,)"
                         R"("nullable_inner":null,"nullable_time":null,"tags":null})",
                         &shape));
  EXPECT_TRUE(shape.has_nullable_text());
  EXPECT_EQ(shape.nullable_text(), "");
  EXPECT_FALSE(shape.has_nullable_inner()) << "an empty message of ours is no clear value";
  EXPECT_FALSE(shape.has_nullable_time()) << "an empty Timestamp would be 1970";
  EXPECT_FALSE(shape.has_nullable_count()) << "a number has no empty value to clear to";
  EXPECT_EQ(shape.plain(), "");
  EXPECT_EQ(shape.tags_size(), 0);
  EXPECT_THAT(BuildRequest(route, {}, "", R"({"nullable_text":null,"nullableText":"x"})", &shape),
              HasApiError("VALIDATION_ERROR", "nullable_text"));
}

// "Expanded, found nothing" is shown (null, []); "not asked for" is not.
TEST(RenderSuccessTest, ExpansionsNamedByTheExpansionListAreShownEvenWhenEmpty) {
  Route route;
  testing::Shape shape;
  shape.add_expanded("expansion");
  shape.add_expanded("listed");
  auto json = RenderSuccess(route, shape);
  ASSERT_OK(json);
  EXPECT_EQ(*json,
            R"({"success":true,"data":{"plain":"","nullable_text":null,"nullable_count":null,)"
            R"("nullable_time":null,"nullable_inner":null,"expansion":null,"tags":[],)"
            R"("listed":[]}})");
  shape.clear_expanded();
  shape.add_listed()->set_name("a");
  json = RenderSuccess(route, shape);
  ASSERT_OK(json);
  EXPECT_NE(json->find(R"("listed":[{"name":"a"}])"), std::string::npos)
      << "a set expansion is shown without being named: " << *json;
  EXPECT_EQ(json->find("expanded"), std::string::npos) << *json;
  shape.set_legacy("kept for gRPC");
  json = RenderSuccess(route, shape);
  ASSERT_OK(json);
  EXPECT_EQ(json->find("legacy"), std::string::npos) << "grpc_only is never in JSON: " << *json;
}

TEST(RenderSuccessTest, AnEnumMarkedUpperCaseInJsonIsRenderedUpperCase) {
  testing::Moody moody;
  moody.set_mood(testing::MOOD_VERY_HAPPY);
  auto json = RenderSuccess(Route(), moody);
  ASSERT_OK(json);
  EXPECT_EQ(*json, R"({"success":true,"data":{"mood":"VERY_HAPPY"}})");
  Route route;
  route.body = "*";
  testing::Moody parsed;
  ASSERT_OK(BuildRequest(route, {}, "", R"({"mood":"VERY_HAPPY"})", &parsed));
  EXPECT_EQ(parsed.mood(), testing::MOOD_VERY_HAPPY);
  ASSERT_OK(BuildRequest(route, {}, "", R"({"mood":"very_happy"})", &parsed));
  EXPECT_EQ(parsed.mood(), testing::MOOD_VERY_HAPPY);
}

// A delete keeps its gRPC fields; over REST it is the SDK's DeleteResponse.
TEST(RenderSuccessTest, AResponseBodyNamingAScalarSitsBesideSuccess) {
  Route route;
  route.response_body = "message";
  testing::Deleted deleted;
  deleted.set_id("aff_1");
  deleted.set_deleted(true);
  deleted.set_message("affiliate deleted");
  auto json = RenderSuccess(route, deleted);
  ASSERT_OK(json);
  EXPECT_EQ(*json, R"({"success":true,"message":"affiliate deleted"})");
  route.response_body = "nope";
  EXPECT_FALSE(RenderSuccess(route, deleted).ok());
}

TEST(RenderSuccessTest, MoneyKeepsItsShortestExactForm) {
  CommissionOverride override_;
  override_.set_amount(12.5);
  auto json = RenderSuccess(RouteFor("AffiliateService", "CreateCommissionOverride"), override_);
  ASSERT_OK(json);
  EXPECT_NE(json->find(R"("amount":12.5,)"), std::string::npos) << *json;
  override_.set_amount(0.1);
  json = RenderSuccess(RouteFor("AffiliateService", "CreateCommissionOverride"), override_);
  EXPECT_NE(json->find(R"("amount":0.1,)"), std::string::npos) << *json;
}

TEST(BuildRequestTest, DoublesAndStructsLandInTheMessage) {
  CreateCommissionOverrideRequest create;
  ASSERT_OK(BuildRequest(RouteFor("AffiliateService", "CreateCommissionOverride"),
                         {{"affiliate_id", "aff_1"}}, "", R"({"amount":12.5,"isPercentage":true})",
                         &create));
  EXPECT_EQ(create.amount(), 12.5);
  EXPECT_TRUE(create.is_percentage());
  EXPECT_EQ(create.affiliate_id(), "aff_1");
  EXPECT_EQ(ApiErrorField(BuildRequest(RouteFor("AffiliateService", "CreateCommissionOverride"), {},
                                       "", R"({"amount":"lots"})", &create)),
            "amount");
}

}  // namespace
}  // namespace affonso::gateway
