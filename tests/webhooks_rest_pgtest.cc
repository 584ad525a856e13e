// The /v1/webhooks REST endpoints end to end: real HTTP, the in-process
// gateway, WebhookService and PostgreSQL.
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using storage::testing::Tenant;

// .invalid never resolves (RFC 6761): nothing leaves the machine if a
// dispatcher runs in the server under test.
constexpr char kReceiver[] = "https://receiver.invalid/hooks";

class WebhooksRestTest : public RestTest {
 protected:
  static const ListValue& DataList(const HttpResult& result) {
    return result.json.fields().at("data").list_value();
  }
  static std::string Text(const Struct& object, const std::string& key) {
    auto it = object.fields().find(key);
    return it == object.fields().end() ? "" : it->second.string_value();
  }
  static std::vector<std::string> Strings(const Struct& object, const std::string& key) {
    std::vector<std::string> out;
    auto it = object.fields().find(key);
    if (it == object.fields().end()) return out;
    for (const auto& value : it->second.list_value().values()) out.push_back(value.string_value());
    return out;
  }

  std::string CreateWebhook(const Tenant& tenant) {
    HttpResult created =
        Call("POST", "/v1/webhooks",
             absl::StrCat(R"({"url":")", kReceiver, R"(","events":["referral.lead"]})"), &tenant);
    EXPECT_EQ(created.status, 201) << created.body;
    return created.DataString("id");
  }

  // Events come from the signup path; this one is already fanned out
  // (dispatched_at set), so only the API under test queues deliveries for it.
  std::string InsertEvent(const Tenant& tenant) {
    const std::string id = NewId("evt");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO outbox_events (id, team_id, type, payload, dispatched_at) VALUES ('", id,
        "', '", tenant.team_id, "', 'referral.lead', '{}', now())"));
    return id;
  }

  // A finished delivery and its attempts, as the dispatcher records them.
  void InsertAttempts(const Tenant& tenant, const std::string& webhook, const std::string& event) {
    const std::string delivery = NewId("whd");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO webhook_deliveries (id, team_id, event_id, endpoint_id, status, attempts) "
        "VALUES ('",
        delivery, "', '", tenant.team_id, "', '", event, "', '", webhook, "', 'succeeded', 2)"));
    for (int attempt = 1; attempt <= 2; ++attempt) {
      db_->QueryValue(absl::StrCat(
          "INSERT INTO webhook_attempts (id, team_id, delivery_id, endpoint_id, event_id, "
          "attempt, status_code, error, duration_ms, created_at) VALUES ('",
          NewId("wha"), "', '", tenant.team_id, "', '", delivery, "', '", webhook, "', '", event,
          "', ", attempt, ", ", attempt == 1 ? 500 : 200, ", '", attempt == 1 ? "HTTP 500" : "",
          "', 12, now() - interval '", 10 - attempt, " seconds')"));
    }
  }
};

TEST_F(WebhooksRestTest, EndpointLifecycleShowsTheSecretOnlyOnCreate) {
  HttpResult created = Call("POST", "/v1/webhooks",
                            absl::StrCat(R"({"url":")", kReceiver,
                                         R"(","events":["referral.lead","transaction.created",)"
                                         R"("referral.lead"],"description":"CRM sync"})"));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(created.json.fields().at("success").bool_value());
  const std::string id = created.DataString("id");
  EXPECT_TRUE(absl::StartsWith(id, "whk_")) << id;
  EXPECT_TRUE(absl::StartsWith(created.DataString("secret"), "whsec_")) << created.body;
  EXPECT_EQ(created.DataString("url"), kReceiver);
  EXPECT_EQ(Strings(created.Data(), "events"),
            (std::vector<std::string>{"referral.lead", "transaction.created"}));
  EXPECT_EQ(created.DataString("description"), "CRM sync");
  EXPECT_TRUE(created.Data().fields().at("enabled").bool_value());
  EXPECT_FALSE(created.DataString("created_at").empty());

  HttpResult list = Call("GET", "/v1/webhooks");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(DataList(list).values_size(), 1);
  const Struct& listed = DataList(list).values(0).struct_value();
  EXPECT_EQ(Text(listed, "id"), id);
  EXPECT_EQ(Text(listed, "secret"), "");
  const auto& pagination = list.json.fields().at("pagination").struct_value().fields();
  EXPECT_EQ(pagination.at("total").number_value(), 1);
  EXPECT_EQ(pagination.at("limit").number_value(), 10);

  HttpResult got = Call("GET", "/v1/webhooks/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.DataString("secret"), "");
  EXPECT_EQ(got.DataString("description"), "CRM sync");
  EXPECT_EQ(got.body.find(created.DataString("secret")), std::string::npos);

  HttpResult patched =
      Call("PATCH", "/v1/webhooks/" + id, R"({"enabled":false,"events":["transaction.created"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_FALSE(patched.Data().fields().at("enabled").bool_value());
  EXPECT_EQ(Strings(patched.Data(), "events"), std::vector<std::string>{"transaction.created"});
  EXPECT_EQ(patched.DataString("description"), "CRM sync");
  EXPECT_EQ(patched.DataString("secret"), "");

  HttpResult deleted = Call("DELETE", "/v1/webhooks/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.body, R"({"success":true,"message":"webhook endpoint deleted"})");
  EXPECT_EQ(Call("GET", "/v1/webhooks/" + id).status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/webhooks/" + id).status, 404);
  EXPECT_EQ(DataList(Call("GET", "/v1/webhooks")).values_size(), 0);
}

TEST_F(WebhooksRestTest, ValidationErrorsNameTheirField) {
  HttpResult private_url = Call("POST", "/v1/webhooks",
                                R"({"url":"http://169.254.169.254/x","events":["referral.lead"]})");
  EXPECT_EQ(private_url.status, 400) << private_url.body;
  EXPECT_EQ(private_url.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(private_url.ErrorField(), "url");
  HttpResult scheme =
      Call("POST", "/v1/webhooks", R"({"url":"ftp://example.com/","events":["referral.lead"]})");
  EXPECT_EQ(scheme.ErrorField(), "url");
  HttpResult events = Call("POST", "/v1/webhooks",
                           absl::StrCat(R"({"url":")", kReceiver, R"(","events":["signup"]})"));
  EXPECT_EQ(events.status, 400);
  EXPECT_EQ(events.ErrorField(), "events");
  HttpResult no_events =
      Call("POST", "/v1/webhooks", absl::StrCat(R"({"url":")", kReceiver, R"("})"));
  EXPECT_EQ(no_events.ErrorField(), "events");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_endpoints"), "0");

  const std::string id = CreateWebhook(a_);
  HttpResult bad_patch = Call("PATCH", "/v1/webhooks/" + id, R"({"url":"http://localhost:8080/"})");
  EXPECT_EQ(bad_patch.status, 400);
  EXPECT_EQ(bad_patch.ErrorField(), "url");
}

TEST_F(WebhooksRestTest, AnotherTeamsEndpointIsNotFound) {
  const std::string id = CreateWebhook(a_);
  const std::string event = InsertEvent(a_);
  EXPECT_EQ(Call("GET", "/v1/webhooks/" + id, "", &b_).status, 404);
  HttpResult patch = Call("PATCH", "/v1/webhooks/" + id, R"({"enabled":false})", &b_);
  EXPECT_EQ(patch.status, 404);
  EXPECT_EQ(patch.ErrorCode(), "NOT_FOUND");
  EXPECT_EQ(Call("DELETE", "/v1/webhooks/" + id, "", &b_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/webhooks/" + id + "/deliveries", "", &b_).status, 404);
  EXPECT_EQ(
      Call("POST", "/v1/webhooks/" + id + "/deliveries/" + event + "/redeliver", "", &b_).status,
      404);
  EXPECT_EQ(DataList(Call("GET", "/v1/webhooks", "", &b_)).values_size(), 0);
  HttpResult still = Call("GET", "/v1/webhooks/" + id);
  ASSERT_EQ(still.status, 200);
  EXPECT_TRUE(still.Data().fields().at("enabled").bool_value());
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_deliveries"), "0");
}

TEST_F(WebhooksRestTest, DeliveriesLogAndRedelivery) {
  const std::string id = CreateWebhook(a_);
  const std::string event = InsertEvent(a_);
  InsertAttempts(a_, id, event);

  HttpResult log = Call("GET", "/v1/webhooks/" + id + "/deliveries");
  ASSERT_EQ(log.status, 200) << log.body;
  ASSERT_EQ(DataList(log).values_size(), 2);
  const Struct& newest = DataList(log).values(0).struct_value();
  EXPECT_EQ(Text(newest, "webhook_id"), id);
  EXPECT_EQ(Text(newest, "event_id"), event);
  EXPECT_EQ(Text(newest, "event_type"), "referral.lead");
  EXPECT_EQ(newest.fields().at("attempt").number_value(), 2);
  EXPECT_EQ(newest.fields().at("status_code").number_value(), 200);
  EXPECT_TRUE(newest.fields().at("success").bool_value());
  EXPECT_FALSE(log.json.fields().at("has_more").bool_value());

  HttpResult failures = Call("GET", "/v1/webhooks/" + id + "/deliveries?success=false&limit=1");
  ASSERT_EQ(failures.status, 200) << failures.body;
  ASSERT_EQ(DataList(failures).values_size(), 1);
  EXPECT_EQ(Text(DataList(failures).values(0).struct_value(), "error"), "HTTP 500");

  HttpResult redelivered =
      Call("POST", "/v1/webhooks/" + id + "/deliveries/" + event + "/redeliver");
  ASSERT_EQ(redelivered.status, 200) << redelivered.body;
  EXPECT_EQ(redelivered.DataString("webhook_id"), id);
  EXPECT_EQ(redelivered.DataString("event_id"), event);
  EXPECT_TRUE(redelivered.Data().fields().at("queued").bool_value());
  // The finished delivery went back to the queue: no second row.
  EXPECT_EQ(
      db_->QueryValue("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '" + id + "'"),
      "1");

  EXPECT_EQ(
      Call("POST", "/v1/webhooks/" + id + "/deliveries/" + NewId("evt") + "/redeliver").status,
      404);
  ASSERT_EQ(Call("PATCH", "/v1/webhooks/" + id, R"({"enabled":false})").status, 200);
  HttpResult disabled = Call("POST", "/v1/webhooks/" + id + "/deliveries/" + event + "/redeliver");
  EXPECT_EQ(disabled.status, 400);
  EXPECT_EQ(disabled.ErrorField(), "webhook_id");
}

// URLs creation once accepted (or refused) unlike the sender: one rule now.
constexpr const char* kSpecialUseUrls[] = {"http://100.64.0.1/", "http://224.0.0.1/",
                                           "http://240.0.0.1/"};
constexpr char kUnderscoreUrl[] = "https://exa_mple.com/hook";

TEST_F(WebhooksRestTest, SendTimeRefusalsAreRefusedAtCreation) {
  std::vector<std::string> urls(std::begin(kSpecialUseUrls), std::end(kSpecialUseUrls));
  urls.push_back(kUnderscoreUrl);
  const std::string id = CreateWebhook(a_);
  for (const std::string& url : urls) {
    HttpResult created = Call("POST", "/v1/webhooks",
                              absl::StrCat(R"({"url":")", url, R"(","events":["referral.lead"]})"));
    EXPECT_EQ(created.status, 400) << url << ": " << created.body;
    EXPECT_EQ(created.ErrorCode(), "VALIDATION_ERROR") << url;
    EXPECT_EQ(created.ErrorField(), "url") << url;
    HttpResult patched =
        Call("PATCH", "/v1/webhooks/" + id, absl::StrCat(R"({"url":")", url, R"("})"));
    EXPECT_EQ(patched.status, 400) << url << ": " << patched.body;
    EXPECT_EQ(patched.ErrorCode(), "VALIDATION_ERROR") << url;
    EXPECT_EQ(patched.ErrorField(), "url") << url;
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_endpoints"), "1");
  EXPECT_EQ(db_->QueryValue("SELECT url FROM webhook_endpoints"), kReceiver);
}

class PrivateDestinationsWebhooksRestTest : public WebhooksRestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.webhook_allow_private_destinations = true;
  }
};

TEST_F(PrivateDestinationsWebhooksRestTest, SpecialUseAddressesPassButMalformedHostsDoNot) {
  for (const char* url : kSpecialUseUrls) {
    HttpResult created = Call("POST", "/v1/webhooks",
                              absl::StrCat(R"({"url":")", url, R"(","events":["referral.lead"]})"));
    EXPECT_EQ(created.status, 201) << url << ": " << created.body;
  }
  HttpResult underscore =
      Call("POST", "/v1/webhooks",
           absl::StrCat(R"({"url":")", kUnderscoreUrl, R"(","events":["referral.lead"]})"));
  EXPECT_EQ(underscore.status, 400) << underscore.body;
  EXPECT_EQ(underscore.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(underscore.ErrorField(), "url");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_endpoints"), "3");
}

class CappedWebhooksRestTest : public WebhooksRestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.webhook_max_endpoints_per_team = 2;
  }
};

TEST_F(CappedWebhooksRestTest, ATeamsEndpointsAreCapped) {
  CreateWebhook(a_);
  CreateWebhook(a_);
  const std::string body =
      absl::StrCat(R"({"url":")", kReceiver, R"(","events":["referral.lead"]})");
  HttpResult over = Call("POST", "/v1/webhooks", body, &a_);
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_EQ(over.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_TRUE(absl::StrContains(over.body, "at most 2 webhook endpoints")) << over.body;
  EXPECT_EQ(Call("POST", "/v1/webhooks", body, &b_).status, 201);  // another team's own cap
}

}  // namespace
}  // namespace affonso::tests
