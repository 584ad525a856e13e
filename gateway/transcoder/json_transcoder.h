#ifndef AFFONSO_GATEWAY_TRANSCODER_JSON_TRANSCODER_H_
#define AFFONSO_GATEWAY_TRANSCODER_JSON_TRANSCODER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/transcoder/route_table.h"
#include "google/protobuf/message.h"

namespace affonso::gateway {

// Fills `request` from the path bindings, the query string (when the rule's
// body is not "*") and the JSON body, per the route's google.api.http rule.
// Input names may be snake_case or lowerCamelCase; enums may be given as the
// lowercase names API.md shows ("lead") or in full; unknown fields are
// ignored. JSON null clears: a string with presence, a Struct or a
// ListValue is set empty (the services read that as "clear"), a
// google.protobuf.Value holds null, any other field stays absent. A repeated field in the query
// takes repeated keys, comma-separated values, or both (`expand=a,b&expand=c`). Errors are
// VALIDATION_ERROR statuses naming the field (snake_case, dotted for nested fields).
absl::Status BuildRequest(const Route& route,
                          const std::vector<std::pair<std::string, std::string>>& bindings,
                          absl::string_view query, absl::string_view body,
                          google::protobuf::Message* request);

// The success envelope for `response`: {"success":true, ...fields} when the
// response has a `data` field (lists), else {"success":true,"data":...} with
// the response or its response_body field; a response_body naming a scalar
// (a delete's `message`) sits beside "success" under its own name.
// snake_case names, enums as their lowercase names, every field present, an
// unset field with presence as null unless marked omit_when_unset
// (docs/CONTRACT.md). A method marked bare_response answers the message
// alone, unwrapped.
absl::StatusOr<std::string> RenderSuccess(const Route& route,
                                          const google::protobuf::Message& response);

// "REFERRAL_STATUS_LEAD" of enum ReferralStatus -> "lead"; upper case for an
// enum marked upper_case_in_json ("PARTNERSHIP_STATUS_PENDING" -> "PENDING").
std::string EnumValueToApi(const google::protobuf::EnumValueDescriptor& value);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_TRANSCODER_JSON_TRANSCODER_H_
