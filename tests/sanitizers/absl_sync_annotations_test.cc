// Checks tests/sanitizers/absl_sync_annotations.cc under --config=tsan: data
// handed over through Abseil's (uninstrumented) locks is not reported, and a
// real race still is, also next to those locks. Skipped in other builds.

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace {

// Set by the BUILD rule in --config=tsan, which hides __SANITIZE_THREAD__
// from the headers (see .bazelrc).
#ifdef AFFONSO_TSAN
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif

// A TSan report ends the process with this status (halt_on_error=1, exitcode
// default).
constexpr int kTsanExitCode = 66;

TEST(AbslSyncAnnotationsTest, DataHandedOverThroughAbseilIsNoRace) {
  if (!kTsan) GTEST_SKIP() << "only meaningful under --config=tsan";
  absl::Mutex mu;
  int counter = 0;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        absl::MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter, 4000);

  // Await / LockWhen / CondVar / Notification hand-overs.
  bool ready = false;  // guarded by mu
  int payload = 0;     // written before `ready`, read after
  std::thread producer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    payload = 42;
    absl::MutexLock lock(&mu);
    ready = true;
  });
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(10));
  }
  EXPECT_EQ(payload, 42);
  producer.join();

  absl::CondVar cv;
  int turn = 0;  // guarded by mu
  std::thread other([&] {
    absl::MutexLock lock(&mu);
    while (turn != 1) cv.Wait(&mu);
    payload = 43;
    turn = 2;
    cv.Signal();
  });
  {
    absl::MutexLock lock(&mu);
    turn = 1;
    cv.Signal();
    while (turn != 2) cv.WaitWithTimeout(&mu, absl::Seconds(10));
    EXPECT_EQ(payload, 43);
  }
  other.join();

  absl::Notification done;
  std::thread notifier([&] {
    payload = 44;
    done.Notify();
  });
  done.WaitForNotification();
  EXPECT_EQ(payload, 44);
  notifier.join();
}

// The annotations must not hide races: a write outside the lock is still one.
TEST(AbslSyncAnnotationsDeathTest, UnguardedWriteIsStillReported) {
  if (!kTsan) GTEST_SKIP() << "only meaningful under --config=tsan";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        absl::Mutex mu;
        int shared = 0;
        std::thread a([&] {
          absl::MutexLock lock(&mu);
          shared = 1;
        });
        std::thread b([&] { shared = 2; });  // no lock
        a.join();
        b.join();
        std::exit(shared == 0 ? 1 : 0);
      },
      testing::ExitedWithCode(kTsanExitCode), "data race");
}

}  // namespace
