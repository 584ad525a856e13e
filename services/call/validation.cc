#include "services/call/validation.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/money.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace affonso::services {
namespace {

size_t CodePoints(absl::string_view value) {
  size_t count = 0;
  for (unsigned char c : value) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool IsLocalPartChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::StrContains("!#$%&'*+/=?^_`{|}~.-", c);
}

bool IsValidDomain(absl::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return false;
  for (absl::string_view label : labels) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  absl::string_view tld = labels.back();
  if (tld.size() < 2) return false;
  for (char c : tld) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c)) && c != '-' &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  // A TLD that is all digits is an IP address, not a mail domain.
  return !std::all_of(tld.begin(), tld.end(),
                      [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

absl::Status RequireNonEmpty(absl::string_view field, absl::string_view value) {
  if (absl::StripAsciiWhitespace(value).empty()) {
    return ValidationError(field, absl::StrCat(field, " is required"));
  }
  return absl::OkStatus();
}

absl::Status CheckMaxLength(absl::string_view field, absl::string_view value, size_t max) {
  if (CodePoints(value) > max) {
    return ValidationError(field, absl::StrCat(field, " must be at most ", max, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckNullableString(absl::string_view field, const google::protobuf::Value& value) {
  if (value.kind_case() == google::protobuf::Value::kNullValue ||
      value.kind_case() == google::protobuf::Value::kStringValue) {
    return absl::OkStatus();
  }
  return ValidationError(field, absl::StrCat(field, " must be a string or null"));
}

absl::Status CheckNullableText(absl::string_view field, const google::protobuf::Value& value,
                               size_t max) {
  AFFONSO_RETURN_IF_ERROR(CheckNullableString(field, value));
  if (value.kind_case() != google::protobuf::Value::kStringValue) return absl::OkStatus();
  return CheckMaxLength(field, value.string_value(), max);
}

absl::Status CheckMaxBytes(absl::string_view field, absl::string_view value, size_t max) {
  if (value.size() > max) {
    return ValidationError(field, absl::StrCat(field, " is at most ", max, " bytes of UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status CheckHttpUrl(absl::string_view field, absl::string_view url, size_t max_length) {
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength(field, url, max_length));
  absl::string_view rest = url;
  const bool has_scheme =
      absl::ConsumePrefix(&rest, "https://") || absl::ConsumePrefix(&rest, "http://");
  const bool printable = std::all_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  });
  if (!has_scheme || rest.empty() || rest.front() == '/' || !printable) {
    return ValidationError(field, absl::StrCat(field, " must be an http(s) URL"));
  }
  return absl::OkStatus();
}

bool IsValidEmail(absl::string_view value) {
  if (value.size() > 254) return false;
  size_t at = value.rfind('@');
  if (at == absl::string_view::npos || at == 0) return false;
  absl::string_view local = value.substr(0, at);
  absl::string_view domain = value.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      absl::StrContains(local, "..")) {
    return false;
  }
  for (char c : local) {
    if (!IsLocalPartChar(c)) return false;
  }
  return IsValidDomain(domain);
}

absl::Status CheckEmail(absl::string_view field, absl::string_view value) {
  if (value.empty() || IsValidEmail(value)) return absl::OkStatus();
  return ValidationError(field, absl::StrCat(field, " is not a valid email address"));
}

absl::Status CheckMoney(absl::string_view field, double amount) {
  // The one money rule (common/money.h): what the stores write as MoneyText
  // reads back as this very amount, so nothing is rounded silently.
  return Money::FromAmount(field, amount).status();
}

std::string MoneyText(double amount) { return absl::StrFormat("%.2f", amount); }

absl::Status CheckAmount(double amount, bool is_percentage) {
  constexpr double kMaxPercentage = 100;
  AFFONSO_RETURN_IF_ERROR(CheckMoney("amount", amount));
  if (is_percentage && amount > kMaxPercentage) {
    return ValidationError("amount", "a percentage amount must be at most 100");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseNameList(
    absl::string_view field, const google::protobuf::RepeatedPtrField<std::string>& values,
    const std::vector<absl::string_view>& known) {
  std::vector<std::string> names;
  for (const std::string& value : values) {
    for (absl::string_view name : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      name = absl::StripAsciiWhitespace(name);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return ValidationError(field,
                               absl::StrCat(field, " accepts only ", absl::StrJoin(known, ", ")));
      }
      if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
    }
  }
  return names;
}

bool Names(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool InTimestampRange(absl::Time time) {
  return time >= absl::FromUnixSeconds(-62135596800) && time <= absl::FromUnixSeconds(253402300799);
}

absl::StatusOr<absl::Time> ParseDateBound(absl::string_view field, absl::string_view value,
                                          DateBound bound) {
  absl::Time time;
  std::string error;
  if (value.size() == 10 &&
      absl::ParseTime("%Y-%m-%d", value, absl::UTCTimeZone(), &time, &error)) {
    if (bound == DateBound::kEnd) time += absl::Hours(24) - absl::Microseconds(1);
  } else if (!absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
    return ValidationError(field,
                           absl::StrCat(field, " must be a date (YYYY-MM-DD) or an RFC 3339 time"));
  }
  if (!InTimestampRange(time)) {
    return ValidationError(field, absl::StrCat(field, " is out of range"));
  }
  return time;
}

absl::Status CheckMessageSize(absl::string_view field, const google::protobuf::Message& value,
                              size_t max_bytes) {
  if (value.ByteSizeLong() > max_bytes) {
    return ValidationError(field, absl::StrCat(field, " may be at most ", max_bytes / 1024,
                                               " KiB (", max_bytes, " bytes encoded)"));
  }
  return absl::OkStatus();
}

namespace {

bool IsStructType(const google::protobuf::Descriptor& type) {
  const std::string& name = type.full_name();
  return name == "google.protobuf.Struct" || name == "google.protobuf.Value" ||
         name == "google.protobuf.ListValue";
}

// `path` is the field errors name; inside a Struct it stays the Struct field.
absl::Status FindNul(const google::protobuf::Message& message, const std::string& path,
                     bool inside_struct) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    const std::string field_path = inside_struct  ? path
                                   : path.empty() ? field->name()
                                                  : absl::StrCat(path, ".", field->name());
    const int count = field->is_repeated() ? reflection.FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
        std::string scratch;
        const std::string& value =
            field->is_repeated()
                ? reflection.GetRepeatedStringReference(message, field, i, &scratch)
                : reflection.GetStringReference(message, field, &scratch);
        if (value.find('\0') != std::string::npos) {
          return ValidationError(field_path,
                                 absl::StrCat(field_path, " must not contain NUL characters"));
        }
      } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        const google::protobuf::Message& child =
            field->is_repeated() ? reflection.GetRepeatedMessage(message, field, i)
                                 : reflection.GetMessage(message, field);
        AFFONSO_RETURN_IF_ERROR(
            FindNul(child, field_path, inside_struct || IsStructType(*field->message_type())));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckNoNulCharacters(const google::protobuf::Message& request) {
  return FindNul(request, "", false);
}

bool LooksLikeId(absl::string_view value, absl::string_view prefix) {
  if (value.size() <= prefix.size() + 1 || value.size() > 64) return false;
  if (!absl::StartsWith(value, prefix) || value[prefix.size()] != '_') return false;
  for (char c : value.substr(prefix.size() + 1)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status CheckEncodedSize(absl::string_view field, const google::protobuf::Message& value,
                              size_t max_bytes) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(value, &json).ok()) {
    return ValidationError(field, absl::StrCat(field, " is not valid JSON"));
  }
  const size_t size = std::max(json.size(), value.ByteSizeLong());
  if (size > max_bytes) {
    return ValidationError(
        field, absl::StrCat(field, " must be at most ", max_bytes, " bytes (it is ", size, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DateBoundMicros(absl::string_view field, absl::string_view value,
                                            DateBound bound) {
  if (value.empty()) return std::string();
  AFFONSO_ASSIGN_OR_RETURN(absl::Time time, ParseDateBound(field, value, bound));
  return std::to_string(absl::ToUnixMicros(time));
}

absl::StatusOr<std::string> ParseSortSpec(absl::string_view sort,
                                          const std::vector<absl::string_view>& known) {
  if (sort.empty()) return std::string("created_at:desc");
  absl::string_view field = sort;
  absl::string_view direction = "desc";
  if (absl::ConsumePrefix(&field, "-")) {
    // "-field": descending.
  } else if (absl::ConsumeSuffix(&field, ":asc")) {
    direction = "asc";
  } else {
    absl::ConsumeSuffix(&field, ":desc");
  }
  for (absl::string_view name : known) {
    if (field == name) return absl::StrCat(field, ":", direction);
  }
  std::vector<std::string> names(known.begin(), known.end());
  const std::string last = names.back();
  names.pop_back();
  return ValidationError(
      "sort", absl::StrCat("sort must be ", absl::StrJoin(names, ", "), names.empty() ? "" : " or ",
                           last, ", optionally with :asc or :desc"));
}

}  // namespace affonso::services
