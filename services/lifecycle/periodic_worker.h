#ifndef AFFONSO_SERVICES_LIFECYCLE_PERIODIC_WORKER_H_
#define AFFONSO_SERVICES_LIFECYCLE_PERIODIC_WORKER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace affonso::services {

// One thread that runs `run` at once and then every `interval` until Stop.
// `run` gets a function that turns false once Stop was called, so a long run
// ends between two of its bounded steps. Holds no state of the work itself:
// that is in the database, so a restart (or another replica) goes on where
// this one stopped.
class PeriodicWorker {
 public:
  using Run = std::function<void(const std::function<bool()>& keep_going)>;

  PeriodicWorker(std::string name, absl::Duration interval, Run run)
      : name_(std::move(name)), interval_(interval), run_(std::move(run)) {}
  ~PeriodicWorker() { Stop(); }

  void Start();
  // Waits for the run in progress to end its current step; idempotent.
  void Stop();

 private:
  void Loop();
  bool KeepGoing();

  const std::string name_;
  const absl::Duration interval_;
  const Run run_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_LIFECYCLE_PERIODIC_WORKER_H_
