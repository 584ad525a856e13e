// Tenant isolation over every REST endpoint, driven by the route table so a
// new endpoint cannot be missed: team A creates one object of every kind
// through the API, then team B calls every route with A's ids in its path,
// query and body. Reads, updates and deletes of A's objects are 404
// NOT_FOUND, lists show only B's rows, creates that name A's objects are
// refused; no response carries any of A's ids or text, and A's rows are
// byte-for-byte what they were.
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/route_table.h"
#include "google/protobuf/util/json_util.h"
#include "storage/payout_terms.h"
#include "storage/pg_payout_store.h"
#include "tests/rest_harness.h"
#include "tests/testing/webhook_receiver.h"

namespace affonso::tests {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Struct;

// Every free text A writes carries this, so one search finds any of it in a
// response (the fixtures give both teams' first affiliate the same name and
// email, so those are renamed first).
constexpr char kAMarker[] = "a-corp";

// Ids of one team's objects, each made through the API.
struct Objects {
  std::string program, default_group, group, incentive, affiliate, tracking_id, override_id,
      click_converted, click_pending, referral_direct, commission, conversion, coupon, webhook,
      event, attempt, payout, creative, notification, onboarding_form, question;
  // Partner tokens (B's only: a token is its own authority, so A's would
  // rightly show A's affiliate to whoever holds it).
  std::string portal_token, embed_token;
};

// One call B makes on a route. `path` binds the template's variables;
// `query` is "k=v&..." (values need no escaping); `body` is JSON with
// snake_case keys.
struct Probe {
  std::string what;
  std::map<std::string, std::string> path;
  std::string query;
  std::string body;
  int status;  // expected
};

// Request fields that name an existing object (and so must be tried with A's
// ids): "id", "*_id" and cursors, except values the caller makes up.
bool IsReference(const FieldDescriptor* field) {
  if (field->type() != FieldDescriptor::TYPE_STRING) return false;
  static const std::set<std::string> kCallerValues = {
      "external_user_id", "customer_id", "subscription_id", "payment_intent_id",
      // An affiliate's new tracking id: unique per program, not a reference.
      "affonso.v1.CreateAffiliateRequest.tracking_id",
      "affonso.v1.UpdateAffiliateRequest.tracking_id",
      // LinkedIn's click id, as the visitor's landing URL carries it.
      "affonso.v1.TrackRequest.li_fat_id",
      // A key of the notification catalogue, the same for every team (the
      // program, named by program_id, is what is A's).
      "affonso.v1.UpdateNotificationRequest.email_type_id",
      "affonso.v1.PreviewNotificationRequest.email_type_id"};
  if (kCallerValues.count(field->name()) || kCallerValues.count(field->full_name())) return false;
  return field->name() == "id" || absl::EndsWith(field->name(), "_id") ||
         field->name() == "starting_after" || field->name() == "ending_before";
}

void ReferenceFields(const Descriptor* message, const std::string& prefix, int depth,
                     std::vector<std::string>* out) {
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    if (field->message_type() != nullptr) {
      if (depth < 3 && field->message_type()->file()->package() == "affonso.v1") {
        ReferenceFields(field->message_type(), prefix + field->name() + ".", depth + 1, out);
      }
    } else if (IsReference(field)) {
      out->push_back(prefix + field->name());
    }
  }
}

std::string RouteKey(const gateway::Route& route) {
  return absl::StrCat(route.http_method, " ", route.path_template);
}

class TenantIsolationSweepTest : public RestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.webhook_allow_private_destinations = true;  // the receiver is on loopback
    config.webhook_poll_interval = absl::Milliseconds(50);
  }

  void SetUp() override {
    RestTest::SetUp();
    if (HasFatalFailure()) return;
    // Records every delivery and answers 200, so deliveries succeed and settle
    // and nothing changes the rows while B probes.
    auto receiver = WebhookReceiver::Start();
    ASSERT_OK(receiver);
    receiver_ = *std::move(receiver);
    // B's endpoint exists before any event: if A's events fanned out to
    // another team's endpoints, the receiver would see them at B's path.
    b_objects_.webhook = Created(
        Call("POST", "/v1/webhooks",
             absl::StrCat(R"({"url":"http://127.0.0.1:)", receiver_->port(),
                          R"(/b-corp/hooks","events":["referral.lead","transaction.created",)"
                          R"("affiliate.created","affiliate.confirmed","affiliate.updated",)"
                          R"("affiliate.deleted"]})"),
             &b_),
        201);
    CreateAObjects();
    if (HasFatalFailure()) return;
    CreateBObjects();
    if (HasFatalFailure()) return;
    WaitUntilQuiet();
  }

  void TearDown() override {
    RestTest::TearDown();
    if (receiver_) receiver_->Shutdown();
  }

  // Asserts `result` has `status` and returns data.<key>.
  static std::string Created(const HttpResult& result, int status, const std::string& key = "id") {
    EXPECT_EQ(result.status, status) << result.body;
    return result.DataString(key);
  }

  static const google::protobuf::ListValue& DataList(const HttpResult& result) {
    static const google::protobuf::ListValue* empty = new google::protobuf::ListValue();
    auto data = result.json.fields().find("data");
    if (data == result.json.fields().end() || !data->second.has_list_value()) return *empty;
    return data->second.list_value();
  }

  void CreateAObjects() {
    Objects& a = a_objects_;
    a.program = a_.program_id;
    HttpResult groups = Call("GET", "/v1/program/groups");
    ASSERT_EQ(groups.status, 200) << groups.body;
    a.default_group = DataList(groups).values(0).struct_value().fields().at("id").string_value();
    a.group = Created(Call("POST", "/v1/program/groups",
                           R"({"name":"a-corp VIP","description":"a-corp top partners"})"),
                      201);
    a.incentive = Created(Call("POST", "/v1/program/groups/" + a.group + "/incentives",
                               R"({"name":"a-corp per lead","type":"lead","amount":5})"),
                          201);
    ASSERT_EQ(Call("PUT", "/v1/affiliates/" + a_.affiliate_id,
                   R"({"name":"a-corp first","email":"first@a-corp.example"})")
                  .status,
              200);
    HttpResult affiliate = Call(
        "POST", "/v1/affiliates",
        absl::StrCat(R"({"name":"a-corp partner","email":"partner@a-corp.example","program_id":")",
                     a.program, R"(","group_id":")", a.group,
                     R"(","partnership_status":"approved","external_user_id":"a-corp-user"})"));
    a.affiliate = Created(affiliate, 201);
    a.tracking_id = affiliate.DataString("tracking_id");
    a.override_id =
        Created(Call("POST", "/v1/affiliates/" + a.affiliate + "/commission-overrides",
                     absl::StrCat(R"({"incentive_id":")", a.incentive, R"(","amount":7})")),
                201);
    HttpResult webhook =
        Call("POST", "/v1/webhooks",
             absl::StrCat(R"({"url":"http://127.0.0.1:)", receiver_->port(),
                          R"(/a-corp/hooks","events":["referral.lead","referral.converted",)"
                          R"("transaction.created"],)"
                          R"("description":"a-corp CRM"})"));
    a.webhook = Created(webhook, 201);
    a_webhook_secret_ = webhook.DataString("secret");
    const std::string click = absl::StrCat(R"({"program_id":")", a.program, R"(","tracking_id":")",
                                           a.tracking_id, R"("})");
    a.click_converted = Created(Call("POST", "/v1/clicks", click), 201);
    EXPECT_EQ(
        Created(Call("POST", "/v1/signups",
                     absl::StrCat(R"({"click_id":")", a.click_converted,
                                  R"(","email":"lead@a-corp.example","name":"a-corp lead"})")),
                201),
        a.click_converted);
    a.click_pending = Created(Call("POST", "/v1/clicks", click), 201);
    a.referral_direct =
        Created(Call("POST", "/v1/referrals",
                     absl::StrCat(R"({"affiliate_id":")", a.affiliate,
                                  R"(","email":"direct@a-corp.example","name":"a-corp direct"})")),
                201);
    HttpResult commissions = Call("GET", "/v1/commissions");
    ASSERT_EQ(commissions.status, 200) << commissions.body;
    ASSERT_GE(DataList(commissions).values_size(), 1) << "the lead incentive pays nothing";
    a.commission = DataList(commissions).values(0).struct_value().fields().at("id").string_value();
    // A sale commission holding a payment intent (B's own payment intents are
    // another namespace: storage/pg_commission_store_pgtest).
    Created(Call("POST", "/v1/commissions",
                 absl::StrCat(R"({"referral_id":")", a.referral_direct,
                              R"(","sale_amount":10,"commission_amount":1,)"
                              R"("payment_intent_id":"pi_a_corp"})")),
            201);
    // A sale conversion, by a key B then reuses (keys are per team).
    a.conversion =
        Created(Call("POST", "/v1/conversions",
                     absl::StrCat(R"({"referral_id":")", a.referral_direct,
                                  R"(","sale_amount":10,"external_event_id":"a-sale"})")),
                201);

    // An event, by a key B then reuses (keys are per team and source).
    Created(Call("POST", "/v1/events",
                 absl::StrCat(R"({"event_name":"Onboarded","referral_id":")", a.referral_direct,
                              R"(","external_event_id":"a-event"})")),
            201, "source_event_id");

    a.coupon = Created(Call("POST", "/v1/coupons",
                            absl::StrCat(R"({"affiliate_id":")", a.affiliate,
                                         R"(","code":"a-corp-SAVE10","discount_type":"percentage",)"
                                         R"("discount_value":10,"duration":"forever"})")),
                       201);

    a.creative = Created(
        Call(
            "POST", "/v1/program/creatives",
            R"({"name":"a-corp banner","content":"a-corp copy","url":"https://a-corp.example/b.png",)"
            R"("tags":["a-corp"],"dimensions":{"width":300,"height":250}})"),
        201);
    a.notification =
        Created(Call("PATCH", "/v1/program/notifications/new_referral",
                     R"({"is_active":false,"custom_subject":"a-corp: {{referral_name}}",)"
                     R"("custom_body":"<p>a-corp {{affiliate_name}}</p>"})"),
                200);
    // An onboarding form, answered and completed by A's affiliate.
    HttpResult form = Call("POST", "/v1/onboarding-form", OnboardingForm("a-corp"));
    a.onboarding_form = Created(form, 201);
    a.question = QuestionId(form);
    Created(Call("POST", "/v1/affiliates/" + a.affiliate + "/onboarding-responses",
                 absl::StrCat(R"({"responses":[{"question_id":")", a.question,
                              R"(","answer":"a-corp answer"}],"mark_complete":true})")),
            200, "form_id");

    WaitForDeliveries(a_);
    if (HasFatalFailure()) return;
    HttpResult deliveries = Call("GET", "/v1/webhooks/" + a.webhook + "/deliveries");
    ASSERT_EQ(deliveries.status, 200) << deliveries.body;
    ASSERT_GE(DataList(deliveries).values_size(), 1) << deliveries.body;
    const auto& delivery = DataList(deliveries).values(0).struct_value().fields();
    a.event = delivery.at("event_id").string_value();
    a.attempt = delivery.at("id").string_value();
    // A payout: a commission ready for payment, grouped as the payout job does (after the wait:
    // the endpoint takes neither payout.* nor transaction.updated, so they get no delivery).
    Created(Call("POST", "/v1/commissions",
                 absl::StrCat(R"({"referral_id":")", a.referral_direct,
                              R"(","sale_amount":100,"commission_amount":60,)"
                              R"("status":"ready_for_payment"})")),
            201);
    {
      storage::PgPayoutStore payouts(&db_->pool());
      storage::PayoutGeneration generation;
      generation.team_id = a_.team_id;
      generation.ready_before = absl::Now() + absl::Minutes(1);
      generation.threshold = storage::DefaultPayoutTerms().threshold;
      auto generated = payouts.GeneratePayouts(generation);
      ASSERT_OK(generated);
      ASSERT_EQ(generated->payout_ids.size(), 1u);
      a.payout = generated->payout_ids[0];
    }
    // A's program settings, each with A's text, and a category B can filter the marketplace
    // by; A does not list the program (the marketplace lists only opted-in programs).
    for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
             {"/v1/program", R"({"category":"a-corp"})"},
             {"/v1/program/payment-terms",
              R"({"owner_company_name":"a-corp GmbH","payment_threshold":12.34})"},
             {"/v1/program/restrictions", R"({"additional_restrictions":"a-corp rules"})"},
             {"/v1/program/portal", R"({"custom_texts":{"title":"a-corp portal"}})"}}) {
      ASSERT_EQ(Call("PATCH", path, body).status, 200) << path;
    }
  }

  void CreateBObjects() {
    Objects& b = b_objects_;
    b.program = b_.program_id;
    b.affiliate = b_.affiliate_id;
    b.tracking_id = b_.tracking_id;
    HttpResult groups = Call("GET", "/v1/program/groups", "", &b_);
    ASSERT_EQ(groups.status, 200) << groups.body;
    b.default_group = DataList(groups).values(0).struct_value().fields().at("id").string_value();
    b.click_converted = Created(Call("POST", "/v1/clicks",
                                     absl::StrCat(R"({"program_id":")", b.program,
                                                  R"(","tracking_id":")", b.tracking_id, R"("})"),
                                     &b_),
                                201);
    Created(Call("POST", "/v1/signups",
                 absl::StrCat(R"({"click_id":")", b.click_converted,
                              R"(","email":"lead@b-corp.example"})"),
                 &b_),
            201);
    b.coupon = Created(Call("POST", "/v1/coupons",
                            absl::StrCat(R"({"affiliate_id":")", b.affiliate,
                                         R"(","code":"SAVE10","discount_type":"fixed",)"
                                         R"("discount_value":5,"duration":"once"})"),
                            &b_),
                       201);
    HttpResult form = Call("POST", "/v1/onboarding-form", OnboardingForm("b-corp"), &b_);
    b.onboarding_form = Created(form, 201);
    b.question = QuestionId(form);
    b.portal_token = Call("POST", "/v1/affiliates/" + b.affiliate + "/portal-token", "", &b_)
                         .DataString("token");
    ASSERT_FALSE(b.portal_token.empty());
    // B's existing affiliate, so that no affiliate (and no event) is created.
    const std::string b_email =
        Call("GET", "/v1/affiliates/" + b.affiliate, "", &b_).DataString("email");
    b.embed_token = Call("POST", "/v1/embed/token",
                         absl::StrCat(R"({"partner":{"email":")", b_email, R"("}})"), &b_)
                        .DataString("publicToken");
    ASSERT_FALSE(b.embed_token.empty());
    WaitForDeliveries(b_);
    if (HasFatalFailure()) return;
    HttpResult deliveries = Call("GET", "/v1/webhooks/" + b.webhook + "/deliveries", "", &b_);
    ASSERT_EQ(deliveries.status, 200) << deliveries.body;
    ASSERT_GE(DataList(deliveries).values_size(), 1) << deliveries.body;
    b.event = DataList(deliveries).values(0).struct_value().fields().at("event_id").string_value();
  }

  // A one-question form whose texts carry `tag`.
  static std::string OnboardingForm(const std::string& tag) {
    return absl::StrCat(R"({"name":")", tag, R"( onboarding","description":")", tag,
                        R"( partners","questions":[{"question":")", tag,
                        R"( channel?","type":"text_input","is_required":true,"order":1}]})");
  }

  static std::string QuestionId(const HttpResult& form) {
    const auto& data = form.Data().fields();
    auto questions = data.find("questions");
    if (questions == data.end() || questions->second.list_value().values_size() == 0) {
      ADD_FAILURE() << "a form without questions: " << form.body;
      return "";
    }
    return questions->second.list_value().values(0).struct_value().fields().at("id").string_value();
  }

  // Every event of `tenant` delivered to its endpoint, the attempt logged.
  void WaitForDeliveries(const storage::testing::Tenant& tenant) {
    const std::string team = "'" + tenant.team_id + "'";
    // Not the affiliate events: A's affiliate changes come before A's endpoint
    // exists, so theirs may fan out to nobody (and B makes none).
    const std::string events = db_->QueryValue(
        "SELECT count(*) FROM outbox_events WHERE type NOT LIKE 'affiliate.%' AND team_id = " +
        team);
    ASSERT_NE(events, "0");
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (db_->QueryValue("SELECT count(*) >= " + events +
                           " AND bool_and(status <> 'pending') "
                           "FROM webhook_deliveries WHERE team_id = " +
                           team) != "t") {
      ASSERT_LT(absl::Now(), deadline) << "webhook deliveries did not finish";
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints e "
                              "ON e.id = d.endpoint_id WHERE d.team_id <> e.team_id"),
              "0")
        << "events fanned out to another team's endpoint";
    EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_deliveries WHERE status = "
                              "'succeeded' AND team_id = " +
                              team),
              events);
  }

  // The dispatcher has fanned out every event and finished every delivery.
  void WaitUntilQuiet() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (db_->QueryValue("SELECT (SELECT count(*) FROM outbox_events WHERE dispatched_at IS "
                           "NULL) + (SELECT count(*) FROM webhook_deliveries WHERE status = "
                           "'pending')") != "0") {
      ASSERT_LT(absl::Now(), deadline) << "the outbox did not drain";
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // "<table>=<md5 of its rows>" for every table: all rows, or only `team`'s
  // (tables without a team column: the rows of the team's programs, or the
  // team's own row).
  std::map<std::string, std::string> Snapshot(const std::string& team = "") {
    std::string& sql = snapshot_sql_[team];
    if (sql.empty()) sql = SnapshotSql(team);
    const std::string all = db_->QueryValue(sql);
    std::map<std::string, std::string> out;
    for (absl::string_view entry : absl::StrSplit(all, ',')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
      out[kv.first] = kv.second;
    }
    return out;
  }

  std::string SnapshotSql(const std::string& team) {
    const std::string tables = db_->QueryValue(
        "SELECT string_agg(t.table_name || ':' || "
        "  (SELECT string_agg(c.column_name, ';') FROM information_schema.columns c "
        "   WHERE c.table_schema = 'public' AND c.table_name = t.table_name "
        "     AND c.column_name IN ('team_id', 'program_id')), ',' ORDER BY t.table_name) "
        "FROM information_schema.tables t "
        "WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'");
    std::vector<std::string> selects;
    for (absl::string_view entry : absl::StrSplit(tables, ',')) {
      std::vector<std::string> parts = absl::StrSplit(entry, ':');
      const std::string& table = parts[0];
      const std::string columns = parts.size() > 1 ? parts[1] : "";
      std::string where = "true";
      if (!team.empty()) {
        if (absl::StrContains(columns, "team_id")) {
          where = "team_id = '" + team + "'";
        } else if (absl::StrContains(columns, "program_id")) {
          where = "program_id IN (SELECT id FROM programs WHERE team_id = '" + team + "')";
        } else if (table == "teams") {
          where = "id = '" + team + "'";
        } else {
          continue;
        }
      }
      selects.push_back(absl::StrCat("SELECT '", table,
                                     "=' || coalesce(md5(string_agg(t::text, '|' ORDER BY "
                                     "t::text)), '-') FROM ",
                                     table, " t WHERE ", where));
    }
    return absl::StrCat("SELECT string_agg(x, ',' ORDER BY x) FROM (",
                        absl::StrJoin(selects, " UNION ALL "), ") s(x)");
  }

  static std::string Changed(const std::map<std::string, std::string>& before,
                             const std::map<std::string, std::string>& after) {
    std::vector<std::string> changed;
    for (const auto& [table, hash] : after) {
      auto it = before.find(table);
      if (it == before.end() || it->second != hash) changed.push_back(table);
    }
    return absl::StrJoin(changed, ", ");
  }

  // The id of every row of `team` (every table with team_id and id columns).
  std::set<std::string> IdsOf(const std::string& team) {
    if (id_tables_.empty())
      id_tables_ = db_->QueryValue(
          "SELECT string_agg(table_name, ',') FROM information_schema.columns c "
          "WHERE table_schema = 'public' AND column_name = 'team_id' AND EXISTS (SELECT 1 FROM "
          "information_schema.columns i WHERE i.table_schema = 'public' AND i.table_name = "
          "c.table_name AND i.column_name = 'id')");
    std::vector<std::string> selects;
    for (absl::string_view table : absl::StrSplit(id_tables_, ',')) {
      selects.push_back(absl::StrCat("SELECT id FROM ", table, " WHERE team_id = '", team, "'"));
    }
    const std::string ids = db_->QueryValue(absl::StrCat(
        "SELECT string_agg(id, ',') FROM (", absl::StrJoin(selects, " UNION ALL "), ") s"));
    std::set<std::string> out = absl::StrSplit(ids, ',', absl::SkipEmpty());
    out.insert(team);
    return out;
  }

  // `token` ("<kind>_<team>.<rest>") naming `team` instead of its own.
  std::string Relabelled(const std::string& token, const std::string& team) const {
    const size_t underscore = token.find('_');
    const size_t dot = token.find('.');
    if (underscore == std::string::npos || dot == std::string::npos) return token;
    return token.substr(0, underscore + 1) + team + token.substr(dot);
  }

  // How B calls each route. Every route of the table must be here, and every
  // reference field of its request must be given one of A's ids by a probe.
  std::map<std::string, std::vector<Probe>> Probes() {
    const Objects& a = a_objects_;
    const Objects& b = b_objects_;
    const std::string a_program = "program_id=" + a.program;
    auto json = [](std::initializer_list<std::pair<const char*, std::string>> fields,
                   const std::string& extra = "") {
      std::vector<std::string> parts;
      for (const auto& [key, value] : fields) {
        parts.push_back(absl::StrCat("\"", key, "\":\"", value, "\""));
      }
      if (!extra.empty()) parts.push_back(extra);
      return "{" + absl::StrJoin(parts, ",") + "}";
    };
    // clang-format off
    return {
        // ---- affiliates ----
        {"POST /v1/affiliates",
         {{"in A's program", {}, "", json({{"name", "Eve"}, {"email", "eve@b-corp.example"},
                                           {"program_id", a.program}}), 404},
          {"in B's program, A's group", {}, "",
           json({{"name", "Eve"}, {"email", "eve@b-corp.example"}, {"program_id", b.program},
                 {"group_id", a.group}}), 404}}},
        {"GET /v1/affiliates/{id}",
         {{"A's affiliate", {{"id", a.affiliate}}, "", "", 404},
          {"A's affiliate, expanded", {{"id", a.affiliate}}, "expand=commissionOverrides", "",
           404},
          {"A's affiliate, onboarding responses", {{"id", a.affiliate}},
           "expand=onboardingResponses", "", 404}}},
        {"PUT /v1/affiliates/{id}",
         {{"A's affiliate", {{"id", a.affiliate}}, "", R"({"name":"Mallory"})", 404},
          {"B's affiliate into A's group", {{"id", b.affiliate}}, "", json({{"group_id", a.group}}),
           404}}},
        {"DELETE /v1/affiliates/{id}", {{"A's affiliate", {{"id", a.affiliate}}, "", "", 404}}},
        {"GET /v1/affiliates",
         {{"B's own", {}, "", "", 200},
          {"B's own, expanded", {}, "expand=commissionOverrides", "", 200},
          {"B's own, onboarding responses", {}, "expand=onboardingResponses", "", 200},
          {"filtered by A's program", {}, a_program, "", 200},
          {"filtered by A's group", {}, "group_id=" + a.group, "", 200},
          {"searching for A's text", {}, std::string("search=") + kAMarker, "", 200}}},
        {"POST /v1/affiliates/{affiliate_id}/commission-overrides",
         {{"A's affiliate and incentive", {{"affiliate_id", a.affiliate}}, "",
           json({{"incentive_id", a.incentive}}, R"("amount":1)"), 404},
          {"B's affiliate, A's incentive", {{"affiliate_id", b.affiliate}}, "",
           json({{"incentive_id", a.incentive}}, R"("amount":1)"), 404}}},
        {"DELETE /v1/affiliates/{affiliate_id}/commission-overrides/{id}",
         {{"A's affiliate and override", {{"affiliate_id", a.affiliate}, {"id", a.override_id}}, "",
           "", 404},
          {"B's affiliate, A's override", {{"affiliate_id", b.affiliate}, {"id", a.override_id}},
           "", "", 404}}},
        // ---- onboarding ----
        {"GET /v1/affiliates/{affiliate_id}/onboarding-responses",
         {{"A's affiliate", {{"affiliate_id", a.affiliate}}, "", "", 404},
          {"B's own", {{"affiliate_id", b.affiliate}}, "", "", 200}}},
        {"POST /v1/affiliates/{affiliate_id}/onboarding-responses",
         {{"A's affiliate and question", {{"affiliate_id", a.affiliate}}, "",
           absl::StrCat(R"({"responses":[{"question_id":")", a.question,
                        R"(","answer":"Mallory"}],"mark_complete":true})"),
           404},
          {"B's affiliate, A's question", {{"affiliate_id", b.affiliate}}, "",
           absl::StrCat(R"({"responses":[{"question_id":")", a.question,
                        R"(","answer":"Mallory"}]})"),
           400}}},
        {"GET /v1/onboarding-form",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"POST /v1/onboarding-form",
         {{"in A's program", {}, a_program, OnboardingForm("mallory"), 404},
          {"B's program, A's question id", {}, "",
           absl::StrCat(R"({"name":"Stolen","questions":[{"id":")", a.question,
                        R"(","question":"x","type":"textarea","order":1}]})"),
           400}}},
        {"PATCH /v1/onboarding-form",
         {{"A's program", {}, a_program, R"({"name":"Mallory"})", 404},
          {"B's form, keeping A's question", {}, "",
           absl::StrCat(R"({"questions":[{"id":")", a.question,
                        R"(","question":"x","type":"textarea","order":1}]})"),
           400}}},
        {"DELETE /v1/onboarding-form", {{"A's program", {}, a_program, "", 404}}},
        // ---- clicks and signups ----
        {"POST /v1/clicks",
         {{"A's program and affiliate", {}, "",
           json({{"program_id", a.program}, {"tracking_id", a.tracking_id}}), 404},
          {"B's program, A's affiliate", {}, "",
           json({{"program_id", b.program}, {"tracking_id", a.tracking_id}}), 404}}},
        {"POST /v1/signups",
         {{"A's pending click", {}, "",
           json({{"click_id", a.click_pending}, {"email", "thief@b-corp.example"}}), 404},
          {"A's converted click", {}, "",
           json({{"click_id", a.click_converted}, {"email", "thief@b-corp.example"}}), 404}}},
        // ---- referrals ----
        {"POST /v1/referrals",
         {{"A's affiliate", {}, "",
           json({{"affiliate_id", a.affiliate}, {"email", "new@b-corp.example"}}), 404},
          {"B's affiliate, A's pending click", {}, "",
           json({{"affiliate_id", b.affiliate}, {"email", "new@b-corp.example"},
                 {"click_id", a.click_pending}}), 404},
          {"B's affiliate, A's converted click", {}, "",
           json({{"affiliate_id", b.affiliate}, {"email", "new@b-corp.example"},
                 {"click_id", a.click_converted}}), 404}}},
        {"GET /v1/referrals/{id}",
         {{"A's converted click", {{"id", a.click_converted}}, "", "", 404},
          {"A's direct referral", {{"id", a.referral_direct}}, "", "", 404},
          {"A's direct referral, expanded", {{"id", a.referral_direct}},
           "expand=affiliate&include=stats", "", 404}}},
        {"DELETE /v1/referrals/{id}",
         {{"A's converted click", {{"id", a.click_converted}}, "", "", 404},
          {"A's direct referral", {{"id", a.referral_direct}}, "", "", 404}}},
        {"PUT /v1/referrals/{id}",
         {{"A's converted click", {{"id", a.click_converted}}, "", R"({"name":"Mallory"})", 404},
          {"A's direct referral", {{"id", a.referral_direct}}, "", R"({"status":"customer"})",
           404}}},
        {"GET /v1/referrals",
         {{"B's own", {}, "", "", 200},
          {"B's own, expanded", {}, "expand=affiliate", "", 200},
          {"filtered by A's affiliate", {}, "affiliate_id=" + a.affiliate, "", 200},
          {"after A's referral", {}, "starting_after=" + a.referral_direct, "", 400},
          {"before A's referral", {}, "ending_before=" + a.click_converted, "", 400}}},
        // ---- commissions ----
        {"GET /v1/commissions",
         {{"B's own", {}, "", "", 200},
          {"filtered by A's affiliate", {}, "affiliate_id=" + a.affiliate, "", 200},
          {"filtered by A's referral", {}, "referral_id=" + a.click_converted, "", 200},
          {"B's own, expanded", {}, "expand=affiliate,affiliate_program,referral", "", 200}}},
        {"GET /v1/commissions/{id}",
         {{"A's commission", {{"id", a.commission}}, "", "", 404},
          {"A's commission, expanded", {{"id", a.commission}},
           "expand=affiliate,affiliate_program,referral", "", 404}}},
        {"POST /v1/commissions",
         {{"for A's direct referral", {}, "",
           json({{"referral_id", a.referral_direct}}, R"("sale_amount":1,"commission_amount":1)"),
           404},
          {"for A's converted click", {}, "",
           json({{"referral_id", a.click_converted}}, R"("sale_amount":1,"commission_amount":1)"),
           404}}},
        {"PUT /v1/commissions/{id}",
         {{"A's commission", {{"id", a.commission}}, "", R"({"status":"declined"})", 404}}},
        {"DELETE /v1/commissions/{id}", {{"A's commission", {{"id", a.commission}}, "", "", 404}}},
        // ---- conversions ----
        {"POST /v1/conversions",
         {{"for A's direct referral", {}, "",
           json({{"referral_id", a.referral_direct}},
                R"("sale_amount":1,"external_event_id":"b-sale-1")"),
           404},
          {"for A's converted click", {}, "",
           json({{"click_id", a.click_converted}}, R"("sale_amount":1,"external_event_id":"b-2")"),
           404},
          {"for A's pending click", {}, "",
           json({{"affonso_id", a.click_pending}}, R"("sale_amount":1,"external_event_id":"b-3")"),
           404},
          // B's own key space: A's external_event_id (and A's ids as keys) replay nothing.
          {"A's event id", {}, "",
           json({{"referral_id", a.referral_direct}},
                R"("sale_amount":10,"external_event_id":"a-sale")"),
           404},
          {"A's conversion id as the key", {}, "",
           json({{"referral_id", a.referral_direct}, {"external_event_id", a.conversion}},
                R"("sale_amount":10)"),
           404}}},
        {"POST /v1/conversions/{id}/refund",
         {{"A's conversion", {{"id", a.conversion}}, "", R"({"amount":1})", 404},
          {"A's conversion, A's id as the key", {{"id", a.conversion}}, "",
           json({{"external_event_id", a.conversion}}), 404},
          {"A's lead commission", {{"id", a.commission}}, "", "{}", 404}}},
        // ---- events and sources ----
        {"POST /v1/events",
         {{"a milestone of A's direct referral", {}, "",
           json({{"event_name", "x"}, {"referral_id", a.referral_direct}}), 404},
          {"A's key, A's referral", {}, "",
           json({{"event_name", "x"}, {"referral_id", a.referral_direct},
                 {"external_event_id", "a-event"}}),
           404},
          {"a lead of A's pending click", {}, "",
           json({{"event_name", "x"}, {"event_type", "lead"}, {"click_id", a.click_pending}}),
           404},
          {"a lead of A's pending click as affonso_id", {}, "",
           json({{"event_name", "x"}, {"event_type", "lead"}, {"affonso_id", a.click_pending}}),
           404},
          {"A's conversion id as the key", {}, "",
           json({{"event_name", "x"}, {"referral_id", a.referral_direct},
                 {"external_event_id", a.conversion}}),
           404},
          {"a sale of A's converted click", {}, "",
           json({{"event_name", "x"}, {"click_id", a.click_converted}},
                R"("sale_amount":1,"external_event_id":"b-event-1")"),
           404}}},
        {"POST /v1/sources/segment/events",
         {{"Order Completed for A's referral", {}, "",
           absl::StrCat(R"({"type":"track","event":"Order Completed","messageId":"b-m1",)"
                        R"("properties":{"revenue":5,"referral_id":")",
                        a.referral_direct, R"("}})"),
           404},
          {"A's ids as message, user and anonymous ids", {}, "",
           json({{"type", "track"}, {"event", "Signed Up"}, {"message_id", a.conversion},
                 {"user_id", a.referral_direct}, {"anonymous_id", a.click_pending}}),
           404},
          {"Signed Up for A's pending click", {}, "",
           absl::StrCat(R"({"type":"track","event":"Signed Up","messageId":"b-m2",)"
                        R"("properties":{"click_id":")",
                        a.click_pending, R"("}})"),
           404}}},
        {"POST /v1/sources/{source}/events",
         {{"custom, A's referral", {{"source", "custom"}}, "",
           json({{"event_name", "x"}, {"referral_id", a.referral_direct}}), 404},
          {"segment_webhook, A's converted click", {{"source", "segment_webhook"}}, "",
           absl::StrCat(R"({"type":"track","event":"Upgraded","messageId":"b-m3",)"
                        R"("properties":{"click_id":")",
                        a.click_converted, R"("}})"),
           404}}},
        // ---- the public endpoints (no key: the program id is public) ----
        // A's program id is public, so it is probed with B's affiliates and
        // clicks, which it must never reach; B's program with A's.
        {"POST /v1/track",
         {{"B's own", {}, "",
           json({{"program_id", b.program}, {"tracking_id", b.tracking_id}}), 200},
          {"B's program, A's affiliate", {}, "",
           json({{"program_id", b.program}, {"tracking_id", a.tracking_id}}), 404},
          {"A's program, B's affiliate", {}, "",
           json({{"program_id", a.program}, {"tracking_id", b.tracking_id}}), 404},
          {"B's program, upgrading A's click", {}, "",
           json({{"program_id", b.program}, {"upgrade_click_id", a.click_pending}},
                R"("has_consent":true)"), 404}}},
        {"POST /v1/track/signup",
         {{"B's program, A's pending click", {}, "",
           json({{"program_id", b.program}, {"click_id", a.click_pending},
                 {"email", "thief@b-corp.example"}}), 404},
          {"A's program, B's click", {}, "",
           json({{"program_id", a.program}, {"click_id", b.click_converted},
                 {"email", "thief@b-corp.example"}}), 404}}},
        // ---- partner access ----
        {"POST /v1/affiliates/{id}/portal-token",
         {{"A's affiliate", {{"id", a.affiliate}}, "", "", 404}}},
        {"POST /v1/embed/token",
         {{"in A's program", {}, "",
           json({{"program_id", a.program}}, R"("partner":{"email":"eve@b-corp.example"})"), 404},
          {"A's partner in A's program", {}, "",
           json({{"program_id", a.program}}, R"("partner":{"email":"partner@a-corp.example"})"),
           404},
          {"in B's program, A's group", {}, "",
           json({{"program_id", b.program}, {"group_id", a.group}},
                R"("partner":{"email":"eve@b-corp.example"})"), 404}}},
        // No key: the token alone decides, and B's grants B's affiliate only.
        {"POST /v1/portal/me",
         {{"B's own token", {}, "", json({{"token", b.portal_token}}), 200},
          {"B's key as the token", {}, "", json({{"token", b_.api_key}}), 401},
          {"B's token relabelled as A's team", {}, "",
           json({{"token", Relabelled(b.portal_token, a_.team_id)}}), 401}}},
        {"POST /v1/embed/me",
         {{"B's own token", {}, "", json({{"token", b.embed_token}}), 200},
          {"B's portal token", {}, "", json({{"token", b.portal_token}}), 401},
          {"B's token relabelled as A's team", {}, "",
           json({{"token", Relabelled(b.embed_token, a_.team_id)}}), 401}}},
        // ---- coupons ----
        {"GET /v1/coupons",
         {{"B's own", {}, "", "", 200},
          {"B's own, expanded", {}, "expand=affiliate", "", 200},
          {"filtered by A's affiliate", {}, "affiliate_id=" + a.affiliate, "", 200},
          {"filtered by A's program", {}, a_program, "", 200},
          {"searching for A's code", {}, std::string("search=") + kAMarker, "", 200}}},
        {"POST /v1/coupons",
         {{"for A's affiliate", {}, "",
           json({{"affiliate_id", a.affiliate}, {"code", "STOLEN"},
                 {"discount_type", "percentage"}, {"duration", "forever"}},
                R"("discount_value":50)"), 404},
          {"A's affiliate, B's own code", {}, "",
           json({{"affiliate_id", a.affiliate}, {"code", "SAVE10"},
                 {"discount_type", "percentage"}, {"duration", "forever"}},
                R"("discount_value":50)"), 404}}},
        {"GET /v1/coupons/{id}",
         {{"A's coupon", {{"id", a.coupon}}, "", "", 404},
          {"A's coupon, expanded", {{"id", a.coupon}}, "expand=affiliate", "", 404},
          {"B's own", {{"id", b.coupon}}, "", "", 200}}},
        {"DELETE /v1/coupons/{id}", {{"A's coupon", {{"id", a.coupon}}, "", "", 404}}},
        // ---- payouts ----
        {"GET /v1/payouts",
         {{"B's own", {}, "", "", 200},
          {"filtered by A's affiliate", {}, "affiliate_id=" + a.affiliate, "", 200},
          {"filtered by A's affiliate, as the SDK sends it", {}, "affiliateId=" + a.affiliate, "",
           200}}},
        {"GET /v1/payouts/{id}", {{"A's payout", {{"id", a.payout}}, "", "", 404}}},
        {"PUT /v1/payouts/{id}",
         {{"A's payout", {{"id", a.payout}}, "", R"({"status":"completed"})", 404},
          {"A's payout, cancelled", {{"id", a.payout}}, "", R"({"status":"cancelled"})", 404}}},
        // ---- program settings, groups, incentives ----
        {"GET /v1/program",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program",
         {{"A's program", {}, a_program, R"({"name":"Mallory"})", 404}}},
        {"GET /v1/program/fraud-rules",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program/fraud-rules",
         {{"A's program", {}, a_program, R"({"self_referral_mode":"block"})", 404}}},
        {"GET /v1/program/tracking",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program/tracking",
         {{"A's program", {}, a_program, R"({"track_email":false})", 404}}},
        {"GET /v1/program/pixel",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program/pixel",
         {{"A's program", {}, a_program, R"({"allowed_domains":["evil.test"]})", 404}}},
        {"GET /v1/program/payment-terms",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program/payment-terms",
         {{"A's program", {}, a_program, R"({"payment_threshold":1})", 404}}},
        {"GET /v1/program/restrictions",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program/restrictions",
         {{"A's program", {}, a_program, R"({"incent":true})", 404}}},
        {"GET /v1/program/portal",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program/portal",
         {{"A's program", {}, a_program, R"({"hide_branding":true})", 404}}},
        // ---- the marketplace: the one cross-team read. A never lists its program here, so B
        // sees none of it (a listed program's public fields are tests/program_rest_pgtest.cc's).
        {"GET /v1/marketplace",
         {{"B's view", {}, "", "", 200},
          {"A's category", {}, std::string("category=") + kAMarker, "", 200}}},
        {"GET /v1/marketplace/{id}",
         {{"A's unlisted program", {{"id", a.program}}, "", "", 404},
          {"B's own unlisted program", {{"id", b.program}}, "", "", 404}}},
        {"GET /v1/program/groups",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"POST /v1/program/groups",
         {{"in A's program", {}, a_program, R"({"name":"Stolen"})", 404}}},
        {"GET /v1/program/groups/{id}",
         {{"A's group", {{"id", a.group}}, "", "", 404},
          {"A's default group", {{"id", a.default_group}}, "", "", 404},
          {"A's group in A's program", {{"id", a.group}}, a_program, "", 404}}},
        {"PATCH /v1/program/groups/{id}",
         {{"A's group", {{"id", a.group}}, "", R"({"name":"Mallory"})", 404},
          {"A's group made default", {{"id", a.group}}, "", R"({"is_default":true})", 404},
          {"A's group in A's program", {{"id", a.group}}, a_program, R"({"name":"Mallory"})",
           404}}},
        {"DELETE /v1/program/groups/{id}",
         {{"A's group", {{"id", a.group}}, "", "", 404},
          {"A's group in A's program", {{"id", a.group}}, a_program, "", 404}}},
        {"POST /v1/program/groups/{group_id}/incentives",
         {{"A's group", {{"group_id", a.group}}, "",
           R"({"name":"Stolen","type":"lead","amount":1})", 404},
          {"A's group in A's program", {{"group_id", a.group}}, a_program,
           R"({"name":"Stolen","type":"lead","amount":1})", 404}}},
        {"DELETE /v1/program/groups/{group_id}/incentives/{id}",
         {{"A's group and incentive", {{"group_id", a.group}, {"id", a.incentive}}, "", "", 404},
          {"B's group, A's incentive", {{"group_id", b.default_group}, {"id", a.incentive}}, "",
           "", 404},
          {"in A's program", {{"group_id", a.group}, {"id", a.incentive}}, a_program, "", 404}}},
        // ---- creatives and notifications ----
        {"GET /v1/program/creatives",
         {{"B's own", {}, "", "", 200},
          {"B's own, by category", {}, "category=banner", "", 200},
          {"A's program", {}, a_program, "", 404}}},
        {"POST /v1/program/creatives",
         {{"in A's program", {}, a_program, R"({"name":"Stolen"})", 404}}},
        {"GET /v1/program/creatives/{id}",
         {{"A's creative", {{"id", a.creative}}, "", "", 404},
          {"A's creative in A's program", {{"id", a.creative}}, a_program, "", 404}}},
        {"PATCH /v1/program/creatives/{id}",
         {{"A's creative", {{"id", a.creative}}, "", R"({"name":"Mallory"})", 404},
          {"A's creative cleared", {{"id", a.creative}}, "", R"({"url":null,"tags":[]})", 404},
          {"A's creative in A's program", {{"id", a.creative}}, a_program, R"({"name":"M"})",
           404}}},
        {"DELETE /v1/program/creatives/{id}",
         {{"A's creative", {{"id", a.creative}}, "", "", 404},
          {"A's creative in A's program", {{"id", a.creative}}, a_program, "", 404}}},
        {"GET /v1/program/notifications",
         {{"B's own", {}, "", "", 200}, {"A's program", {}, a_program, "", 404}}},
        {"PATCH /v1/program/notifications/{email_type_id}",
         {{"A's program", {{"email_type_id", "new_referral"}}, a_program, R"({"is_active":true})",
           404},
          {"A's program, custom text", {{"email_type_id", "payout_sent"}}, a_program,
           R"({"custom_subject":"Stolen {{program_name}}"})", 404}}},
        {"POST /v1/program/notifications/{email_type_id}/preview",
         {{"B's own (A customised the type)", {{"email_type_id", "new_referral"}}, "", "", 200},
          {"A's program", {{"email_type_id", "new_referral"}}, a_program, "", 404},
          {"A's program, a draft", {{"email_type_id", "new_referral"}}, a_program,
           R"({"subject":"{{referral_name}}"})", 404}}},
        // ---- webhooks ----
        {"POST /v1/webhooks",
         {{"B's own (names no object)", {}, "",
           R"({"url":"https://b-corp.invalid/other","events":["transaction.created"]})", 201}}},
        {"GET /v1/webhooks", {{"B's own", {}, "", "", 200}}},
        {"GET /v1/webhooks/{id}", {{"A's webhook", {{"id", a.webhook}}, "", "", 404}}},
        {"PATCH /v1/webhooks/{id}",
         {{"A's webhook", {{"id", a.webhook}}, "", R"({"enabled":false})", 404}}},
        {"DELETE /v1/webhooks/{id}", {{"A's webhook", {{"id", a.webhook}}, "", "", 404}}},
        {"GET /v1/webhooks/{webhook_id}/deliveries",
         {{"A's webhook", {{"webhook_id", a.webhook}}, "", "", 404},
          {"B's own", {{"webhook_id", b.webhook}}, "", "", 200},
          {"A's webhook and event", {{"webhook_id", a.webhook}}, "event_id=" + a.event, "", 404},
          {"B's webhook, A's event", {{"webhook_id", b.webhook}}, "event_id=" + a.event, "", 200},
          // The documented answer to a cursor that is not one of the endpoint's attempts.
          {"B's webhook after A's attempt", {{"webhook_id", b.webhook}},
           "starting_after=" + a.attempt, "", 400},
          {"B's webhook before A's attempt", {{"webhook_id", b.webhook}},
           "ending_before=" + a.attempt, "", 400}}},
        {"POST /v1/webhooks/{webhook_id}/deliveries/{event_id}/redeliver",
         {{"A's webhook and event", {{"webhook_id", a.webhook}, {"event_id", a.event}}, "", "",
           404},
          {"B's webhook, A's event", {{"webhook_id", b.webhook}, {"event_id", a.event}}, "", "",
           404},
          {"A's webhook, B's event", {{"webhook_id", a.webhook}, {"event_id", b.event}}, "", "",
           404}}},
    };
    // clang-format on
  }

  std::unique_ptr<WebhookReceiver> receiver_;
  Objects a_objects_, b_objects_;
  std::string a_webhook_secret_;
  std::map<std::string, std::string> snapshot_sql_;  // by team ("" = every row)
  std::string id_tables_;
};

TEST_F(TenantIsolationSweepTest, EveryRouteKeepsTeamsApart) {
  auto table = gateway::RouteTable::FromServices(gateway::ContractServices());
  ASSERT_OK(table);
  std::map<std::string, std::vector<Probe>> probes = Probes();

  // The map and the route table name the same routes, both ways.
  std::set<std::string> routes;
  for (const gateway::Route& route : table->routes()) routes.insert(RouteKey(route));
  for (const std::string& route : routes) {
    EXPECT_TRUE(probes.count(route)) << "route not covered by the isolation sweep: " << route;
  }
  for (const auto& [route, unused] : probes) {
    EXPECT_TRUE(routes.count(route)) << "probes for a route that no longer exists: " << route;
  }

  // What no answer to B may contain: any id of A's rows, A's tracking ids,
  // webhook secret, and any text A wrote.
  std::set<std::string> a_ids = IdsOf(a_.team_id);
  a_ids.insert(a_objects_.tracking_id);
  a_ids.insert(a_.tracking_id);
  std::vector<std::string> a_secrets(a_ids.begin(), a_ids.end());
  a_secrets.push_back(a_webhook_secret_);
  a_secrets.push_back(kAMarker);
  ASSERT_GT(a_ids.size(), 15u);

  const std::map<std::string, std::string> a_before = Snapshot(a_.team_id);
  int calls = 0;
  for (const gateway::Route& route : table->routes()) {
    const std::string key = RouteKey(route);
    auto it = probes.find(key);
    if (it == probes.end()) continue;
    // Reference field -> values the probes gave it.
    std::map<std::string, std::set<std::string>> given;
    for (const Probe& probe : it->second) {
      SCOPED_TRACE(absl::StrCat(key, ": ", probe.what));
      std::string path;
      for (const gateway::Route::Segment& segment : route.segments) {
        if (segment.field.empty()) {
          absl::StrAppend(&path, "/", segment.literal);
          continue;
        }
        auto bound = probe.path.find(segment.field);
        ASSERT_NE(bound, probe.path.end()) << "path variable " << segment.field << " not bound";
        absl::StrAppend(&path, "/", bound->second);
        given[segment.field].insert(bound->second);
      }
      // A 404 from the router would pass for isolation: make sure it is this route.
      ASSERT_EQ(table->Match(route.http_method, path).route, &route) << path;
      for (absl::string_view pair : absl::StrSplit(probe.query, '&', absl::SkipEmpty())) {
        std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
        given[kv.first].insert(kv.second);
      }
      if (!probe.body.empty()) {
        Struct body;
        ASSERT_OK(google::protobuf::util::JsonStringToMessage(probe.body, &body)) << probe.body;
        const std::string prefix = route.body == "*" ? "" : route.body + ".";
        // Nested objects and lists of them too (a form's questions[].id).
        std::function<void(const std::string&, const google::protobuf::Value&)> collect =
            [&](const std::string& field, const google::protobuf::Value& value) {
              if (value.has_struct_value()) {
                for (const auto& [name, inner] : value.struct_value().fields()) {
                  collect(field + "." + name, inner);
                }
              } else if (value.has_list_value()) {
                for (const auto& item : value.list_value().values()) collect(field, item);
              } else {
                given[field].insert(value.string_value());
              }
            };
        for (const auto& [field, value] : body.fields()) collect(prefix + field, value);
      }

      const bool refused = probe.status >= 400;
      const std::map<std::string, std::string> before =
          refused ? Snapshot() : std::map<std::string, std::string>();
      const std::string target = probe.query.empty() ? path : path + "?" + probe.query;
      HttpResult result = Call(route.http_method, target, probe.body, &b_);
      ++calls;
      EXPECT_EQ(result.status, probe.status)
          << route.http_method << " " << target << " -> " << result.body;
      if (probe.status == 404) {
        EXPECT_EQ(result.ErrorCode(), "NOT_FOUND") << result.body;
      }
      for (const std::string& secret : a_secrets) {
        EXPECT_EQ(result.body.find(secret), std::string::npos)
            << "A's \"" << secret << "\" in B's answer: " << result.body;
      }
      if (refused) {
        EXPECT_EQ(Changed(before, Snapshot()), "") << "a refused call changed these tables";
      } else {
        // Lists (and single objects) hold only B's rows.
        const std::set<std::string> b_ids = IdsOf(b_.team_id);
        std::vector<const Struct*> items;
        for (const auto& value : DataList(result).values()) items.push_back(&value.struct_value());
        if (result.json.fields().count("data") &&
            result.json.fields().at("data").has_struct_value()) {
          items.push_back(&result.Data());
        }
        for (const Struct* item : items) {
          for (const char* field : {"id", "program_id", "affiliate_id", "group_id"}) {
            auto value = item->fields().find(field);
            if (value == item->fields().end() || value->second.string_value().empty()) continue;
            EXPECT_TRUE(b_ids.count(value->second.string_value()))
                << field << " " << value->second.string_value() << " is not B's: " << result.body;
          }
        }
        if (absl::StrContains(probe.what, "A's")) {
          EXPECT_EQ(DataList(result).values_size(), 0) << "a filter on A's object matched";
        }
      }
    }
    // Every reference field of the request was given one of A's ids.
    std::vector<std::string> references;
    ReferenceFields(route.method->input_type(), "", 0, &references);
    for (const std::string& field : references) {
      bool covered = false;
      for (const std::string& value : given[field]) covered |= a_ids.count(value) > 0;
      EXPECT_TRUE(covered) << key << ": no probe gives " << field << " one of A's ids";
    }
  }
  EXPECT_EQ(Changed(a_before, Snapshot(a_.team_id)), "") << "A's rows changed";
  std::cout << "isolation sweep: " << table->routes().size() << " routes, " << calls
            << " calls as team B\n";

  // Webhook payloads are the other way out: B's endpoint got B's events only.
  int to_b = 0;
  for (const WebhookReceiver::Delivery& delivery : receiver_->deliveries()) {
    if (!absl::StartsWith(delivery.target, "/b-corp/")) continue;
    ++to_b;
    for (const std::string& secret : a_secrets) {
      EXPECT_EQ(delivery.body.find(secret), std::string::npos)
          << "A's data delivered to B: " << delivery.body;
    }
  }
  EXPECT_GE(to_b, 1) << "B's own event never reached B's endpoint";

  // A still sees all of it.
  EXPECT_EQ(Call("GET", "/v1/referrals/" + a_objects_.referral_direct).status, 200);
  EXPECT_EQ(Call("GET", "/v1/webhooks/" + a_objects_.webhook).status, 200);
  EXPECT_EQ(Call("GET", "/v1/commissions/" + a_objects_.commission).status, 200);
  EXPECT_EQ(Call("GET", "/v1/coupons/" + a_objects_.coupon).status, 200);
  EXPECT_EQ(Call("GET", "/v1/program/creatives/" + a_objects_.creative).status, 200);
  HttpResult notifications = Call("GET", "/v1/program/notifications");
  EXPECT_TRUE(absl::StrContains(notifications.body, a_objects_.notification)) << notifications.body;
  EXPECT_EQ(Call("GET", "/v1/affiliates/" + a_objects_.affiliate + "/onboarding-responses").status,
            200);
}

// Signups are converted in shared batches (PgSignupStore): B's signups racing
// A's on A's click, in the same batches, still get 404 and nothing of A's.
TEST_F(TenantIsolationSweepTest, RacingSignupsOnOneClickStayWithTheClicksTeam) {
  constexpr int kRounds = 4;
  constexpr int kCallers = 16;  // even: A, odd: B
  for (int round = 0; round < kRounds; ++round) {
    const std::string click =
        Created(Call("POST", "/v1/clicks",
                     absl::StrCat(R"({"program_id":")", a_.program_id, R"(","tracking_id":")",
                                  a_objects_.tracking_id, R"("})")),
                201);
    std::vector<HttpResult> results(kCallers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, i] {
        results[i] = Call(
            "POST", "/v1/signups",
            absl::StrCat(R"({"click_id":")", click, R"(","email":"racer)", i, R"(@example.com"})"),
            i % 2 == 0 ? &a_ : &b_);
      });
    }
    for (std::thread& thread : threads) thread.join();
    int created = 0;
    for (int i = 0; i < kCallers; ++i) {
      const HttpResult& result = results[i];
      if (i % 2 == 0) {
        EXPECT_TRUE(result.status == 201 || result.status == 200) << result.body;
        created += result.status == 201;
        EXPECT_EQ(result.DataString("id"), click);
      } else {
        EXPECT_EQ(result.status, 404) << result.body;
        EXPECT_EQ(result.body.find(a_.team_id), std::string::npos) << result.body;
        EXPECT_EQ(result.body.find(kAMarker), std::string::npos) << result.body;
        EXPECT_EQ(result.body.find("racer"), std::string::npos) << result.body;
      }
    }
    EXPECT_EQ(created, 1);
    EXPECT_EQ(db_->QueryValue("SELECT string_agg(team_id, ',') FROM referrals WHERE click_id = '" +
                              click + "'"),
              a_.team_id);
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals WHERE team_id = '" + b_.team_id + "'"),
            "1");  // B's own signup of SetUp
}

// The OpenAPI document, which clients generate SDKs from, lists exactly the
// route table's operations: the sweep above covers every documented one.
using OpenApiRoutesTest = RestTest;

TEST_F(OpenApiRoutesTest, OpenApiListsTheRoutesTheSweepCovers) {
  auto table = gateway::RouteTable::FromServices(gateway::ContractServices());
  ASSERT_OK(table);
  std::set<std::string> routes;
  for (const gateway::Route& route : table->routes()) routes.insert(RouteKey(route));
  HttpResult openapi = Http(rest_->port(), "GET", "/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  std::set<std::string> documented;
  for (const auto& [path, operations] : openapi.json.fields().at("paths").struct_value().fields()) {
    if (!absl::StartsWith(path, "/v1/")) continue;  // /healthz, /readyz, /openapi.json
    for (const auto& [verb, unused] : operations.struct_value().fields()) {
      if (verb == "parameters") continue;
      documented.insert(absl::StrCat(absl::AsciiStrToUpper(verb), " ", path));
    }
  }
  EXPECT_EQ(documented, routes);
}

}  // namespace
}  // namespace affonso::tests
