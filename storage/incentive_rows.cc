#include "storage/incentive_rows.h"

#include "absl/strings/numbers.h"
#include "google/protobuf/util/json_util.h"

namespace affonso::storage {

double ReadAmount(const pqxx::field& field) {
  double amount = 0;
  if (field.is_null() || !absl::SimpleAtod(field.c_str(), &amount)) return 0;
  return amount;
}

void ReadStringArray(const pqxx::field& field,
                     google::protobuf::RepeatedPtrField<std::string>* out) {
  if (field.is_null()) return;
  pqxx::array_parser parser = field.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) out->Add(std::move(item.second));
  }
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

std::string JsonStringArray(const google::protobuf::RepeatedPtrField<std::string>& values) {
  google::protobuf::Value list;
  for (const std::string& value : values) {
    list.mutable_list_value()->add_values()->set_string_value(value);
  }
  if (values.empty()) list.mutable_list_value();
  return ValueToJson(list);
}

}  // namespace affonso::storage
