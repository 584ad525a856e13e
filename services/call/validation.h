#ifndef AFFONSO_SERVICES_CALL_VALIDATION_H_
#define AFFONSO_SERVICES_CALL_VALIDATION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/struct.pb.h"

namespace affonso::services {

// Each returns OK or a VALIDATION_ERROR naming `field` (INVALID_ARGUMENT).

absl::Status RequireNonEmpty(absl::string_view field, absl::string_view value);
// Length in characters (UTF-8 code points), as a user counts them.
absl::Status CheckMaxLength(absl::string_view field, absl::string_view value, size_t max);
// A nullable text field (a google.protobuf.Value, as the SDK's `string |
// null`): a string or null; anything else (a number, a bool, an object, a
// list, nothing set) is "<field> must be a string or null".
absl::Status CheckNullableString(absl::string_view field, const google::protobuf::Value& value);
// CheckNullableString, and a string at most `max` characters (CheckMaxLength).
absl::Status CheckNullableText(absl::string_view field, const google::protobuf::Value& value,
                               size_t max);
// Size in bytes, for long texts whose cost is their encoding (a page of them must fit in one
// gRPC message): "<field> is at most <max> bytes of UTF-8".
absl::Status CheckMaxBytes(absl::string_view field, absl::string_view value, size_t max);
// An absolute http(s) URL: at most `max_length` characters, a host after the scheme, no blanks
// or control characters (the program's, a group's and a creative's links).
absl::Status CheckHttpUrl(absl::string_view field, absl::string_view url, size_t max_length);
// Empty passes (optional field); otherwise a plausible address, <= 254 chars.
absl::Status CheckEmail(absl::string_view field, absl::string_view value);
bool IsValidEmail(absl::string_view value);

// Money (API.md: major units, stored exactly as numeric(18,2)): finite,
// >= 0, below 10^13, and the double of an amount with at most 2 decimals (its
// "%.2f", which the stores write, reads back as the same double; anything
// else would be rounded silently); a percentage at most 100. Errors name
// `amount`.
absl::Status CheckAmount(double amount, bool is_percentage);
// The same money rule for any amount field, naming `field`; MoneyText is the
// decimal text the stores write for an amount it accepted.
absl::Status CheckMoney(absl::string_view field, double amount);
std::string MoneyText(double amount);

// A free-form field (metadata) at most `max_bytes` in its protobuf encoding,
// which is what it costs in a response: limits keep a full page of objects
// under gRPC's 4 MiB message limit.
absl::Status CheckMessageSize(absl::string_view field, const google::protobuf::Message& value,
                              size_t max_bytes);

// No string anywhere in `request` (nested and repeated fields, and the keys
// and values inside google.protobuf.Struct fields such as metadata) holds a
// NUL character: PostgreSQL text and jsonb cannot store one, and libpq would
// silently cut the value at it. The error names the field (dotted for nested
// fields; the Struct field itself for anything inside one). Every request
// gets this check (RpcRunner), whatever its service validates besides.
absl::Status CheckNoNulCharacters(const google::protobuf::Message& request);

// The names of a list parameter such as expand or include, given repeated,
// comma-separated or both (blanks skipped), in first-occurrence order without
// duplicates. Each must be one of `known`, else a VALIDATION_ERROR naming
// `field` and listing `known`.
absl::StatusOr<std::vector<std::string>> ParseNameList(
    absl::string_view field, const google::protobuf::RepeatedPtrField<std::string>& values,
    const std::vector<absl::string_view>& known);
// Whether ParseNameList's `names` hold `name`.
bool Names(const std::vector<std::string>& names, absl::string_view name);

// Within the range google.protobuf.Timestamp allows (0001-01-01 ..
// 9999-12-31).
bool InTimestampRange(absl::Time time);

// A list's date filter (dateFrom / dateTo): an RFC 3339 time, or a date
// (YYYY-MM-DD, UTC) meaning its first (kStart) or last (kEnd) microsecond,
// so that both bounds are inclusive. Anything else, or a time outside
// InTimestampRange, is a VALIDATION_ERROR naming `field`.
enum class DateBound { kStart, kEnd };
absl::StatusOr<absl::Time> ParseDateBound(absl::string_view field, absl::string_view value,
                                          DateBound bound);
// ParseDateBound as the stores take it: unix microseconds as text, "" for no
// bound (an empty value).
absl::StatusOr<std::string> DateBoundMicros(absl::string_view field, absl::string_view value,
                                            DateBound bound);

// An offset list's `sort`: "<field>", "<field>:asc", "<field>:desc" or
// "-<field>" (descending), the field one of `known`; "" = created_at
// descending. Answers "<field>:<asc|desc>"; a VALIDATION_ERROR naming sort
// that lists `known` otherwise.
absl::StatusOr<std::string> ParseSortSpec(absl::string_view sort,
                                          const std::vector<absl::string_view>& known);

// Our ids are "<prefix>_<base62>"; anything else (or longer than any id we
// issue) cannot name an object, so it is NOT_FOUND without a query.
bool LooksLikeId(absl::string_view value, absl::string_view prefix);

// A free-form value (a google.protobuf.Struct or Value such as metadata) is
// at most `max_bytes` bytes both as JSON and in its protobuf encoding (which
// is the larger for many small numbers: ~11 bytes each), so that it cannot
// push a list response past the gRPC message limit. The error names `field`
// and the limit.
absl::Status CheckEncodedSize(absl::string_view field, const google::protobuf::Message& value,
                              size_t max_bytes);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_VALIDATION_H_
