#include "gateway/json_transcoder.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace affonso::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// Guards the walk below; protobuf's own parser stops at a similar depth.
constexpr int kMaxDepth = 32;

std::string UpperSnake(absl::string_view camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    char c = camel[i];
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && i > 0) out.push_back('_');
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string EnumPrefix(const EnumDescriptor& type) { return UpperSnake(type.name()) + "_"; }

bool IsWellKnown(const Descriptor* type, absl::string_view name) {
  return type != nullptr && type->full_name() == name;
}

// Fields whose JSON form protobuf handles itself (no walking inside).
bool IsOpaqueMessage(const Descriptor* type) {
  return IsWellKnown(type, "google.protobuf.Timestamp") ||
         IsWellKnown(type, "google.protobuf.Struct") ||
         IsWellKnown(type, "google.protobuf.Value") ||
         IsWellKnown(type, "google.protobuf.ListValue") ||
         IsWellKnown(type, "google.protobuf.Duration");
}

const FieldDescriptor* FindField(const Descriptor& type, absl::string_view name) {
  const std::string key(name);
  const FieldDescriptor* field = type.FindFieldByName(key);
  return field != nullptr ? field : type.FindFieldByCamelcaseName(key);
}

std::string Join(absl::string_view prefix, absl::string_view name) {
  return prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
}

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return ValidationError(path, absl::StrCat(path, " ", what));
}

absl::Status NormalizeMessage(const Descriptor& type, Struct* object, const std::string& path,
                              int depth);

// Checks one JSON value against a singular field and rewrites it into the
// form protobuf's parser takes (full enum names, numbers for numeric text).
absl::Status NormalizeSingle(const FieldDescriptor& field, Value* value, const std::string& path,
                             int depth) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (value->kind_case() != Value::kStringValue) return Invalid(path, "must be a string");
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL:
      if (value->kind_case() == Value::kStringValue &&
          (value->string_value() == "true" || value->string_value() == "false")) {
        value->set_bool_value(value->string_value() == "true");
      }
      if (value->kind_case() != Value::kBoolValue) return Invalid(path, "must be true or false");
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      double number;
      if (value->kind_case() == Value::kStringValue) {
        if (!absl::SimpleAtod(value->string_value(), &number)) {
          return Invalid(path, "must be an integer");
        }
      } else if (value->kind_case() == Value::kNumberValue) {
        number = value->number_value();
      } else {
        return Invalid(path, "must be an integer");
      }
      // Our contract has only 32-bit integers (int64 renders as a string).
      const bool is_unsigned = field.cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                               field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
      const double low = is_unsigned ? 0 : std::numeric_limits<int32_t>::min();
      if (!std::isfinite(number) || std::floor(number) != number || number < low ||
          number > std::numeric_limits<int32_t>::max()) {
        return Invalid(path, "must be an integer in range");
      }
      value->set_number_value(number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double number;
      if (value->kind_case() == Value::kStringValue &&
          absl::SimpleAtod(value->string_value(), &number)) {
        value->set_number_value(number);
      }
      if (value->kind_case() != Value::kNumberValue || !std::isfinite(value->number_value())) {
        return Invalid(path, "must be a number");
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor& type = *field.enum_type();
      if (value->kind_case() == Value::kNumberValue) {
        if (type.FindValueByNumber(static_cast<int>(value->number_value())) == nullptr ||
            std::floor(value->number_value()) != value->number_value()) {
          return Invalid(path, "is not an accepted value");
        }
        return absl::OkStatus();
      }
      if (value->kind_case() != Value::kStringValue) {
        return Invalid(path, "must be a string");
      }
      const std::string full =
          EnumPrefix(type) + absl::AsciiStrToUpper(value->string_value());
      const auto* named = type.FindValueByName(full);
      if (named == nullptr) named = type.FindValueByName(value->string_value());
      if (named == nullptr || named->number() == 0) {
        return Invalid(path, "is not an accepted value");
      }
      value->set_string_value(named->name());
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor* type = field.message_type();
      if (IsWellKnown(type, "google.protobuf.Timestamp")) {
        google::protobuf::Timestamp parsed;
        if (value->kind_case() != Value::kStringValue ||
            !google::protobuf::util::TimeUtil::FromString(value->string_value(), &parsed)) {
          return Invalid(path, "must be an RFC 3339 timestamp");
        }
        return absl::OkStatus();
      }
      if (IsWellKnown(type, "google.protobuf.Struct")) {
        if (value->kind_case() != Value::kStructValue) return Invalid(path, "must be an object");
        return absl::OkStatus();
      }
      if (IsWellKnown(type, "google.protobuf.ListValue")) {
        if (value->kind_case() != Value::kListValue) return Invalid(path, "must be an array");
        return absl::OkStatus();
      }
      if (IsOpaqueMessage(type)) return absl::OkStatus();
      if (value->kind_case() != Value::kStructValue) return Invalid(path, "must be an object");
      return NormalizeMessage(*type, value->mutable_struct_value(), path, depth + 1);
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeMessage(const Descriptor& type, Struct* object, const std::string& path,
                              int depth) {
  if (depth > kMaxDepth) return Invalid(path, "is nested too deeply");
  auto* fields = object->mutable_fields();
  Struct normalized;
  for (auto& [key, value] : *fields) {
    const FieldDescriptor* field = FindField(type, key);
    // Unknown input is ignored, as is an explicit null (= absent).
    if (field == nullptr || value.kind_case() == Value::kNullValue) continue;
    const std::string field_path = Join(path, field->name());
    if (normalized.fields().count(field->name())) {
      return Invalid(field_path, "is given twice (snake_case and camelCase)");
    }
    if (field->is_map()) return Invalid(field_path, "is not supported");
    if (field->is_repeated()) {
      if (value.kind_case() != Value::kListValue) return Invalid(field_path, "must be an array");
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        absl::Status status = NormalizeSingle(
            *field, value.mutable_list_value()->mutable_values(i), field_path, depth);
        if (!status.ok()) return status;
      }
    } else {
      absl::Status status = NormalizeSingle(*field, &value, field_path, depth);
      if (!status.ok()) return status;
    }
    (*normalized.mutable_fields())[field->name()] = std::move(value);
  }
  *object = std::move(normalized);
  return absl::OkStatus();
}

// Sets `dotted` (snake or camel names) in `root` to a string value, creating
// intermediate objects; a repeated leaf accumulates.
absl::Status SetByPath(const Descriptor& type, Struct* root, absl::string_view dotted,
                       const std::string& text, bool from_query) {
  std::vector<absl::string_view> names = absl::StrSplit(dotted, '.');
  const Descriptor* current = &type;
  Struct* object = root;
  std::string path;
  for (size_t i = 0; i < names.size(); ++i) {
    const FieldDescriptor* field = FindField(*current, names[i]);
    if (field == nullptr) {
      // Unknown query parameters are ignored like unknown body fields.
      if (from_query) return absl::OkStatus();
      return absl::InternalError(absl::StrCat("path binds unknown field ", dotted));
    }
    path = Join(path, field->name());
    Value& slot = (*object->mutable_fields())[field->name()];
    if (i + 1 == names.size()) {
      if (field->is_repeated()) {
        slot.mutable_list_value()->add_values()->set_string_value(text);
      } else {
        slot.set_string_value(text);
      }
      return absl::OkStatus();
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated() ||
        IsOpaqueMessage(field->message_type())) {
      return Invalid(path, "has no fields");
    }
    current = field->message_type();
    object = slot.mutable_struct_value();
  }
  return absl::OkStatus();
}

// Query text is always a string; numbers and booleans are converted by the
// normalizer from their text.
absl::Status AddQuery(const Descriptor& type, absl::string_view query, Struct* root) {
  if (query.empty()) return absl::OkStatus();
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    auto key = PercentDecode(kv.first, /*plus_is_space=*/true);
    auto value = PercentDecode(kv.second, /*plus_is_space=*/true);
    if (!key.ok() || !value.ok()) {
      return ValidationError("", "malformed query string");
    }
    absl::Status status = SetByPath(type, root, *key, *value, /*from_query=*/true);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Rewrites protobuf's JSON of `type` in place: enum names to API names.
void RenderEnums(const Descriptor& type, Struct* object) {
  for (auto& [key, value] : *object->mutable_fields()) {
    const FieldDescriptor* field = type.FindFieldByName(key);
    if (field == nullptr) continue;
    auto visit = [&](Value* item) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM &&
          item->kind_case() == Value::kStringValue) {
        const auto* enum_value = field->enum_type()->FindValueByName(item->string_value());
        if (enum_value != nullptr) item->set_string_value(EnumValueToApi(*enum_value));
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                 !IsOpaqueMessage(field->message_type()) &&
                 item->kind_case() == Value::kStructValue) {
        RenderEnums(*field->message_type(), item->mutable_struct_value());
      }
    };
    if (value.kind_case() == Value::kListValue) {
      for (Value& item : *value.mutable_list_value()->mutable_values()) visit(&item);
    } else {
      visit(&value);
    }
  }
}

}  // namespace

std::string EnumValueToApi(const google::protobuf::EnumValueDescriptor& value) {
  std::string prefix = EnumPrefix(*value.type());
  absl::string_view name = value.name();
  if (absl::StartsWith(name, prefix)) name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(name);
}

absl::Status BuildRequest(const Route& route,
                          const std::vector<std::pair<std::string, std::string>>& bindings,
                          absl::string_view query, absl::string_view body,
                          google::protobuf::Message* request) {
  const Descriptor& type = *request->GetDescriptor();
  Struct root;
  if (!route.body.empty() && !absl::StripAsciiWhitespace(body).empty()) {
    Value parsed;
    google::protobuf::util::JsonParseOptions strict;
    if (!google::protobuf::util::JsonStringToMessage(std::string(body), &parsed, strict).ok()) {
      return ValidationError("", "request body is not valid JSON");
    }
    if (parsed.kind_case() != Value::kStructValue) {
      return ValidationError("", "request body must be a JSON object");
    }
    if (route.body == "*") {
      root = std::move(*parsed.mutable_struct_value());
    } else {
      *(*root.mutable_fields())[route.body].mutable_struct_value() =
          std::move(*parsed.mutable_struct_value());
    }
  }
  if (route.body != "*") {
    absl::Status status = AddQuery(type, query, &root);
    if (!status.ok()) return status;
  }
  // Path variables win over anything the body says about the same field.
  for (const auto& [field_path, value] : bindings) {
    absl::Status status = SetByPath(type, &root, field_path, value, /*from_query=*/false);
    if (!status.ok()) return status;
  }
  absl::Status status = NormalizeMessage(type, &root, "", 0);
  if (!status.ok()) return status;

  std::string json;
  if (!google::protobuf::util::MessageToJsonString(root, &json).ok()) {
    return absl::InternalError("cannot re-encode request");
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, request, options);
  if (!parsed.ok()) {
    return ValidationError("", absl::StrCat("invalid request: ", parsed.message().as_string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RenderSuccess(const Route& route,
                                          const google::protobuf::Message& response) {
  const Descriptor& type = *response.GetDescriptor();
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(response, &json, print).ok()) {
    return absl::InternalError("cannot encode response");
  }
  Value value;
  if (!google::protobuf::util::JsonStringToMessage(json, &value).ok()) {
    return absl::InternalError("cannot re-read response");
  }
  RenderEnums(type, value.mutable_struct_value());

  Struct envelope;
  (*envelope.mutable_fields())["success"].set_bool_value(true);
  if (type.FindFieldByName("data") != nullptr) {
    for (auto& [key, field_value] : *value.mutable_struct_value()->mutable_fields()) {
      (*envelope.mutable_fields())[key] = std::move(field_value);
    }
  } else if (!route.response_body.empty()) {
    (*envelope.mutable_fields())["data"] =
        std::move((*value.mutable_struct_value()->mutable_fields())[route.response_body]);
  } else {
    (*envelope.mutable_fields())["data"] = std::move(value);
  }
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(envelope, &out).ok()) {
    return absl::InternalError("cannot encode envelope");
  }
  return out;
}

}  // namespace affonso::gateway
