#include "storage/await_result.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>

namespace affonso::storage {
namespace {

using Callback = std::function<void(absl::StatusOr<std::string>)>;

TEST(AwaitResultTest, ReturnsWhatACallbackOnAnotherThreadGives) {
  std::thread answerer;
  absl::StatusOr<std::string> result = AwaitResult<std::string>([&](Callback done) {
    answerer = std::thread([done = std::move(done)] { done(std::string("answered")); });
  });
  answerer.join();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, "answered");
}

TEST(AwaitResultTest, ReturnsAnErrorAnsweredAtOnce) {
  absl::StatusOr<std::string> result =
      AwaitResult<std::string>([](Callback done) { done(absl::NotFoundError("click")); });
  EXPECT_TRUE(absl::IsNotFound(result.status()));
  EXPECT_EQ(result.status().message(), "click");
}

}  // namespace
}  // namespace affonso::storage
