#ifndef AFFONSO_STORAGE_BATCH_WORKERS_H_
#define AFFONSO_STORAGE_BATCH_WORKERS_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/metrics.h"

namespace affonso::storage {

struct BatchOptions {
  // Batches in flight at once (each holds a pool connection): more overlap
  // round trips and commits, fewer make bigger batches.
  int workers = 2;
  int max_batch = 64;
  // Each batch's size is observed here (the retried rows of a failed batch
  // count as batches of one); null: not measured.
  metrics::Histogram* batch_sizes = nullptr;
  // Items waiting for a worker beyond which Add refuses at once (0: no
  // bound): a database that stalls must not let the queue grow without end.
  int max_queued = 4096;
};

// The histogram of batch sizes `name` in `registry` (buckets 1 to 256);
// null when `registry` is.
metrics::Histogram* BatchSizeHistogram(metrics::Registry* registry, const std::string& name,
                                       const std::string& help);

// A batching store's settings (PgSignupStore, PgClickStore, PgTrackingStore):
// its BatchWorkers' workers and batch size, and where its batch sizes are
// counted.
struct BatchStoreOptions {
  // Batches in flight at once (each holds a pool connection): more overlap
  // round trips and commits, fewer make bigger batches.
  int workers = 2;
  int max_batch = 64;
  // The store's batch-size histogram goes here; null: not measured.
  metrics::Registry* registry = nullptr;
  int max_queued = 4096;  // as BatchOptions'
};

// `store`'s BatchOptions, its batch sizes in the histogram `name`.
inline BatchOptions BatchOptionsFor(const BatchStoreOptions& store, const std::string& name,
                                    const std::string& help) {
  return BatchOptions{store.workers, store.max_batch,
                      BatchSizeHistogram(store.registry, name, help), store.max_queued};
}

// What Add answers an item for which the queue has no room.
absl::Status BatchQueueFullError();

// Whether a batch's failure may be one row's doing (a value a constraint
// refused, a key that collided), so that its rows run one by one might
// succeed but for that row. Connection, timeout and internal failures are
// the batch's: rerunning would only repeat them.
bool IsRowSpecificFailure(const absl::Status& status);

// Items that arrive together share one statement and one commit. A few
// worker threads each take everything queued (up to `max_batch`), run it as
// one batch and answer every item; a new item wakes a worker only if one is
// idle. At low load a batch is a single item and nothing waits; under load
// one commit covers many, which is what lets a store out-run the
// one-statement-per-commit ceiling of the same SQL.
//
// `run(batch)` runs a batch and, when it returns OK, has answered every item
// of it; when it returns an error it has answered none (its transaction rolled
// back), and the workers answer them: `fail(item, status)` for each, after
// running each item alone when the failure IsRowSpecificFailure, so one bad
// row cannot fail its neighbours. Both run on a worker thread, which may
// block on the database, except that Add runs `fail` on its own thread for an
// item the full queue refuses. Add never blocks on the database: it may be
// called from threads that must not (gRPC callback threads).
//
// The destructor answers everything queued, then joins the workers: a store
// declares its BatchWorkers last, so they stop before what `run` uses goes.
template <typename Item>
class BatchWorkers {
 public:
  using Run = std::function<absl::Status(absl::Span<Item> batch)>;
  using Fail = std::function<void(Item& item, const absl::Status& status)>;

  BatchWorkers(BatchOptions options, Run run, Fail fail)
      : options_(options), run_(std::move(run)), fail_(std::move(fail)) {
    options_.workers = std::max(1, options_.workers);
    options_.max_batch = std::max(1, options_.max_batch);
    for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
  }
  BatchWorkers(const BatchWorkers&) = delete;
  BatchWorkers& operator=(const BatchWorkers&) = delete;

  ~BatchWorkers() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      work_available_.SignalAll();
    }
    for (std::thread& worker : workers_) worker.join();
  }

  // Queues `item`, or, when `max_queued` items are waiting already, answers
  // it at once on this thread: `fail(item, BatchQueueFullError())`.
  void Add(Item item) {
    {
      absl::MutexLock lock(&mu_);
      if (options_.max_queued <= 0 || static_cast<int>(queue_.size()) < options_.max_queued) {
        queue_.push_back(std::move(item));
        // A busy worker takes the queue when it finishes; only an idle one
        // needs waking, which keeps wake-ups (context switches) to one per
        // batch.
        if (idle_workers_ > 0) work_available_.Signal();
        return;
      }
    }
    fail_(item, BatchQueueFullError());
  }

 private:
  void Work() {
    mu_.Lock();
    while (true) {
      while (queue_.empty() && !stopping_) {
        ++idle_workers_;
        work_available_.Wait(&mu_);
        --idle_workers_;
      }
      if (queue_.empty()) break;  // stopping, and everything answered
      std::vector<Item> batch;
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      mu_.Unlock();
      RunBatch(absl::MakeSpan(batch));
      mu_.Lock();
    }
    mu_.Unlock();
  }

  void RunBatch(absl::Span<Item> batch) {
    if (options_.batch_sizes != nullptr) options_.batch_sizes->Observe(batch.size());
    const absl::Status status = run_(batch);
    if (status.ok()) return;
    if (batch.size() == 1 || !IsRowSpecificFailure(status)) {
      for (Item& item : batch) fail_(item, status);
      return;
    }
    for (size_t i = 0; i < batch.size(); ++i) RunBatch(batch.subspan(i, 1));
  }

  BatchOptions options_;
  const Run run_;
  const Fail fail_;
  absl::Mutex mu_;
  absl::CondVar work_available_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  int idle_workers_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;  // last: started once the rest is set
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_BATCH_WORKERS_H_
