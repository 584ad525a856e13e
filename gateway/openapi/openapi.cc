#include "gateway/openapi/openapi.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/json_escape.h"
#include "gateway/transcoder/json_transcoder.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "proto/affonso/v1/annotations.pb.h"

namespace affonso::gateway {
namespace {

// The key the gateway writes: snake_case, unless the proto pins a json_name.
std::string OutputName(const google::protobuf::FieldDescriptor& field) {
  return field.has_json_name() ? field.json_name() : field.name();
}

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;

// docs/CONTRACT.md "Fields and nulls": an SDK `name?: T`, left out when unset.
bool OmitWhenUnset(const google::protobuf::FieldDescriptor& field) {
  return field.options().GetExtension(affonso::v1::omit_when_unset);
}

// A response field with presence (proto3 optional, a singular message) is rendered as null when
// unset, unless it is left out.
bool RendersNull(const google::protobuf::FieldDescriptor& field) {
  return field.has_presence() && !OmitWhenUnset(field);
}
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

// A JSON value whose objects keep insertion order, so the document reads in
// OpenAPI's usual order and prints identically every time.
class Json {
 public:
  static Json Object() { return Json(kObject); }
  static Json Array() { return Json(kArray); }
  static Json String(std::string text) {
    Json json(kString);
    json.text_ = std::move(text);
    return json;
  }
  static Json Bool(bool value) {
    Json json(kBool);
    json.bool_ = value;
    return json;
  }
  static Json Int(int64_t value) {
    Json json(kInt);
    json.int_ = value;
    return json;
  }

  Json() : kind_(kNull) {}

  // Object member, inserted (null) when absent.
  Json& operator[](const std::string& key) {
    kind_ = kObject;
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == key) return values_[i];
    }
    keys_.push_back(key);
    values_.emplace_back();
    return values_.back();
  }
  Json& Set(const std::string& key, Json value) {
    (*this)[key] = std::move(value);
    return *this;
  }
  Json& Add(Json value) {
    kind_ = kArray;
    values_.push_back(std::move(value));
    return *this;
  }
  bool Has(const std::string& key) const {
    for (const std::string& k : keys_) {
      if (k == key) return true;
    }
    return false;
  }
  bool empty() const { return values_.empty(); }

  void Print(int indent, std::string* out) const {
    switch (kind_) {
      case kNull:
        out->append("null");
        return;
      case kBool:
        out->append(bool_ ? "true" : "false");
        return;
      case kInt:
        absl::StrAppend(out, int_);
        return;
      case kString:
        out->append(JsonEscape(text_));
        return;
      case kArray:
      case kObject:
        break;
    }
    const bool is_object = kind_ == kObject;
    if (values_.empty()) {
      out->append(is_object ? "{}" : "[]");
      return;
    }
    out->push_back(is_object ? '{' : '[');
    for (size_t i = 0; i < values_.size(); ++i) {
      out->append(i == 0 ? "\n" : ",\n");
      out->append(indent + 2, ' ');
      if (is_object) {
        out->append(JsonEscape(keys_[i]));
        out->append(": ");
      }
      values_[i].Print(indent + 2, out);
    }
    out->push_back('\n');
    out->append(indent, ' ');
    out->push_back(is_object ? '}' : ']');
  }

 private:
  enum Kind { kNull, kBool, kInt, kString, kArray, kObject };
  explicit Json(Kind kind) : kind_(kind) {}

  Kind kind_;
  bool bool_ = false;
  int64_t int_ = 0;
  std::string text_;
  std::vector<std::string> keys_;  // objects only, parallel to values_
  std::vector<Json> values_;
};

Json TypedSchema(const std::string& type, const std::string& format = "") {
  Json schema = Json::Object().Set("type", Json::String(type));
  if (!format.empty()) schema.Set("format", Json::String(format));
  return schema;
}

Json StringList(const std::vector<std::string>& items) {
  Json list = Json::Array();
  for (const std::string& item : items) list.Add(Json::String(item));
  return list;
}

// Lines trimmed; line breaks inside a paragraph become spaces, paragraphs
// are kept apart by a blank line.
std::string NormalizeComment(const std::string& comment) {
  std::vector<std::string> paragraphs;
  std::string current;
  for (absl::string_view line : absl::StrSplit(comment, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) {
      if (!current.empty()) paragraphs.push_back(std::move(current));
      current.clear();
      continue;
    }
    if (!current.empty()) current.push_back(' ');
    current.append(line.data(), line.size());
  }
  if (!current.empty()) paragraphs.push_back(std::move(current));
  return absl::StrJoin(paragraphs, "\n\n");
}

template <typename Element>
std::string SourceComment(const Element& element) {
  google::protobuf::SourceLocation location;
  if (!element.GetSourceLocation(&location)) return "";
  std::vector<std::string> parts;
  for (const std::string* text : {&location.leading_comments, &location.trailing_comments}) {
    std::string normalized = NormalizeComment(*text);
    if (!normalized.empty()) parts.push_back(std::move(normalized));
  }
  return absl::StrJoin(parts, " ");
}

// The names the gateway writes and reads (gateway::EnumValueToApi: lower
// case, or upper case for an enum marked upper_case_in_json); UNSPECIFIED
// means "not given" and never appears.
std::vector<std::string> EnumApiNames(const EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() == 0) continue;
    std::string api_name = EnumValueToApi(*type.value(i));
    if (std::find(names.begin(), names.end(), api_name) == names.end()) {
      names.push_back(std::move(api_name));  // aliases share a name
    }
  }
  return names;
}

// A google.api.http rule reduced to what the document needs.
struct Binding {
  std::string verb;                      // lowercase OpenAPI operation key
  std::string path;                      // OpenAPI form: "{field}" variables
  std::vector<std::string> path_fields;  // dotted field paths, in order
  std::string body;
  std::string response_body;
};

bool RuleToBinding(const google::api::HttpRule& rule, Binding* binding) {
  std::string path_template;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      binding->verb = "get";
      path_template = rule.get();
      break;
    case google::api::HttpRule::kPut:
      binding->verb = "put";
      path_template = rule.put();
      break;
    case google::api::HttpRule::kPost:
      binding->verb = "post";
      path_template = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      binding->verb = "delete";
      path_template = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      binding->verb = "patch";
      path_template = rule.patch();
      break;
    default:
      return false;  // custom verbs are not served by the gateway
  }
  // "{id}" and "{id=*}" both bind one segment to field `id`.
  std::string path;
  size_t pos = 0;
  while (pos < path_template.size()) {
    const size_t open = path_template.find('{', pos);
    if (open == std::string::npos) {
      path.append(path_template, pos, std::string::npos);
      break;
    }
    const size_t close = path_template.find('}', open);
    if (close == std::string::npos) return false;
    path.append(path_template, pos, open - pos);
    std::string variable = path_template.substr(open + 1, close - open - 1);
    const size_t equals = variable.find('=');
    if (equals != std::string::npos) variable.resize(equals);
    binding->path_fields.push_back(variable);
    absl::StrAppend(&path, "{", variable, "}");
    pos = close + 1;
  }
  binding->path = std::move(path);
  binding->body = rule.body();
  binding->response_body = rule.response_body();
  return true;
}

const FieldDescriptor* FindFieldPath(const Descriptor& message, const std::string& dotted) {
  const Descriptor* current = &message;
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(dotted, '.')) {
    if (current == nullptr) return nullptr;
    field = current->FindFieldByName(std::string(part));
    if (field == nullptr) return nullptr;
    current = field->message_type();
  }
  return field;
}

bool IsCreated(const MethodDescriptor& method, const std::string& verb) {
  const std::string& name = method.name();
  return verb == "post" &&
         (absl::StartsWith(name, "Create") || name == "TrackClick" || name == "RecordSignup");
}

// RecordSignup answers 200 with the existing referral on a repeated call.
bool MayAlsoReturnExisting(const MethodDescriptor& method) {
  return method.name() == "RecordSignup";
}

struct ErrorResponse {
  int code;
  const char* name;
  const char* description;
};

constexpr ErrorResponse kErrorResponses[] = {
    {400, "BadRequest", "VALIDATION_ERROR: bad or missing input (malformed JSON included)."},
    {401, "Unauthorized",
     "UNAUTHORIZED; error.details[0].reason says why: MISSING_API_KEY (no Authorization "
     "header), INVALID_API_KEY_FORMAT, INVALID_API_KEY (unknown or revoked key), "
     "API_KEY_DISABLED or API_KEY_EXPIRED; on a signed route of a program with a signing "
     "secret, MISSING_SIGNATURE, STALE_SIGNATURE (timestamp more than 300 s off) or "
     "INVALID_SIGNATURE."},
    {403, "Forbidden",
     "FORBIDDEN; error.details[0].reason INSUFFICIENT_PERMISSIONS: the key lacks the permission "
     "for this call."},
    {404, "NotFound",
     "NOT_FOUND: no such object for this team (another team's object is also 404)."},
    {405, "MethodNotAllowed",
     "METHOD_NOT_ALLOWED: known path, wrong verb; the Allow header lists the verbs."},
    {409, "Conflict", "DUPLICATE_ERROR: a unique business key is already used."},
    {413, "PayloadTooLarge", "PAYLOAD_TOO_LARGE: the body is over the limit."},
    {415, "UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE: the body is not application/json."},
    {429, "TooManyRequests",
     "RATE_LIMIT_EXCEEDED: per-API-key limit; error.retryAfter and the Retry-After header "
     "give the seconds to wait."},
    {500, "InternalError", "INTERNAL_ERROR: a bug; never leaks internals."},
    {503, "ServiceUnavailable",
     "SERVICE_UNAVAILABLE: database or backend unreachable; safe to retry."},
    {504, "GatewayTimeout", "GATEWAY_TIMEOUT: the backend did not answer in time."},
};

constexpr const char* kRateLimitHeaders[] = {"X-RateLimit-Limit", "X-RateLimit-Remaining",
                                             "X-RateLimit-Reset"};

constexpr char kGatewayTag[] = "Gateway";

std::string ResponseRef(int code) {
  for (const ErrorResponse& error : kErrorResponses) {
    if (error.code == code) return absl::StrCat("#/components/responses/", error.name);
  }
  return "";
}

class DocumentBuilder {
 public:
  explicit DocumentBuilder(const OpenApiOptions& options) : options_(options) {}

  std::string Build(const std::vector<const ServiceDescriptor*>& services) {
    for (const ServiceDescriptor* service : services) {
      for (int i = 0; i < service->method_count(); ++i) {
        const MethodDescriptor& method = *service->method(i);
        if (!method.options().HasExtension(google::api::http)) continue;
        Reach(*method.output_type(), &response_messages_);
        Reach(*method.input_type(), &request_messages_);
      }
    }
    Json tags = Json::Array();
    for (const ServiceDescriptor* service : services) {
      Json tag = Json::Object().Set("name", Json::String(service->name()));
      const std::string description = Describe(*service);
      if (!description.empty()) tag.Set("description", Json::String(description));
      tags.Add(std::move(tag));
      for (int i = 0; i < service->method_count(); ++i) AddMethod(*service->method(i));
    }
    AddOperationalEndpoints();
    tags.Add(
        Json::Object()
            .Set("name", Json::String(kGatewayTag))
            .Set("description", Json::String("Served by the gateway itself, without an API key.")));

    Json document = Json::Object();
    document.Set("openapi", Json::String("3.0.3"));
    document.Set(
        "info",
        Json::Object()
            .Set("title", Json::String("Affonso API"))
            .Set("version", Json::String("v1"))
            .Set("description",
                 Json::String("REST form of the affonso.v1 gRPC services, transcoded from their "
                              "google.api.http rules. Input accepts snake_case and "
                              "lowerCamelCase field names; output uses snake_case. Enums are "
                              "the lowercase names listed here. Timestamps are RFC 3339 UTC.")));
    document.Set("security", Json::Array().Add(Json::Object().Set("bearerAuth", Json::Array())));
    document.Set("tags", std::move(tags));
    Json paths = Json::Object();
    for (auto& [path, operations] : paths_) {
      Json item = Json::Object();
      for (auto& [order, operation] : operations) item.Set(operation.first, operation.second);
      paths.Set(path, std::move(item));
    }
    document.Set("paths", std::move(paths));
    document.Set("components", Components());

    std::string out;
    document.Print(0, &out);
    out.push_back('\n');
    return out;
  }

 private:
  // `message` and every message its fields hold (well-known types aside).
  static void Reach(const Descriptor& message, std::set<std::string>* out) {
    if (IsWellKnown(message) || !out->insert(message.full_name()).second) return;
    for (int i = 0; i < message.field_count(); ++i) {
      const Descriptor* type = message.field(i)->message_type();
      if (type != nullptr) Reach(*type, out);
    }
  }

  // A response field's schema: nullable when the gateway renders it as null when unset
  // (OpenAPI 3.0 ignores siblings of $ref, hence allOf).
  Json ResponseFieldSchema(const FieldDescriptor& field) {
    Json schema = FieldSchema(field);
    if (!RendersNull(field)) return schema;
    if (schema.Has("$ref")) {
      return Json::Object()
          .Set("allOf", Json::Array().Add(std::move(schema)))
          .Set("nullable", Json::Bool(true));
    }
    return schema.Set("nullable", Json::Bool(true));
  }

  template <typename Element>
  std::string Describe(const Element& element) const {
    std::string comment = SourceComment(element);
    if (!comment.empty()) return comment;
    auto it = options_.comments.find(element.full_name());
    return it == options_.comments.end() ? "" : it->second;
  }

  void AddMethod(const MethodDescriptor& method) {
    if (!method.options().HasExtension(google::api::http)) return;  // not on REST
    const google::api::HttpRule& rule = method.options().GetExtension(google::api::http);
    std::vector<const google::api::HttpRule*> rules = {&rule};
    for (const google::api::HttpRule& extra : rule.additional_bindings()) rules.push_back(&extra);
    const std::string base_id = absl::StrCat(method.service()->name(), ".", method.name());
    for (size_t i = 0; i < rules.size(); ++i) {
      Binding binding;
      if (!RuleToBinding(*rules[i], &binding)) continue;
      // Inherited from the primary rule, as the gateway does.
      if (binding.response_body.empty()) binding.response_body = rule.response_body();
      const std::string operation_id = i == 0 ? base_id : absl::StrCat(base_id, "_", i + 1);
      AddOperation(method, binding, operation_id);
    }
  }

  static int VerbOrder(const std::string& verb) {
    static const char* const kOrder[] = {"get", "put", "post", "delete", "patch"};
    for (int i = 0; i < 5; ++i) {
      if (verb == kOrder[i]) return i;
    }
    return 5;
  }

  void AddOperation(const MethodDescriptor& method, const Binding& binding,
                    const std::string& operation_id) {
    auto& operations = paths_[binding.path];
    const int order = VerbOrder(binding.verb);
    if (operations.count(order) > 0) return;  // first rule for a route wins, as in routing

    const Descriptor& request = *method.input_type();
    Json operation = Json::Object();
    operation.Set("tags", Json::Array().Add(Json::String(method.service()->name())));
    const std::string comment = Describe(method);
    operation.Set("summary", Json::String(comment.empty() ? method.name() : comment));
    operation.Set("operationId", Json::String(operation_id));

    Json parameters = Json::Array();
    std::set<std::string> bound(binding.path_fields.begin(), binding.path_fields.end());
    for (const std::string& field_path : binding.path_fields) {
      Json parameter = Json::Object()
                           .Set("name", Json::String(field_path))
                           .Set("in", Json::String("path"))
                           .Set("required", Json::Bool(true));
      const FieldDescriptor* field = FindFieldPath(request, field_path);
      if (field != nullptr) {
        const std::string description = Describe(*field);
        if (!description.empty()) parameter.Set("description", Json::String(description));
        parameter.Set("schema", SingularSchema(*field));
      } else {
        parameter.Set("schema", TypedSchema("string"));
      }
      parameters.Add(std::move(parameter));
    }
    if (binding.body != "*") {
      std::set<std::string> excluded = bound;
      if (!binding.body.empty()) excluded.insert(binding.body);
      AddQueryParameters(request, "", excluded, 0, &parameters);
    }
    if (!parameters.empty()) operation.Set("parameters", std::move(parameters));

    if (!binding.body.empty()) {
      Json schema;
      if (binding.body == "*") {
        std::set<std::string> top_level_bound;
        for (const std::string& field_path : binding.path_fields) {
          if (field_path.find('.') == std::string::npos) top_level_bound.insert(field_path);
        }
        schema =
            top_level_bound.empty() ? MessageRef(request) : MessageSchema(request, top_level_bound);
      } else {
        const FieldDescriptor* field = request.FindFieldByName(binding.body);
        schema = field != nullptr ? FieldSchema(*field) : TypedSchema("object");
      }
      operation.Set(
          "requestBody",
          Json::Object()
              .Set("required", Json::Bool(true))
              .Set("content", Json::Object().Set("application/json",
                                                 Json::Object().Set("schema", std::move(schema)))));
    }

    Json responses = Json::Object();
    const Json envelope = SuccessEnvelope(*method.output_type(), binding.response_body);
    if (IsCreated(method, binding.verb)) {
      responses.Set("201", SuccessResponse("Created.", envelope));
      if (MayAlsoReturnExisting(method)) {
        responses.Set("200", SuccessResponse("Already recorded: the existing object.", envelope));
      }
    } else {
      responses.Set("200", SuccessResponse("OK.", envelope));
    }
    for (int code : ErrorCodes(method, binding)) {
      responses.Set(absl::StrCat(code),
                    Json::Object().Set("$ref", Json::String(ResponseRef(code))));
    }
    operation.Set("responses", std::move(responses));
    operations[order] = {binding.verb, std::move(operation)};
  }

  // 404 and 409 only where the call can produce them; the rest everywhere
  // (or, for body errors, wherever a body is read).
  static std::vector<int> ErrorCodes(const MethodDescriptor& method, const Binding& binding) {
    const Descriptor& request = *method.input_type();
    const bool names_objects = !binding.path_fields.empty() || !binding.body.empty() ||
                               request.FindFieldByName("program_id") != nullptr ||
                               !absl::StartsWith(method.name(), "List");
    const bool writes_unique_keys =
        absl::StartsWith(method.name(), "Create") || absl::StartsWith(method.name(), "Update");
    std::vector<int> codes = {400, 401, 403};
    if (names_objects) codes.push_back(404);
    codes.push_back(405);
    if (writes_unique_keys) codes.push_back(409);
    if (!binding.body.empty()) {
      codes.push_back(413);
      codes.push_back(415);
    }
    for (int code : {429, 500, 503, 504}) codes.push_back(code);
    return codes;
  }

  static Json RateLimitHeaders() {
    Json headers = Json::Object();
    for (const char* name : kRateLimitHeaders) {
      headers.Set(name, Json::Object().Set(
                            "$ref", Json::String(absl::StrCat("#/components/headers/", name))));
    }
    return headers;
  }

  static Json SuccessResponse(const std::string& description, const Json& schema) {
    return Json::Object()
        .Set("description", Json::String(description))
        .Set("headers", RateLimitHeaders())
        .Set("content",
             Json::Object().Set("application/json", Json::Object().Set("schema", schema)));
  }

  // Mirrors the gateway's RenderSuccess: a response with a `data` field is
  // spread next to "success"; otherwise it (or its response_body field) is
  // "data".
  // A response_body naming a scalar (a delete's `message`) puts it in the envelope under its
  // own name: {"success": true, "message": "..."} (docs/CONTRACT.md "Envelopes"). The envelope's
  // members are the SDK's (SingleResponse, OffsetPaginatedResponse...): never null.
  Json SuccessEnvelope(const Descriptor& response, const std::string& response_body) {
    Json properties = Json::Object();
    std::vector<std::string> required = {"success"};
    properties.Set("success",
                   TypedSchema("boolean").Set("enum", Json::Array().Add(Json::Bool(true))));
    const FieldDescriptor* body_field =
        response_body.empty() ? nullptr : response.FindFieldByName(response_body);
    if (response.FindFieldByName("data") != nullptr) {
      for (int i = 0; i < response.field_count(); ++i) {
        const FieldDescriptor& field = *response.field(i);
        properties.Set(OutputName(field), FieldSchema(field));
        if (!OmitWhenUnset(field)) required.push_back(OutputName(field));
      }
    } else if (body_field != nullptr &&
               body_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      properties.Set(OutputName(*body_field), FieldSchema(*body_field));
      required.push_back(OutputName(*body_field));
    } else if (body_field != nullptr) {
      properties.Set("data", FieldSchema(*body_field));
      required.push_back("data");
    } else {
      properties.Set("data", MessageRef(response));
      required.push_back("data");
    }
    return TypedSchema("object")
        .Set("required", StringList(required))
        .Set("properties", std::move(properties));
  }

  // Non-path, non-body fields, nested messages as dotted names.
  void AddQueryParameters(const Descriptor& message, const std::string& prefix,
                          const std::set<std::string>& excluded, int depth, Json* parameters) {
    for (int i = 0; i < message.field_count(); ++i) {
      const FieldDescriptor& field = *message.field(i);
      const std::string name = prefix + field.name();
      if (excluded.count(name) > 0 || field.is_map()) continue;
      // The gateway fills it from the body; a query value would be ignored.
      if (field.options().GetExtension(affonso::v1::raw_body)) continue;
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
          !IsQueryScalar(*field.message_type())) {
        // Objects and lists of objects have no query form.
        if (!field.is_repeated() && !IsWellKnown(*field.message_type()) && depth < 8) {
          AddQueryParameters(*field.message_type(), name + ".", excluded, depth + 1, parameters);
        }
        continue;
      }
      Json parameter = Json::Object()
                           .Set("name", Json::String(name))
                           .Set("in", Json::String("query"))
                           .Set("required", Json::Bool(false));
      const std::string description = Describe(field);
      if (!description.empty()) parameter.Set("description", Json::String(description));
      if (field.is_repeated()) {
        parameter.Set("style", Json::String("form"));
        parameter.Set("explode", Json::Bool(true));
      }
      parameter.Set("schema", FieldSchema(field));
      parameters->Add(std::move(parameter));
    }
  }

  static bool IsWellKnown(const Descriptor& message) {
    return absl::StartsWith(message.full_name(), "google.protobuf.");
  }

  // Well-known types whose JSON form is a single string, number or bool.
  static bool IsQueryScalar(const Descriptor& message) {
    const std::string& name = message.full_name();
    return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
           name == "google.protobuf.FieldMask" ||
           (IsWellKnown(message) && absl::EndsWith(name, "Value") &&
            name != "google.protobuf.Value" && name != "google.protobuf.ListValue");
  }

  // Repeated and map fields wrap the singular schema.
  Json FieldSchema(const FieldDescriptor& field) {
    if (field.is_map()) {
      return TypedSchema("object").Set("additionalProperties",
                                       SingularSchema(*field.message_type()->map_value()));
    }
    if (field.is_repeated()) {
      return TypedSchema("array").Set("items", SingularSchema(field));
    }
    return SingularSchema(field);
  }

  Json SingularSchema(const FieldDescriptor& field) {
    switch (field.type()) {
      case FieldDescriptor::TYPE_STRING:
        return TypedSchema("string");
      case FieldDescriptor::TYPE_BYTES:
        return TypedSchema("string", "byte");
      case FieldDescriptor::TYPE_BOOL:
        return TypedSchema("boolean");
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return TypedSchema("integer", "int32");
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return TypedSchema("integer", "int64").Set("minimum", Json::Int(0));
      // Proto JSON writes 64-bit integers as strings.
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return TypedSchema("string", "int64");
      case FieldDescriptor::TYPE_DOUBLE:
        return TypedSchema("number", "double");
      case FieldDescriptor::TYPE_FLOAT:
        return TypedSchema("number", "float");
      case FieldDescriptor::TYPE_ENUM:
        return TypedSchema("string").Set("enum", StringList(EnumApiNames(*field.enum_type())));
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageRef(*field.message_type());
    }
    return Json::Object();
  }

  // Well-known types inline as their JSON form; our messages by reference.
  Json MessageRef(const Descriptor& message) {
    const std::string& full_name = message.full_name();
    if (full_name == "google.protobuf.Timestamp") return TypedSchema("string", "date-time");
    if (full_name == "google.protobuf.Duration") return TypedSchema("string");  // "1.5s"
    if (full_name == "google.protobuf.FieldMask") return TypedSchema("string");
    if (full_name == "google.protobuf.Struct") {
      return TypedSchema("object").Set("additionalProperties", Json::Bool(true));
    }
    if (full_name == "google.protobuf.ListValue") {
      return TypedSchema("array").Set("items", Json::Object());
    }
    if (full_name == "google.protobuf.Value") return Json::Object();  // any JSON value
    if (full_name == "google.protobuf.Empty") return TypedSchema("object");
    if (full_name == "google.protobuf.Any") {
      return TypedSchema("object").Set("additionalProperties", Json::Bool(true));
    }
    if (IsQueryScalar(message)) {  // wrappers: their `value` field's schema
      const FieldDescriptor* value = message.FindFieldByName("value");
      if (value != nullptr) return SingularSchema(*value);
    }
    return Json::Object().Set(
        "$ref", Json::String(absl::StrCat("#/components/schemas/", SchemaName(message))));
  }

  // Short names; a clash (another package) falls back to the full name.
  std::string SchemaName(const Descriptor& message) {
    auto known = schema_names_.find(message.full_name());
    if (known != schema_names_.end()) return known->second;
    std::string name = message.name();
    if (schema_owners_.count(name) > 0) {
      name = message.full_name();
      std::replace(name.begin(), name.end(), '.', '_');
    }
    schema_names_[message.full_name()] = name;
    schema_owners_[name] = &message;
    pending_schemas_.push_back(&message);
    return name;
  }

  // A message the responses hold (and no request does) lists every field the gateway always
  // renders as required, and marks the ones it renders as null when unset nullable.
  Json MessageSchema(const Descriptor& message, const std::set<std::string>& excluded) {
    const std::string description = Describe(message);
    // A json_union is rendered as its set member alone: oneOf the members.
    for (int i = 0; i < message.oneof_decl_count(); ++i) {
      const google::protobuf::OneofDescriptor& oneof = *message.oneof_decl(i);
      if (!oneof.options().GetExtension(affonso::v1::json_union)) continue;
      Json members = Json::Array();
      for (int j = 0; j < oneof.field_count(); ++j) members.Add(FieldSchema(*oneof.field(j)));
      // With no member set the gateway renders null (GET /v1/program/payment-terms of a
      // program that set none: the SDK's `PaymentTerms | null`).
      Json schema =
          Json::Object().Set("oneOf", std::move(members)).Set("nullable", Json::Bool(true));
      if (!description.empty()) schema.Set("description", Json::String(description));
      return schema;
    }
    Json schema = TypedSchema("object");
    if (!description.empty()) schema.Set("description", Json::String(description));
    const bool in_responses = response_messages_.count(message.full_name()) > 0;
    const bool response_only = in_responses && request_messages_.count(message.full_name()) == 0;
    std::vector<std::string> required;
    Json properties = Json::Object();
    for (int i = 0; i < message.field_count(); ++i) {
      const FieldDescriptor& field = *message.field(i);
      if (excluded.count(field.name()) > 0) continue;
      // The raw HTTP body the gateway copies in for signature checks: no input field.
      if (field.options().GetExtension(affonso::v1::raw_body)) continue;
      // Tells gRPC callers which expansions ran; never in JSON.
      if (in_responses && (field.options().GetExtension(affonso::v1::expansion_list) ||
                           field.options().GetExtension(affonso::v1::grpc_only))) {
        continue;
      }
      if (response_only && !OmitWhenUnset(field)) required.push_back(OutputName(field));
      Json property = in_responses ? ResponseFieldSchema(field) : FieldSchema(field);
      const std::string field_description = Describe(field);
      // OpenAPI 3.0 ignores siblings of $ref.
      if (!field_description.empty() && !property.Has("$ref")) {
        property.Set("description", Json::String(field_description));
      }
      properties.Set(OutputName(field), std::move(property));
    }
    if (!required.empty()) schema.Set("required", StringList(required));
    schema.Set("properties", std::move(properties));
    return schema;
  }

  void AddOperationalEndpoints() {
    struct Endpoint {
      const char* path;
      const char* operation_id;
      const char* summary;
      const char* ok;
      bool may_be_unavailable;
    };
    const Endpoint kEndpoints[] = {
        {"/healthz", "Gateway.Healthz", "Liveness: the gateway process is serving.", "Alive.",
         false},
        {"/readyz", "Gateway.Readyz", "Readiness: the gateway can reach its backend.", "Ready.",
         true},
        {"/openapi.json", "Gateway.OpenApi", "This document.", "The OpenAPI document.", false},
    };
    for (const Endpoint& endpoint : kEndpoints) {
      Json responses = Json::Object();
      Json ok = Json::Object().Set("description", Json::String(endpoint.ok));
      if (std::string(endpoint.path) == "/openapi.json") {
        ok.Set("content", Json::Object().Set("application/json",
                                             Json::Object().Set("schema", TypedSchema("object"))));
      }
      responses.Set("200", std::move(ok));
      if (endpoint.may_be_unavailable) {
        responses.Set("503", Json::Object().Set("description", Json::String("Not ready.")));
      }
      Json operation = Json::Object()
                           .Set("tags", Json::Array().Add(Json::String(kGatewayTag)))
                           .Set("summary", Json::String(endpoint.summary))
                           .Set("operationId", Json::String(endpoint.operation_id))
                           .Set("security", Json::Array())  // no API key needed
                           .Set("responses", std::move(responses));
      paths_[endpoint.path][VerbOrder("get")] = {"get", std::move(operation)};
    }
  }

  Json Components() {
    // Schemas reference more schemas: drain the queue before printing.
    std::map<std::string, Json> schemas;
    while (!pending_schemas_.empty()) {
      const Descriptor* message = pending_schemas_.front();
      pending_schemas_.pop_front();
      schemas[schema_names_[message->full_name()]] = MessageSchema(*message, {});
    }
    Json error_fields =
        Json::Object()
            .Set("code",
                 TypedSchema("string").Set(
                     "description",
                     Json::String("What the SDK maps on (docs/CONTRACT.md): VALIDATION_ERROR 400, "
                                  "UNAUTHORIZED 401, FORBIDDEN 403, NOT_FOUND 404, "
                                  "METHOD_NOT_ALLOWED 405, DUPLICATE_ERROR 409, "
                                  "PAYLOAD_TOO_LARGE 413, UNSUPPORTED_MEDIA_TYPE 415, "
                                  "RATE_LIMIT_EXCEEDED 429, INTERNAL_ERROR 500, "
                                  "SERVICE_UNAVAILABLE 503, GATEWAY_TIMEOUT 504.")))
            .Set("message", TypedSchema("string").Set("description",
                                                      Json::String("Human-readable explanation.")))
            .Set("field",
                 TypedSchema("string").Set(
                     "description",
                     Json::String("The snake_case input field at fault, when there is one.")))
            .Set(
                "details",
                TypedSchema("array")
                    .Set("description",
                         Json::String("On a 401 or 403, details[0].reason says why."))
                    .Set(
                        "items",
                        TypedSchema("object").Set(
                            "properties",
                            Json::Object().Set(
                                "reason",
                                TypedSchema("string").Set(
                                    "enum", StringList({"MISSING_API_KEY", "INVALID_API_KEY_FORMAT",
                                                        "INVALID_API_KEY", "API_KEY_DISABLED",
                                                        "API_KEY_EXPIRED",
                                                        "INSUFFICIENT_"
                                                        "PERMISSIONS",
                                                        "MISSING_SIGNATURE", "STALE_SIGNATURE",
                                                        "INVALID_SIGNATURE"}))))))
            .Set("retryAfter",
                 TypedSchema("integer", "int32")
                     .Set("description",
                          Json::String("Seconds to wait; only on RATE_LIMIT_EXCEEDED.")));
    schemas["ErrorEnvelope"] =
        TypedSchema("object")
            .Set("required", StringList({"success", "error"}))
            .Set("properties",
                 Json::Object()
                     .Set("success",
                          TypedSchema("boolean").Set("enum", Json::Array().Add(Json::Bool(false))))
                     .Set("error", TypedSchema("object")
                                       .Set("required", StringList({"code", "message"}))
                                       .Set("properties", std::move(error_fields))));

    Json schema_section = Json::Object();
    for (auto& [name, schema] : schemas) schema_section.Set(name, std::move(schema));

    Json responses = Json::Object();
    for (const ErrorResponse& error : kErrorResponses) {
      Json response =
          Json::Object()
              .Set("description", Json::String(error.description))
              .Set("content",
                   Json::Object().Set(
                       "application/json",
                       Json::Object().Set(
                           "schema", Json::Object().Set("$ref", Json::String("#/components/schemas/"
                                                                             "ErrorEnvelope")))));
      if (error.code == 429) {
        Json headers = RateLimitHeaders();
        headers.Set("Retry-After", Json::Object()
                                       .Set("description", Json::String("Seconds to wait."))
                                       .Set("schema", TypedSchema("integer")));
        response.Set("headers", std::move(headers));
      }
      responses.Set(error.name, std::move(response));
    }

    Json headers = Json::Object();
    const char* const kHeaderDescriptions[] = {
        "Requests allowed per window for this API key.",
        "Requests left in the current window.",
        "When the window resets (unix seconds).",
    };
    for (int i = 0; i < 3; ++i) {
      headers.Set(kRateLimitHeaders[i],
                  Json::Object()
                      .Set("description", Json::String(kHeaderDescriptions[i]))
                      .Set("schema", TypedSchema("integer")));
    }

    return Json::Object()
        .Set("securitySchemes",
             Json::Object().Set(
                 "bearerAuth",
                 Json::Object()
                     .Set("type", Json::String("http"))
                     .Set("scheme", Json::String("bearer"))
                     .Set("description",
                          Json::String("Authorization: Bearer <api key> (sk_live_...)."))))
        .Set("schemas", std::move(schema_section))
        .Set("responses", std::move(responses))
        .Set("headers", std::move(headers));
  }

  const OpenApiOptions& options_;
  // path -> verb order -> (verb, operation)
  std::map<std::string, std::map<int, std::pair<std::string, Json>>> paths_;
  std::map<std::string, std::string> schema_names_;         // full name -> schema name
  std::map<std::string, const Descriptor*> schema_owners_;  // schema name -> message
  std::deque<const Descriptor*> pending_schemas_;
  std::set<std::string> response_messages_;  // full names reachable from a response
  std::set<std::string> request_messages_;   // full names reachable from a request
};

void CollectMessageComments(const Descriptor& message, ProtoComments* comments);

template <typename Element>
void Remember(const Element& element, ProtoComments* comments) {
  std::string comment = SourceComment(element);
  if (!comment.empty()) (*comments)[element.full_name()] = std::move(comment);
}

void CollectEnumComments(const EnumDescriptor& type, ProtoComments* comments) {
  Remember(type, comments);
  for (int i = 0; i < type.value_count(); ++i) Remember(*type.value(i), comments);
}

void CollectMessageComments(const Descriptor& message, ProtoComments* comments) {
  Remember(message, comments);
  for (int i = 0; i < message.field_count(); ++i) Remember(*message.field(i), comments);
  for (int i = 0; i < message.nested_type_count(); ++i) {
    CollectMessageComments(*message.nested_type(i), comments);
  }
  for (int i = 0; i < message.enum_type_count(); ++i) {
    CollectEnumComments(*message.enum_type(i), comments);
  }
}

}  // namespace

std::string BuildOpenApi(const std::vector<const ServiceDescriptor*>& services) {
  return BuildOpenApi(services, OpenApiOptions());
}

std::string BuildOpenApi(const std::vector<const ServiceDescriptor*>& services,
                         const OpenApiOptions& options) {
  return DocumentBuilder(options).Build(services);
}

absl::StatusOr<ProtoComments> CommentsFromDescriptorSet(
    const google::protobuf::FileDescriptorSet& descriptor_set) {
  // A pool of its own keeps the source info the generated pool lacks.
  google::protobuf::DescriptorPool pool;
  std::vector<const google::protobuf::FileDescriptor*> files;
  for (const google::protobuf::FileDescriptorProto& file : descriptor_set.file()) {
    const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
    if (built == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot build ", file.name(), " (files out of dependency order?)"));
    }
    files.push_back(built);
  }
  ProtoComments comments;
  for (const google::protobuf::FileDescriptor* file : files) {
    for (int i = 0; i < file->service_count(); ++i) {
      const ServiceDescriptor& service = *file->service(i);
      Remember(service, &comments);
      for (int j = 0; j < service.method_count(); ++j) Remember(*service.method(j), &comments);
    }
    for (int i = 0; i < file->message_type_count(); ++i) {
      CollectMessageComments(*file->message_type(i), &comments);
    }
    for (int i = 0; i < file->enum_type_count(); ++i) {
      CollectEnumComments(*file->enum_type(i), &comments);
    }
  }
  return comments;
}

}  // namespace affonso::gateway
