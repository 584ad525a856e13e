// JSON transcoding of the REST gateway over the real contract
// (gateway/json_transcoder): a request's path bindings, query string and
// JSON body into the rpc's request message, and messages back to the JSON
// envelope.
//
// Input: "METHOD TARGET\nBODY". When METHOD and TARGET's path match a route
// of the contract, that route (with its path bindings) is used, as the
// gateway does; otherwise one chosen by a hash of the first line, with each
// path variable bound to "x", so that every input exercises some route.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/api_error.h"
#include "common/error_envelope.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/json_transcoder.h"
#include "gateway/transcoder/route_table.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_support.h"

namespace affonso::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::Message;

const RouteTable& Routes() {
  static const RouteTable* const routes = [] {
    // Arbitrary wire bytes make protobuf log an error per failed parse:
    // noise in the fuzzer's log (FATAL still aborts).
    google::protobuf::SetLogHandler(nullptr);
    auto table = RouteTable::FromServices(ContractServices());
    FUZZ_CHECK(table.ok());
    FUZZ_CHECK(!table->routes().empty());
    return new RouteTable(*std::move(table));
  }();
  return *routes;
}

std::unique_ptr<Message> New(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// An unset field with presence renders as null, and null reads back as the
// field cleared (set, empty: docs/CONTRACT.md), which the services read the
// same. Forgets those in `again`, so that the two compare as equal.
void ForgetClearedNulls(const Message& original, Message* again) {
  const Descriptor& type = *original.GetDescriptor();
  const google::protobuf::Reflection& from = *original.GetReflection();
  const google::protobuf::Reflection& to = *again->GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor& field = *type.field(i);
    const bool is_message = field.cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE;
    if (field.is_repeated()) {
      if (!is_message) continue;
      const int both = std::min(from.FieldSize(original, &field), to.FieldSize(*again, &field));
      for (int j = 0; j < both; ++j) {
        ForgetClearedNulls(from.GetRepeatedMessage(original, &field, j),
                           to.MutableRepeatedMessage(again, &field, j));
      }
      continue;
    }
    if (!field.has_presence()) continue;
    if (!from.HasField(original, &field)) {
      // Only an empty read-back is a cleared null; anything else is a bug.
      if (!to.HasField(*again, &field)) continue;
      const bool empty =
          is_message
              ? (to.GetMessage(*again, &field).ByteSizeLong() == 0 ||
                 (field.message_type()->full_name() == "google.protobuf.Value" &&
                  to.GetMessage(*again, &field).SerializeAsString() == std::string("\x08\x00", 2)))
              : field.cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
                    to.GetString(*again, &field).empty();
      if (empty) to.ClearField(again, &field);
    } else if (is_message && to.HasField(*again, &field)) {
      ForgetClearedNulls(from.GetMessage(original, &field), to.MutableMessage(again, &field));
    }
  }
}

uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// What the gateway answers for a failed BuildRequest: a client's mistake,
// never an internal error.
void CheckValidationError(const absl::Status& status) {
  FUZZ_CHECK(!status.ok());
  FUZZ_CHECK(ApiErrorCode(status) == "VALIDATION_ERROR");
  FUZZ_CHECK(fuzz::IsValidJson(
      ErrorEnvelope(ApiErrorCode(status), status.message(), ApiErrorField(status))));
}

void CheckRender(const Route& route, const Message& message) {
  absl::StatusOr<std::string> json = RenderSuccess(route, message);
  FUZZ_CHECK(json.ok());
  FUZZ_CHECK(fuzz::IsValidJson(*json));
}

}  // namespace
}  // namespace affonso::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace affonso::gateway;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view line = input.substr(0, newline);
  const absl::string_view body =
      newline == absl::string_view::npos ? "" : input.substr(newline + 1);
  const size_t space = line.find(' ');
  const absl::string_view method = line.substr(0, space);
  const absl::string_view target = space == absl::string_view::npos ? "" : line.substr(space + 1);
  // Split as GrpcProxy::Handle does.
  const absl::string_view path = target.substr(0, target.find('?'));
  const absl::string_view query =
      target.find('?') == absl::string_view::npos ? "" : target.substr(target.find('?') + 1);

  const RouteTable& routes = Routes();
  RouteMatch match = routes.Match(method, path);
  const Route* route = match.route;
  if (route == nullptr) {
    route = &routes.routes()[Fnv1a(line) % routes.routes().size()];
    match.bindings.clear();
    for (const Route::Segment& segment : route->segments) {
      if (!segment.field.empty()) match.bindings.emplace_back(segment.field, "x");
    }
  }

  // 1. The request, as the gateway builds it before calling the backend.
  std::unique_ptr<google::protobuf::Message> request = New(route->method->input_type());
  const absl::Status built = BuildRequest(*route, match.bindings, query, body, request.get());
  if (!built.ok()) {
    CheckValidationError(built);
  } else {
    // The backend parses what the gateway serializes: a request the gateway
    // accepted must not fail there (that would be a 500, not a 400).
    std::unique_ptr<google::protobuf::Message> received = New(route->method->input_type());
    FUZZ_CHECK(received->ParseFromString(request->SerializeAsString()));
    FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*request, *received));

    // Rendered as JSON and read back, it is the same message (when it reads
    // back: an unset enum renders as "unspecified", which input refuses).
    Route as_data;  // {"success":true,"data":{...}}
    CheckRender(as_data, *request);
    Route whole_body;
    whole_body.body = "*";
    absl::StatusOr<std::string> json = RenderSuccess(as_data, *request);
    // The envelope is {"success":true,"data":<message>}.
    const std::string prefix = "{\"success\":true,\"data\":";
    if (json->compare(0, prefix.size(), prefix) == 0) {
      const std::string data_json = json->substr(prefix.size(), json->size() - prefix.size() - 1);
      std::unique_ptr<google::protobuf::Message> again = New(route->method->input_type());
      if (BuildRequest(whole_body, {}, "", data_json, again.get()).ok()) {
        ForgetClearedNulls(*request, again.get());
        FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*request, *again));
      }
    }
  }

  // 2. Responses: the body as JSON into the rpc's response message, and the
  // body's bytes as its wire form (any field values a backend could send).
  const google::protobuf::Descriptor* output = route->method->output_type();
  Route whole_body;
  whole_body.body = "*";
  std::unique_ptr<google::protobuf::Message> from_json = New(output);
  if (BuildRequest(whole_body, {}, "", body, from_json.get()).ok()) {
    CheckRender(*route, *from_json);
  }
  std::unique_ptr<google::protobuf::Message> from_wire = New(output);
  if (from_wire->ParseFromString(std::string(body))) {
    CheckRender(*route, *from_wire);
  }
  return 0;
}
