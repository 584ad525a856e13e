#include "storage/incentive_rows.h"

#include "google/protobuf/util/json_util.h"

namespace affonso::storage {

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
