#include "storage/pg_values.h"

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

std::string StructToJson(const google::protobuf::Struct& value) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(value, &json).ok()) return "{}";
  return json;
}

absl::Status ReadStruct(const pqxx::field& field, google::protobuf::Struct* out) {
  if (field.is_null()) return absl::OkStatus();
  auto status = google::protobuf::util::JsonStringToMessage(field.c_str(), out);
  if (!status.ok()) return absl::InternalError("stored metadata is not a JSON object");
  return absl::OkStatus();
}

}  // namespace affonso::storage
