#ifndef AFFONSO_SERVICES_CALL_ADMISSION_EXECUTOR_H_
#define AFFONSO_SERVICES_CALL_ADMISSION_EXECUTOR_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace affonso::services {

// The threads on which callback-API calls wait for the admission stages that
// may block (a key lookup, a rate-limit take), and for their handlers' rare
// steps that may (RpcRunner::Offload: a cache miss), so that gRPC's few
// callback threads never wait on the database. Bounded: a full queue is refused at
// once rather than queued without end.
class AdmissionExecutor {
 public:
  struct Options {
    int threads = 4;        // at least 1
    int max_queued = 1024;  // tasks waiting for a thread, beyond those running
  };
  explicit AdmissionExecutor(Options options);
  // Shutdown.
  ~AdmissionExecutor();

  AdmissionExecutor(const AdmissionExecutor&) = delete;
  AdmissionExecutor& operator=(const AdmissionExecutor&) = delete;

  // `task(true)` on one of the threads, in order of submission; or
  // `task(false)` at once on the caller's thread when `max_queued` tasks are
  // waiting already or after Shutdown. Either way it runs exactly once.
  using Task = absl::AnyInvocable<void(bool queued) &&>;
  void Submit(Task task);

  // Refuses new tasks, runs the queued ones, and joins the threads.
  void Shutdown();

  int queued() const;

 private:
  void Work();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; }

  const Options options_;
  mutable absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_ADMISSION_EXECUTOR_H_
