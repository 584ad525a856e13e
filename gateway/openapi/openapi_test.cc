#include "gateway/openapi/openapi.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gateway/transcoder/contract.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/annotations.pb.h"

namespace affonso::gateway {
namespace {

using ::affonso::matchers::StatusIs;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using google::protobuf::Value;

std::vector<const ServiceDescriptor*> AffonsoServices() { return ContractServices(); }

Value Parse(const std::string& json) {
  Value document;
  auto status = google::protobuf::util::JsonStringToMessage(json, &document);
  EXPECT_OK(status);
  return document;
}

// Walks object keys; a missing key fails the test and yields null.
const Value& At(const Value& root, const std::vector<std::string>& keys) {
  static const Value* const kNull = new Value();
  const Value* current = &root;
  std::string walked;
  for (const std::string& key : keys) {
    absl::StrAppend(&walked, "/", key);
    const auto& fields = current->struct_value().fields();
    auto it = fields.find(key);
    if (current->kind_case() != Value::kStructValue || it == fields.end()) {
      ADD_FAILURE() << "missing " << walked;
      return *kNull;
    }
    current = &it->second;
  }
  return *current;
}

bool HasKey(const Value& object, const std::string& key) {
  return object.struct_value().fields().count(key) > 0;
}

std::vector<std::string> Strings(const Value& list) {
  std::vector<std::string> out;
  for (const Value& item : list.list_value().values()) out.push_back(item.string_value());
  return out;
}

const Value* FindParameter(const Value& operation, const std::string& name) {
  for (const Value& parameter : At(operation, {"parameters"}).list_value().values()) {
    if (At(parameter, {"name"}).string_value() == name) return &parameter;
  }
  return nullptr;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override { document_ = Parse(BuildOpenApi(AffonsoServices())); }

  const Value& Operation(const std::string& path, const std::string& verb) {
    return At(document_, {"paths", path, verb});
  }

  Value document_;
};

// A json_union (EventResult = S2SEvent | Conversion) is oneOf its members.
TEST_F(OpenApiTest, JsonUnionIsOneOfItsMembers) {
  const Value& members = At(document_, {"components", "schemas", "EventResult", "oneOf"});
  ASSERT_EQ(members.list_value().values_size(), 2);
  EXPECT_EQ(At(members.list_value().values(0), {"$ref"}).string_value(),
            "#/components/schemas/S2SEvent");
  EXPECT_EQ(At(members.list_value().values(1), {"$ref"}).string_value(),
            "#/components/schemas/Conversion");
  EXPECT_FALSE(HasKey(At(document_, {"components", "schemas", "EventResult"}), "properties"));
}

// A union with nothing set is null: the SDK's `PaymentTerms | null` (GET
// /v1/program/payment-terms before the program set any).
TEST_F(OpenApiTest, JsonUnionIsNullable) {
  for (const char* name : {"PaymentTermsResult", "RestrictionsResult", "PortalSettingsResult"}) {
    const Value& schema = At(document_, {"components", "schemas", name});
    EXPECT_TRUE(At(schema, {"nullable"}).bool_value()) << name;
    EXPECT_EQ(At(schema, {"oneOf"}).list_value().values_size(), 1) << name;
  }
  EXPECT_EQ(At(document_, {"paths", "/v1/marketplace/{id}", "get", "responses", "200", "content",
                           "application/json", "schema", "properties", "data", "$ref"})
                .string_value(),
            "#/components/schemas/MarketplaceProgram");
}

TEST_F(OpenApiTest, IsOpenApi303WithGlobalBearerAuth) {
  EXPECT_EQ(At(document_, {"openapi"}).string_value(), "3.0.3");
  const Value& scheme = At(document_, {"components", "securitySchemes", "bearerAuth"});
  EXPECT_EQ(At(scheme, {"type"}).string_value(), "http");
  EXPECT_EQ(At(scheme, {"scheme"}).string_value(), "bearer");
  const Value& security = At(document_, {"security"});
  ASSERT_EQ(security.list_value().values_size(), 1);
  EXPECT_TRUE(HasKey(security.list_value().values(0), "bearerAuth"));
}

TEST_F(OpenApiTest, EveryAnnotatedRpcHasItsOperation) {
  int rpcs = 0;
  for (const ServiceDescriptor* service : AffonsoServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      ASSERT_TRUE(method->options().HasExtension(google::api::http)) << method->full_name();
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      std::string verb, path;
      switch (rule.pattern_case()) {
        case google::api::HttpRule::kGet:
          verb = "get";
          path = rule.get();
          break;
        case google::api::HttpRule::kPut:
          verb = "put";
          path = rule.put();
          break;
        case google::api::HttpRule::kPost:
          verb = "post";
          path = rule.post();
          break;
        case google::api::HttpRule::kDelete:
          verb = "delete";
          path = rule.delete_();
          break;
        case google::api::HttpRule::kPatch:
          verb = "patch";
          path = rule.patch();
          break;
        default:
          FAIL() << "unexpected verb on " << method->full_name();
      }
      const Value& operation = Operation(path, verb);
      EXPECT_EQ(At(operation, {"operationId"}).string_value(),
                absl::StrCat(service->name(), ".", method->name()));
      EXPECT_EQ(Strings(At(operation, {"tags"})), std::vector<std::string>{service->name()});
      EXPECT_FALSE(At(operation, {"summary"}).string_value().empty());
      ++rpcs;
    }
  }
  EXPECT_GE(rpcs, 30);
}

TEST_F(OpenApiTest, CreatesAnswer201AndReadsAnswer200) {
  const Value& signup = At(Operation("/v1/signups", "post"), {"responses"});
  EXPECT_TRUE(HasKey(signup, "201"));
  EXPECT_TRUE(HasKey(signup, "200"));
  const Value& click = At(Operation("/v1/clicks", "post"), {"responses"});
  EXPECT_TRUE(HasKey(click, "201"));
  EXPECT_FALSE(HasKey(click, "200"));
  EXPECT_TRUE(HasKey(At(Operation("/v1/program/groups", "post"), {"responses"}), "201"));
  const Value& get = At(Operation("/v1/referrals/{id}", "get"), {"responses"});
  EXPECT_TRUE(HasKey(get, "200"));
  EXPECT_FALSE(HasKey(get, "201"));
  // A POST that creates nothing.
  EXPECT_TRUE(
      HasKey(At(Operation("/v1/webhooks/{webhook_id}/deliveries/{event_id}/redeliver", "post"),
                {"responses"}),
             "200"));
}

TEST_F(OpenApiTest, PathParametersComeFromTheTemplate) {
  const Value& operation = Operation("/v1/referrals/{id}", "get");
  const Value* id = FindParameter(operation, "id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(At(*id, {"in"}).string_value(), "path");
  EXPECT_TRUE(At(*id, {"required"}).bool_value());
  EXPECT_EQ(At(*id, {"schema", "type"}).string_value(), "string");
  // The path's id, and the query's expand and include.
  EXPECT_EQ(At(operation, {"parameters"}).list_value().values_size(), 3);
  ASSERT_NE(FindParameter(operation, "include"), nullptr);
  EXPECT_EQ(At(*FindParameter(operation, "include"), {"in"}).string_value(), "query");

  const Value& redeliver =
      Operation("/v1/webhooks/{webhook_id}/deliveries/{event_id}/redeliver", "post");
  EXPECT_NE(FindParameter(redeliver, "webhook_id"), nullptr);
  EXPECT_NE(FindParameter(redeliver, "event_id"), nullptr);
  EXPECT_FALSE(HasKey(redeliver, "requestBody"));
}

TEST_F(OpenApiTest, GetWithoutBodyTakesEveryOtherFieldFromTheQuery) {
  const Value& list = Operation("/v1/referrals", "get");
  const Value* limit = FindParameter(list, "limit");
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(At(*limit, {"in"}).string_value(), "query");
  EXPECT_EQ(At(*limit, {"schema", "type"}).string_value(), "integer");
  EXPECT_EQ(At(*limit, {"schema", "format"}).string_value(), "int32");
  ASSERT_NE(FindParameter(list, "starting_after"), nullptr);
  const Value* status = FindParameter(list, "status");
  ASSERT_NE(status, nullptr);
  std::vector<std::string> statuses = Strings(At(*status, {"schema", "enum"}));
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "lead"), statuses.end());
  EXPECT_EQ(std::find(statuses.begin(), statuses.end(), "unspecified"), statuses.end());
  const Value* created_gte = FindParameter(list, "created_gte");
  ASSERT_NE(created_gte, nullptr);
  EXPECT_EQ(At(*created_gte, {"schema", "format"}).string_value(), "date-time");

  const Value* expand = FindParameter(Operation("/v1/affiliates/{id}", "get"), "expand");
  ASSERT_NE(expand, nullptr);
  EXPECT_EQ(At(*expand, {"schema", "type"}).string_value(), "array");
  EXPECT_TRUE(At(*expand, {"explode"}).bool_value());
}

TEST_F(OpenApiTest, BodyStarIsTheRequestMinusPathFields) {
  const Value& create = Operation("/v1/clicks", "post");
  EXPECT_EQ(
      At(create, {"requestBody", "content", "application/json", "schema", "$ref"}).string_value(),
      "#/components/schemas/TrackClickRequest");
  EXPECT_FALSE(HasKey(create, "parameters"));

  const Value& update = Operation("/v1/referrals/{id}", "put");
  const Value& properties =
      At(update, {"requestBody", "content", "application/json", "schema", "properties"});
  EXPECT_FALSE(HasKey(properties, "id"));
  EXPECT_TRUE(HasKey(properties, "email"));
  EXPECT_EQ(At(update, {"parameters"}).list_value().values_size(), 1);
}

TEST_F(OpenApiTest, BodyFieldIsTheSubMessageAndTheRestIsQuery) {
  const Value& update = Operation("/v1/program/fraud-rules", "patch");
  EXPECT_EQ(
      At(update, {"requestBody", "content", "application/json", "schema", "$ref"}).string_value(),
      "#/components/schemas/FraudRulesUpdate");
  const Value* program_id = FindParameter(update, "program_id");
  ASSERT_NE(program_id, nullptr);
  EXPECT_EQ(At(*program_id, {"in"}).string_value(), "query");
  EXPECT_EQ(FindParameter(update, "fraud_rules"), nullptr);

  const Value& incentive = Operation("/v1/program/groups/{group_id}/incentives", "post");
  EXPECT_EQ(At(*FindParameter(incentive, "group_id"), {"in"}).string_value(), "path");
  EXPECT_EQ(At(*FindParameter(incentive, "program_id"), {"in"}).string_value(), "query");
}

TEST_F(OpenApiTest, SchemasFollowTheProtoJsonForm) {
  const Value& referral = At(document_, {"components", "schemas", "Referral", "properties"});
  EXPECT_EQ(
      Strings(At(referral, {"status", "enum"})),
      (std::vector<std::string>{"lead", "trialing", "customer", "active", "canceled", "rejected"}));
  EXPECT_EQ(At(referral, {"status", "type"}).string_value(), "string");
  EXPECT_EQ(At(referral, {"created_at", "format"}).string_value(), "date-time");
  EXPECT_EQ(At(referral, {"metadata", "type"}).string_value(), "object");
  EXPECT_TRUE(At(referral, {"metadata", "additionalProperties"}).bool_value());
  EXPECT_EQ(At(referral, {"fraud_flags", "items", "$ref"}).string_value(),
            "#/components/schemas/FraudFlag");
  EXPECT_TRUE(HasKey(At(document_, {"components", "schemas"}), "FraudFlag"));

  const Value& commission = At(document_, {"components", "schemas", "Commission", "properties"});
  EXPECT_EQ(At(commission, {"commission_amount", "type"}).string_value(), "number");
  EXPECT_EQ(At(commission, {"hold_period_days", "type"}).string_value(), "integer");

  const Value& update = At(document_, {"components", "schemas", "FraudRulesUpdate", "properties"});
  EXPECT_EQ(At(update, {"allowed_email_domains", "type"}).string_value(), "array");
  EXPECT_EQ(Strings(At(update, {"self_referral_mode", "enum"})),
            (std::vector<std::string>{"off", "detect", "block"}));
  // Output names are the proto names, as the gateway prints them, unless the
  // proto pins a json_name (API.md shows overrides as commissionOverrides).
  const Value& affiliate = At(document_, {"components", "schemas", "Affiliate", "properties"});
  EXPECT_TRUE(HasKey(affiliate, "commissionOverrides"));
  EXPECT_TRUE(HasKey(affiliate, "partnership_status"));
}

TEST_F(OpenApiTest, EnvelopesMatchTheGateway) {
  const Value& list =
      At(Operation("/v1/referrals", "get"),
         {"responses", "200", "content", "application/json", "schema", "properties"});
  EXPECT_TRUE(HasKey(list, "success"));
  EXPECT_TRUE(HasKey(list, "has_more"));
  EXPECT_EQ(At(list, {"data", "type"}).string_value(), "array");
  EXPECT_EQ(At(list, {"data", "items", "$ref"}).string_value(), "#/components/schemas/Referral");

  const Value& offset =
      At(Operation("/v1/affiliates", "get"),
         {"responses", "200", "content", "application/json", "schema", "properties"});
  EXPECT_EQ(At(offset, {"pagination", "$ref"}).string_value(), "#/components/schemas/Pagination");

  // response_body: "referral" -> data is the referral, `created` is not shown.
  const Value& signup =
      At(Operation("/v1/signups", "post"),
         {"responses", "201", "content", "application/json", "schema", "properties"});
  EXPECT_EQ(At(signup, {"data", "$ref"}).string_value(), "#/components/schemas/Referral");
  EXPECT_FALSE(HasKey(signup, "created"));

  const Value& click =
      At(Operation("/v1/clicks", "post"),
         {"responses", "201", "content", "application/json", "schema", "properties"});
  EXPECT_EQ(At(click, {"data", "$ref"}).string_value(), "#/components/schemas/Click");
}

void Reach(const Descriptor& message, std::set<const Descriptor*>* out) {
  if (absl::StartsWith(message.full_name(), "google.protobuf.") || !out->insert(&message).second) {
    return;
  }
  for (int i = 0; i < message.field_count(); ++i) {
    if (message.field(i)->message_type() != nullptr) Reach(*message.field(i)->message_type(), out);
  }
}

bool Omitted(const FieldDescriptor& field) {
  return field.options().GetExtension(affonso::v1::omit_when_unset);
}

std::string OutputName(const FieldDescriptor& field) {
  return field.has_json_name() ? field.json_name() : field.name();
}

// docs/CONTRACT.md "Fields and nulls", as the document states it: a response field with presence
// (proto3 optional, singular message) is nullable unless it has omit_when_unset, and every field
// but those is required.
// A raw_body field (the signed bytes the gateway copies in) is no input.
TEST(BuildOpenApiTest, RawBodyFieldsAreHidden) {
  const std::string document = BuildOpenApi(AffonsoServices());
  EXPECT_TRUE(absl::StrContains(document, "external_event_id"));
  EXPECT_FALSE(absl::StrContains(document, "signed_body"));
  EXPECT_FALSE(absl::StrContains(document, "signedBody"));
}

TEST_F(OpenApiTest, ResponseFieldsWithPresenceAreNullable) {
  std::set<const Descriptor*> responses, requests;
  for (const ServiceDescriptor* service : AffonsoServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      Reach(*service->method(i)->output_type(), &responses);
      Reach(*service->method(i)->input_type(), &requests);
    }
  }
  const Value& schemas = At(document_, {"components", "schemas"});
  int checked = 0;
  for (const Descriptor* message : responses) {
    if (!HasKey(schemas, message->name())) continue;  // spread into its envelope
    SCOPED_TRACE(message->full_name());
    const Value& schema = At(schemas, {message->name()});
    if (HasKey(schema, "oneOf")) continue;  // a json_union: JsonUnionIsOneOfItsMembers
    std::set<std::string> required;
    if (HasKey(schema, "required")) {
      for (const std::string& name : Strings(At(schema, {"required"}))) required.insert(name);
    }
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor& field = *message->field(i);
      SCOPED_TRACE(field.name());
      if (field.options().GetExtension(affonso::v1::expansion_list) ||
          field.options().GetExtension(affonso::v1::grpc_only)) {
        EXPECT_FALSE(HasKey(At(schema, {"properties"}), OutputName(field))) << "never in JSON";
        continue;
      }
      const Value& property = At(schema, {"properties", OutputName(field)});
      const bool nullable = HasKey(property, "nullable") && At(property, {"nullable"}).bool_value();
      EXPECT_EQ(nullable, field.has_presence() && !Omitted(field));
      // A google.protobuf.Value is any JSON value: no type, no $ref.
      if (nullable && field.message_type() != nullptr && !HasKey(property, "type") &&
          field.message_type()->full_name() != "google.protobuf.Value") {
        EXPECT_TRUE(HasKey(property, "allOf")) << "a nullable $ref needs allOf";
      }
      if (!requests.count(message)) {
        EXPECT_EQ(required.count(OutputName(field)) > 0, !Omitted(field));
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
  const Value& referral = At(schemas, {"Referral", "properties"});
  EXPECT_TRUE(At(referral, {"converted_at", "nullable"}).bool_value());
  EXPECT_EQ(At(referral, {"converted_at", "format"}).string_value(), "date-time");
  EXPECT_FALSE(HasKey(At(referral, {"id"}), "nullable"));
  EXPECT_FALSE(HasKey(At(referral, {"fraud_flags"}), "nullable"));
  EXPECT_TRUE(
      At(schemas, {"WebhookDelivery", "properties", "next_retry_at", "nullable"}).bool_value());
}

// Deletes answer the SDK's DeleteResponse {success, message}: each delete's rule says
// response_body: "message" (docs/CONTRACT.md "Envelopes").
TEST_F(OpenApiTest, DeletesAnswerSuccessAndMessage) {
  int deletes = 0;
  for (const auto& [path, operations] : At(document_, {"paths"}).struct_value().fields()) {
    if (!HasKey(operations, "delete")) continue;
    ++deletes;
    SCOPED_TRACE(path);
    const Value& schema =
        At(operations, {"delete", "responses", "200", "content", "application/json", "schema"});
    std::set<std::string> properties;
    for (const auto& [name, unused] : At(schema, {"properties"}).struct_value().fields()) {
      properties.insert(name);
    }
    EXPECT_EQ(properties, (std::set<std::string>{"success", "message"}));
    EXPECT_EQ(Strings(At(schema, {"required"})), (std::vector<std::string>{"success", "message"}));
  }
  EXPECT_GE(deletes, 5);
}

TEST_F(OpenApiTest, ErrorsShareTheErrorEnvelope) {
  const Value& error = At(
      document_, {"components", "schemas", "ErrorEnvelope", "properties", "error", "properties"});
  for (const char* field : {"code", "message", "field", "retryAfter"}) {
    EXPECT_TRUE(HasKey(error, field)) << field;
  }
  const Value& responses = At(Operation("/v1/referrals/{id}", "put"), {"responses"});
  for (const char* code :
       {"400", "401", "403", "404", "405", "409", "413", "415", "429", "500", "503", "504"}) {
    ASSERT_TRUE(HasKey(responses, code)) << code;
    const std::string ref = At(responses, {code, "$ref"}).string_value();
    const std::string name = ref.substr(ref.rfind('/') + 1);
    EXPECT_EQ(At(document_,
                 {"components", "responses", name, "content", "application/json", "schema", "$ref"})
                  .string_value(),
              "#/components/schemas/ErrorEnvelope");
  }
  // The codes and reasons of docs/CONTRACT.md "Errors".
  EXPECT_EQ(
      Strings(At(error, {"details", "items", "properties", "reason", "enum"})),
      (std::vector<std::string>{"MISSING_API_KEY", "INVALID_API_KEY_FORMAT", "INVALID_API_KEY",
                                "API_KEY_DISABLED", "API_KEY_EXPIRED", "INSUFFICIENT_PERMISSIONS",
                                "MISSING_SIGNATURE", "STALE_SIGNATURE", "INVALID_SIGNATURE"}));
  const Value& described = At(document_, {"components", "responses"});
  for (const auto& [name, code] : std::vector<std::pair<std::string, std::string>>{
           {"BadRequest", "VALIDATION_ERROR"},
           {"Unauthorized", "UNAUTHORIZED"},
           {"Forbidden", "FORBIDDEN"},
           {"NotFound", "NOT_FOUND"},
           {"MethodNotAllowed", "METHOD_NOT_ALLOWED"},
           {"Conflict", "DUPLICATE_ERROR"},
           {"PayloadTooLarge", "PAYLOAD_TOO_LARGE"},
           {"UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE"},
           {"TooManyRequests", "RATE_LIMIT_EXCEEDED"},
           {"InternalError", "INTERNAL_ERROR"},
           {"ServiceUnavailable", "SERVICE_UNAVAILABLE"}}) {
    EXPECT_TRUE(absl::StartsWith(At(described, {name, "description"}).string_value(), code))
        << name << ": " << At(described, {name, "description"}).string_value();
  }
  // No body, nothing unique: no 413/415/409.
  const Value& get = At(Operation("/v1/referrals/{id}", "get"), {"responses"});
  EXPECT_FALSE(HasKey(get, "409"));
  EXPECT_FALSE(HasKey(get, "415"));
  EXPECT_TRUE(HasKey(get, "404"));
}

TEST_F(OpenApiTest, OperationalEndpointsNeedNoKey) {
  for (const char* path : {"/healthz", "/readyz", "/openapi.json"}) {
    const Value& operation = Operation(path, "get");
    EXPECT_EQ(At(operation, {"security"}).list_value().values_size(), 0) << path;
    EXPECT_TRUE(HasKey(At(operation, {"responses"}), "200")) << path;
  }
}

TEST_F(OpenApiTest, OutputIsDeterministic) {
  const std::string first = BuildOpenApi(AffonsoServices());
  EXPECT_EQ(first, BuildOpenApi(AffonsoServices()));
  EXPECT_NE(first.find("\n  \"paths\": {"), std::string::npos);  // pretty-printed
}

TEST_F(OpenApiTest, SummariesFallBackToGivenComments) {
  OpenApiOptions options;
  options.comments["affonso.v1.ReferralService.GetReferral"] = "Reads one referral.";
  options.comments["affonso.v1.Referral.email"] = "The customer's email.";
  const Value document = Parse(BuildOpenApi(AffonsoServices(), options));
  EXPECT_EQ(At(document, {"paths", "/v1/referrals/{id}", "get", "summary"}).string_value(),
            "Reads one referral.");
  EXPECT_EQ(At(document, {"paths", "/v1/referrals", "get", "summary"}).string_value(),
            "ListReferrals");
  EXPECT_EQ(
      At(document, {"components", "schemas", "Referral", "properties", "email", "description"})
          .string_value(),
      "The customer's email.");
}

// A file as protoc writes it with --include_source_info.
google::protobuf::FileDescriptorSet CommentedFile() {
  google::protobuf::FileDescriptorSet set;
  google::protobuf::FileDescriptorProto* file = set.add_file();
  file->set_name("test/things.proto");
  file->set_package("test");
  file->set_syntax("proto3");
  google::protobuf::DescriptorProto* message = file->add_message_type();
  message->set_name("Thing");
  google::protobuf::FieldDescriptorProto* field = message->add_field();
  field->set_name("id");
  field->set_number(1);
  field->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
  field->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  google::protobuf::ServiceDescriptorProto* service = file->add_service();
  service->set_name("ThingService");
  google::protobuf::MethodDescriptorProto* method = service->add_method();
  method->set_name("GetThing");
  method->set_input_type(".test.Thing");
  method->set_output_type(".test.Thing");
  method->mutable_options()->MutableExtension(google::api::http)->set_get("/v1/things/{id}");

  auto* info = file->mutable_source_code_info();
  auto* service_location = info->add_location();  // service 0
  service_location->add_path(6);
  service_location->add_path(0);
  service_location->set_leading_comments(" Things.\n");
  for (int span : {3, 0, 10}) service_location->add_span(span);
  auto* method_location = info->add_location();  // service 0, method 0
  for (int part : {6, 0, 2, 0}) method_location->add_path(part);
  method_location->set_leading_comments(" Reads one thing,\n wherever it is.\n");
  for (int span : {6, 2, 20}) method_location->add_span(span);
  auto* field_location = info->add_location();  // message 0, field 0
  for (int part : {4, 0, 2, 0}) field_location->add_path(part);
  field_location->set_trailing_comments(" thg_...\n");
  for (int span : {1, 2, 16}) field_location->add_span(span);
  return set;
}

TEST(CommentsFromDescriptorSetTest, ReadsLeadingAndTrailingComments) {
  auto comments = CommentsFromDescriptorSet(CommentedFile());
  ASSERT_OK(comments);
  EXPECT_EQ((*comments)["test.ThingService"], "Things.");
  EXPECT_EQ((*comments)["test.ThingService.GetThing"], "Reads one thing, wherever it is.");
  EXPECT_EQ((*comments)["test.Thing.id"], "thg_...");
}

TEST(CommentsFromDescriptorSetTest, RejectsFilesOutOfOrder) {
  google::protobuf::FileDescriptorSet set = CommentedFile();
  set.mutable_file(0)->add_dependency("missing.proto");
  EXPECT_THAT(CommentsFromDescriptorSet(set), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BuildOpenApiTest, UsesSourceInfoOfTheDescriptors) {
  google::protobuf::DescriptorPool pool;
  ASSERT_NE(pool.BuildFile(CommentedFile().file(0)), nullptr);
  const ServiceDescriptor* service = pool.FindServiceByName("test.ThingService");
  ASSERT_NE(service, nullptr);
  const Value document = Parse(BuildOpenApi({service}));
  EXPECT_EQ(At(document, {"paths", "/v1/things/{id}", "get", "summary"}).string_value(),
            "Reads one thing, wherever it is.");
  EXPECT_EQ(At(document, {"paths", "/v1/things/{id}", "get", "operationId"}).string_value(),
            "ThingService.GetThing");
  EXPECT_EQ(At(document, {"components", "schemas", "Thing", "properties", "id", "description"})
                .string_value(),
            "thg_...");
}

// The rules on a file of their own: a required nullable field, an omitted one, a repeated one,
// and a delete whose response_body names its message.
TEST(BuildOpenApiTest, NullableRequiredAndDeleteFollowTheContract) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("test/rules.proto");
  file.set_package("test");
  file.set_syntax("proto3");
  auto add_field = [](google::protobuf::DescriptorProto* message, const std::string& name,
                      int number, google::protobuf::FieldDescriptorProto::Type type) {
    google::protobuf::FieldDescriptorProto* field = message->add_field();
    field->set_name(name);
    field->set_number(number);
    field->set_type(type);
    field->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
    return field;
  };
  using Proto = google::protobuf::FieldDescriptorProto;
  google::protobuf::DescriptorProto* child = file.add_message_type();
  child->set_name("Child");
  add_field(child, "key", 1, Proto::TYPE_STRING);
  google::protobuf::DescriptorProto* thing = file.add_message_type();
  thing->set_name("Thing");
  add_field(thing, "id", 1, Proto::TYPE_STRING);
  Proto* name = add_field(thing, "name", 2, Proto::TYPE_STRING);
  name->set_proto3_optional(true);
  name->set_oneof_index(0);
  thing->add_oneof_decl()->set_name("_name");
  add_field(thing, "child", 3, Proto::TYPE_MESSAGE)->set_type_name(".test.Child");
  Proto* expansion = add_field(thing, "expansion", 4, Proto::TYPE_MESSAGE);
  expansion->set_type_name(".test.Child");
  expansion->mutable_options()->SetExtension(affonso::v1::omit_when_unset, true);
  add_field(thing, "tags", 5, Proto::TYPE_STRING)->set_label(Proto::LABEL_REPEATED);
  google::protobuf::DescriptorProto* request = file.add_message_type();
  request->set_name("ThingRequest");
  add_field(request, "id", 1, Proto::TYPE_STRING);
  google::protobuf::DescriptorProto* deleted = file.add_message_type();
  deleted->set_name("DeleteThingResponse");
  add_field(deleted, "id", 1, Proto::TYPE_STRING);
  add_field(deleted, "deleted", 2, Proto::TYPE_BOOL);
  add_field(deleted, "message", 3, Proto::TYPE_STRING);
  google::protobuf::ServiceDescriptorProto* service = file.add_service();
  service->set_name("ThingService");
  google::protobuf::MethodDescriptorProto* get = service->add_method();
  get->set_name("GetThing");
  get->set_input_type(".test.ThingRequest");
  get->set_output_type(".test.Thing");
  get->mutable_options()->MutableExtension(google::api::http)->set_get("/v1/things/{id}");
  google::protobuf::MethodDescriptorProto* del = service->add_method();
  del->set_name("DeleteThing");
  del->set_input_type(".test.ThingRequest");
  del->set_output_type(".test.DeleteThingResponse");
  google::api::HttpRule* rule = del->mutable_options()->MutableExtension(google::api::http);
  rule->set_delete_("/v1/things/{id}");
  rule->set_response_body("message");

  google::protobuf::DescriptorPool pool;
  ASSERT_NE(pool.BuildFile(file), nullptr);
  const Value document = Parse(BuildOpenApi({pool.FindServiceByName("test.ThingService")}));
  const Value& schema = At(document, {"components", "schemas", "Thing"});
  EXPECT_EQ(Strings(At(schema, {"required"})),
            (std::vector<std::string>{"id", "name", "child", "tags"}));
  const Value& properties = At(schema, {"properties"});
  EXPECT_FALSE(HasKey(At(properties, {"id"}), "nullable"));
  EXPECT_TRUE(At(properties, {"name", "nullable"}).bool_value());
  EXPECT_TRUE(At(properties, {"child", "nullable"}).bool_value());
  EXPECT_EQ(At(properties, {"child", "allOf"})
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("$ref")
                .string_value(),
            "#/components/schemas/Child");
  EXPECT_FALSE(HasKey(At(properties, {"expansion"}), "nullable"));
  EXPECT_EQ(At(properties, {"expansion", "$ref"}).string_value(), "#/components/schemas/Child");
  EXPECT_FALSE(HasKey(At(properties, {"tags"}), "nullable"));

  const Value& removed = At(document, {"paths", "/v1/things/{id}", "delete", "responses", "200",
                                       "content", "application/json", "schema"});
  EXPECT_EQ(Strings(At(removed, {"required"})), (std::vector<std::string>{"success", "message"}));
  EXPECT_EQ(At(removed, {"properties", "message", "type"}).string_value(), "string");
  EXPECT_FALSE(HasKey(At(removed, {"properties"}), "data"));
}

}  // namespace
}  // namespace affonso::gateway
