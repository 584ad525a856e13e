#include "services/call/admission_executor.h"

#include <pthread.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

std::string ThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

TEST(AdmissionExecutorTest, RunsTasksOnItsOwnNamedThreadsInOrder) {
  AdmissionExecutor executor({1, 8});
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<std::string> threads;
  absl::Notification done;
  for (int i = 0; i < 3; ++i) {
    executor.Submit([&, i](bool queued) {
      EXPECT_TRUE(queued);
      absl::MutexLock lock(&mu);
      order.push_back(i);
      threads.push_back(ThreadName());
      if (i == 2) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(threads, std::vector<std::string>(3, "affonso-admit"));
}

TEST(AdmissionExecutorTest, FullQueueRefusesAtOnceOnTheCallersThread) {
  AdmissionExecutor executor({1, 1});
  absl::Notification running, release;
  executor.Submit([&](bool) {
    running.Notify();
    release.WaitForNotification();
  });
  ASSERT_TRUE(running.WaitForNotificationWithTimeout(absl::Seconds(5)));
  std::atomic<int> queued_ran{0};
  executor.Submit([&](bool queued) { queued_ran = queued ? 1 : -1; });
  EXPECT_EQ(executor.queued(), 1);
  bool refused = false;
  std::string refused_on;
  executor.Submit([&](bool queued) {
    refused = !queued;
    refused_on = ThreadName();
  });
  EXPECT_TRUE(refused);  // ran before Submit returned
  EXPECT_NE(refused_on, "affonso-admit");
  release.Notify();
  executor.Shutdown();
  EXPECT_EQ(queued_ran.load(), 1);
}

TEST(AdmissionExecutorTest, ShutdownRunsWhatIsQueuedAndRefusesTheRest) {
  AdmissionExecutor executor({2, 16});
  absl::Notification release;
  std::atomic<int> ran{0};
  for (int i = 0; i < 2; ++i) executor.Submit([&](bool) { release.WaitForNotification(); });
  for (int i = 0; i < 5; ++i) {
    executor.Submit([&](bool queued) {
      if (queued) ++ran;
    });
  }
  std::thread stopper([&] { executor.Shutdown(); });
  absl::SleepFor(absl::Milliseconds(20));
  release.Notify();
  stopper.join();
  EXPECT_EQ(ran.load(), 5);
  bool refused = false;
  executor.Submit([&](bool queued) { refused = !queued; });
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace affonso::services
