#include "common/api_key_syntax.h"

#include <string>

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso {
namespace {

using ::affonso::matchers::StatusIs;

TEST(ApiKeyFromAuthorizationTest, BlankIsMissing) {
  for (const char* header : {"", "   ", "\t"}) {
    auto key = ApiKeyFromAuthorization(header);
    EXPECT_THAT(key, StatusIs(absl::StatusCode::kUnauthenticated)) << header;
    EXPECT_EQ(ApiErrorCode(key.status()), "MISSING_API_KEY") << header;
  }
}

// API.md's reason for a header that cannot hold a key: no lookup is made.
TEST(ApiKeyFromAuthorizationTest, WhatCannotBeAKeyIsAMalformedKey) {
  for (const std::string& header :
       {std::string("Basic YWRtaW46YWRtaW4="), std::string("Bearer"), std::string("Bearer  "),
        std::string("Bearer not_a_key"), std::string("sk_live_abc"), std::string("Bearersk_live_a"),
        "Bearer sk_" + std::string(200, 'a'), std::string("Bearer sk_live_a\xff"),
        std::string("Bearer sk_live_a\x01")}) {
    auto key = ApiKeyFromAuthorization(header);
    EXPECT_THAT(key, StatusIs(absl::StatusCode::kUnauthenticated)) << header;
    EXPECT_EQ(ApiErrorCode(key.status()), "INVALID_API_KEY_FORMAT") << header;
  }
}

TEST(ApiKeyFromAuthorizationTest, BearerKeyIsTheKey) {
  EXPECT_EQ(*ApiKeyFromAuthorization("Bearer sk_live_abc"), "sk_live_abc");
  EXPECT_EQ(*ApiKeyFromAuthorization("  bearer   sk_live_abc  "), "sk_live_abc");
  EXPECT_EQ(*ApiKeyFromAuthorization("BEARER sk_test_x"), "sk_test_x");
}

}  // namespace
}  // namespace affonso
