// kill -9 of a real dispatcher process mid-delivery: the delivery is not lost.
// The receiver holds the first request open (the dispatcher is mid-flight),
// the test SIGKILLs that process and starts another, which sends the same
// event again once the lease runs out.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "gateway/http/http_server.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::tests {
namespace {

// Never answers the first request; answers 200 to the others.
class HoldingReceiver : public gateway::HttpHandler {
 public:
  void Handle(gateway::HttpRequest request,
              std::function<void(gateway::HttpResponse)> respond) override {
    absl::MutexLock lock(&mu_);
    event_ids_.push_back(request.Header("webhook-id"));
    if (event_ids_.size() == 1) {
      held_ = std::move(respond);  // the first dispatcher dies waiting
      return;
    }
    respond(gateway::HttpResponse{});
  }
  std::vector<std::string> event_ids() {
    absl::MutexLock lock(&mu_);
    return event_ids_;
  }
  bool WaitFor(size_t count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return event_ids_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> event_ids_;
  std::function<void(gateway::HttpResponse)> held_;
};

pid_t StartDispatcher(const std::string& database_url) {
  const std::string binary =
      absl::StrCat(std::getenv("TEST_SRCDIR"), "/affonso/services/server/affonso_server");
  pid_t pid = fork();
  if (pid == 0) {
    execl(binary.c_str(), binary.c_str(), "--role=dispatcher", "--grpc_port=0", "--metrics_port=0",
          ("--database_url=" + database_url).c_str(), "--webhook_allow_private",
          "--webhook_timeout_ms=5000", "--webhook_lease_ms=10000", "--log_level=warning",
          "--shutdown_drain_delay_ms=0", static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

class WebhookCrashTest : public storage::testing::TwoTenantTest {};

TEST_F(WebhookCrashTest, KilledDispatcherLosesNothing) {
  HoldingReceiver receiver;
  gateway::HttpServerOptions http;
  http.address = "127.0.0.1";
  http.port = 0;
  auto server = gateway::HttpServer::Start(http, &receiver);
  ASSERT_OK(server);
  db_->QueryValue(absl::StrCat(
      "INSERT INTO webhook_endpoints (id, team_id, url, events, secret) VALUES ('whk_crash', '",
      a_.team_id, "', 'http://127.0.0.1:", (*server)->port(),
      "/hooks', '{referral.lead}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')"));
  const std::string event = NewId("evt");
  db_->QueryValue(absl::StrCat("INSERT INTO outbox_events (id, team_id, type, payload) VALUES ('",
                               event, "', '", a_.team_id, "', 'referral.lead', '{}')"));

  const pid_t first = StartDispatcher(db_->url());
  ASSERT_GT(first, 0);
  ASSERT_TRUE(receiver.WaitFor(1, absl::Seconds(20))) << "first dispatcher never sent";
  kill(first, SIGKILL);  // mid-flight: the receiver holds its request
  waitpid(first, nullptr, 0);
  EXPECT_EQ(db_->QueryValue("SELECT status FROM webhook_deliveries"), "pending");

  const pid_t second = StartDispatcher(db_->url());
  ASSERT_GT(second, 0);
  // The lease (10 s, from the first claim) has to run out first.
  const bool resent = receiver.WaitFor(2, absl::Seconds(30));
  absl::SleepFor(absl::Milliseconds(500));  // let it record the attempt
  kill(second, SIGTERM);
  waitpid(second, nullptr, 0);
  ASSERT_TRUE(resent) << "the delivery was lost";
  auto seen = receiver.event_ids();
  EXPECT_EQ(seen[0], event);
  EXPECT_EQ(seen[1], event);  // the same event id: receivers deduplicate on it
  EXPECT_EQ(db_->QueryValue("SELECT status || attempts FROM webhook_deliveries"), "succeeded2");
  (*server)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace affonso::tests
