#include "tests/testing/webhook_receiver.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/ids.h"

namespace affonso::tests {

absl::StatusOr<std::unique_ptr<WebhookReceiver>> WebhookReceiver::Start() {
  std::unique_ptr<WebhookReceiver> receiver(new WebhookReceiver());
  gateway::HttpServerOptions http;
  http.address = "127.0.0.1";
  http.port = 0;
  auto server = gateway::HttpServer::Start(http, receiver.get());
  if (!server.ok()) return server.status();
  receiver->server_ = *std::move(server);
  return receiver;
}

WebhookReceiver::~WebhookReceiver() {
  Shutdown();
  std::vector<std::thread> responders;
  {
    absl::MutexLock lock(&mu_);
    responders.swap(responders_);
  }
  for (std::thread& thread : responders) thread.join();
}

std::string WebhookReceiver::Url(absl::string_view path) const {
  return absl::StrCat("http://127.0.0.1:", port(), path);
}

void WebhookReceiver::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  server_->Shutdown(absl::Seconds(1));
}

void WebhookReceiver::Script(std::vector<std::pair<int, std::string>> statuses) {
  absl::MutexLock lock(&mu_);
  script_ = std::move(statuses);
}

void WebhookReceiver::Answer(std::string prefix, int status, std::string body,
                             absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  answers_.push_back({std::move(prefix), status, std::move(body), delay});
}

std::vector<WebhookReceiver::Delivery> WebhookReceiver::deliveries() {
  absl::MutexLock lock(&mu_);
  return deliveries_;
}

std::vector<std::string> WebhookReceiver::event_ids() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  ids.reserve(deliveries_.size());
  for (const Delivery& delivery : deliveries_) ids.push_back(delivery.event_id);
  return ids;
}

size_t WebhookReceiver::count() {
  absl::MutexLock lock(&mu_);
  return deliveries_.size();
}

size_t WebhookReceiver::CountUnder(absl::string_view prefix) {
  absl::MutexLock lock(&mu_);
  return std::count_if(deliveries_.begin(), deliveries_.end(), [&](const Delivery& delivery) {
    return absl::StartsWith(delivery.target, prefix);
  });
}

int WebhookReceiver::max_open() {
  absl::MutexLock lock(&mu_);
  return max_open_;
}

int WebhookReceiver::max_open_per_target() {
  absl::MutexLock lock(&mu_);
  return max_open_per_target_;
}

bool WebhookReceiver::WaitForDistinct(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::set<std::string> ids;
    for (const Delivery& delivery : deliveries_) ids.insert(delivery.event_id);
    return ids.size() >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void WebhookReceiver::Handle(gateway::HttpRequest request,
                             std::function<void(gateway::HttpResponse)> respond) {
  gateway::HttpResponse response;
  response.body = "{}";
  absl::Duration delay;
  const std::string key = request.target + " " + request.Header("webhook-id");
  {
    absl::MutexLock lock(&mu_);
    deliveries_.push_back({request.Header("webhook-id"), request.Header("webhook-timestamp"),
                           request.Header("webhook-signature"),
                           request.Header("x-affonso-signature"), request.body, request.target,
                           absl::Now()});
    const int now_open = ++open_[key];
    max_open_ = std::max(max_open_, now_open);
    const int target_open = ++open_per_target_[request.target];
    max_open_per_target_ = std::max(max_open_per_target_, target_open);
    bool answered = false;
    for (const Canned& answer : answers_) {
      if (absl::StartsWith(request.target, answer.prefix)) {
        response.status = answer.status;
        response.body = answer.body;
        delay = answer.delay;
        answered = true;
        break;
      }
    }
    if (!answered && !script_.empty()) {
      response.status = script_.front().first;
      if (!script_.front().second.empty()) {
        response.headers.emplace_back("Retry-After", script_.front().second);
      }
      script_.erase(script_.begin());
    }
  }
  auto finish = [this, key, target = request.target, respond = std::move(respond),
                 response = std::move(response)] {
    {
      absl::MutexLock lock(&mu_);
      --open_[key];
      --open_per_target_[target];
    }
    respond(response);
  };
  if (delay <= absl::ZeroDuration()) {
    finish();
    return;
  }
  absl::MutexLock lock(&mu_);
  responders_.emplace_back([delay, finish = std::move(finish)] {
    absl::SleepFor(delay);
    finish();
  });
}

std::string InsertWebhookEndpoint(storage::testing::TestDatabase& db, absl::string_view team_id,
                                  absl::string_view url, absl::string_view events,
                                  absl::string_view secret, absl::string_view id) {
  const std::string endpoint_id = id.empty() ? NewId("whk") : std::string(id);
  db.QueryValue(absl::StrCat(
      "INSERT INTO webhook_endpoints (id, team_id, url, events, secret) VALUES ('", endpoint_id,
      "', '", team_id, "', '", url, "', '", events, "', '", secret, "')"));
  return endpoint_id;
}

}  // namespace affonso::tests
