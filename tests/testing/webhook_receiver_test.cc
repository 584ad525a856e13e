#include "tests/testing/webhook_receiver.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/http_client.h"

namespace affonso::tests {
namespace {

class WebhookReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(receiver_, WebhookReceiver::Start()); }
  HttpResult Post(const std::string& target, const std::string& id) {
    return Http(
        receiver_->port(), "POST", target, R"({"type":"referral.lead"})",
        {{"webhook-id", id}, {"webhook-timestamp", "1700000000"}, {"webhook-signature", "v1,abc"}});
  }

  std::unique_ptr<WebhookReceiver> receiver_;
};

TEST_F(WebhookReceiverTest, RecordsEachDeliveryAndAnswers200) {
  EXPECT_TRUE(absl::StartsWith(receiver_->Url(), "http://127.0.0.1:"));
  EXPECT_TRUE(absl::EndsWith(receiver_->Url(), "/hooks"));
  HttpResult result = Post("/hooks", "evt_1");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "{}");
  Post("/other/hooks", "evt_2");
  Post("/hooks", "evt_1");
  ASSERT_EQ(receiver_->count(), 3u);
  WebhookReceiver::Delivery first = receiver_->deliveries()[0];
  EXPECT_EQ(first.event_id, "evt_1");
  EXPECT_EQ(first.timestamp, "1700000000");
  EXPECT_EQ(first.signature, "v1,abc");
  EXPECT_EQ(first.target, "/hooks");
  EXPECT_EQ(first.body, R"({"type":"referral.lead"})");
  EXPECT_EQ(receiver_->event_ids(), (std::vector<std::string>{"evt_1", "evt_2", "evt_1"}));
  EXPECT_EQ(receiver_->CountUnder("/other"), 1u);
  EXPECT_TRUE(receiver_->WaitForDistinct(2, absl::ZeroDuration()));
  EXPECT_FALSE(receiver_->WaitForDistinct(3, absl::Milliseconds(10)));
  EXPECT_EQ(receiver_->max_open(), 1);
}

TEST_F(WebhookReceiverTest, ScriptedStatusesComeFirstThen200) {
  receiver_->Script({{500, ""}, {429, "120"}});
  EXPECT_EQ(Post("/hooks", "evt_1").status, 500);
  HttpResult limited = Post("/hooks", "evt_1");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers["retry-after"], "120");
  EXPECT_EQ(Post("/hooks", "evt_1").status, 200);
}

TEST_F(WebhookReceiverTest, CannedAnswersByPrefixAfterTheirDelay) {
  receiver_->Script({{500, ""}});
  receiver_->Answer("/gone", 410, "bye");
  receiver_->Answer("/slow", 200, "late", absl::Milliseconds(200));
  HttpResult gone = Post("/gone/1", "evt_1");
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(gone.body, "bye");
  const absl::Time start = absl::Now();
  HttpResult slow = Post("/slow", "evt_2");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_EQ(slow.body, "late");
  EXPECT_EQ(Post("/hooks", "evt_3").status, 500);  // the script was left for others
}

}  // namespace
}  // namespace affonso::tests
