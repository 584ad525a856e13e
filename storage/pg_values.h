#ifndef AFFONSO_STORAGE_PG_VALUES_H_
#define AFFONSO_STORAGE_PG_VALUES_H_

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace affonso::storage {

// Parameter helpers. libpqxx 6.4 sends a null `const char*` as SQL NULL; the
// strings passed in must outlive the statement (request fields do).
inline const char* NullIfEmpty(const std::string& value) {
  return value.empty() ? nullptr : value.c_str();
}

// Timestamps cross the wire as microseconds since the Unix epoch; SQL turns
// them back with kMicrosToTimestamptz. "" when unset, so NullIfEmpty applies.
std::string TimestampMicros(const google::protobuf::Timestamp& timestamp, bool present);
int64_t TimestampToMicros(const google::protobuf::Timestamp& timestamp);

// Column expression reading a timestamptz as epoch microseconds.
#define AFFONSO_SQL_MICROS(column) "(extract(epoch from " column ") * 1000000)::bigint"
// Parameter expression turning epoch microseconds back into a timestamptz.
#define AFFONSO_SQL_FROM_MICROS(param) \
  "(timestamptz 'epoch' + (" param ")::bigint * interval '1 microsecond')"

// Reads epoch microseconds (possibly NULL: leaves `out` unset).
void ReadTimestamp(const pqxx::field& field, google::protobuf::Timestamp* out);
// "" for NULL.
std::string ReadText(const pqxx::field& field);
// A numeric column read as its decimal text (select it `::text`) and parsed
// once into the double the API sends (the nearest one, which prints back as
// the same decimal); 0 for NULL. No arithmetic happens on the double.
double ReadDecimal(const pqxx::field& field);

// A text[] column, element by element (NULL elements skipped), appended to
// `out`; a NULL column appends nothing.
void ReadTextArray(const pqxx::field& field, std::vector<std::string>* out);
void ReadTextArray(const pqxx::field& field, google::protobuf::RepeatedPtrField<std::string>* out);

// Strings as a JSON array, for a ::jsonb parameter turned into a text[] in
// SQL (libpqxx 6.4 has no array parameters).
std::string JsonTextArray(const google::protobuf::RepeatedPtrField<std::string>& values);

// jsonb <-> google.protobuf.Struct, through protobuf's own JSON mapping.
// StructJson fails (INTERNAL) on a Struct protobuf cannot print (one nested
// past its printer's recursion limit), for the callers that must not write
// something else in its place; StructToJson answers "{}" for it.
absl::StatusOr<std::string> StructJson(const google::protobuf::Struct& value);
std::string StructToJson(const google::protobuf::Struct& value);
absl::Status ReadStruct(const pqxx::field& field, google::protobuf::Struct* out);

// jsonb <-> google.protobuf.Value: a column read as text into a Value (NULL
// leaves `out` unset), and a Value as JSON text for a ::jsonb parameter
// ("null" for one protobuf cannot print).
absl::Status ReadJsonValue(const pqxx::field& field, google::protobuf::Value* out);
std::string ValueToJson(const google::protobuf::Value& value);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_VALUES_H_
