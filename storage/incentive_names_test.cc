#include "storage/incentive_names.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

// Every value the proto defines round-trips, under a distinct name.
TEST(IncentiveNamesTest, EveryTypeRoundTrips) {
  const google::protobuf::EnumDescriptor* types = affonso::v1::IncentiveType_descriptor();
  std::set<std::string> names;
  for (int i = 0; i < types->value_count(); ++i) {
    const auto type = static_cast<affonso::v1::IncentiveType>(types->value(i)->number());
    const char* name = IncentiveTypeToDb(type);
    if (type == affonso::v1::INCENTIVE_TYPE_UNSPECIFIED) {
      EXPECT_EQ(name, nullptr);
      continue;
    }
    ASSERT_NE(name, nullptr) << types->value(i)->name();
    EXPECT_EQ(IncentiveTypeFromDb(name), type);
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"lead", "sale"}));
}

TEST(IncentiveNamesTest, UnknownTextAndNumbers) {
  EXPECT_EQ(IncentiveTypeFromDb(""), affonso::v1::INCENTIVE_TYPE_UNSPECIFIED);
  EXPECT_EQ(IncentiveTypeFromDb("Lead"), affonso::v1::INCENTIVE_TYPE_UNSPECIFIED);
  EXPECT_EQ(IncentiveTypeToDb(static_cast<affonso::v1::IncentiveType>(99)), nullptr);
}

}  // namespace
}  // namespace affonso::storage
