#include "services/lifecycle/periodic_worker.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

TEST(PeriodicWorkerTest, RunsAtOnceThenEveryIntervalUntilStopped) {
  std::atomic<int> runs{0};
  PeriodicWorker worker("test", absl::Milliseconds(20),
                        [&](const std::function<bool()>&) { runs.fetch_add(1); });
  worker.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (runs.load() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  worker.Stop();
  const int stopped_at = runs.load();
  EXPECT_GE(stopped_at, 3);
  absl::SleepFor(absl::Milliseconds(60));
  EXPECT_EQ(runs.load(), stopped_at) << "no run after Stop";
}

TEST(PeriodicWorkerTest, StopEndsALongRunBetweenItsSteps) {
  absl::Notification started;
  std::atomic<int> steps{0};
  PeriodicWorker worker("test", absl::Hours(1), [&](const std::function<bool()>& keep_going) {
    started.Notify();
    do {
      steps.fetch_add(1);
      absl::SleepFor(absl::Milliseconds(1));
    } while (keep_going());
  });
  worker.Start();
  started.WaitForNotification();
  const absl::Time before = absl::Now();
  worker.Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
  EXPECT_GE(steps.load(), 1);
}

}  // namespace
}  // namespace affonso::services
