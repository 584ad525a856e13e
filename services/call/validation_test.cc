#include "services/call/validation.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/program.pb.h"
#include "proto/affonso/v1/referrals.pb.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;

TEST(ValidationTest, RequireNonEmptyNamesTheField) {
  absl::Status status = RequireNonEmpty("click_id", "  ");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiErrorField(status), "click_id");
  EXPECT_OK(RequireNonEmpty("click_id", "clk_1"));
}

TEST(ValidationTest, MaxLengthCountsCharactersNotBytes) {
  std::string accents;
  for (int i = 0; i < 255; ++i) accents += "\xC3\xA9";  // é, two bytes each
  EXPECT_OK(CheckMaxLength("name", accents, 255));
  absl::Status status = CheckMaxLength("name", accents + "x", 255);
  EXPECT_EQ(ApiErrorField(status), "name");
  EXPECT_EQ(ApiErrorCode(status), "VALIDATION_ERROR");
}

TEST(ValidationTest, NullableStringsAreAStringOrNull) {
  google::protobuf::Value value;
  value.set_string_value("");
  EXPECT_OK(CheckNullableString("name", value));
  value.set_null_value(google::protobuf::NULL_VALUE);
  EXPECT_OK(CheckNullableString("name", value));
  google::protobuf::Value unset;
  EXPECT_THAT(CheckNullableString("name", unset), HasApiError("VALIDATION_ERROR", "name"));
  value.set_number_value(1);
  EXPECT_THAT(CheckNullableString("name", value), HasApiError("VALIDATION_ERROR", "name"));
  value.set_bool_value(false);
  EXPECT_THAT(CheckNullableString("name", value), HasApiError("VALIDATION_ERROR", "name"));
  value.mutable_list_value()->add_values()->set_string_value("a");
  EXPECT_THAT(CheckNullableString("url", value), HasApiError("VALIDATION_ERROR", "url"));
  value.mutable_struct_value();
  EXPECT_THAT(CheckNullableString("url", value), HasApiError("VALIDATION_ERROR", "url"));
  EXPECT_EQ(CheckNullableString("url", value).message(), "url must be a string or null");
}

TEST(ValidationTest, NullableTextIsAStringOrNullOfAtMostMaxCharacters) {
  google::protobuf::Value value;
  value.set_null_value(google::protobuf::NULL_VALUE);
  EXPECT_OK(CheckNullableText("name", value, 3));
  value.set_string_value("\xc3\xa9t\xc3\xa9");  // 3 characters, 5 bytes
  EXPECT_OK(CheckNullableText("name", value, 3));
  value.set_string_value("four");
  EXPECT_THAT(CheckNullableText("name", value, 3), HasApiError("VALIDATION_ERROR", "name"));
  value.set_number_value(1);
  EXPECT_THAT(CheckNullableText("name", value, 3), HasApiError("VALIDATION_ERROR", "name"));
}

TEST(ValidationTest, MaxBytesCountsBytes) {
  EXPECT_OK(CheckMaxBytes("body", "\xc3\xa9t", 3));
  EXPECT_THAT(CheckMaxBytes("body", "\xc3\xa9t\xc3\xa9", 3),
              HasApiError("VALIDATION_ERROR", "body"));
  EXPECT_EQ(CheckMaxBytes("body", "abcd", 3).message(), "body is at most 3 bytes of UTF-8");
}

TEST(ValidationTest, HttpUrlNeedsASchemeAHostAndNoBlanks) {
  for (const char* url : {"https://example.com", "http://example.com/a?b=c", "https://h"}) {
    EXPECT_OK(CheckHttpUrl("url", url, 100)) << url;
  }
  for (const char* url : {"", "example.com", "ftp://example.com", "https://", "https:///path",
                          "https://exa mple.com", "https://example.com/\x7f", "javascript:x"}) {
    EXPECT_THAT(CheckHttpUrl("url", url, 100), HasApiError("VALIDATION_ERROR", "url")) << url;
  }
  EXPECT_THAT(CheckHttpUrl("url", "https://example.com", 10),
              HasApiError("VALIDATION_ERROR", "url"));
}

TEST(ValidationTest, AcceptsOrdinaryAddresses) {
  for (const char* email : {"a@b.co", "first.last+tag@example.com", "x_y@sub.domain.io",
                            "o'brien@example.ie", "USER@EXAMPLE.COM"}) {
    EXPECT_TRUE(IsValidEmail(email)) << email;
  }
}

TEST(ValidationTest, RejectsMalformedAddresses) {
  for (const char* email :
       {"", "plain", "@example.com", "a@", "a@b", "a@b.c", "a b@example.com", "a@exa mple.com",
        "a..b@example.com", ".a@example.com", "a.@example.com", "a@-example.com", "a@example..com",
        "a@1.2.3.4", "a@example.com\n", "a@@example.com"}) {
    EXPECT_FALSE(IsValidEmail(email)) << email;
  }
  EXPECT_FALSE(IsValidEmail(std::string(65, 'a') + "@example.com"));
  EXPECT_EQ(ApiErrorField(CheckEmail("email", "nope")), "email");
  EXPECT_OK(CheckEmail("email", ""));
}

TEST(ValidationTest, LooksLikeIdChecksPrefixAndAlphabet) {
  EXPECT_TRUE(LooksLikeId("clk_abc123", "clk"));
  EXPECT_FALSE(LooksLikeId("ref_abc123", "clk"));
  EXPECT_FALSE(LooksLikeId("clk_", "clk"));
  EXPECT_FALSE(LooksLikeId("clk_abc'; DROP TABLE x", "clk"));
  EXPECT_FALSE(LooksLikeId("clk_" + std::string(100, 'a'), "clk"));
}

TEST(ValidationTest, AmountsAreWholeCentsWithinRange) {
  EXPECT_OK(CheckAmount(0, false));
  EXPECT_OK(CheckAmount(12.5, false));
  EXPECT_OK(CheckAmount(0.29, false));
  EXPECT_EQ(ApiErrorField(CheckAmount(-1, false)), "amount");
  EXPECT_EQ(ApiErrorField(CheckAmount(1.001, false)), "amount");
  EXPECT_EQ(ApiErrorField(CheckAmount(1e15, false)), "amount");
  EXPECT_EQ(ApiErrorField(CheckAmount(std::nan(""), false)), "amount");
  EXPECT_OK(CheckAmount(100, true));
  EXPECT_EQ(ApiErrorField(CheckAmount(100.5, true)), "amount");
}

TEST(ValidationTest, NulCharactersAreRefusedAnywhereInARequest) {
  const std::string nul("a\0b", 3);
  affonso::v1::CreateReferralRequest referral;
  referral.set_email("a@example.com");
  (*referral.mutable_metadata()->mutable_fields())["plan"].set_string_value("pro");
  EXPECT_OK(CheckNoNulCharacters(referral));

  affonso::v1::CreateReferralRequest named = referral;
  named.set_name(nul);
  absl::Status status = CheckNoNulCharacters(named);
  EXPECT_THAT(status, HasApiError("VALIDATION_ERROR", "name"));

  // Inside a Struct, keys and nested values alike name the Struct field.
  affonso::v1::CreateReferralRequest value = referral;
  (*value.mutable_metadata()->mutable_fields())["deep"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value(nul);
  EXPECT_EQ(ApiErrorField(CheckNoNulCharacters(value)), "metadata");
  affonso::v1::CreateReferralRequest key = referral;
  (*key.mutable_metadata()->mutable_fields())[nul].set_bool_value(true);
  EXPECT_EQ(ApiErrorField(CheckNoNulCharacters(key)), "metadata");

  // Nested messages and repeated strings get dotted paths.
  affonso::v1::UpdateFraudRulesRequest rules;
  rules.mutable_fraud_rules()->mutable_paid_traffic_config()->add_utm_mediums("cpc");
  EXPECT_OK(CheckNoNulCharacters(rules));
  rules.mutable_fraud_rules()->mutable_paid_traffic_config()->add_utm_mediums(nul);
  EXPECT_EQ(ApiErrorField(CheckNoNulCharacters(rules)),
            "fraud_rules.paid_traffic_config.utm_mediums");
}

// Found by fuzzing (tests/fuzz/validators): scaling by 100 rounded away
// fractions of a cent in large amounts, and above 10^13 a double cannot tell
// neighbouring cents apart, so the database stored another amount than the
// client wrote.
TEST(ValidationTest, AcceptedAmountsAreStoredAsWritten) {
  EXPECT_OK(CheckAmount(9999999999999.99, false));
  EXPECT_EQ(ApiErrorField(CheckAmount(1e13, false)), "amount");
  // The same double as 99999999999999.98: it would be stored as that.
  EXPECT_EQ(ApiErrorField(CheckAmount(99999999999999.99, false)), "amount");
  EXPECT_EQ(ApiErrorField(CheckAmount(5e12 + 0.125, false)), "amount");
  // JSON's 0.1 + 0.2 has 17 decimals; 0.3 is what the database would keep.
  EXPECT_EQ(ApiErrorField(CheckAmount(0.1 + 0.2, false)), "amount");
  EXPECT_EQ(ApiErrorField(CheckAmount(1e-30, false)), "amount");
  EXPECT_OK(CheckAmount(0.1, false));
  EXPECT_OK(CheckAmount(1234567890123.45, false));
}

TEST(ValidationTest, EncodedSizeCountsTheLargerOfJsonAndProtobuf) {
  google::protobuf::Value text;
  text.set_string_value(std::string(98, 'x'));  // 100 bytes as JSON
  EXPECT_OK(CheckEncodedSize("variable_config", text, 100));
  text.set_string_value(std::string(99, 'x'));
  EXPECT_THAT(CheckEncodedSize("variable_config", text, 100),
              HasApiError("VALIDATION_ERROR", "variable_config"));
  google::protobuf::Value zeros;
  for (int i = 0; i < 20; ++i) zeros.mutable_list_value()->add_values()->set_number_value(0);
  // 41 bytes of JSON, over 200 encoded.
  EXPECT_EQ(ApiErrorField(CheckEncodedSize("metadata", zeros, 100)), "metadata");
}

TEST(ValidationTest, ParseNameListKeepsKnownValuesOnce) {
  google::protobuf::RepeatedPtrField<std::string> expand;
  *expand.Add() = "b, a";
  *expand.Add() = "";
  *expand.Add() = "a,,b";
  auto values = ParseNameList("expand", expand, {"a", "b"});
  ASSERT_OK(values);
  EXPECT_EQ(*values, (std::vector<std::string>{"b", "a"}));
  *expand.Add() = "c";
  absl::Status unknown = ParseNameList("expand", expand, {"a", "b"}).status();
  EXPECT_THAT(unknown, HasApiError("VALIDATION_ERROR", "expand"));
  EXPECT_EQ(unknown.message(), "expand accepts only a, b");
}

}  // namespace
}  // namespace affonso::services
