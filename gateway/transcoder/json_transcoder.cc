#include "gateway/transcoder/json_transcoder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "common/json_escape.h"
#include "common/request_limits.h"
#include "common/status_macros.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/time_util.h"
#include "proto/affonso/v1/annotations.pb.h"

namespace affonso::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::ListValue;
using google::protobuf::Message;
using google::protobuf::Struct;
using google::protobuf::Value;

// Bounds a body's nesting (BodyParser) and guards the walk below: the bound
// gRPC requests get too.
constexpr int kMaxDepth = kMaxRequestNesting;

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
  if (field == nullptr) field = type.FindFieldByCamelcaseName(key);
  if (field != nullptr) return field;
  // A name the contract pins (json_name = "ScCid") is accepted as written.
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->has_json_name() && type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

std::string Join(absl::string_view prefix, absl::string_view name) {
  return prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
}

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return ValidationError(path, absl::StrCat(path, " ", what));
}

absl::Status AssignMessage(const Struct& object, Message* out, const std::string& path, int depth);

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The value of the 4 hex digits at json[at], or -1.
int HexQuad(absl::string_view json, size_t at) {
  if (at + 4 > json.size()) return -1;
  int code = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = json[i];
    const int digit = IsDigit(c)               ? c - '0'
                      : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                               : -1;
    if (digit < 0) return -1;
    code = code * 16 + digit;
  }
  return code;
}

void AppendUtf8(uint32_t code, std::string* out) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// The one parser of request bodies: strict RFC 8259 JSON (one value, nothing
// after it) into a google.protobuf.Value, arrays and objects nested at most
// `max_depth` deep (checked before descending, so the recursion is bounded
// too), in time linear in the body's size. It replaces protobuf's JSON parser
// here, which is lenient (single-quoted strings, bare keys, trailing commas),
// takes time quadratic in the depth of nested arrays and about a second per
// MiB of plain input, before the key is checked: a pre-check in front of it
// that counted brackets outside double-quoted strings disagreed with it about
// what a string is, and so about the depth. Duplicate keys are refused (a
// body means one thing), numbers beyond a double's range too. Raw control
// characters inside strings pass, as protobuf let them: a NUL byte then
// reaches the service's check, which names its field.
class BodyParser {
 public:
  BodyParser(absl::string_view json, int max_depth) : json_(json), max_depth_(max_depth) {}

  absl::Status Parse(Value* out) {
    AFFONSO_RETURN_IF_ERROR(ParseValue(out, 0));
    SkipWhitespace();
    return at_ == json_.size() ? absl::OkStatus() : NotJson();
  }

 private:
  absl::Status NotJson() const {
    return ValidationError("",
                           absl::StrCat("request body is not valid JSON (RFC 8259) at byte ", at_));
  }

  // Consumes `c` (after whitespace) if it comes next.
  bool Take(char c) {
    SkipWhitespace();
    if (at_ == json_.size() || json_[at_] != c) return false;
    ++at_;
    return true;
  }

  void SkipWhitespace() {
    while (at_ < json_.size() &&
           (json_[at_] == ' ' || json_[at_] == '\t' || json_[at_] == '\n' || json_[at_] == '\r')) {
      ++at_;
    }
  }

  // `depth`: the arrays and objects around this value.
  absl::Status ParseValue(Value* out, int depth) {
    SkipWhitespace();
    if (at_ == json_.size()) return NotJson();
    const char c = json_[at_];
    if (c == '{' || c == '[') {
      if (depth >= max_depth_) return ValidationError("", "request body is nested too deeply");
      ++at_;
      return c == '{' ? ParseObject(out->mutable_struct_value(), depth + 1)
                      : ParseArray(out->mutable_list_value(), depth + 1);
    }
    if (c == '"') return ParseString(out->mutable_string_value());
    if (c == '-' || IsDigit(c)) return ParseNumber(out);
    for (const auto& [literal, kind] :
         {std::pair<absl::string_view, int>{"true", 1}, {"false", 0}, {"null", -1}}) {
      if (absl::StartsWith(json_.substr(at_), literal)) {
        at_ += literal.size();
        if (kind < 0) {
          out->set_null_value(google::protobuf::NULL_VALUE);
        } else {
          out->set_bool_value(kind == 1);
        }
        return absl::OkStatus();
      }
    }
    return NotJson();
  }

  absl::Status ParseObject(Struct* out, int depth) {
    if (Take('}')) return absl::OkStatus();
    do {
      SkipWhitespace();
      if (at_ == json_.size() || json_[at_] != '"') return NotJson();
      const size_t key_at = at_;
      std::string key;
      AFFONSO_RETURN_IF_ERROR(ParseString(&key));
      if (!Take(':')) return NotJson();
      google::protobuf::Map<std::string, Value>& fields = *out->mutable_fields();
      if (fields.find(key) != fields.end()) {
        return ValidationError("", absl::StrCat("request body repeats a key at byte ", key_at));
      }
      AFFONSO_RETURN_IF_ERROR(ParseValue(&fields[key], depth));
    } while (Take(','));
    return Take('}') ? absl::OkStatus() : NotJson();
  }

  absl::Status ParseArray(ListValue* out, int depth) {
    if (Take(']')) return absl::OkStatus();
    do {
      AFFONSO_RETURN_IF_ERROR(ParseValue(out->add_values(), depth));
    } while (Take(','));
    return Take(']') ? absl::OkStatus() : NotJson();
  }

  // At the opening quote. RFC 8259's escapes only, \u surrogates in pairs,
  // UTF-8 text.
  absl::Status ParseString(std::string* out) {
    const size_t start = ++at_;
    while (at_ < json_.size()) {
      const char c = json_[at_];
      if (c == '"') {
        // Escapes are ASCII and decode to valid UTF-8: the raw text says it all.
        if (!IsValidUtf8(json_.substr(start, at_ - start))) return NotJson();
        ++at_;
        return absl::OkStatus();
      }
      if (c != '\\') {
        const size_t run = at_;
        while (at_ < json_.size() && json_[at_] != '"' && json_[at_] != '\\') ++at_;
        out->append(json_.data() + run, at_ - run);
        continue;
      }
      if (at_ + 1 == json_.size()) return NotJson();
      const char escaped = json_[at_ + 1];
      constexpr absl::string_view kEscapes = "\"\\/bfnrt";
      constexpr absl::string_view kMeanings = "\"\\/\b\f\n\r\t";
      if (escaped != 'u') {
        const size_t which = kEscapes.find(escaped);
        if (which == absl::string_view::npos) return NotJson();
        out->push_back(kMeanings[which]);
        at_ += 2;
        continue;
      }
      uint32_t code = 0;
      const int high = HexQuad(json_, at_ + 2);
      if (high < 0 || (high >= 0xDC00 && high <= 0xDFFF)) return NotJson();  // or a lone low
      at_ += 6;
      code = static_cast<uint32_t>(high);
      if (high >= 0xD800 && high <= 0xDBFF) {
        const int low = at_ + 1 < json_.size() && json_[at_] == '\\' && json_[at_ + 1] == 'u'
                            ? HexQuad(json_, at_ + 2)
                            : -1;
        if (low < 0xDC00 || low > 0xDFFF) return NotJson();
        at_ += 6;
        code = 0x10000 + ((code - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
      }
      AppendUtf8(code, out);
    }
    return NotJson();
  }

  // RFC 8259's grammar: no leading zeros, '+', bare '.', NaN or Infinity.
  absl::Status ParseNumber(Value* out) {
    const size_t start = at_;
    auto digits = [&] {
      const size_t first = at_;
      while (at_ < json_.size() && IsDigit(json_[at_])) ++at_;
      return at_ > first;
    };
    if (json_[at_] == '-') ++at_;
    if (at_ < json_.size() && json_[at_] == '0') {
      ++at_;
    } else if (!digits()) {
      return NotJson();
    }
    if (at_ < json_.size() && json_[at_] == '.') {
      ++at_;
      if (!digits()) return NotJson();
    }
    if (at_ < json_.size() && (json_[at_] == 'e' || json_[at_] == 'E')) {
      ++at_;
      if (at_ < json_.size() && (json_[at_] == '+' || json_[at_] == '-')) ++at_;
      if (!digits()) return NotJson();
    }
    const double number =
        std::strtod(std::string(json_.substr(start, at_ - start)).c_str(), nullptr);
    if (!std::isfinite(number)) {
      return ValidationError(
          "", absl::StrCat("request body has a number beyond a double's range at byte ", start));
    }
    out->set_number_value(number);
    return absl::OkStatus();
  }

  const absl::string_view json_;
  const int max_depth_;
  size_t at_ = 0;
};

// Reads a JSON number (or numeric text, as proto JSON allows) as a whole
// number within 32 bits.
absl::Status ReadInteger(const Value& value, bool is_unsigned, const std::string& path,
                         double* number) {
  if (value.kind_case() == Value::kStringValue) {
    if (!absl::SimpleAtod(value.string_value(), number)) {
      return Invalid(path, "must be an integer");
    }
  } else if (value.kind_case() == Value::kNumberValue) {
    *number = value.number_value();
  } else {
    return Invalid(path, "must be an integer");
  }
  // Our contract has only 32-bit integers (int64 renders as a string).
  const double low = is_unsigned ? 0 : std::numeric_limits<int32_t>::min();
  if (!std::isfinite(*number) || std::floor(*number) != *number || *number < low ||
      *number > std::numeric_limits<int32_t>::max()) {
    return Invalid(path, "must be an integer in range");
  }
  return absl::OkStatus();
}

// Sets `field` of `out` from one JSON value (appends when repeated), checking
// the JSON type against the field's so that errors name the field.
absl::Status AssignValue(const FieldDescriptor& field, const Value& value, Message* out,
                         const std::string& path, int depth) {
  const google::protobuf::Reflection& reflection = *out->GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (value.kind_case() != Value::kStringValue) return Invalid(path, "must be a string");
      // The JSON parser checks the body; path segments and query values are
      // percent-decoded bytes, and the backend refuses a request whose
      // strings are not UTF-8.
      if (!IsValidUtf8(value.string_value())) return Invalid(path, "must be valid UTF-8");
      if (repeated) {
        reflection.AddString(out, &field, value.string_value());
      } else {
        reflection.SetString(out, &field, value.string_value());
      }
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool flag;
      if (value.kind_case() == Value::kBoolValue) {
        flag = value.bool_value();
      } else if (value.kind_case() == Value::kStringValue &&
                 (value.string_value() == "true" || value.string_value() == "false")) {
        flag = value.string_value() == "true";
      } else {
        return Invalid(path, "must be true or false");
      }
      repeated ? reflection.AddBool(out, &field, flag) : reflection.SetBool(out, &field, flag);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      const bool is_unsigned = field.cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                               field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
      double number;
      absl::Status status = ReadInteger(value, is_unsigned, path, &number);
      if (!status.ok()) return status;
      switch (field.cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          repeated ? reflection.AddInt32(out, &field, static_cast<int32_t>(number))
                   : reflection.SetInt32(out, &field, static_cast<int32_t>(number));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          repeated ? reflection.AddInt64(out, &field, static_cast<int64_t>(number))
                   : reflection.SetInt64(out, &field, static_cast<int64_t>(number));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          repeated ? reflection.AddUInt32(out, &field, static_cast<uint32_t>(number))
                   : reflection.SetUInt32(out, &field, static_cast<uint32_t>(number));
          break;
        default:
          repeated ? reflection.AddUInt64(out, &field, static_cast<uint64_t>(number))
                   : reflection.SetUInt64(out, &field, static_cast<uint64_t>(number));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double number = 0;
      if (value.kind_case() == Value::kNumberValue) {
        number = value.number_value();
      } else if (value.kind_case() != Value::kStringValue ||
                 !absl::SimpleAtod(value.string_value(), &number)) {
        return Invalid(path, "must be a number");
      }
      if (!std::isfinite(number)) return Invalid(path, "must be a number");
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        repeated ? reflection.AddDouble(out, &field, number)
                 : reflection.SetDouble(out, &field, number);
      } else {
        repeated ? reflection.AddFloat(out, &field, static_cast<float>(number))
                 : reflection.SetFloat(out, &field, static_cast<float>(number));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor& type = *field.enum_type();
      const google::protobuf::EnumValueDescriptor* named = nullptr;
      if (value.kind_case() == Value::kNumberValue) {
        // Out of int's range the conversion would be undefined behaviour.
        const double number = value.number_value();
        if (std::floor(number) == number && number >= std::numeric_limits<int32_t>::min() &&
            number <= std::numeric_limits<int32_t>::max()) {
          named = type.FindValueByNumber(static_cast<int32_t>(number));
        }
      } else if (value.kind_case() == Value::kStringValue) {
        named =
            type.FindValueByName(EnumPrefix(type) + absl::AsciiStrToUpper(value.string_value()));
        if (named == nullptr) named = type.FindValueByName(value.string_value());
      } else {
        return Invalid(path, "must be a string");
      }
      // UNSPECIFIED is "not given", never a value a client may choose.
      if (named == nullptr || named->number() == 0) {
        return Invalid(path, "is not an accepted value");
      }
      repeated ? reflection.AddEnum(out, &field, named) : reflection.SetEnum(out, &field, named);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor* type = field.message_type();
      Message* target =
          repeated ? reflection.AddMessage(out, &field) : reflection.MutableMessage(out, &field);
      if (IsWellKnown(type, "google.protobuf.Timestamp")) {
        google::protobuf::Timestamp parsed;
        if (value.kind_case() != Value::kStringValue ||
            !google::protobuf::util::TimeUtil::FromString(value.string_value(), &parsed)) {
          return Invalid(path, "must be an RFC 3339 timestamp");
        }
        target->CopyFrom(parsed);
        return absl::OkStatus();
      }
      if (IsWellKnown(type, "google.protobuf.Struct")) {
        if (value.kind_case() != Value::kStructValue) return Invalid(path, "must be an object");
        target->CopyFrom(value.struct_value());
        return absl::OkStatus();
      }
      if (IsWellKnown(type, "google.protobuf.ListValue")) {
        if (value.kind_case() != Value::kListValue) return Invalid(path, "must be an array");
        target->CopyFrom(value.list_value());
        return absl::OkStatus();
      }
      if (IsWellKnown(type, "google.protobuf.Value")) {
        target->CopyFrom(value);
        return absl::OkStatus();
      }
      if (IsOpaqueMessage(type)) return Invalid(path, "is not supported");
      if (value.kind_case() != Value::kStructValue) return Invalid(path, "must be an object");
      return AssignMessage(value.struct_value(), target, path, depth + 1);
    }
  }
  return absl::OkStatus();
}

// An explicit JSON null: the SDK sends it to clear a field (`group_id:
// null`, `metadata: null`). A string with presence, a Struct or a ListValue
// is set, empty, which the services read as "clear"; a google.protobuf.Value
// holds the null. Anything else is left absent ("unchanged", or the
// default): an empty Timestamp would be 1970, an empty config message a
// half-cleared one.
void AssignNull(const FieldDescriptor& field, Message* out) {
  if (field.is_repeated() || !field.has_presence()) return;
  const google::protobuf::Reflection& r = *out->GetReflection();
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    r.SetString(out, &field, "");
  } else if (IsWellKnown(field.message_type(), "google.protobuf.Value")) {
    static_cast<Value*>(r.MutableMessage(out, &field))
        ->set_null_value(google::protobuf::NULL_VALUE);
  } else if (IsWellKnown(field.message_type(), "google.protobuf.Struct") ||
             IsWellKnown(field.message_type(), "google.protobuf.ListValue")) {
    r.MutableMessage(out, &field);
  }
}

absl::Status AssignMessage(const Struct& object, Message* out, const std::string& path, int depth) {
  if (depth > kMaxDepth) return Invalid(path, "is nested too deeply");
  const Descriptor& type = *out->GetDescriptor();
  std::vector<int> seen;
  for (const auto& [key, value] : object.fields()) {
    const FieldDescriptor* field = FindField(type, key);
    if (field == nullptr) continue;  // unknown input is ignored
    // Filled from the raw HTTP body alone (BuildRequest): a key of that name
    // in the JSON is ignored like unknown input, never parsed.
    if (field->options().GetExtension(affonso::v1::raw_body)) continue;
    const std::string field_path = Join(path, field->name());
    if (std::find(seen.begin(), seen.end(), field->number()) != seen.end()) {
      return Invalid(field_path, "is given twice (snake_case and camelCase)");
    }
    seen.push_back(field->number());
    if (value.kind_case() == Value::kNullValue) {
      AssignNull(*field, out);
      continue;
    }
    if (field->is_map()) return Invalid(field_path, "is not supported");
    if (field->is_repeated()) {
      if (value.kind_case() != Value::kListValue) return Invalid(field_path, "must be an array");
      for (const Value& item : value.list_value().values()) {
        absl::Status status = AssignValue(*field, item, out, field_path, depth);
        if (!status.ok()) return status;
      }
    } else {
      absl::Status status = AssignValue(*field, value, out, field_path, depth);
      if (!status.ok()) return status;
    }
  }
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
      if (field->is_repeated() && from_query) {
        // `expand=a,b` (how the SDK sends a list) and `expand=a&expand=b`
        // are the same list.
        for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
          slot.mutable_list_value()->add_values()->set_string_value(std::string(item));
        }
        if (!slot.has_list_value()) slot.mutable_list_value();
      } else if (field->is_repeated()) {
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
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
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

// Shortest text that reads back as the same double, as protobuf's JSON does.
void WriteDouble(double number, std::string* out) {
  if (std::isnan(number)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(number)) {
    out->append(number > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buffer[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, number);
    if (std::strtod(buffer, nullptr) == number) break;
  }
  out->append(buffer);
}

void WriteJsonValue(const Value& value, std::string* out);

void WriteJsonStruct(const Struct& object, std::string* out) {
  // Sorted keys: map order would differ run to run.
  std::vector<const std::string*> keys;
  for (const auto& entry : object.fields()) keys.push_back(&entry.first);
  std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return *a < *b; });
  out->push_back('{');
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(JsonEscape(*keys[i]));
    out->push_back(':');
    WriteJsonValue(object.fields().at(*keys[i]), out);
  }
  out->push_back('}');
}

void WriteJsonValue(const Value& value, std::string* out) {
  switch (value.kind_case()) {
    case Value::kNumberValue:
      return WriteDouble(value.number_value(), out);
    case Value::kStringValue: {
      out->append(JsonEscape(value.string_value()));
      return;
    }
    case Value::kBoolValue: {
      out->append(value.bool_value() ? "true" : "false");
      return;
    }
    case Value::kStructValue:
      return WriteJsonStruct(value.struct_value(), out);
    case Value::kListValue: {
      out->push_back('[');
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        if (i > 0) out->push_back(',');
        WriteJsonValue(value.list_value().values(i), out);
      }
      return out->push_back(']');
    }
    default: {
      out->append("null");
      return;
    }
  }
}

void WriteMessage(const Message& message, std::string* out);

// One value of `field` (element `index` when repeated).
void WriteFieldValue(const Message& message, const FieldDescriptor& field, int index,
                     std::string* out) {
  const google::protobuf::Reflection& r = *message.GetReflection();
  const bool rep = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text = rep ? r.GetRepeatedStringReference(message, &field, index, &scratch)
                                    : r.GetStringReference(message, &field, &scratch);
      {
        out->append(JsonEscape(text));
        return;
      }
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      out->append((rep ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                      ? "true"
                      : "false");
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrAppend(
          out, rep ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrAppend(
          out, rep ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field));
    // 64-bit integers are strings in proto JSON (JavaScript loses precision).
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrAppend(
          out, "\"", rep ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field),
          "\"");
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrAppend(
          out, "\"",
          rep ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field), "\"");
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return WriteDouble(
          rep ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field), out);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return WriteDouble(
          rep ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field), out);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number =
          rep ? r.GetRepeatedEnumValue(message, &field, index) : r.GetEnumValue(message, &field);
      const auto* value = field.enum_type()->FindValueByNumber(number);
      if (value == nullptr) return absl::StrAppend(out, number);
      out->append(JsonEscape(EnumValueToApi(*value)));
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& child =
          rep ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field);
      const Descriptor* type = field.message_type();
      if (IsWellKnown(type, "google.protobuf.Timestamp")) {
        google::protobuf::Timestamp timestamp;
        timestamp.CopyFrom(child);
        {
          out->append(JsonEscape(google::protobuf::util::TimeUtil::ToString(timestamp)));
          return;
        }
      }
      if (IsWellKnown(type, "google.protobuf.Struct")) {
        Struct object;
        object.CopyFrom(child);
        return WriteJsonStruct(object, out);
      }
      if (IsWellKnown(type, "google.protobuf.Value")) {
        Value value;
        value.CopyFrom(child);
        return WriteJsonValue(value, out);
      }
      if (IsWellKnown(type, "google.protobuf.ListValue")) {
        Value value;
        value.mutable_list_value()->CopyFrom(child);
        return WriteJsonValue(value, out);
      }
      return WriteMessage(child, out);
    }
  }
}

// Fields in declaration order, snake_case names (or the proto's explicit
// json_name), every field present, as the SDK's types declare them
// (docs/CONTRACT.md): a field with presence that is unset (a proto3
// `optional`, a singular message) is `null`, the SDK's `T | null`, unless it
// is marked omit_when_unset (the SDK's `name?: T`).
//
// An expansion (omit_when_unset) named by the message's expansion_list field
// was asked for: it is rendered even when it found nothing (null, or []).
// The list itself is never rendered.
void WriteFields(const Message& message, std::string* out, bool* first) {
  const Descriptor& type = *message.GetDescriptor();
  const google::protobuf::Reflection& r = *message.GetReflection();
  std::vector<std::string> expanded;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (!field.options().GetExtension(affonso::v1::expansion_list)) continue;
    for (int j = 0; j < r.FieldSize(message, &field); ++j) {
      expanded.push_back(r.GetRepeatedString(message, &field, j));
    }
  }
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.options().GetExtension(affonso::v1::expansion_list) ||
        field.options().GetExtension(affonso::v1::grpc_only) ||
        field.options().GetExtension(affonso::v1::raw_body)) {
      continue;
    }
    const bool unset = field.has_presence() && !r.HasField(message, &field);
    if (field.options().GetExtension(affonso::v1::omit_when_unset) &&
        (field.is_repeated() ? r.FieldSize(message, &field) == 0 : unset) &&
        std::find(expanded.begin(), expanded.end(), field.name()) == expanded.end()) {
      continue;
    }
    if (!*first) out->push_back(',');
    *first = false;
    out->push_back('"');
    // snake_case, unless the contract pins a JSON name (json_name = "...").
    out->append(field.has_json_name() ? field.json_name() : field.name());
    out->append("\":");
    if (unset) {
      out->append("null");
    } else if (field.is_repeated()) {
      out->push_back('[');
      for (int j = 0; j < r.FieldSize(message, &field); ++j) {
        if (j > 0) out->push_back(',');
        WriteFieldValue(message, field, j, out);
      }
      out->push_back(']');
    } else {
      WriteFieldValue(message, field, -1, out);
    }
  }
}

// The request's raw_body fields get the HTTP body exactly as received, so
// the service can check a signature over it (annotations.proto).
void FillRawBody(absl::string_view body, Message* request) {
  const Descriptor& type = *request->GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.type() != FieldDescriptor::TYPE_BYTES || field.is_repeated() ||
        !field.options().GetExtension(affonso::v1::raw_body)) {
      continue;
    }
    request->GetReflection()->SetString(request, &field, std::string(body));
  }
}

// The oneof marked json_union, when the message is such a union.
const google::protobuf::OneofDescriptor* JsonUnionOf(const Descriptor& type) {
  for (int i = 0; i < type.oneof_decl_count(); ++i) {
    if (type.oneof_decl(i)->options().GetExtension(affonso::v1::json_union)) {
      return type.oneof_decl(i);
    }
  }
  return nullptr;
}

void WriteMessage(const Message& message, std::string* out) {
  // A union (the SDK's `A | B`) is its set member alone; null when none is.
  if (const auto* oneof = JsonUnionOf(*message.GetDescriptor()); oneof != nullptr) {
    const FieldDescriptor* set = message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
    if (set == nullptr) {
      out->append("null");
    } else {
      WriteFieldValue(message, *set, -1, out);
    }
    return;
  }
  out->push_back('{');
  bool first = true;
  WriteFields(message, out, &first);
  out->push_back('}');
}

}  // namespace

std::string EnumValueToApi(const google::protobuf::EnumValueDescriptor& value) {
  std::string prefix = EnumPrefix(*value.type());
  absl::string_view name = value.name();
  if (absl::StartsWith(name, prefix)) name.remove_prefix(prefix.size());
  // Where the SDK types the output Uppercase<...> (partnership_status).
  if (value.type()->options().GetExtension(affonso::v1::upper_case_in_json)) {
    return std::string(name);
  }
  return absl::AsciiStrToLower(name);
}

absl::Status BuildRequest(const Route& route,
                          const std::vector<std::pair<std::string, std::string>>& bindings,
                          absl::string_view query, absl::string_view body,
                          google::protobuf::Message* request) {
  const Descriptor& type = *request->GetDescriptor();
  // The body's tree lives in an arena: a large body of small values costs
  // allocations by the thousand, and only the fields the request has are
  // copied out of it.
  google::protobuf::Arena arena;
  Struct& root = *google::protobuf::Arena::CreateMessage<Struct>(&arena);
  if (!route.body.empty() && !absl::StripAsciiWhitespace(body).empty()) {
    Value& parsed = *google::protobuf::Arena::CreateMessage<Value>(&arena);
    AFFONSO_RETURN_IF_ERROR(BodyParser(body, kMaxDepth).Parse(&parsed));
    if (parsed.kind_case() != Value::kStructValue) {
      return ValidationError("", "request body must be a JSON object");
    }
    if (route.body == "*") {
      root.Swap(parsed.mutable_struct_value());
    } else {
      (*root.mutable_fields())[route.body].mutable_struct_value()->Swap(
          parsed.mutable_struct_value());
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
  request->Clear();
  absl::Status status = AssignMessage(root, request, "", 0);
  if (status.ok()) FillRawBody(body, request);
  // With `body: "field"` the client's JSON is that field: name its fields as
  // the client wrote them, without the "field." prefix.
  const std::string prefix = absl::StrCat(route.body, ".");
  if (!status.ok() && route.body != "*" && !route.body.empty() &&
      absl::StartsWith(ApiErrorField(status), prefix)) {
    return ValidationError(ApiErrorField(status).substr(prefix.size()), status.message());
  }
  return status;
}

absl::StatusOr<std::string> RenderSuccess(const Route& route,
                                          const google::protobuf::Message& response) {
  const Descriptor& type = *response.GetDescriptor();
  if (route.method != nullptr && route.method->options().GetExtension(affonso::v1::bare_response)) {
    std::string bare;
    WriteMessage(response, &bare);
    return bare;
  }
  std::string out = "{\"success\":true,";
  if (type.FindFieldByName("data") != nullptr) {
    bool first = true;
    WriteFields(response, &out, &first);
  } else if (!route.response_body.empty()) {
    const FieldDescriptor* field = type.FindFieldByName(route.response_body);
    if (field == nullptr || field->is_repeated()) return absl::InternalError("bad response_body");
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      out.append("\"data\":");
      WriteMessage(response.GetReflection()->GetMessage(response, field), &out);
    } else {
      // A scalar beside "success" under its own name: a delete's
      // {"success":true,"message":"..."} (the SDK's DeleteResponse).
      absl::StrAppend(&out, "\"", field->name(), "\":");
      WriteFieldValue(response, *field, -1, &out);
    }
  } else {
    out.append("\"data\":");
    WriteMessage(response, &out);
  }
  out.push_back('}');
  return out;
}

}  // namespace affonso::gateway
