#include "storage/pg_values.h"

#include <memory>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/pool.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

// Each helper's SQL expression and its reader, as the stores pair them.
constexpr Statement kValues{
    "pg_values_test",
    "SELECT " AFFONSO_SQL_MICROS("$1::timestamptz") " AS micros, "
    "  " AFFONSO_SQL_MICROS("NULL::timestamptz") " AS no_micros, "
    "  " AFFONSO_SQL_MICROS(AFFONSO_SQL_FROM_MICROS("$2")) " AS round_trip, "
    "  $3::text AS text, NULL::text AS no_text, $4::jsonb::text AS json, "
    "  NULL::text AS no_json, 'not json' AS bad_json"};

class PgValuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(1);
    ASSERT_OK(db);
    db_ = *std::move(db);
  }
  // Runs kValues and hands its row to `check`.
  template <typename Check>
  void WithRow(const std::string& timestamp, const std::string& micros, const std::string& text,
               const std::string& json, Check check) {
    absl::Status status = db_->pool().Autocommit("test", [&](Tx& tx) {
      check(tx.Exec(kValues, timestamp, micros, text, json)[0]);
      return absl::OkStatus();
    });
    ASSERT_OK(status);
  }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_F(PgValuesTest, TimestampsTravelAsEpochMicroseconds) {
  google::protobuf::Timestamp sent;
  sent.set_seconds(1700000000);
  sent.set_nanos(123456000);
  EXPECT_EQ(TimestampToMicros(sent), 1700000000123456);
  EXPECT_EQ(TimestampMicros(sent, true), "1700000000123456");
  EXPECT_EQ(TimestampMicros(sent, false), "");
  WithRow("2023-11-14T22:13:20.123456Z", "1700000000123456", "x", "{}", [&](const pqxx::row& row) {
    google::protobuf::Timestamp read;
    ReadTimestamp(row["micros"], &read);
    EXPECT_EQ(read.seconds(), 1700000000);
    EXPECT_EQ(read.nanos(), 123456000);
    google::protobuf::Timestamp round_trip;
    ReadTimestamp(row["round_trip"], &round_trip);
    EXPECT_EQ(round_trip.seconds(), 1700000000);
    EXPECT_EQ(round_trip.nanos(), 123456000);
    google::protobuf::Timestamp untouched;
    untouched.set_seconds(7);
    ReadTimestamp(row["no_micros"], &untouched);  // NULL leaves it as it was
    EXPECT_EQ(untouched.seconds(), 7);
  });
}

TEST_F(PgValuesTest, TimestampsBefore1970KeepNanosPositive) {
  WithRow("1969-12-31T23:59:59.5Z", "0", "x", "{}", [&](const pqxx::row& row) {
    google::protobuf::Timestamp read;
    ReadTimestamp(row["micros"], &read);
    EXPECT_EQ(read.seconds(), -1);
    EXPECT_EQ(read.nanos(), 500000000);
  });
}

TEST_F(PgValuesTest, TextAndJsonReadNullAsEmpty) {
  google::protobuf::Struct value;
  (*value.mutable_fields())["plan"].set_string_value("pro");
  const std::string json = StructToJson(value);
  WithRow("2000-01-01 00:00:00+00", "0", "hello", json, [&](const pqxx::row& row) {
    EXPECT_EQ(ReadText(row["text"]), "hello");
    EXPECT_EQ(ReadText(row["no_text"]), "");
    google::protobuf::Struct read;
    ASSERT_OK(ReadStruct(row["json"], &read));
    EXPECT_EQ(read.fields().at("plan").string_value(), "pro");
    google::protobuf::Struct none;
    EXPECT_OK(ReadStruct(row["no_json"], &none));
    EXPECT_TRUE(none.fields().empty());
    google::protobuf::Struct bad;
    EXPECT_THAT(ReadStruct(row["bad_json"], &bad), StatusIs(absl::StatusCode::kInternal));
  });
}

// A Value nested deeper than protobuf's JSON printer goes (its recursion
// limit: 64 in protobuf 3.21, 100 later).
google::protobuf::Value TooDeep() {
  google::protobuf::Value deep;
  google::protobuf::Value* at = &deep;
  for (int i = 0; i < 300; ++i) at = &(*at->mutable_struct_value()->mutable_fields())["x"];
  at->set_number_value(1);
  return deep;
}

TEST_F(PgValuesTest, JsonValuesRoundTripAndUnprintableStructsAreErrors) {
  google::protobuf::Value value;
  value.mutable_list_value()->add_values()->set_string_value("a");
  value.mutable_list_value()->add_values()->set_bool_value(true);
  EXPECT_EQ(ValueToJson(TooDeep()), "null");
  WithRow("2000-01-01 00:00:00+00", "0", "", ValueToJson(value), [&](const pqxx::row& row) {
    google::protobuf::Value read;
    ASSERT_OK(ReadJsonValue(row["json"], &read));
    ASSERT_EQ(read.list_value().values_size(), 2);
    EXPECT_EQ(read.list_value().values(0).string_value(), "a");
    EXPECT_TRUE(read.list_value().values(1).bool_value());
    google::protobuf::Value none;
    EXPECT_OK(ReadJsonValue(row["no_json"], &none));
    EXPECT_EQ(none.kind_case(), google::protobuf::Value::KIND_NOT_SET);
    EXPECT_THAT(ReadJsonValue(row["bad_json"], &none), StatusIs(absl::StatusCode::kInternal));
  });

  google::protobuf::Struct object;
  (*object.mutable_fields())["n"].set_number_value(1);
  ASSERT_OK_AND_ASSIGN(const std::string json, StructJson(object));
  EXPECT_EQ(json, R"({"n":1})");
  (*object.mutable_fields())["deep"] = TooDeep();
  EXPECT_THAT(StructJson(object), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(StructToJson(object), "{}");
}

// Money: numeric sums read as text become the double of the decimal they
// print, never a binary sum.
TEST_F(PgValuesTest, ReadDecimalParsesNumericText) {
  constexpr Statement kDecimals{
      "pg_values_decimals",
      "SELECT (0.10::numeric(18,2) + 0.20::numeric(18,2))::text AS sum, "
      "  9999999999999.99::numeric(18,2)::text AS large, NULL::text AS none, '-'::text AS junk"};
  absl::Status status = db_->pool().Autocommit("test", [&](Tx& tx) {
    const pqxx::row row = tx.Exec(kDecimals)[0];
    EXPECT_EQ(ReadText(row["sum"]), "0.30");
    EXPECT_EQ(ReadDecimal(row["sum"]), 0.3);
    EXPECT_NE(0.1 + 0.2, 0.3);  // what the database spared us
    EXPECT_EQ(ReadDecimal(row["large"]), 9999999999999.99);
    EXPECT_EQ(ReadDecimal(row["none"]), 0);
    EXPECT_EQ(ReadDecimal(row["junk"]), 0);
    return absl::OkStatus();
  });
  ASSERT_OK(status);
}

// Arrays go out as a JSON parameter turned into text[] (libpqxx 6.4 has no
// array parameters) and come back element by element.
TEST_F(PgValuesTest, TextArraysRoundTripThroughJson) {
  constexpr Statement kArrays{
      "pg_values_arrays",
      "SELECT ARRAY(SELECT jsonb_array_elements_text($1::jsonb)) AS list, "
      "  ARRAY['a', NULL, 'b,c']::text[] AS with_null, NULL::text[] AS none"};
  google::protobuf::RepeatedPtrField<std::string> values;
  for (const char* value : {"x", "say \"hi\"", "a,b", "caf\xc3\xa9"}) *values.Add() = value;
  EXPECT_EQ(JsonTextArray({}), "[]");
  absl::Status status = db_->pool().Autocommit("test", [&](Tx& tx) {
    const pqxx::row row = tx.Exec(kArrays, JsonTextArray(values))[0];
    google::protobuf::RepeatedPtrField<std::string> read;
    ReadTextArray(row["list"], &read);
    EXPECT_EQ(std::vector<std::string>(read.begin(), read.end()),
              std::vector<std::string>(values.begin(), values.end()));
    std::vector<std::string> list;
    ReadTextArray(row["with_null"], &list);
    EXPECT_EQ(list, (std::vector<std::string>{"a", "b,c"}));  // NULL elements skipped
    ReadTextArray(row["none"], &list);
    EXPECT_EQ(list.size(), 2u);  // a NULL column appends nothing
    return absl::OkStatus();
  });
  ASSERT_OK(status);
}

}  // namespace
}  // namespace affonso::storage
