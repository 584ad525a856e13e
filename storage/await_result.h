#ifndef AFFONSO_STORAGE_AWAIT_RESULT_H_
#define AFFONSO_STORAGE_AWAIT_RESULT_H_

#include <functional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

namespace affonso::storage {

// The blocking form of a store's asynchronous call, for tools, tests and
// synchronous handlers: `start(done)` begins the call with `done` as its
// callback (run once, on any thread), and this waits for it.
//
//   return AwaitResult<Conversion>([&](ConversionCallback done) {
//     ConvertClickAsync(team, &request, std::move(done));
//   });
template <typename T, typename Start>
absl::StatusOr<T> AwaitResult(Start&& start) {
  absl::StatusOr<T> result = absl::UnknownError("not run");
  absl::Notification finished;
  start(std::function<void(absl::StatusOr<T>)>([&](absl::StatusOr<T> outcome) {
    result = std::move(outcome);
    finished.Notify();
  }));
  finished.WaitForNotification();
  return result;
}

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_AWAIT_RESULT_H_
