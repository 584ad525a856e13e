#include "gateway/transcoder/error_response.h"

#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

TEST(ErrorResponseTest, StatusAndEnvelope) {
  HttpResponse response = ErrorResponse(404, "NOT_FOUND", "no such endpoint");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_TRUE(response.headers.empty());
  EXPECT_EQ(response.body,
            R"({"success":false,"error":{"code":"NOT_FOUND","message":"no such endpoint"}})");
}

TEST(ErrorResponseTest, FieldWhenGiven) {
  EXPECT_EQ(ErrorResponse(400, "VALIDATION_ERROR", "email is invalid", "email").body,
            R"({"success":false,"error":{"code":"VALIDATION_ERROR",)"
            R"("message":"email is invalid","field":"email"}})");
}

}  // namespace
}  // namespace affonso::gateway
