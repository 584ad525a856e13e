#include "storage/query_one.h"

#include <string>

#include "absl/strings/string_view.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

constexpr Statement kFind{"query_one_test_find",
                          "SELECT v.id, v.team_id FROM (VALUES ('a', 't1'), ('b', 't2')) "
                          "AS v(id, team_id) WHERE v.id = $1 AND v.team_id = $2"};
// Says whether $1 arrived as SQL NULL.
constexpr Statement kIsNull{"query_one_test_is_null", "SELECT $1::text IS NULL AS is_null"};

std::string ReadId(const pqxx::row& row) { return row["id"].as<std::string>(); }

absl::StatusOr<std::string> ReadTeamOrError(const pqxx::row& row) {
  if (row["team_id"].as<std::string>() == "t2") return absl::InternalError("t2 is unreadable");
  return row["team_id"].as<std::string>();
}

class QueryOneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(2);
    ASSERT_OK(db);
    db_ = *std::move(db);
  }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_F(QueryOneTest, ReadsTheRowWithStringViewParameters) {
  const absl::string_view id = "a", team = "t1";
  auto found = db_->pool().Autocommit(
      "test", [&](Tx& tx) { return QueryOne(tx, kFind, ReadId, "thing", id, team); });
  ASSERT_OK(found);
  EXPECT_EQ(*found, "a");
}

TEST_F(QueryOneTest, NoRowIsNotFoundNamingTheEntity) {
  // Another team's id is simply not there.
  auto found = db_->pool().Autocommit("test", [&](Tx& tx) {
    return QueryOne(tx, kFind, ReadId, "thing", std::string("b"), std::string("t1"));
  });
  EXPECT_THAT(found.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(found.status(), affonso::NotFoundError("thing"));
}

TEST_F(QueryOneTest, AReadersErrorIsReturned) {
  auto ok = db_->pool().Autocommit(
      "test", [&](Tx& tx) { return QueryOne(tx, kFind, ReadTeamOrError, "thing", "a", "t1"); });
  ASSERT_OK(ok);
  EXPECT_EQ(*ok, "t1");
  auto failed = db_->pool().Autocommit(
      "test", [&](Tx& tx) { return QueryOne(tx, kFind, ReadTeamOrError, "thing", "b", "t2"); });
  EXPECT_THAT(failed.status(), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(QueryOneTest, ANullPointerStaysSqlNull) {
  auto read = [](const pqxx::row& row) { return row["is_null"].as<bool>(); };
  auto null = db_->pool().Autocommit("test", [&](Tx& tx) {
    return QueryOne(tx, kIsNull, read, "value", static_cast<const char*>(nullptr));
  });
  ASSERT_OK(null);
  EXPECT_TRUE(*null);
  auto empty = db_->pool().Autocommit(
      "test", [&](Tx& tx) { return QueryOne(tx, kIsNull, read, "value", absl::string_view()); });
  ASSERT_OK(empty);
  EXPECT_FALSE(*empty);  // an empty view is the empty string, not NULL
}

TEST_F(QueryOneTest, RequireRowIsOkOnlyWhenThereIsARow) {
  EXPECT_TRUE(db_->pool()
                  .Autocommit("test",
                              [&](Tx& tx) {
                                return RequireRow(tx, kFind, "thing", absl::string_view("a"), "t1");
                              })
                  .ok());
  absl::Status missing = db_->pool().Autocommit(
      "test", [&](Tx& tx) { return RequireRow(tx, kFind, "thing", "a", "t2"); });
  EXPECT_EQ(missing, affonso::NotFoundError("thing"));
}

TEST_F(QueryOneTest, RequireRowCountsTheRowsAnUpdateChanged) {
  constexpr Statement kTouch{"query_one_test_touch",
                             "UPDATE query_one_test SET n = n + 1 WHERE id = $1"};
  absl::Status status = db_->pool().InTransaction("test", [&](Tx& tx) -> absl::Status {
    tx.ExecUnprepared("CREATE TEMP TABLE query_one_test (id text, n int) ON COMMIT DROP");
    tx.ExecUnprepared("INSERT INTO query_one_test VALUES ('a', 0)");
    absl::Status found = RequireRow(tx, kTouch, "thing", "a");
    if (!found.ok()) return found;
    absl::Status missing = RequireRow(tx, kTouch, "thing", "b");
    if (missing != affonso::NotFoundError("thing")) {
      return absl::InternalError("an update of no row was not NOT_FOUND");
    }
    return absl::OkStatus();
  });
  EXPECT_OK(status);
}

}  // namespace
}  // namespace affonso::storage
