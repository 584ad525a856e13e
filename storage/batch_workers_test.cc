#include "storage/batch_workers.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

struct Item {
  int value;
  absl::Status* answer;
  absl::Notification* answered;
};

void Answer(Item& item, const absl::Status& status) {
  *item.answer = status;
  item.answered->Notify();
}

// Batches of a held first item pile up the rest, so the second batch holds
// everything queued meanwhile (up to max_batch).
TEST(BatchWorkersTest, TakesWhatIsQueuedUpToMaxBatchAndAnswersEveryItem) {
  metrics::Registry registry;
  absl::Notification release;
  absl::Mutex mu;
  std::vector<size_t> sizes;
  BatchOptions options;
  options.workers = 1;
  options.max_batch = 4;
  options.batch_sizes = BatchSizeHistogram(&registry, "test_batch_size", "Batch sizes.");
  constexpr int kItems = 9;
  std::vector<absl::Status> answers(kItems, absl::UnknownError("unanswered"));
  std::vector<absl::Notification> answered(kItems);
  {
    BatchWorkers<Item> workers(
        options,
        [&](absl::Span<Item> batch) {
          if (batch[0].value == 0) release.WaitForNotification();
          {
            absl::MutexLock lock(&mu);
            sizes.push_back(batch.size());
          }
          for (Item& item : batch) Answer(item, absl::OkStatus());
          return absl::OkStatus();
        },
        Answer);
    workers.Add(Item{0, &answers[0], &answered[0]});
    // The one worker is held in the first batch: the rest queue.
    for (int i = 1; i < kItems; ++i) workers.Add(Item{i, &answers[i], &answered[i]});
    release.Notify();
    for (auto& done : answered) done.WaitForNotification();
  }
  for (const absl::Status& answer : answers) EXPECT_OK(answer);
  size_t total = 0;
  for (size_t size : sizes) {
    EXPECT_LE(size, 4u);
    total += size;
  }
  EXPECT_EQ(total, static_cast<size_t>(kItems));
  EXPECT_GE(sizes.size(), 3u);  // 9 items, at most 4 a batch
  const metrics::Histogram::Snapshot snapshot = options.batch_sizes->Read();
  EXPECT_EQ(snapshot.count, sizes.size());
  EXPECT_EQ(snapshot.sum, kItems);
}

// A stalled database must not grow the queue without end: past max_queued
// waiting items, Add answers at once, UNAVAILABLE, and runs nothing.
TEST(BatchWorkersTest, AFullQueueRefusesAtOnceAndRunsNothingOfIt) {
  absl::Notification running, release;
  absl::Mutex mu;
  std::vector<int> ran;
  BatchOptions options;
  options.workers = 1;
  options.max_batch = 64;
  options.max_queued = 3;
  constexpr int kItems = 6;  // 1 running, 3 waiting, 2 refused
  std::vector<absl::Status> answers(kItems, absl::UnknownError("unanswered"));
  std::vector<absl::Notification> answered(kItems);
  {
    BatchWorkers<Item> workers(
        options,
        [&](absl::Span<Item> batch) {
          if (batch[0].value == 0) {
            running.Notify();
            release.WaitForNotification();
          }
          for (Item& item : batch) {
            {
              absl::MutexLock lock(&mu);
              ran.push_back(item.value);
            }
            Answer(item, absl::OkStatus());
          }
          return absl::OkStatus();
        },
        Answer);
    workers.Add(Item{0, &answers[0], &answered[0]});
    running.WaitForNotification();
    for (int i = 1; i < kItems; ++i) workers.Add(Item{i, &answers[i], &answered[i]});
    // Refused on this thread, before the held batch ends.
    for (int i : {4, 5}) {
      EXPECT_TRUE(answered[i].HasBeenNotified()) << i;
      EXPECT_THAT(answers[i], StatusIs(absl::StatusCode::kUnavailable)) << i;
    }
    release.Notify();
    for (auto& done : answered) done.WaitForNotification();
  }
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(answers[i].ok()) << i;
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3}));
}

TEST(BatchWorkersTest, ARowSpecificFailureIsRetriedRowByRow) {
  BatchOptions options;
  options.workers = 1;
  options.max_batch = 8;
  absl::Notification held, release;
  std::vector<size_t> sizes;
  constexpr int kItems = 4;
  std::vector<absl::Status> answers(kItems + 1, absl::UnknownError("unanswered"));
  std::vector<absl::Notification> answered(kItems + 1);
  {
    BatchWorkers<Item> workers(
        options,
        [&](absl::Span<Item> batch) -> absl::Status {
          if (batch[0].value == -1) {
            held.Notify();
            release.WaitForNotification();
            Answer(batch[0], absl::OkStatus());
            return absl::OkStatus();
          }
          sizes.push_back(batch.size());
          // Item 2 holds a value a constraint refuses: the whole batch rolls back.
          for (const Item& item : batch) {
            if (item.value == 2) {
              return absl::FailedPreconditionError(
                  "the request holds a value that cannot be "
                  "stored");
            }
          }
          for (Item& item : batch) Answer(item, absl::OkStatus());
          return absl::OkStatus();
        },
        Answer);
    workers.Add(Item{-1, &answers[kItems], &answered[kItems]});
    held.WaitForNotification();  // the one worker is busy: the rest make one batch
    for (int i = 0; i < kItems; ++i) workers.Add(Item{i, &answers[i], &answered[i]});
    release.Notify();
    for (auto& done : answered) done.WaitForNotification();
  }
  EXPECT_OK(answers[0]);
  EXPECT_OK(answers[1]);
  EXPECT_THAT(answers[2], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(answers[3]);
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 1, 1, 1, 1}));
}

TEST(BatchWorkersTest, ABatchWideFailureFailsEveryItemOnce) {
  BatchOptions options;
  options.workers = 1;
  absl::Notification held, release;
  int runs = 0;
  constexpr int kItems = 3;
  std::vector<absl::Status> answers(kItems + 1, absl::UnknownError("unanswered"));
  std::vector<absl::Notification> answered(kItems + 1);
  {
    BatchWorkers<Item> workers(
        options,
        [&](absl::Span<Item> batch) -> absl::Status {
          if (batch[0].value == -1) {
            held.Notify();
            release.WaitForNotification();
            Answer(batch[0], absl::OkStatus());
            return absl::OkStatus();
          }
          ++runs;
          return absl::UnavailableError("database unavailable");
        },
        Answer);
    workers.Add(Item{-1, &answers[kItems], &answered[kItems]});
    held.WaitForNotification();  // the one worker is busy: the rest make one batch
    for (int i = 0; i < kItems; ++i) workers.Add(Item{i, &answers[i], &answered[i]});
    release.Notify();
    for (auto& done : answered) done.WaitForNotification();
  }
  for (int i = 0; i < kItems; ++i) {
    EXPECT_THAT(answers[i], StatusIs(absl::StatusCode::kUnavailable)) << i;
  }
  EXPECT_EQ(runs, 1);  // not rerun row by row: it would only fail again
}

TEST(BatchWorkersTest, DestructionAnswersEverythingQueued) {
  constexpr int kItems = 50;
  std::vector<absl::Status> answers(kItems, absl::UnknownError("unanswered"));
  std::vector<absl::Notification> answered(kItems);
  {
    BatchWorkers<Item> workers(
        BatchOptions{2, 3, nullptr},
        [](absl::Span<Item> batch) {
          for (Item& item : batch) Answer(item, absl::OkStatus());
          return absl::OkStatus();
        },
        Answer);
    for (int i = 0; i < kItems; ++i) workers.Add(Item{i, &answers[i], &answered[i]});
  }
  for (int i = 0; i < kItems; ++i) {
    EXPECT_TRUE(answered[i].HasBeenNotified()) << i;
    EXPECT_OK(answers[i]);
  }
}

TEST(BatchWorkersTest, RowSpecificFailures) {
  EXPECT_TRUE(IsRowSpecificFailure(absl::FailedPreconditionError("x")));
  EXPECT_TRUE(IsRowSpecificFailure(absl::AlreadyExistsError("x")));
  EXPECT_FALSE(IsRowSpecificFailure(absl::UnavailableError("x")));
  EXPECT_FALSE(IsRowSpecificFailure(absl::InternalError("x")));
  EXPECT_FALSE(IsRowSpecificFailure(absl::DeadlineExceededError("x")));
  EXPECT_FALSE(IsRowSpecificFailure(absl::OkStatus()));
}

}  // namespace
}  // namespace affonso::storage
