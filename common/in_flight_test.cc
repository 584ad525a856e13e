#include "common/in_flight.h"

#include <optional>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace affonso {
namespace {

TEST(InFlightCounterTest, CountsTokensUntilTheyAreGone) {
  InFlightCounter counter;
  EXPECT_TRUE(counter.WaitForNone(absl::ZeroDuration()));
  std::optional<InFlightCounter::Token> first(counter.Enter());
  InFlightCounter::Token second = counter.Enter();
  EXPECT_EQ(counter.Count(), 2);
  InFlightCounter::Token moved = std::move(second);
  EXPECT_EQ(counter.Count(), 2);
  first.reset();
  EXPECT_EQ(counter.Count(), 1);
  EXPECT_FALSE(counter.WaitForNone(absl::Milliseconds(20)));
  moved = InFlightCounter::Token();  // assigning releases what it held
  EXPECT_EQ(counter.Count(), 0);
  EXPECT_TRUE(counter.WaitForNone(absl::ZeroDuration()));
}

TEST(InFlightCounterTest, WaitForNoneReturnsOnceAnotherThreadLetsGo) {
  InFlightCounter counter;
  absl::Notification waiting;
  std::thread worker([token = counter.Enter(), &waiting]() mutable {
    waiting.WaitForNotification();
    absl::SleepFor(absl::Milliseconds(50));
    InFlightCounter::Token done = std::move(token);
  });
  waiting.Notify();
  const absl::Time start = absl::Now();
  EXPECT_TRUE(counter.WaitForNone(absl::Seconds(10)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(40));
  worker.join();
}

TEST(InFlightCounterTest, ATokenMayOutliveItsCounter) {
  InFlightCounter::Token token;
  {
    InFlightCounter counter;
    token = counter.Enter();
  }
  token = InFlightCounter::Token();  // releases into the shared state, still alive
}

}  // namespace
}  // namespace affonso
