#include "storage/pg_values.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "google/protobuf/util/json_util.h"

namespace affonso::storage {

int64_t TimestampToMicros(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() * 1000000 + timestamp.nanos() / 1000;
}

std::string TimestampMicros(const google::protobuf::Timestamp& timestamp, bool present) {
  if (!present) return "";
  return std::to_string(TimestampToMicros(timestamp));
}

void ReadTimestamp(const pqxx::field& field, google::protobuf::Timestamp* out) {
  if (field.is_null()) return;
  int64_t micros = field.as<int64_t>();
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    seconds -= 1;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

std::string ReadText(const pqxx::field& field) {
  return field.is_null() ? std::string() : std::string(field.c_str(), field.size());
}

double ReadDecimal(const pqxx::field& field) {
  double value = 0;
  if (field.is_null() ||
      !absl::SimpleAtod(absl::string_view(field.c_str(), field.size()), &value)) {
    return 0;
  }
  return value;
}

namespace {

template <typename Strings>
void AppendTextArray(const pqxx::field& field, Strings* out) {
  if (field.is_null()) return;
  pqxx::array_parser parser = field.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) *out->Add() = std::move(item.second);
  }
}

// A std::vector with the RepeatedPtrField spelling AppendTextArray uses.
struct VectorAppender {
  std::vector<std::string>* strings;
  std::string* Add() { return &strings->emplace_back(); }
};

}  // namespace

void ReadTextArray(const pqxx::field& field, std::vector<std::string>* out) {
  VectorAppender appender{out};
  AppendTextArray(field, &appender);
}

void ReadTextArray(const pqxx::field& field, google::protobuf::RepeatedPtrField<std::string>* out) {
  AppendTextArray(field, out);
}

std::string JsonTextArray(const google::protobuf::RepeatedPtrField<std::string>& values) {
  google::protobuf::ListValue list;
  for (const std::string& value : values) list.add_values()->set_string_value(value);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(list, &json).ok()) return "[]";
  return json;
}

absl::StatusOr<std::string> StructJson(const google::protobuf::Struct& value) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(value, &json).ok()) {
    return absl::InternalError("a JSON object does not print");
  }
  return json;
}

std::string StructToJson(const google::protobuf::Struct& value) {
  return StructJson(value).value_or("{}");
}

absl::Status ReadStruct(const pqxx::field& field, google::protobuf::Struct* out) {
  if (field.is_null()) return absl::OkStatus();
  auto status = google::protobuf::util::JsonStringToMessage(field.c_str(), out);
  if (!status.ok()) return absl::InternalError("stored metadata is not a JSON object");
  return absl::OkStatus();
}

absl::Status ReadJsonValue(const pqxx::field& field, google::protobuf::Value* out) {
  if (field.is_null()) return absl::OkStatus();
  if (!google::protobuf::util::JsonStringToMessage(field.c_str(), out).ok()) {
    return absl::InternalError("stored JSON does not parse");
  }
  return absl::OkStatus();
}

std::string ValueToJson(const google::protobuf::Value& value) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(value, &json).ok()) return "null";
  return json;
}

}  // namespace affonso::storage
