// The response contract over every REST route, driven by the route table so a new route cannot
// slip by: team A gets one object of every kind (an affiliate in a group with an incentive and an
// override, a referral that is a lead and one that converted, a commission, a webhook endpoint
// with a delivery), then every route is called with a valid request (its fixture, below) and
// its answer checked against tests/contract/sdk_types.txt: the SDK's field list, types,
// literals and nulls. A served route without a fixture or a description fails; a route
// described or given a fixture but not served yet is only reported.
//
// The failure lists, per route and call, each path that differs and how, so one run says
// everything that is left to do.
#include "gateway/transcoder/contract.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gateway/transcoder/route_table.h"
#include "storage/payout_terms.h"
#include "storage/pg_payout_store.h"
#include "tests/contract/contract_checker.h"
#include "tests/rest_harness.h"
#include "tests/testing/webhook_receiver.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kDescriptionPath[] = "tests/contract/sdk_types.txt";

// A path value of this form is the data.id of the first 2xx answer of that route (POSTs run
// first, deletes last): "@POST /v1/referrals".
constexpr char kCreatedBy[] = "@";

// One valid call of a route. `path` binds the template's variables, `query` is "k=v&..."
// (values need no escaping), `body` JSON. `expect` names paths whose value must be "null",
// "non-null" or just "present" (an expansion that was asked for).
struct Fixture {
  std::string what;
  std::map<std::string, std::string> path;
  std::string query;
  std::string body;
  std::vector<std::pair<std::string, std::string>> expect;
};

std::string RouteKey(const gateway::Route& route) {
  return absl::StrCat(route.http_method, " ", route.path_template);
}

// POSTs first (they make what the deletes remove), deletes last.
int Phase(const std::string& verb) {
  if (verb == "POST") return 0;
  if (verb == "DELETE") return 2;
  return 1;
}

// The value at "data.converted_at" / "data[0].id"; null when absent.
const Value* Find(const Struct& body, const std::string& path) {
  const Value* current = nullptr;
  const Struct* object = &body;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    std::string name(part);
    int index = -1;
    const size_t bracket = name.find('[');
    if (bracket != std::string::npos) {
      index = std::atoi(name.c_str() + bracket + 1);
      name.resize(bracket);
    }
    if (object == nullptr) return nullptr;
    auto found = object->fields().find(name);
    if (found == object->fields().end()) return nullptr;
    current = &found->second;
    if (index >= 0) {
      if (!current->has_list_value() || index >= current->list_value().values_size()) {
        return nullptr;
      }
      current = &current->list_value().values(index);
    }
    object = current->has_struct_value() ? &current->struct_value() : nullptr;
  }
  return current;
}

// "data[3].incentives[0].type" -> "data[*].incentives[*].type": one line for a problem every
// item of a list has.
std::string AnyIndex(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close != std::string::npos) {
        out += "[*]";
        i = close;
        continue;
      }
    }
    out.push_back(path[i]);
  }
  return out;
}

// The mismatches of one answer, items of a list folded together, in first-seen order.
std::string Folded(const std::vector<Mismatch>& mismatches) {
  std::vector<std::string> lines;
  std::map<std::string, int> counts;
  for (const Mismatch& mismatch : mismatches) {
    const std::string line = absl::StrCat(
        mismatch.path.empty() ? "(body)" : AnyIndex(mismatch.path), ": ", mismatch.problem);
    if (counts[line]++ == 0) lines.push_back(line);
  }
  std::string out;
  for (const std::string& line : lines) {
    absl::StrAppend(&out, "    ", line);
    if (counts[line] > 1) absl::StrAppend(&out, " (", counts[line], " items)");
    out += "\n";
  }
  return out;
}

std::string Excerpt(const std::string& body) {
  return body.size() > 300 ? body.substr(0, 300) + "..." : body;
}

class ContractTest : public RestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.webhook_allow_private_destinations = true;  // the receiver is on loopback
    config.webhook_poll_interval = absl::Milliseconds(50);
  }

  void SetUp() override {
    RestTest::SetUp();
    if (HasFatalFailure()) return;
    auto description = ContractDescription::Load(kDescriptionPath);
    ASSERT_OK(description);
    description_ = *std::move(description);
    auto receiver = WebhookReceiver::Start();
    ASSERT_OK(receiver);
    receiver_ = *std::move(receiver);
    Seed();
  }

  void TearDown() override {
    RestTest::TearDown();
    if (receiver_) receiver_->Shutdown();
  }

  // data.<key> of a 2xx answer; records a seeding failure otherwise (the calls go on, so the
  // report still covers every route).
  std::string Seeded(const std::string& what, const HttpResult& result,
                     const std::string& key = "id") {
    if (result.status < 200 || result.status >= 300 || result.DataString(key).empty()) {
      ADD_FAILURE() << "seeding " << what << ": " << result.status << " " << Excerpt(result.body);
      return "";
    }
    return result.DataString(key);
  }

  void Seed() {
    const std::string program = a_.program_id;
    webhook_ = Seeded("webhook endpoint",
                      Call("POST", "/v1/webhooks",
                           absl::StrCat(R"({"url":"http://127.0.0.1:)", receiver_->port(),
                                        R"(/hooks","events":["referral.lead",)"
                                        R"("transaction.created"],"description":"CRM"})")));
    group_ = Seeded("group", Call("POST", "/v1/program/groups",
                                  R"({"name":"Contract VIP","description":"top partners"})"));
    incentive_ = Seeded("incentive", Call("POST", "/v1/program/groups/" + group_ + "/incentives",
                                          R"({"name":"per lead","type":"lead","amount":5})"));
    affiliate_ = a_.affiliate_id;
    Seeded("affiliate into the group",
           Call("PUT", "/v1/affiliates/" + affiliate_,
                absl::StrCat(R"({"group_id":")", group_, R"(","external_user_id":"partner-1"})")));
    const std::string click = absl::StrCat(R"({"program_id":")", program, R"(","tracking_id":")",
                                           a_.tracking_id, R"("})");
    lead_ = Seeded("click", Call("POST", "/v1/clicks", click));
    Seeded("signup (a lead: not converted)",
           Call("POST", "/v1/signups",
                absl::StrCat(R"({"click_id":")", lead_,
                             R"(","email":"lead@contract.example","name":"Lead"})")));
    pending_click_ = Seeded("second click", Call("POST", "/v1/clicks", click));
    browser_click_ = Seeded("click for the browser signup", Call("POST", "/v1/clicks", click));
    converted_ =
        Seeded("direct referral", Call("POST", "/v1/referrals",
                                       absl::StrCat(R"({"affiliate_id":")", affiliate_,
                                                    R"(","email":"customer@contract.example"})")));
    Seeded("referral converted",
           Call("PUT", "/v1/referrals/" + converted_, R"({"status":"customer"})"));
    coupon_ =
        Seeded("coupon", Call("POST", "/v1/coupons",
                              absl::StrCat(R"({"affiliate_id":")", affiliate_,
                                           R"(","code":"Contract-10","discount_type":"fixed",)"
                                           R"("discount_value":10.5,"currency":"eur",)"
                                           R"("duration":"repeating","duration_in_months":3,)"
                                           R"("product_ids":["prod_1"]})")));
    // The program's settings, and its marketplace listing with a commission (a sale incentive of
    // the default group) and terms.
    for (
        const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
            {"/v1/program", R"({"marketplace_listed":true,"category":"Contract"})"},
            {"/v1/program/payment-terms",
             R"({"payment_threshold":20,"payment_frequency":"weekly","payment_methods":["paypal"]})"},
            {"/v1/program/restrictions", R"({"websites":true})"},
            {"/v1/program/portal", R"({"primary_color":"#112233","custom_texts":{"a":"b"}})"}}) {
      HttpResult set = Call("PATCH", path, body);
      if (set.status != 200) ADD_FAILURE() << "seeding " << path << ": " << Excerpt(set.body);
    }
    const std::string default_group = db_->QueryValue(
        "SELECT id FROM affiliate_groups WHERE is_default AND program_id = '" + program + "'");
    Seeded("default group incentive",
           Call("POST", "/v1/program/groups/" + default_group + "/incentives",
                R"({"name":"per sale","type":"sale","amount":10,"is_percentage":true})"));
    creative_ = Seeded(
        "creative",
        Call(
            "POST", "/v1/program/creatives",
            R"({"name":"Leaderboard","category":"banner","url":"https://cdn.contract.example/lb.png",)"
            R"("tags":["summer"],"dimensions":{"width":728,"height":90}})"));
    Seeded("customised notification",
           Call("PATCH", "/v1/program/notifications/new_referral",
                R"({"custom_subject":"New referral: {{referral_name}}"})"),
           "email_type_id");
    portal_token_ = Seeded("portal token",
                           Call("POST", "/v1/affiliates/" + affiliate_ + "/portal-token"), "token");
    embed_token_ = Seeded(
        "embed token",
        Call("POST", "/v1/embed/token", R"({"partner":{"email":"embedded@contract.example"}})"),
        "publicToken");
    HttpResult commissions = Call("GET", "/v1/commissions");
    const Value* first = Find(commissions.json, "data[0].id");
    if (first == nullptr) {
      ADD_FAILURE() << "the lead incentive paid no commission: " << Excerpt(commissions.body);
    } else {
      commission_ = first->string_value();
    }
    SeedPayouts();
    SeedOnboarding();
    WaitForDeliveries();
    HttpResult deliveries = Call("GET", "/v1/webhooks/" + webhook_ + "/deliveries");
    const Value* event = Find(deliveries.json, "data[0].event_id");
    if (event == nullptr) {
      ADD_FAILURE() << "no delivery logged: " << Excerpt(deliveries.body);
    } else {
      event_ = event->string_value();
    }
  }

  // Two payouts of the affiliate (USD and EUR), as the payout job makes them: one to read, one to
  // complete.
  void SeedPayouts() {
    for (const char* currency : {"USD", "EUR"}) {
      Seeded(
          "ready commission",
          Call("POST", "/v1/commissions",
               absl::StrCat(R"({"referral_id":")", converted_,
                            R"(","sale_amount":100,"commission_amount":60,"commission_currency":")",
                            currency, R"(","status":"ready_for_payment"})")));
    }
    storage::PgPayoutStore payouts(&db_->pool());
    storage::PayoutGeneration generation;
    generation.team_id = a_.team_id;
    generation.ready_before = absl::Now() + absl::Minutes(1);
    generation.threshold = storage::DefaultPayoutTerms().threshold;
    auto generated = payouts.GeneratePayouts(generation);
    if (!generated.ok() || generated->payout_ids.size() != 2) {
      ADD_FAILURE() << "seeding payouts: " << generated.status();
      return;
    }
    payout_ = generated->payout_ids[0];
    payout_to_complete_ = generated->payout_ids[1];
  }

  // The default program's onboarding form, answered and completed by the affiliate; a second
  // program of the team for the form the create fixture makes (and the delete removes).
  void SeedOnboarding() {
    second_program_ = "prg_contractsecondprogram1";
    db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('",
                                 second_program_, "', '", a_.team_id, "', 'Second')"));
    HttpResult form = Call(
        "POST", "/v1/onboarding-form",
        R"({"name":"Contract onboarding","questions":[)"
        R"({"question":"Where do you promote us?","type":"single_choice","is_required":true,)"
        R"("options":["Blog","YouTube"],"order":1},)"
        R"({"question":"Which regions?","type":"multiple_choice","options":["EU","US"],"order":2},)"
        R"({"question":"Your site","type":"text_input","order":3},)"
        R"({"question":"Anything else?","type":"textarea","order":4}]})");
    Seeded("onboarding form", form);
    for (int i = 0; i < 4; ++i) {
      const Value* id = Find(form.json, absl::StrCat("data.questions[", i, "].id"));
      questions_.push_back(id == nullptr ? "" : id->string_value());
    }
    if (questions_[0].empty()) return;
    Seeded("onboarding completed",
           Call("POST", "/v1/affiliates/" + affiliate_ + "/onboarding-responses",
                absl::StrCat(R"({"responses":[{"question_id":")", questions_[0],
                             R"(","answer":"Blog"},{"question_id":")", questions_[1],
                             R"(","answer":["EU","US"]}],"mark_complete":true})")),
           "form_id");
  }

  void WaitForDeliveries() {
    const std::string team = "'" + a_.team_id + "'";
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (db_->QueryValue("SELECT (SELECT count(*) FROM outbox_events WHERE team_id = " + team +
                           ") > 0 AND (SELECT count(*) FROM outbox_events WHERE dispatched_at IS "
                           "NULL) = 0 AND (SELECT count(*) FROM webhook_deliveries WHERE status = "
                           "'pending') = 0") != "t") {
      if (absl::Now() > deadline) {
        ADD_FAILURE() << "webhook deliveries did not finish";
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // Valid calls, by route. Routes not served yet keep theirs, so they apply once they land.
  std::map<std::string, std::vector<Fixture>> Fixtures() const {
    const std::string program = a_.program_id;
    const std::string all_affiliate_expansions =
        "expand=promoCodes,commissionOverrides,invoiceDetails,payoutMethod,onboardingResponses";
    // clang-format off
    return {
        // ---- affiliates (affiliates.ts) ----
        {"GET /v1/affiliates",
         {{"plain", {}, "", "", {}},
          {"expanded", {}, "expand=commissionOverrides", "", {}},
          {"onboarding responses", {}, "expand=onboardingResponses&sort=created_at:asc", "",
           {{"data[0].onboardingResponses", "non-null"},
            {"data[0].onboardingResponses.questions[3].answer", "null"}}}}},
        {"POST /v1/affiliates",
         {{"minimal", {}, "",
           absl::StrCat(R"({"name":"Spare Partner","email":"spare@contract.example",)"
                        R"("program_id":")", program, R"("})"), {}}}},
        {"GET /v1/affiliates/{id}",
         {{"plain", {{"id", affiliate_}}, "", "", {}},
          {"every expansion", {{"id", affiliate_}}, all_affiliate_expansions, "",
           {{"data.promoCodes", "present"}, {"data.promoCodes[0].promo_code_id", "null"},
            {"data.promoCodes[0].coupon_id", "non-null"}, {"data.commissionOverrides", "present"},
            {"data.commissionOverrides[0]", "present"}, {"data.invoiceDetails", "present"},
            {"data.payoutMethod", "present"}, {"data.onboardingResponses", "non-null"},
            {"data.onboardingResponses.completed_at", "non-null"},
            {"data.onboardingResponses.form_description", "null"}}}}},
        {"PUT /v1/affiliates/{id}",
         {{"rename", {{"id", affiliate_}}, "", R"({"name":"Contract Partner"})", {}}}},
        {"DELETE /v1/affiliates/{id}",
         {{"the spare", {{"id", "@POST /v1/affiliates"}}, "", "", {}}}},
        {"POST /v1/affiliates/{affiliate_id}/commission-overrides",
         {{"on the group's incentive", {{"affiliate_id", affiliate_}}, "",
           absl::StrCat(R"({"incentive_id":")", incentive_, R"(","amount":7})"), {}}}},
        {"DELETE /v1/affiliates/{affiliate_id}/commission-overrides/{id}",
         {{"that override",
           {{"affiliate_id", affiliate_},
            {"id", "@POST /v1/affiliates/{affiliate_id}/commission-overrides"}}, "", "", {}}}},
        // ---- onboarding (affiliates.ts, onboarding-form.ts) ----
        {"GET /v1/affiliates/{affiliate_id}/onboarding-responses",
         {{"completed", {{"affiliate_id", affiliate_}}, "", "",
           {{"data.completed_at", "non-null"}, {"data.questions[0].answer", "non-null"}, {"data.questions[3].answer", "null"}}},
          {"not started", {{"affiliate_id", "@POST /v1/affiliates"}}, "", "",
           {{"data.completed_at", "null"}, {"data.questions[0].answer", "null"}}}}},
        {"POST /v1/affiliates/{affiliate_id}/onboarding-responses",
         {{"a text answer", {{"affiliate_id", affiliate_}}, "",
           absl::StrCat(R"({"responses":[{"question_id":")", question(2),
                        R"(","answer":"https://partner.example"}]})"),
           {{"data.completed_at", "non-null"}, {"data.questions[2].answer", "non-null"}}},
          {"started, not completed", {{"affiliate_id", "@POST /v1/affiliates"}}, "",
           absl::StrCat(R"({"responses":[{"question_id":")", question(3),
                        R"(","answer":"Hello"}],"mark_complete":false})"),
           {{"data.completed_at", "null"}}}}},
        {"GET /v1/onboarding-form",
         {{"plain", {}, "", "", {{"data.description", "null"}}}}},
        {"POST /v1/onboarding-form",
         {{"in the second program", {}, "program_id=" + second_program_,
           R"({"name":"Second onboarding","description":"for the second program",)"
           R"("questions":[{"question":"Why us?","type":"textarea","order":0}]})",
           {{"data.description", "non-null"}}}}},
        {"PATCH /v1/onboarding-form",
         {{"described", {}, "", R"({"description":"Tell us about you"})",
           {{"data.description", "non-null"}}}}},
        {"DELETE /v1/onboarding-form",
         {{"the second program's", {}, "program_id=" + second_program_, "", {}}}},
        // ---- partner access (affiliates.ts createPortalToken, embed-tokens.ts) ----
        {"POST /v1/affiliates/{id}/portal-token",
         {{"for the affiliate", {{"id", affiliate_}}, "", "", {}}}},
        {"POST /v1/embed/token",
         {{"a new partner", {}, "",
           absl::StrCat(R"({"programId":")", program, R"(","partner":{"email":)"
                        R"("new-partner@contract.example","name":"New Partner",)"
                        R"("image":"https://img.example.com/p.png"},"externalUserId":"ext-9",)"
                        R"("metadata":{"plan":"pro"}})"), {}},
          {"an existing partner", {}, "",
           R"({"partner":{"email":"embedded@contract.example"}})", {}}}},
        {"POST /v1/portal/me",
         {{"a portal token", {}, "", absl::StrCat(R"({"token":")", portal_token_, R"("})"),
           {{"data.name", "non-null"}}}}},
        {"POST /v1/embed/me",
         {{"an embed token", {}, "", absl::StrCat(R"({"token":")", embed_token_, R"("})"), {}}}},
        // ---- referrals, signups, clicks ----
        {"GET /v1/referrals",
         {{"plain", {}, "", "", {}},
          {"expanded", {}, "expand=affiliate", "", {{"data[0].affiliate", "present"}}}}},
        {"POST /v1/referrals",
         {{"a lead", {}, "",
           absl::StrCat(R"({"affiliate_id":")", affiliate_,
                        R"(","email":"spare@contract.example"})"),
           {{"data.converted_at", "null"}, {"data.name", "null"}}}}},
        {"GET /v1/referrals/{id}",
         {{"a lead (not converted)", {{"id", lead_}}, "", "",
           {{"data.converted_at", "null"}, {"data.customer_id", "null"}}},
          {"converted", {{"id", converted_}}, "", "", {{"data.converted_at", "non-null"}}},
          {"with affiliate and stats", {{"id", lead_}}, "expand=affiliate&include=stats", "",
           {{"data.affiliate", "present"}, {"data.stats", "present"}}}}},
        {"PUT /v1/referrals/{id}",
         {{"rename", {{"id", converted_}}, "", R"({"name":"Customer"})",
           {{"data.converted_at", "non-null"}}}}},
        {"DELETE /v1/referrals/{id}",
         {{"the spare", {{"id", "@POST /v1/referrals"}}, "", "", {}}}},
        {"POST /v1/signups",
         {{"new (201)", {}, "",
           absl::StrCat(R"({"click_id":")", pending_click_,
                        R"(","email":"lead2@contract.example"})"),
           {{"data.converted_at", "null"}}},
          {"repeated (200)", {}, "",
           absl::StrCat(R"({"click_id":")", lead_, R"(","email":"lead@contract.example"})"),
           {}}}},
        {"POST /v1/clicks",
         {{"minimal", {}, "",
           absl::StrCat(R"({"program_id":")", program, R"(","tracking_id":")", a_.tracking_id,
                        R"("})"), {}}}},
        // ---- tracking (tracking.ts; the browser signup is the service's own) ----
        {"POST /v1/track",
         {{"with coupons", {}, "",
           absl::StrCat(R"({"programId":")", program, R"(","trackingId":")", a_.tracking_id,
                        R"(","userAgent":"Mozilla/5.0 contract"})"),
           {{"data.discount", "non-null"}}},
          {"from the landing query", {}, "",
           absl::StrCat(R"({"programId":")", program, R"(","landingQuery":"via=)", a_.tracking_id,
                        R"(&utm_source=news"})"),
           {{"resolved_query_params", "present"}}},
          {"a bot", {}, "",
           absl::StrCat(R"({"programId":")", program, R"(","trackingId":")", a_.tracking_id,
                        R"(","userAgent":"Googlebot/2.1"})"),
           {}}}},
        {"POST /v1/track/signup",
         {{"first (201)", {}, "",
           absl::StrCat(R"({"programId":")", program, R"(","clickId":")", browser_click_,
                        R"(","email":"browser@contract.example"})"),
           {}}}},
        // ---- commissions (commissions.ts) ----
        {"GET /v1/commissions",
         {{"plain", {}, "", "", {}},
          {"expanded", {}, "expand=affiliate,affiliate_program,referral", "",
           {{"data[0].affiliate", "present"}, {"data[0].referral", "present"}}}}},
        {"POST /v1/commissions",
         {{"on the converted referral", {}, "",
           absl::StrCat(R"({"referral_id":")", converted_,
                        R"(","sale_amount":100,"commission_amount":10})"), {}}}},
        {"GET /v1/commissions/{id}",
         {{"the lead's", {{"id", commission_}}, "", "", {}},
          {"expanded", {{"id", commission_}}, "expand=affiliate,affiliate_program,referral", "",
           {{"data.affiliate", "present"}, {"data.affiliate_program", "present"},
            {"data.referral", "present"}}}}},
        {"PUT /v1/commissions/{id}",
         {{"hold period", {{"id", commission_}}, "", R"({"hold_period_days":30})", {}}}},
        {"DELETE /v1/commissions/{id}",
         {{"the created one", {{"id", "@POST /v1/commissions"}}, "", "", {}}}},
        // ---- conversions (conversions.ts) ----
        {"POST /v1/conversions",
         {{"on the converted referral", {}, "",
           absl::StrCat(R"({"referral_id":")", converted_,
                        R"(","sale_amount":100,"external_event_id":"contract-sale-1"})"),
           {{"data.matched_incentive_id", "null"}, {"data.source_event_id", "null"},
            {"data.payment_intent_id", "null"}}},
          {"replayed (200)", {}, "",
           absl::StrCat(R"({"referral_id":")", converted_,
                        R"(","sale_amount":100,"external_event_id":"contract-sale-1"})"),
           {}}}},
        {"POST /v1/conversions/{id}/refund",
         {{"partial", {{"id", "@POST /v1/conversions"}}, "", R"({"amount":10})", {}}}},
        // ---- events and sources (events.ts, sources.ts): both EventResult shapes ----
        {"POST /v1/events",
         {{"a sale: a Conversion", {}, "",
           absl::StrCat(R"({"event_name":"Paid","referral_id":")", converted_,
                        R"(","sale_amount":30,"external_event_id":"contract-event-1"})"),
           {{"data.source_event_id", "non-null"}}},
          {"a milestone: an S2SEvent", {}, "",
           absl::StrCat(R"({"event_name":"Onboarded","referral_id":")", converted_,
                        R"(","event_type":"milestone"})"),
           {{"data.transaction_id", "null"}, {"data.external_event_id", "null"}}},
          {"a lead on a referral (already_lead)", {}, "",
           absl::StrCat(R"({"event_name":"Signed up","event_type":"lead","referral_id":")",
                        converted_, R"(","external_event_id":"contract-event-2"})"),
           {}}}},
        {"POST /v1/sources/segment/events",
         {{"Order Completed", {}, "",
           absl::StrCat(R"({"type":"track","event":"Order Completed","messageId":"contract-m1",)"
                        R"("properties":{"revenue":20,"referral_id":")",
                        converted_, R"("}})"),
           {}},
          {"Signed Up", {}, "",
           absl::StrCat(R"({"type":"track","event":"Signed Up","messageId":"contract-m2",)"
                        R"("properties":{"referral_id":")",
                        converted_, R"("}})"),
           {{"data.external_event_id", "non-null"}}}}},
        {"POST /v1/sources/{source}/events",
         {{"custom", {{"source", "custom"}}, "",
           absl::StrCat(R"({"event_name":"Activated","referral_id":")", converted_, R"("})"), {}},
          {"segment_webhook", {{"source", "segment_webhook"}}, "",
           absl::StrCat(R"({"type":"track","event":"Upgraded","messageId":"contract-m3",)"
                        R"("properties":{"referral_id":")",
                        converted_, R"("}})"),
           {}}}},
        // ---- coupons (coupons.ts) ----
        {"GET /v1/coupons",
         {{"plain", {}, "", "", {{"data[0].provider", "null"}, {"data[0].updated_at", "null"}}},
          {"expanded", {}, "expand=affiliate", "", {{"data[0].affiliate", "present"}}}}},
        {"POST /v1/coupons",
         {{"a percentage", {}, "",
           absl::StrCat(R"({"affiliate_id":")", affiliate_,
                        R"(","code":"spare5","discount_type":"percentage","discount_value":5,)"
                        R"("duration":"once"})"),
           {{"data.duration_in_months", "null"}, {"data.currency", "null"},
            {"data.updated_at", "null"}, {"data.provider_coupon_id", "null"}}}}},
        {"GET /v1/coupons/{id}",
         {{"plain", {{"id", coupon_}}, "", "",
           {{"data.duration_in_months", "non-null"}, {"data.provider_promo_code_id", "null"}}},
          {"expanded", {{"id", coupon_}}, "expand=affiliate", "", {{"data.affiliate", "present"}}}}},
        {"DELETE /v1/coupons/{id}",
         {{"the created one", {{"id", "@POST /v1/coupons"}}, "", "", {}}}},
        // ---- payouts (payouts.ts) ----
        {"GET /v1/payouts",
         {{"plain", {}, "", "", {{"data[0].affiliate", "non-null"}}},
          {"filtered", {}, "status=pending&affiliateId=" + affiliate_ + "&sort=amount:asc", "",
           {}}}},
        {"GET /v1/payouts/{id}",
         {{"pending", {{"id", payout_}}, "", "",
           {{"data.processed_at", "null"}, {"data.payment_reference", "null"},
            {"data.payment_method", "null"}, {"data.affiliate", "non-null"},
            {"data.transactions[0].commission", "non-null"}}}}},
        {"PUT /v1/payouts/{id}",
         {{"completed", {{"id", payout_to_complete_}}, "",
           R"({"status":"completed","paymentMethod":"wire","paymentReference":"TX-1"})",
           {{"data.processed_at", "non-null"}, {"data.payment_reference", "non-null"}}}}},
        // ---- program (program-settings.ts, program-tracking.ts, program-fraud-rules.ts) ----
        {"GET /v1/program", {{"plain", {}, "", "", {}}}},
        {"PATCH /v1/program",
         {{"tagline", {}, "", R"({"tagline":"Partners welcome"})", {}}}},
        {"GET /v1/program/tracking", {{"plain", {}, "", "", {}}}},
        {"PATCH /v1/program/tracking",
         {{"email tracking", {}, "", R"({"email_tracking_enabled":true})", {}}}},
        {"GET /v1/program/pixel", {{"plain", {}, "", "", {}}}},
        {"PATCH /v1/program/pixel",
         {{"domains", {}, "",
           R"({"allowed_domains":["*.contract.example"],"click_dedup_window_seconds":600,)"
           R"("browser_external_user_id":true})", {}}}},
        {"GET /v1/program/fraud-rules", {{"plain", {}, "", "", {}}}},
        {"PATCH /v1/program/fraud-rules",
         {{"self-referral", {}, "", R"({"self_referral_mode":"detect"})", {}}}},
        // ---- payment terms, restrictions, portal (program-payment-terms.ts, ...) ----
        {"GET /v1/program/payment-terms",
         {{"set", {}, "", "", {{"data.commissions_limit", "null"}, {"data.owner_vat_rate", "null"}}}}},
        {"PATCH /v1/program/payment-terms",
         {{"the SDK's upper case", {}, "",
           R"({"commission_type":"FIXED","commission_rate":5,"invoice_rule":"SELF_BILLING",)"
           R"("owner_vat_rate":19.5,"commissions_limit":null})",
           {{"data.owner_vat_rate", "non-null"}}}}},
        {"GET /v1/program/restrictions",
         {{"set", {}, "", "", {{"data.additional_restrictions", "null"}}}}},
        {"PATCH /v1/program/restrictions",
         {{"text", {}, "", R"({"incent":true,"additional_restrictions":"no cashback"})",
           {{"data.additional_restrictions", "non-null"}}}}},
        {"GET /v1/program/portal",
         {{"set", {}, "", "", {{"data.secondary_color", "null"}, {"data.custom_texts", "non-null"}}}}},
        {"PATCH /v1/program/portal",
         {{"support email", {}, "",
           R"({"support_email_status":true,"support_email_value":"help@contract.example",)"
           R"("custom_texts":null})",
           {{"data.custom_texts", "null"}}}}},
        // ---- marketplace (marketplace.ts) ----
        {"GET /v1/marketplace",
         {{"plain", {}, "", "",
           {{"data[0].commission", "non-null"}, {"data[0].terms", "non-null"}}},
          {"by category", {}, "category=contract&page=1&limit=5", "", {}}}},
        {"GET /v1/marketplace/{id}",
         {{"the listed program", {{"id", program}}, "", "",
           {{"data.commission", "non-null"}, {"data.logo_url", "null"}}}}},
        // ---- groups and incentives (program-groups.ts) ----
        {"GET /v1/program/groups",
         {{"plain", {}, "", "", {}},
          {"expanded", {}, "expand=incentives,multi_level_incentives", "",
           {{"data[0].incentives", "present"}, {"data[0].multi_level_incentives", "present"}}}}},
        {"POST /v1/program/groups",
         {{"spare", {}, "", R"({"name":"Contract Spare"})", {{"data.description", "null"},
                                                            {"data.custom_website_url", "null"}}}}},
        {"GET /v1/program/groups/{id}",
         {{"plain", {{"id", group_}}, "", "", {}},
          {"expanded", {{"id", group_}}, "expand=incentives", "",
           {{"data.incentives[0]", "present"}}}}},
        {"PATCH /v1/program/groups/{id}",
         {{"describe", {{"id", group_}}, "", R"({"description":"still the top"})", {}}}},
        {"DELETE /v1/program/groups/{id}",
         {{"the spare", {{"id", "@POST /v1/program/groups"}}, "", "", {}}}},
        {"POST /v1/program/groups/{group_id}/incentives",
         {{"a sale incentive", {{"group_id", group_}}, "",
           R"({"name":"per sale","type":"sale","amount":10})", {}}}},
        {"DELETE /v1/program/groups/{group_id}/incentives/{id}",
         {{"that incentive",
           {{"group_id", group_}, {"id", "@POST /v1/program/groups/{group_id}/incentives"}}, "",
           "", {}}}},
        // ---- creatives (program-creatives.ts) ----
        {"GET /v1/program/creatives",
         {{"plain", {}, "", "", {{"data[0].description", "null"}}},
          {"by category", {}, "category=banner&page=1&limit=5", "",
           {{"data[0].dimensions", "non-null"}}}}},
        {"POST /v1/program/creatives",
         {{"a text, nulls sent", {}, "",
           R"({"name":"Tagline","category":null,"content":"Try it","dimensions":null})",
           {{"data.category", "null"}, {"data.dimensions", "null"}, {"data.url", "null"},
            {"data.usage_notes", "null"}, {"data.restrictions", "null"},
            {"data.subcategory", "null"}}},
          {"empty", {}, "", "{}", {{"data.name", "null"}, {"data.content", "null"}}}}},
        {"GET /v1/program/creatives/{id}",
         {{"the banner", {{"id", creative_}}, "", "",
           {{"data.dimensions", "non-null"}, {"data.category", "non-null"}}}}},
        {"PATCH /v1/program/creatives/{id}",
         {{"notes, dimensions cleared", {{"id", creative_}}, "",
           R"({"usage_notes":"Do not crop","dimensions":null})",
           {{"data.dimensions", "null"}, {"data.usage_notes", "non-null"}}}}},
        {"DELETE /v1/program/creatives/{id}",
         {{"the created one", {{"id", "@POST /v1/program/creatives"}}, "", "", {}}}},
        // ---- notifications (program-notifications.ts; the preview is the service's own) ----
        {"GET /v1/program/notifications",
         {{"plain", {}, "", "",
           {{"data[0].id", "null"}, {"data[0].custom_subject", "null"},
            {"data[0].custom_body", "null"}}}}},
        {"PATCH /v1/program/notifications/{email_type_id}",
         {{"turned off", {{"email_type_id", "payout_sent"}}, "", R"({"is_active":false})",
           {{"data.id", "non-null"}, {"data.custom_subject", "null"}}},
          {"custom texts", {{"email_type_id", "new_commission"}}, "",
           R"({"custom_subject":"+{{commission_amount}} {{currency}}",)"
           R"("custom_body":"<p>Well done, {{affiliate_name}}</p>"})",
           {{"data.custom_subject", "non-null"}, {"data.custom_body", "non-null"}}}}},
        {"POST /v1/program/notifications/{email_type_id}/preview",
         {{"stored", {{"email_type_id", "new_referral"}}, "", "", {}},
          {"draft", {{"email_type_id", "affiliate_welcome"}}, "",
           R"({"subject":"Hi {{affiliate_name}}","body":"<p>{{program_name}}</p>"})", {}}}},
        // ---- webhooks (the service's own) ----
        {"POST /v1/webhooks",
         {{"spare", {}, "",
           R"({"url":"https://contract.invalid/hooks","events":["referral.lead"]})", {}}}},
        {"GET /v1/webhooks", {{"plain", {}, "", "", {}}}},
        {"GET /v1/webhooks/{id}", {{"plain", {{"id", webhook_}}, "", "", {}}}},
        {"PATCH /v1/webhooks/{id}",
         {{"describe", {{"id", webhook_}}, "", R"({"description":"CRM sync"})", {}}}},
        {"DELETE /v1/webhooks/{id}",
         {{"the spare", {{"id", "@POST /v1/webhooks"}}, "", "", {}}}},
        {"GET /v1/webhooks/{webhook_id}/deliveries",
         {{"plain", {{"webhook_id", webhook_}}, "", "", {{"data[0].next_retry_at", "null"}}}}},
        {"POST /v1/webhooks/{webhook_id}/deliveries/{event_id}/redeliver",
         {{"the first event", {{"webhook_id", webhook_}, {"event_id", event_}}, "", "", {}}}},
    };
    // clang-format on
  }

  // The seeded form's question ids, "" when seeding failed.
  std::string question(size_t i) const { return i < questions_.size() ? questions_[i] : ""; }

  ContractDescription description_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::string portal_token_, embed_token_;
  std::string webhook_, group_, incentive_, affiliate_, lead_, pending_click_, browser_click_,
      converted_, commission_, coupon_, creative_, event_, payout_, payout_to_complete_,
      second_program_;
  std::vector<std::string> questions_;
};

TEST_F(ContractTest, EveryRouteAnswersAsTheSdkTypesIt) {
  auto table = gateway::RouteTable::FromServices(gateway::ContractServices());
  ASSERT_OK(table);
  const std::map<std::string, std::vector<Fixture>> fixtures = Fixtures();

  std::set<std::string> served;
  for (const gateway::Route& route : table->routes()) served.insert(RouteKey(route));
  std::set<std::string> not_served;
  for (const auto& [key, unused] : fixtures) {
    if (!served.count(key)) not_served.insert(key);
  }
  for (const std::string& key : description_.RouteKeys()) {
    if (!served.count(key)) not_served.insert(key);
  }

  std::vector<const gateway::Route*> order;
  for (const gateway::Route& route : table->routes()) order.push_back(&route);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return Phase(a->http_method) < Phase(b->http_method);
  });

  std::map<std::string, std::string> created;   // route -> data.id of its first answer
  std::map<std::string, std::string> failures;  // route -> what is wrong, line by line
  int calls = 0, clean = 0;
  for (const gateway::Route* route : order) {
    const std::string key = RouteKey(*route);
    std::string& report = failures[key];
    if (!description_.HasRoute(key)) {
      absl::StrAppend(&report, "  no described response: add a route line to ", kDescriptionPath,
                      "\n");
    }
    auto it = fixtures.find(key);
    if (it == fixtures.end()) {
      absl::StrAppend(&report, "  no fixture: add one to Fixtures() in tests/contract_pgtest.cc\n");
      continue;
    }
    for (const Fixture& fixture : it->second) {
      std::string problems;
      std::string path;
      for (const gateway::Route::Segment& segment : route->segments) {
        if (segment.field.empty()) {
          absl::StrAppend(&path, "/", segment.literal);
          continue;
        }
        auto bound = fixture.path.find(segment.field);
        std::string value = bound == fixture.path.end() ? "" : bound->second;
        if (absl::StartsWith(value, kCreatedBy)) {
          const std::string by = value.substr(1);
          value = created.count(by) ? created[by] : "";
          if (value.empty()) absl::StrAppend(&problems, "    ", by, " made nothing to use\n");
        }
        if (value.empty()) {
          absl::StrAppend(&problems, "    path variable ", segment.field, " not bound\n");
          value = "unbound";
        }
        absl::StrAppend(&path, "/", value);
      }
      const std::string target = fixture.query.empty() ? path : path + "?" + fixture.query;
      HttpResult result = Call(route->http_method, target, fixture.body);
      ++calls;
      if (result.status < 200 || result.status >= 300) {
        absl::StrAppend(&problems, "    status ", result.status, ": ", Excerpt(result.body), "\n");
      } else {
        if (!created.count(key) && !result.DataString("id").empty()) {
          created[key] = result.DataString("id");
        }
        absl::StrAppend(&problems, Folded(description_.CheckResponse(key, result.json)));
        for (const auto& [at, want] : fixture.expect) {
          const Value* value = Find(result.json, at);
          const bool is_null = value != nullptr && value->kind_case() == Value::kNullValue;
          if (value == nullptr) {
            // An absent required field is already a mismatch; an expansion is not.
            if (want == "present") absl::StrAppend(&problems, "    ", at, ": absent, asked for\n");
          } else if ((want == "null" && !is_null) || (want == "non-null" && is_null)) {
            absl::StrAppend(&problems, "    ", at, ": ", is_null ? "null" : "a value", ", want ",
                            want, "\n");
          }
        }
      }
      if (problems.empty()) {
        ++clean;
      } else {
        absl::StrAppend(&report, "  ", target, " (", fixture.what, "):\n", problems);
      }
    }
  }

  std::string all;
  int failing = 0;
  for (const auto& [key, report] : failures) {
    if (report.empty()) continue;
    ++failing;
    absl::StrAppend(&all, key, " -> ", description_.RouteShape(key), "\n", report);
  }
  std::cout << "contract: " << served.size() << " routes served, " << calls << " calls, " << clean
            << " as described, " << failing << " routes with mismatches\n";
  for (const std::string& key : served) {
    if (failures[key].empty()) std::cout << "contract: as described: " << key << "\n";
  }
  for (const std::string& key : not_served) {
    std::cout << "contract: not served yet: " << key << "\n";
  }
  if (!all.empty()) {
    ADD_FAILURE() << failing << " routes answer otherwise than " << kDescriptionPath
                  << " says (route -> described envelope; call; path: problem):\n"
                  << all;
  }
}

// The error envelope of the SDK's ErrorResponse, with the codes of docs/CONTRACT.md.
using ContractErrorTest = RestTest;

TEST_F(ContractErrorTest, ErrorsAnswerTheErrorEnvelope) {
  auto description = ContractDescription::Load(kDescriptionPath);
  ASSERT_OK(description);
  struct Case {
    std::string what;
    HttpResult result;
    int status;
    std::string code;
  };
  std::vector<Case> cases;
  cases.push_back({"400: a create without its required fields",
                   Call("POST", "/v1/affiliates", "{}"), 400, "VALIDATION_ERROR"});
  cases.push_back(
      {"401: no API key", Http(rest_->port(), "GET", "/v1/affiliates"), 401, "UNAUTHORIZED"});
  cases.push_back(
      {"404: no such affiliate", Call("GET", "/v1/affiliates/aff_doesnotexist"), 404, "NOT_FOUND"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(c.result.status, c.status) << c.result.body;
    Value body;
    *body.mutable_struct_value() = c.result.json;
    auto mismatches = description->Check(body, "ErrorResponse");
    ASSERT_OK(mismatches);
    EXPECT_EQ(FormatMismatches(*mismatches), "") << c.result.body;
    EXPECT_EQ(c.result.ErrorCode(), c.code) << c.result.body;
  }
  // A 401 says why in error.details[0].reason.
  const Value* detail = Find(cases[1].result.json, "error.details[0]");
  if (detail == nullptr) {
    ADD_FAILURE() << "a 401 without error.details[0]: " << cases[1].result.body;
  } else {
    auto reason = description->Check(*detail, "AuthErrorDetail");
    ASSERT_OK(reason);
    EXPECT_EQ(FormatMismatches(*reason), "") << cases[1].result.body;
    const Value* text = Find(cases[1].result.json, "error.details[0].reason");
    EXPECT_EQ(text == nullptr ? "" : text->string_value(), "MISSING_API_KEY");
  }
}

}  // namespace
}  // namespace affonso::tests
