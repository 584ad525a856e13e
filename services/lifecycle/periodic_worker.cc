#include "services/lifecycle/periodic_worker.h"

namespace affonso::services {

void PeriodicWorker::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool PeriodicWorker::KeepGoing() {
  absl::MutexLock lock(&mu_);
  return !stopping_;
}

void PeriodicWorker::Loop() {
  const std::function<bool()> keep_going = [this] { return KeepGoing(); };
  while (true) {
    run_(keep_going);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    if (stopping_) return;
  }
}

}  // namespace affonso::services
