#include "storage/json_rows.h"

#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

TEST(JsonRowsTest, EmptyArray) {
  JsonRows rows;
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(std::move(rows).Finish(), "[]");
}

TEST(JsonRowsTest, RowsOfKeyedValuesWithEmptyTextLeftOut) {
  JsonRows rows;
  rows.BeginRow();
  rows.Text("id", "clk_1");
  rows.Text("sub1", "");  // NULL: left out
  rows.Int("n", 42);
  rows.Bool("consent", false);
  rows.Raw("flags", "[\"a\"]");
  rows.EndRow();
  rows.BeginRow();
  rows.Text("id", "quote\" back\\slash\nline");
  rows.EndRow();
  rows.BeginRow();
  rows.EndRow();
  EXPECT_FALSE(rows.empty());
  EXPECT_EQ(std::move(rows).Finish(),
            "[{\"id\":\"clk_1\",\"n\":42,\"consent\":false,\"flags\":[\"a\"]},"
            "{\"id\":\"quote\\\" back\\\\slash\\u000aline\"},{}]");
}

}  // namespace
}  // namespace affonso::storage
