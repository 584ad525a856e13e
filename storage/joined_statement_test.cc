#include "storage/joined_statement.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

constexpr char kPrefix[] = "WITH prog AS (SELECT 1 AS id) ";
constexpr JoinedStatement kJoined{"joined", kPrefix, "SELECT id ", "FROM prog"};
constexpr JoinedStatement kSingle{"single", "SELECT 1"};

// Joined at compile time, to exactly the fragments' length.
static_assert(sizeof(kJoined.text) == sizeof(kPrefix) - 1 + 10 + 9 + 1);
static_assert(kJoined.text[sizeof(kPrefix) - 1] == 'S');
static_assert(kJoined.text[sizeof(kJoined.text) - 1] == '\0');

TEST(JoinedStatementTest, IsTheFragmentsInOrder) {
  EXPECT_STREQ(kJoined.name, "joined");
  EXPECT_EQ(std::string(kJoined.sql), "WITH prog AS (SELECT 1 AS id) SELECT id FROM prog");
  EXPECT_EQ(kJoined.sql, kJoined.text);
  EXPECT_EQ(std::string(kSingle.sql), "SELECT 1");
}

TEST(JoinedStatementTest, BindsAsAStatement) {
  const Statement& statement = kJoined;
  EXPECT_STREQ(statement.name, "joined");
  EXPECT_EQ(std::strlen(statement.sql), sizeof(kJoined.text) - 1);
}

}  // namespace
}  // namespace affonso::storage
