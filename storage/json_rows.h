#ifndef AFFONSO_STORAGE_JSON_ROWS_H_
#define AFFONSO_STORAGE_JSON_ROWS_H_

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/json_escape.h"

namespace affonso::storage {

// Builds the JSON array a batch statement takes as its one parameter, read
// with `json_to_recordset($1::json) AS i(col type, ...)`: each value is
// found by its key, so no column can shift against another, and absent keys
// read as NULL. Empty text is left out (NULL), as single-row statements'
// NullIfEmpty parameters have it.
//
//   JsonRows rows;
//   rows.BeginRow(); rows.Text("id", id); rows.Int("n", 3); rows.EndRow();
//   tx.Exec(kBatch, std::move(rows).Finish());  // [{"id":"...","n":3}]
class JsonRows {
 public:
  JsonRows() : json_("[") {}

  void BeginRow() {
    if (json_.size() > 1) json_.push_back(',');
    json_.push_back('{');
    first_key_ = true;
  }
  void Text(const char* key, const std::string& value) {
    if (!value.empty()) Raw(key, JsonEscape(value));
  }
  void Int(const char* key, long long value) { Raw(key, std::to_string(value)); }
  void Bool(const char* key, bool value) { Raw(key, value ? "true" : "false"); }
  // `json` must be a JSON value already.
  void Raw(const char* key, absl::string_view json) {
    if (!first_key_) json_.push_back(',');
    first_key_ = false;
    absl::StrAppend(&json_, "\"", key, "\":", json);
  }
  void EndRow() { json_.push_back('}'); }
  bool empty() const { return json_.size() == 1; }
  std::string Finish() && {
    json_.push_back(']');
    return std::move(json_);
  }

 private:
  std::string json_;
  bool first_key_ = true;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_JSON_ROWS_H_
