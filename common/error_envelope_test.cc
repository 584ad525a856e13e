#include "common/error_envelope.h"

#include <string>

#include "gtest/gtest.h"

namespace affonso {
namespace {

TEST(ErrorEnvelopeTest, ExactShapeWithoutField) {
  EXPECT_EQ(ErrorEnvelope("NOT_FOUND", "click not found"),
            R"({"success":false,"error":{"code":"NOT_FOUND","message":"click not found"}})");
}

TEST(ErrorEnvelopeTest, FieldInsideErrorWhenGiven) {
  EXPECT_EQ(ErrorEnvelope("VALIDATION_ERROR", "email is invalid", "email"),
            R"({"success":false,"error":{"code":"VALIDATION_ERROR",)"
            R"("message":"email is invalid","field":"email"}})");
}

TEST(ErrorEnvelopeTest, MessageIsEscaped) {
  EXPECT_EQ(ErrorEnvelope("X", "say \"hi\" \\ bye"),
            R"({"success":false,"error":{"code":"X","message":"say \"hi\" \\ bye"}})");
}

// The SDK maps on the code: 401 and 403 go out as UNAUTHORIZED / FORBIDDEN,
// the reason beside them.
TEST(ErrorEnvelopeTest, AuthReasonsGoOutAsTheSdkCodesWithTheReasonInDetails) {
  EXPECT_EQ(ErrorEnvelope("INVALID_API_KEY", "invalid API key"),
            R"({"success":false,"error":{"code":"UNAUTHORIZED","message":"invalid API key",)"
            R"("details":[{"reason":"INVALID_API_KEY"}]}})");
  for (const char* reason :
       {"MISSING_API_KEY", "INVALID_API_KEY_FORMAT", "API_KEY_DISABLED", "API_KEY_EXPIRED"}) {
    EXPECT_EQ(ErrorEnvelope(reason, "m"),
              std::string(R"({"success":false,"error":{"code":"UNAUTHORIZED","message":"m",)") +
                  R"("details":[{"reason":")" + reason + R"("}]}})");
  }
  EXPECT_EQ(ErrorEnvelope("INSUFFICIENT_PERMISSIONS", "lacks write:referrals"),
            R"({"success":false,"error":{"code":"FORBIDDEN","message":"lacks write:referrals",)"
            R"("details":[{"reason":"INSUFFICIENT_PERMISSIONS"}]}})");
}

// What HTTP servers serving the API answer on their own (413, 408, ...): the
// same bytes as the services' errors, never a field.
TEST(ErrorEnvelopeTest, RefusalEnvelopeIsTheEnvelopeWithoutField) {
  EXPECT_EQ(RefusalEnvelope("PAYLOAD_TOO_LARGE", "request body is over the limit of 10 bytes"),
            R"({"success":false,"error":{"code":"PAYLOAD_TOO_LARGE",)"
            R"("message":"request body is over the limit of 10 bytes"}})");
  EXPECT_EQ(RefusalEnvelope("X", "say \"hi\""), ErrorEnvelope("X", "say \"hi\""));
  EXPECT_STREQ(kErrorEnvelopeContentType, "application/json");
}

}  // namespace
}  // namespace affonso
