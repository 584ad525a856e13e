#include "services/call/admission_executor.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace affonso::services {

AdmissionExecutor::AdmissionExecutor(Options options) : options_(options) {
  const int threads = std::max(1, options_.threads);
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      // Named, so a stack dump or `top -H` tells them from gRPC's threads.
      pthread_setname_np(pthread_self(), "affonso-admit");
      Work();
    });
  }
}

AdmissionExecutor::~AdmissionExecutor() { Shutdown(); }

void AdmissionExecutor::Submit(Task task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && static_cast<int>(queue_.size()) < options_.max_queued) {
      queue_.push_back(std::move(task));
      return;
    }
  }
  std::move(task)(false);
}

void AdmissionExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

int AdmissionExecutor::queued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

void AdmissionExecutor::Work() {
  mu_.Lock();
  while (true) {
    mu_.Await(absl::Condition(this, &AdmissionExecutor::HasWork));
    if (queue_.empty()) break;  // stopping, and every queued task ran
    Task task = std::move(queue_.front());
    queue_.pop_front();
    mu_.Unlock();
    std::move(task)(true);
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace affonso::services
