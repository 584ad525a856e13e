#ifndef AFFONSO_COMMON_IN_FLIGHT_H_
#define AFFONSO_COMMON_IN_FLIGHT_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace affonso {

// Counts pieces of work that may end on other threads (callbacks), so that
// their owner can wait until the last one has let go of what it shares with
// them. Each Token counts one until it is destroyed; the count's state is
// shared with the tokens, so a token may outlive the counter.
class InFlightCounter {
  struct State {
    mutable absl::Mutex mu;
    int count ABSL_GUARDED_BY(mu) = 0;
  };

 public:
  class Token {
   public:
    Token() = default;
    Token(Token&&) = default;
    Token& operator=(Token&& other) {
      Release();
      state_ = std::move(other.state_);
      return *this;
    }
    ~Token() { Release(); }

   private:
    friend class InFlightCounter;
    explicit Token(std::shared_ptr<State> state);
    void Release();
    std::shared_ptr<State> state_;
  };

  InFlightCounter();
  InFlightCounter(const InFlightCounter&) = delete;
  InFlightCounter& operator=(const InFlightCounter&) = delete;

  Token Enter();
  int Count() const;
  // Blocks until no token is left or `timeout` has passed; true if none is.
  bool WaitForNone(absl::Duration timeout) const;

 private:
  const std::shared_ptr<State> state_;
};

}  // namespace affonso

#endif  // AFFONSO_COMMON_IN_FLIGHT_H_
