#include "storage/fraud_names.h"

#include <set>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

using affonso::v1::FraudCheck;
using affonso::v1::FraudFlag;
using affonso::v1::FraudMode;

FraudFlag Flag(FraudCheck check, FraudMode mode) {
  FraudFlag flag;
  flag.set_check(check);
  flag.set_mode(mode);
  return flag;
}

// Every value the proto defines, so a value added there without a stored name fails here.
TEST(FraudNamesTest, EveryModeRoundTripsThroughItsStoredName) {
  std::set<std::string> names;
  const auto* descriptor = affonso::v1::FraudMode_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto mode = static_cast<FraudMode>(descriptor->value(i)->number());
    if (mode == affonso::v1::FRAUD_MODE_UNSPECIFIED) {
      EXPECT_EQ(FraudModeToDb(mode), nullptr);
      continue;
    }
    const char* name = FraudModeToDb(mode);
    ASSERT_NE(name, nullptr) << descriptor->value(i)->name();
    EXPECT_EQ(FraudModeFromDb(name), mode) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"off", "detect", "block"}));
}

TEST(FraudNamesTest, EveryCheckRoundTripsThroughItsStoredName) {
  std::set<std::string> names;
  const auto* descriptor = affonso::v1::FraudCheck_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto check = static_cast<FraudCheck>(descriptor->value(i)->number());
    if (check == affonso::v1::FRAUD_CHECK_UNSPECIFIED) {
      EXPECT_EQ(FraudCheckToDb(check), nullptr);
      continue;
    }
    const char* name = FraudCheckToDb(check);
    ASSERT_NE(name, nullptr) << descriptor->value(i)->name();
    EXPECT_EQ(FraudCheckFromDb(name), check) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"self_referral", "suspicious_email", "paid_traffic",
                                          "cross_program_ban", "duplicate_payout",
                                          "banned_referral", "blocked_country"}));
}

TEST(FraudNamesTest, ExactNames) {
  EXPECT_STREQ(FraudModeToDb(affonso::v1::FRAUD_MODE_OFF), "off");
  EXPECT_STREQ(FraudModeToDb(affonso::v1::FRAUD_MODE_DETECT), "detect");
  EXPECT_STREQ(FraudModeToDb(affonso::v1::FRAUD_MODE_BLOCK), "block");
  EXPECT_STREQ(FraudCheckToDb(affonso::v1::FRAUD_CHECK_SELF_REFERRAL), "self_referral");
  EXPECT_STREQ(FraudCheckToDb(affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL), "suspicious_email");
  EXPECT_STREQ(FraudCheckToDb(affonso::v1::FRAUD_CHECK_PAID_TRAFFIC), "paid_traffic");
}

TEST(FraudNamesTest, UnknownValuesAndTextAreUnspecified) {
  EXPECT_EQ(FraudModeToDb(static_cast<FraudMode>(42)), nullptr);
  EXPECT_EQ(FraudCheckToDb(static_cast<FraudCheck>(42)), nullptr);
  for (const char* text : {"", "OFF", "Block", " detect", "detected", "unspecified", "unknown"}) {
    EXPECT_EQ(FraudModeFromDb(text), affonso::v1::FRAUD_MODE_UNSPECIFIED) << text;
  }
  for (const char* text : {"", "Self_Referral", "paid-traffic", "unknown"}) {
    EXPECT_EQ(FraudCheckFromDb(text), affonso::v1::FRAUD_CHECK_UNSPECIFIED) << text;
  }
}

TEST(FraudFlagsJsonTest, ExactOutput) {
  EXPECT_EQ(FraudFlagsToJson({}), "[]");
  EXPECT_EQ(FraudFlagsToJson(
                {Flag(affonso::v1::FRAUD_CHECK_SELF_REFERRAL, affonso::v1::FRAUD_MODE_DETECT)}),
            R"([{"check":"self_referral","mode":"detect"}])");
  EXPECT_EQ(FraudFlagsToJson(
                {Flag(affonso::v1::FRAUD_CHECK_SELF_REFERRAL, affonso::v1::FRAUD_MODE_DETECT),
                 Flag(affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL, affonso::v1::FRAUD_MODE_BLOCK),
                 Flag(affonso::v1::FRAUD_CHECK_PAID_TRAFFIC, affonso::v1::FRAUD_MODE_DETECT)}),
            R"([{"check":"self_referral","mode":"detect"},)"
            R"({"check":"suspicious_email","mode":"block"},)"
            R"({"check":"paid_traffic","mode":"detect"}])");
}

TEST(FraudFlagsJsonTest, FlagsWithoutANameAreNotWritten) {
  EXPECT_EQ(FraudFlagsToJson(
                {Flag(affonso::v1::FRAUD_CHECK_UNSPECIFIED, affonso::v1::FRAUD_MODE_BLOCK),
                 Flag(affonso::v1::FRAUD_CHECK_PAID_TRAFFIC, affonso::v1::FRAUD_MODE_UNSPECIFIED)}),
            "[]");
}

TEST(FraudFlagsJsonTest, EveryFlagRoundTrips) {
  std::vector<FraudFlag> flags;
  for (FraudCheck check :
       {affonso::v1::FRAUD_CHECK_SELF_REFERRAL, affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL,
        affonso::v1::FRAUD_CHECK_PAID_TRAFFIC}) {
    for (FraudMode mode : {affonso::v1::FRAUD_MODE_OFF, affonso::v1::FRAUD_MODE_DETECT,
                           affonso::v1::FRAUD_MODE_BLOCK}) {
      flags.push_back(Flag(check, mode));
    }
  }
  google::protobuf::RepeatedPtrField<FraudFlag> read;
  ASSERT_OK(FraudFlagsFromJson(FraudFlagsToJson(flags), &read));
  ASSERT_EQ(read.size(), static_cast<int>(flags.size()));
  for (int i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].check(), flags[i].check()) << i;
    EXPECT_EQ(read[i].mode(), flags[i].mode()) << i;
  }
}

TEST(FraudFlagsJsonTest, ReadsWhatTheDatabaseReturns) {
  // jsonb's own text form: a space after ':' and ','.
  google::protobuf::RepeatedPtrField<FraudFlag> read;
  ASSERT_OK(FraudFlagsFromJson(
      R"([{"mode": "block", "check": "paid_traffic"}, {"check": "self_referral"}, )"
      R"({"check": "made_up", "mode": "detect"}])",
      &read));
  ASSERT_EQ(read.size(), 2);  // the entry without a mode is skipped
  EXPECT_EQ(read[0].check(), affonso::v1::FRAUD_CHECK_PAID_TRAFFIC);
  EXPECT_EQ(read[0].mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(read[1].check(), affonso::v1::FRAUD_CHECK_UNSPECIFIED);
  EXPECT_EQ(read[1].mode(), affonso::v1::FRAUD_MODE_DETECT);

  read.Clear();
  EXPECT_OK(FraudFlagsFromJson("[]", &read));
  EXPECT_TRUE(read.empty());
  EXPECT_THAT(FraudFlagsFromJson("not json", &read), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(FraudFlagsFromJson(R"({"check": "paid_traffic"})", &read).code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace affonso::storage
