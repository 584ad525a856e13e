#include "services/api/webhook_service.h"

#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"
#include "services/webhooks/outbound_url.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::CreateWebhookRequest;
using affonso::v1::ListWebhookDeliveriesRequest;
using affonso::v1::UpdateWebhookRequest;
using affonso::v1::WebhookEndpoint;

constexpr bool kPublicOnly = false;
constexpr bool kAllowPrivate = true;

std::string UrlField(const std::string& url, bool allow_private = kPublicOnly) {
  return ApiErrorField(CheckWebhookUrl(url, allow_private));
}

CreateWebhookRequest Create(const std::string& url, std::vector<std::string> events) {
  CreateWebhookRequest request;
  request.set_url(url);
  for (std::string& event : events) request.add_events(std::move(event));
  return request;
}

TEST(CheckWebhookUrlTest, AcceptsAbsoluteHttpAndHttpsUrls) {
  for (const char* url :
       {"https://example.com", "https://example.com/", "http://example.com:8080/hooks?x=1&y=2",
        "HTTPS://Hooks.Example.COM/path/to/receiver", "https://8.8.8.8/in",
        "https://[2606:4700:4700::1111]:8443/in", "https://example.com?only=query",
        "https://my-host.example.com./trailing-dot"}) {
    EXPECT_OK(CheckWebhookUrl(url, kPublicOnly)) << url;
  }
}

TEST(CheckWebhookUrlTest, EveryMalformedUrlNamesTheUrlField) {
  for (const char* url : {"",
                          "example.com/hook",
                          "ftp://example.com/",
                          "file:///etc/passwd",
                          "javascript://x",
                          "https://",
                          "https:///path",
                          "https://:443/",
                          "https://user:pw@example.com/",
                          "https://user@example.com",
                          "https://example.com:0/",
                          "https://example.com:65536/",
                          "https://example.com:/",
                          "https://example.com:80:80/",
                          "https://exa mple.com/",
                          "https://example.com/a b",
                          "https://exa_mple.com/",
                          "https://example.com/#fragment",
                          "https://[::1/",
                          "https://[not-ipv6]/",
                          "https://[2001:db8::1]x/",
                          "https://.example.com/",
                          "https://example..com/",
                          "https://ex\xc3\xa4mple.com/",
                          "https://example.com/\n"}) {
    EXPECT_EQ(UrlField(url), "url") << url;
    EXPECT_EQ(ApiErrorCode(CheckWebhookUrl(url, kAllowPrivate)), "VALIDATION_ERROR") << url;
  }
}

TEST(CheckWebhookUrlTest, LengthLimitIs2048Characters) {
  const std::string prefix = "https://example.com/";
  EXPECT_OK(CheckWebhookUrl(prefix + std::string(2048 - prefix.size(), 'a'), kPublicOnly));
  EXPECT_EQ(UrlField(prefix + std::string(2049 - prefix.size(), 'a')), "url");
}

TEST(CheckWebhookUrlTest, PrivateLiteralsAreRejectedUnlessAllowed) {
  for (const char* url : {"http://127.0.0.1/",
                          "http://127.1.2.3:8080/",
                          "http://127.1/",
                          "http://2130706433/",
                          "http://0x7f.1/",
                          "http://10.0.0.5/",
                          "http://172.16.0.1/",
                          "http://172.31.255.255/",
                          "http://192.168.1.1/",
                          "http://169.254.169.254/latest/meta-data",
                          "http://0.0.0.0/",
                          "http://0.1.2.3/",
                          "http://[::1]/",
                          "http://[::]/",
                          "http://[fc00::1]/",
                          "http://[fd12:3456::1]/",
                          "http://[fe80::1]/",
                          "http://[febf::1]/",
                          "http://[::ffff:127.0.0.1]/",
                          "http://[::ffff:10.1.1.1]/",
                          "http://localhost:3000/",
                          "http://LOCALHOST/",
                          "http://localhost./",
                          "http://api.localhost/",
                          "http://a.b.Localhost/"}) {
    EXPECT_EQ(UrlField(url, kPublicOnly), "url") << url;
    EXPECT_OK(CheckWebhookUrl(url, kAllowPrivate)) << url;
  }
}

TEST(CheckWebhookUrlTest, PublicNeighboursOfPrivateRangesPass) {
  for (const char* url :
       {"http://126.255.255.255/", "http://128.0.0.1/", "http://11.0.0.1/",
        "http://172.15.255.255/", "http://172.32.0.1/", "http://192.169.0.1/",
        "http://169.255.0.1/", "http://1.0.0.0/", "http://[fe00::1]/", "http://[2001:db9::1]/",
        "http://[2606:4700:4700::1111]/", "http://localhost.example.com/", "http://mylocalhost/",
        "http://[::ffff:8.8.8.8]/", "http://internal.example.com/", "http://db/"}) {
    EXPECT_OK(CheckWebhookUrl(url, kPublicOnly)) << url;
  }
}

// The sender refuses these (services/webhooks/outbound_url_test.cc checks the same
// table at send): creation once answered 201 for the addresses and refused
// nothing the sender refuses since.
TEST(CheckWebhookUrlTest, SpecialUseLiteralsAreRejectedUnlessAllowed) {
  for (const char* url :
       {"http://100.64.0.1/",        "http://100.127.255.255/", "http://224.0.0.1/",
        "http://239.255.255.255/",   "http://240.0.0.1/",       "http://255.255.255.255/",
        "http://192.0.0.8/",         "http://192.0.2.1/",       "http://192.88.99.1/",
        "http://198.18.0.1/",        "http://198.19.255.255/",  "http://198.51.100.7/",
        "http://203.0.113.9/",       "http://1681915905/",      "http://[64:ff9b::7f00:1]/",
        "http://[64:ff9b:1::1]/",    "http://[100::1]/",        "http://[2001::1]/",
        "http://[2001:2::1]/",       "http://[2001:db8::1]/",   "http://[2002:a00:1::]/",
        "http://[fec0::1]/",         "http://[ff02::1]/",       "http://[::ffff:100.64.0.1]/",
        "http://[::ffff:0:8.8.8.8]/"}) {
    EXPECT_EQ(UrlField(url, kPublicOnly), "url") << url;
    EXPECT_OK(CheckWebhookUrl(url, kAllowPrivate)) << url;
  }
}

TEST(CheckWebhookUrlTest, UnderscoreHostIsRejectedEvenWhenPrivateIsAllowed) {
  for (const char* url : {"https://exa_mple.com/", "https://_hooks.example.com/in"}) {
    EXPECT_EQ(UrlField(url, kPublicOnly), "url") << url;
    EXPECT_EQ(UrlField(url, kAllowPrivate), "url") << url;
  }
}

// Creation and sending read a URL with the same parser: whatever creation
// accepts, the sender (ParseOutboundUrl, services/webhooks/webhook_sender.cc)
// parses to the same target, however the URL is spelled.
TEST(CheckWebhookUrlTest, EveryUrlAcceptedAtCreationParsesTheSameAtSend) {
  const struct {
    const char* url;
    bool accepted;  // at creation, private destinations not allowed
  } cases[] = {
      {"HTTPS://Example.COM/hook", true},
      {"https://example.com.", true},
      {"https://example.com:443", true},
      {"https://example.com:8443/a?b=c", true},
      {"http://example.com?x=1", true},
      {"https://xn--bcher-kva.example/in", true},
      {"https://a-b.example.com/p;q=1/%7Euser", true},
      {"http://8.8.8.8/", true},
      {"http://8.8.8.8:80/", true},
      {"https://[2606:4700::1111]/", true},
      {"https://[2606:4700::1111]:8443/x", true},
      {"http://100.64.0.1/", false},
      {"http://224.0.0.1/", false},
      {"http://240.0.0.1/", false},
      {"http://127.1/", false},
      {"http://2130706433/", false},
      {"http://0x7f.1/", false},
      {"http://0177.0.0.1/", false},
      {"http://localhost./", false},
      {"http://api.localhost/", false},
      {"http://[::ffff:127.0.0.1]/", false},
      {"https://exa_mple.com/", false},
      {"https://example..com/", false},
      {"https://.example.com/", false},
      {"https://ex%61mple.com/", false},
      {"https://caf\xC3\xA9.example/", false},
      {"https://user@example.com/", false},
      {"https://example.com\\@evil.example/", false},
      {"https://example.com:0/", false},
      {"https://example.com:65536/", false},
      {"https://example.com:/", false},
      {"https://example.com:+443/", false},
      {"https://exam ple.com/", false},
      {"https://example.com/#fragment", false},
      {"https://[fe80::1%25eth0]/", false},
      {"https://[::1/", false},
      {"ftp://example.com/", false},
      {"//example.com/", false},
      {"example.com", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CheckWebhookUrl(c.url, kPublicOnly).ok(), c.accepted) << c.url;
    for (bool allow_private : {kPublicOnly, kAllowPrivate}) {
      absl::StatusOr<OutboundTarget> created = CheckOutboundUrl(c.url, allow_private);
      EXPECT_EQ(created.ok(), CheckWebhookUrl(c.url, allow_private).ok()) << c.url;
      if (!created.ok()) {
        EXPECT_EQ(ApiErrorField(created.status()), "url") << c.url;
        continue;
      }
      absl::StatusOr<OutboundTarget> sent = ParseOutboundUrl(c.url);
      ASSERT_OK(sent) << c.url << ": " << sent.status();
      EXPECT_EQ(sent->scheme, created->scheme) << c.url;
      EXPECT_EQ(sent->host, created->host) << c.url;
      EXPECT_EQ(sent->port, created->port) << c.url;
      EXPECT_EQ(sent->path_and_query, created->path_and_query) << c.url;
    }
  }
}

TEST(ValidateCreateWebhookTest, EventsAreRequiredAndKnown) {
  EXPECT_OK(ValidateCreateWebhook(Create("https://example.com", {"referral.lead"}), kPublicOnly));
  EXPECT_OK(ValidateCreateWebhook(
      Create("https://example.com", {"referral.lead", "transaction.created", "referral.lead"}),
      kPublicOnly));
  // Every event the service writes can be subscribed to.
  EXPECT_OK(ValidateCreateWebhook(
      Create("https://example.com",
             {"referral.updated", "referral.converted", "referral.deleted", "transaction.updated",
              "transaction.approved", "transaction.paid", "transaction.rejected",
              "transaction.deleted"}),
      kPublicOnly));
  for (const std::vector<std::string>& events :
       std::vector<std::vector<std::string>>{{},
                                             {"referral.created"},
                                             {"referral.lead", ""},
                                             {"Referral.Lead"},
                                             {"referral.lead,transaction.created"},
                                             {"*"}}) {
    absl::Status status = ValidateCreateWebhook(Create("https://example.com", events), kPublicOnly);
    EXPECT_EQ(ApiErrorField(status), "events") << events.size();
    EXPECT_EQ(ApiErrorCode(status), "VALIDATION_ERROR");
  }
}

TEST(ValidateCreateWebhookTest, UrlIsRequiredAndDescriptionBounded) {
  EXPECT_EQ(ApiErrorField(ValidateCreateWebhook(Create("", {"referral.lead"}), kPublicOnly)),
            "url");
  EXPECT_EQ(ApiErrorField(ValidateCreateWebhook(Create("http://127.0.0.1:9000/", {"referral.lead"}),
                                                kPublicOnly)),
            "url");
  EXPECT_OK(
      ValidateCreateWebhook(Create("http://127.0.0.1:9000/", {"referral.lead"}), kAllowPrivate));
  CreateWebhookRequest request = Create("https://example.com", {"referral.lead"});
  request.set_description(std::string(500, 'd'));
  EXPECT_OK(ValidateCreateWebhook(request, kPublicOnly));
  request.set_description(std::string(501, 'd'));
  EXPECT_EQ(ApiErrorField(ValidateCreateWebhook(request, kPublicOnly)), "description");
}

TEST(ValidateUpdateWebhookTest, OnlyPresentFieldsAreChecked) {
  UpdateWebhookRequest request;
  request.set_id("whk_1");
  EXPECT_OK(ValidateUpdateWebhook(request, kPublicOnly));  // empty events = unchanged
  request.set_enabled(false);
  EXPECT_OK(ValidateUpdateWebhook(request, kPublicOnly));

  UpdateWebhookRequest url = request;
  url.set_url("");
  EXPECT_EQ(ApiErrorField(ValidateUpdateWebhook(url, kPublicOnly)), "url");
  url.set_url("gopher://example.com");
  EXPECT_EQ(ApiErrorField(ValidateUpdateWebhook(url, kPublicOnly)), "url");
  url.set_url("http://192.168.0.10/hook");
  EXPECT_EQ(ApiErrorField(ValidateUpdateWebhook(url, kPublicOnly)), "url");
  EXPECT_OK(ValidateUpdateWebhook(url, kAllowPrivate));

  UpdateWebhookRequest events = request;
  events.add_events("transaction.created");
  EXPECT_OK(ValidateUpdateWebhook(events, kPublicOnly));
  events.add_events("nope");
  EXPECT_EQ(ApiErrorField(ValidateUpdateWebhook(events, kPublicOnly)), "events");

  UpdateWebhookRequest description = request;
  description.set_description("");
  EXPECT_OK(ValidateUpdateWebhook(description, kPublicOnly));
  description.set_description(std::string(501, 'd'));
  EXPECT_EQ(ApiErrorField(ValidateUpdateWebhook(description, kPublicOnly)), "description");
}

TEST(ValidateListWebhookDeliveriesTest, LimitCursorsAndOrder) {
  ListWebhookDeliveriesRequest request;
  request.set_webhook_id("whk_1");
  EXPECT_OK(ValidateListWebhookDeliveries(request));
  request.set_limit(100);
  EXPECT_OK(ValidateListWebhookDeliveries(request));
  request.set_limit(101);
  EXPECT_EQ(ApiErrorField(ValidateListWebhookDeliveries(request)), "limit");
  request.set_limit(-1);
  EXPECT_EQ(ApiErrorField(ValidateListWebhookDeliveries(request)), "limit");
  request.set_limit(0);

  ListWebhookDeliveriesRequest cursors = request;
  cursors.set_starting_after("wha_abc");
  EXPECT_OK(ValidateListWebhookDeliveries(cursors));
  cursors.set_ending_before("wha_def");
  EXPECT_EQ(ApiErrorField(ValidateListWebhookDeliveries(cursors)), "ending_before");
  cursors.clear_ending_before();
  cursors.set_starting_after("ref_abc");
  EXPECT_EQ(ApiErrorField(ValidateListWebhookDeliveries(cursors)), "starting_after");
  cursors.clear_starting_after();
  cursors.set_ending_before("' OR 1=1");
  EXPECT_EQ(ApiErrorField(ValidateListWebhookDeliveries(cursors)), "ending_before");

  ListWebhookDeliveriesRequest order = request;
  order.set_order(static_cast<affonso::v1::ListOrder>(42));
  EXPECT_EQ(ApiErrorField(ValidateListWebhookDeliveries(order)), "order");
}

TEST(ParseListWebhooksTest, DefaultsAndBounds) {
  affonso::v1::ListWebhooksRequest request;
  auto query = ParseListWebhooks(request);
  ASSERT_OK(query);
  EXPECT_EQ(query->page, 1);
  EXPECT_EQ(query->limit, 10);
  request.set_page(-1);
  EXPECT_EQ(ApiErrorField(ParseListWebhooks(request).status()), "page");
  request.set_page(3);
  request.set_limit(101);
  EXPECT_EQ(ApiErrorField(ParseListWebhooks(request).status()), "limit");
  request.set_limit(100);
  query = ParseListWebhooks(request);
  ASSERT_OK(query);
  EXPECT_EQ(query->page, 3);
  EXPECT_EQ(query->limit, 100);
}

// Records what reaches it; answers as a store that keeps the secret on every
// endpoint would, so the service's own clearing is what is tested.
class FakeWebhookStore : public storage::WebhookStore {
 public:
  absl::StatusOr<WebhookEndpoint> CreateWebhook(absl::string_view team_id,
                                                const CreateWebhookRequest& request) override {
    ++calls;
    last_team = std::string(team_id);
    WebhookEndpoint webhook = Stored();
    webhook.set_url(request.url());
    webhook.mutable_events()->CopyFrom(request.events());
    return webhook;
  }
  absl::StatusOr<WebhookEndpoint> GetWebhook(absl::string_view team_id,
                                             absl::string_view id) override {
    ++calls;
    if (id != "whk_known") return NotFoundError("webhook");
    return Stored();
  }
  absl::StatusOr<storage::WebhookPage> ListWebhooks(
      absl::string_view, const storage::WebhookListQuery& query) override {
    ++calls;
    last_query = query;
    storage::WebhookPage page;
    page.webhooks = {Stored(), Stored()};
    page.total = 12;
    return page;
  }
  absl::StatusOr<WebhookEndpoint> UpdateWebhook(absl::string_view,
                                                const UpdateWebhookRequest& request) override {
    ++calls;
    last_update = request;
    return Stored();
  }
  absl::Status DeleteWebhook(absl::string_view, absl::string_view id) override {
    ++calls;
    return id == "whk_known" ? absl::OkStatus() : NotFoundError("webhook");
  }
  absl::StatusOr<affonso::v1::ListWebhookDeliveriesResponse> ListWebhookDeliveries(
      absl::string_view, const ListWebhookDeliveriesRequest&) override {
    ++calls;
    return affonso::v1::ListWebhookDeliveriesResponse();
  }
  absl::StatusOr<affonso::v1::RedeliverEventResponse> RedeliverEvent(
      absl::string_view, absl::string_view webhook_id, absl::string_view event_id) override {
    ++calls;
    affonso::v1::RedeliverEventResponse response;
    response.set_webhook_id(std::string(webhook_id));
    response.set_event_id(std::string(event_id));
    response.set_queued(true);
    return response;
  }

  static WebhookEndpoint Stored() {
    WebhookEndpoint webhook;
    webhook.set_id("whk_known");
    webhook.set_url("https://example.com/hook");
    webhook.add_events("referral.lead");
    webhook.set_enabled(true);
    webhook.set_secret("whsec_c2VjcmV0");
    return webhook;
  }

  int calls = 0;
  std::string last_team;
  storage::WebhookListQuery last_query;
  UpdateWebhookRequest last_update;
};

class WebhookServiceTest : public ::testing::Test {
 protected:
  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }
  std::string Header(const std::string& key) { return testing::ServerMetadata(*context_, key); }
  grpc::ClientContext* Fresh() {
    context_ = testing::ContextWithAuth();
    return context_.get();
  }

  testing::FakeAuthenticator authenticator_;
  FakeWebhookStore store_;
  WebhookServiceImpl service_{&authenticator_, &store_, /*allow_private_destinations=*/false};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::WebhookService::Stub> stub_ =
      affonso::v1::WebhookService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(WebhookServiceTest, CreateIs201WithTheSecretAndDeduplicatedEvents) {
  WebhookEndpoint created;
  ASSERT_OK(
      stub_->CreateWebhook(Fresh(),
                           Create("https://example.com/hook",
                                  {"transaction.created", "referral.lead", "transaction.created"}),
                           &created));
  EXPECT_EQ(Header("x-http-code"), "201");
  EXPECT_EQ(store_.last_team, "team_a");
  EXPECT_EQ(created.secret(), "whsec_c2VjcmV0");
  ASSERT_EQ(created.events_size(), 2);
  EXPECT_EQ(created.events(0), "transaction.created");
  EXPECT_EQ(created.events(1), "referral.lead");
}

TEST_F(WebhookServiceTest, InvalidCreateNeverReachesTheStore) {
  WebhookEndpoint created;
  grpc::Status status =
      stub_->CreateWebhook(Fresh(), Create("http://10.0.0.1/", {"referral.lead"}), &created);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer("x-error-code"), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer("x-error-field"), "url");
  status = stub_->CreateWebhook(Fresh(), Create("https://example.com", {"nope"}), &created);
  EXPECT_EQ(Trailer("x-error-field"), "events");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(WebhookServiceTest, DriftUrlsAreRefusedOnCreateAndUpdate) {
  for (const char* url : {"https://exa_mple.com/hook", "http://100.64.0.1/", "http://224.0.0.1/",
                          "http://240.0.0.1/"}) {
    WebhookEndpoint created;
    grpc::Status status = stub_->CreateWebhook(Fresh(), Create(url, {"referral.lead"}), &created);
    EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT)) << url;
    EXPECT_EQ(Trailer("x-error-field"), "url") << url;

    UpdateWebhookRequest update;
    update.set_id("whk_known");
    update.set_url(url);
    WebhookEndpoint updated;
    status = stub_->UpdateWebhook(Fresh(), update, &updated);
    EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT)) << url;
    EXPECT_EQ(Trailer("x-error-field"), "url") << url;
  }
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(WebhookServiceTest, PrivateDestinationsPassWhenAllowed) {
  WebhookServiceImpl permissive{&authenticator_, &store_, /*allow_private_destinations=*/true};
  testing::InProcessServer server{{&permissive}};
  auto stub = affonso::v1::WebhookService::NewStub(server.channel());
  WebhookEndpoint created;
  EXPECT_OK(
      stub->CreateWebhook(Fresh(), Create("http://127.0.0.1:9000/", {"referral.lead"}), &created));
}

TEST_F(WebhookServiceTest, SecretIsNeverReturnedOutsideCreate) {
  affonso::v1::GetWebhookRequest get;
  get.set_id("whk_known");
  WebhookEndpoint got;
  ASSERT_OK(stub_->GetWebhook(Fresh(), get, &got));
  EXPECT_EQ(got.id(), "whk_known");
  EXPECT_TRUE(got.secret().empty());

  affonso::v1::ListWebhooksResponse list;
  affonso::v1::ListWebhooksRequest list_request;
  list_request.set_page(2);
  list_request.set_limit(5);
  ASSERT_OK(stub_->ListWebhooks(Fresh(), list_request, &list));
  ASSERT_EQ(list.data_size(), 2);
  for (const WebhookEndpoint& webhook : list.data()) EXPECT_TRUE(webhook.secret().empty());
  EXPECT_EQ(store_.last_query.page, 2);
  EXPECT_EQ(list.pagination().total(), 12);
  EXPECT_EQ(list.pagination().total_pages(), 3);
  EXPECT_TRUE(list.pagination().has_next_page());
  EXPECT_TRUE(list.pagination().has_prev_page());

  UpdateWebhookRequest update;
  update.set_id("whk_known");
  update.add_events("referral.lead");
  update.add_events("referral.lead");
  WebhookEndpoint updated;
  ASSERT_OK(stub_->UpdateWebhook(Fresh(), update, &updated));
  EXPECT_TRUE(updated.secret().empty());
  EXPECT_EQ(store_.last_update.events_size(), 1);
}

TEST_F(WebhookServiceTest, IdsThatAreNotOursAreNotFoundWithoutAQuery) {
  affonso::v1::GetWebhookRequest get;
  get.set_id("aff_123");
  WebhookEndpoint got;
  EXPECT_THAT(stub_->GetWebhook(Fresh(), get, &got), StatusIs(grpc::StatusCode::NOT_FOUND));
  affonso::v1::DeleteWebhookRequest remove;
  remove.set_id("whk_x' OR 1=1");
  affonso::v1::DeleteWebhookResponse removed;
  EXPECT_THAT(stub_->DeleteWebhook(Fresh(), remove, &removed),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  affonso::v1::RedeliverEventRequest redeliver;
  redeliver.set_webhook_id("whk_known");
  redeliver.set_event_id("ref_1");
  affonso::v1::RedeliverEventResponse redelivered;
  EXPECT_THAT(stub_->RedeliverEvent(Fresh(), redeliver, &redelivered),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer("x-error-code"), "NOT_FOUND");
  ListWebhookDeliveriesRequest deliveries;
  deliveries.set_webhook_id("nope");
  affonso::v1::ListWebhookDeliveriesResponse listed;
  EXPECT_THAT(stub_->ListWebhookDeliveries(Fresh(), deliveries, &listed),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(WebhookServiceTest, DeleteAndRedeliverAnswerTheContract) {
  affonso::v1::DeleteWebhookRequest remove;
  remove.set_id("whk_known");
  affonso::v1::DeleteWebhookResponse removed;
  ASSERT_OK(stub_->DeleteWebhook(Fresh(), remove, &removed));
  EXPECT_EQ(removed.id(), "whk_known");
  EXPECT_TRUE(removed.deleted());

  affonso::v1::RedeliverEventRequest redeliver;
  redeliver.set_webhook_id("whk_known");
  redeliver.set_event_id("evt_1");
  affonso::v1::RedeliverEventResponse redelivered;
  ASSERT_OK(stub_->RedeliverEvent(Fresh(), redeliver, &redelivered));
  EXPECT_TRUE(redelivered.queued());
  EXPECT_EQ(redelivered.event_id(), "evt_1");
}

TEST_F(WebhookServiceTest, MissingKeyIsUnauthenticated) {
  context_ = testing::ContextWithAuth("");
  affonso::v1::ListWebhooksResponse list;
  EXPECT_THAT(stub_->ListWebhooks(context_.get(), {}, &list),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer("x-error-code"), "MISSING_API_KEY");
  EXPECT_EQ(store_.calls, 0);
}

}  // namespace
}  // namespace affonso::services
