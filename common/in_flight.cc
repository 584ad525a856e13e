#include "common/in_flight.h"

#include <utility>

namespace affonso {

InFlightCounter::Token::Token(std::shared_ptr<State> state) : state_(std::move(state)) {}

void InFlightCounter::Token::Release() {
  if (state_ == nullptr) return;
  {
    absl::MutexLock lock(&state_->mu);
    --state_->count;
  }
  state_.reset();
}

InFlightCounter::InFlightCounter() : state_(std::make_shared<State>()) {}

InFlightCounter::Token InFlightCounter::Enter() {
  absl::MutexLock lock(&state_->mu);
  ++state_->count;
  return Token(state_);
}

int InFlightCounter::Count() const {
  absl::MutexLock lock(&state_->mu);
  return state_->count;
}

bool InFlightCounter::WaitForNone(absl::Duration timeout) const {
  absl::MutexLock lock(&state_->mu);
  const State* state = state_.get();
  auto none = [state]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return state->count == 0; };
  return state_->mu.AwaitWithTimeout(absl::Condition(&none), timeout);
}

}  // namespace affonso
