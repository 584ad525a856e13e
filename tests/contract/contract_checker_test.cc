#include "tests/contract/contract_checker.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kDescription[] = R"(
# A comment.
type OffsetPaginationMeta { page: number; limit: number; total: number; total_pages: number;
  has_next_page: boolean; has_prev_page: boolean; }
type DeleteResponse { success: true; message: string; }
type Thing {
  id: string;
  name: string | null;
  status: "PENDING" | "APPROVED" | null;
  mode: Mode;
  count: number;
  created_at: timestamp;
  metadata: any;
  tags: string[];
  child?: Child | null;
  answer: string | string[] | null;
}
type Child { key: string; }
type Loose { key: string; ... }
alias Mode = "off" | "detect" | "block"
alias Entry = Literal | Macro
type Literal { value: string; type: "literal"; }
type Macro { value: "{a}" | "{b}"; type: "macro"; }
type Happened { referral_id: string; action: string; }
type Sale { id: string; amount: number; }
alias Outcome = Happened | Sale
route GET /v1/things -> offset Thing
route GET /v1/things/{id} -> single Thing
route GET /v1/cursor -> cursor Thing
route GET /v1/all -> list Thing
route DELETE /v1/things/{id} -> delete
route GET /v1/maybe -> single Thing | null
route POST /v1/bare -> bare Thing
)";

Value Json(const std::string& text) {
  Value value;
  EXPECT_OK(google::protobuf::util::JsonStringToMessage(text, &value)) << text;
  return value;
}

Struct Body(const std::string& text) { return Json(text).struct_value(); }

constexpr char kGoodThing[] =
    R"({"id":"t_1","name":null,"status":"APPROVED","mode":"detect","count":3,)"
    R"("created_at":"2026-01-02T03:04:05.123Z","metadata":{},"tags":["a"],"answer":null})";

// kGoodThing with `replace` instead of `original`.
std::string Thing(const std::string& original, const std::string& replace) {
  std::string text = kGoodThing;
  const size_t at = text.find(original);
  EXPECT_NE(at, std::string::npos) << original;
  if (at != std::string::npos) text.replace(at, original.size(), replace);
  return text;
}

class ContractCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto description = ContractDescription::Parse(kDescription);
    ASSERT_OK(description);
    description_ = *std::move(description);
  }

  std::vector<Mismatch> CheckThing(const std::string& json) {
    auto mismatches = description_.Check(Json(json), "Thing");
    EXPECT_OK(mismatches);
    return mismatches.ok() ? *mismatches : std::vector<Mismatch>{};
  }

  ContractDescription description_;
};

TEST_F(ContractCheckerTest, AcceptsAValueAsDescribed) {
  EXPECT_EQ(FormatMismatches(CheckThing(kGoodThing)), "");
  // An optional field may be absent, null (when the type says so) or present.
  EXPECT_EQ(FormatMismatches(
                CheckThing(Thing(R"("answer":null)", R"("answer":["x"],"child":{"key":"k"})"))),
            "");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("answer":null)", R"("answer":"x","child":null)"))),
            "");
}

TEST_F(ContractCheckerTest, CatchesAMissingRequiredField) {
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("count":3,)", ""))),
            "count: missing: required (number)\n");
}

TEST_F(ContractCheckerTest, CatchesAMissingNullableField) {
  // `name: string | null` must be sent as null, not left out.
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("name":null,)", ""))),
            "name: missing: required and nullable (string | null), send null when empty\n");
}

TEST_F(ContractCheckerTest, CatchesAWrongType) {
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("count":3)", R"("count":"3")"))),
            "count: wrong type: got string \"3\", want number\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("tags":["a"])", R"("tags":["a",1])"))),
            "tags[1]: wrong type: got number 1, want string\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("name":null)", R"("name":5)"))),
            "name: wrong type: got number 5, want string | null\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing("2026-01-02T03:04:05.123Z", "yesterday"))),
            "created_at: not an RFC 3339 UTC timestamp: string \"yesterday\"\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("answer":null)", R"("answer":{"a":1})"))),
            "answer: wrong type: got object, want string | string[] | null\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("answer":null)", R"("answer":null,"child":[])"))),
            "child: wrong type: got array, want Child | null\n");
}

TEST_F(ContractCheckerTest, CatchesAWrongEnumLiteral) {
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("status":"APPROVED")", R"("status":"approved")"))),
            "status: got string \"approved\", want one of \"PENDING\" | \"APPROVED\" | null\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("mode":"detect")", R"("mode":"DETECT")"))),
            "mode: got string \"DETECT\", want one of Mode\n");
}

TEST_F(ContractCheckerTest, CatchesAnUnexpectedNull) {
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("mode":"detect")", R"("mode":null)"))),
            "mode: unexpected null: want Mode\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("id":"t_1")", R"("id":null)"))),
            "id: unexpected null: want string\n");
  EXPECT_EQ(FormatMismatches(CheckThing(Thing(R"("tags":["a"])", R"("tags":null)"))),
            "tags: unexpected null: want string[]\n");
}

// Decision (README.md): objects are strict, a field the description does not name is reported;
// a type that says `...` allows them.
TEST_F(ContractCheckerTest, ExtraFieldsAreReportedUnlessTheTypeIsOpen) {
  EXPECT_EQ(
      FormatMismatches(CheckThing(Thing(R"("id":"t_1")", R"("id":"t_1","track_email":true)"))),
      "track_email: unexpected field: Thing has no such field\n");
  auto loose = description_.Check(Json(R"({"key":"k","other":1})"), "Loose");
  ASSERT_OK(loose);
  EXPECT_EQ(FormatMismatches(*loose), "");
}

TEST_F(ContractCheckerTest, NestedMismatchesNameTheirPath) {
  auto list = description_.Check(Json(R"([{"key":"k"},{"key":1,"x":2}])"), "Child[]");
  ASSERT_OK(list);
  EXPECT_EQ(FormatMismatches(*list),
            "[1].key: wrong type: got number 1, want string\n"
            "[1].x: unexpected field: Child has no such field\n");
}

TEST_F(ContractCheckerTest, AUnionOfObjectsReportsTheClosestAlternative) {
  auto good = description_.Check(Json(R"([{"value":"x","type":"literal"},)"
                                      R"({"value":"{a}","type":"macro"}])"),
                                 "Entry[]");
  ASSERT_OK(good);
  EXPECT_EQ(FormatMismatches(*good), "");
  auto bad = description_.Check(Json(R"({"value":"{c}","type":"macro"})"), "Entry");
  ASSERT_OK(bad);
  EXPECT_EQ(FormatMismatches(*bad), "value: got string \"{c}\", want one of \"{a}\" | \"{b}\"\n");
}

// An untagged union of objects (the SDK's EventResult = S2SEvent | Conversion): the value is
// exactly one alternative, never a mix of them.
TEST_F(ContractCheckerTest, AnUntaggedUnionIsExactlyOneAlternative) {
  for (const char* good :
       {R"({"referral_id":"r","action":"recorded"})", R"({"id":"c","amount":1})"}) {
    auto checked = description_.Check(Json(good), "Outcome");
    ASSERT_OK(checked);
    EXPECT_EQ(FormatMismatches(*checked), "") << good;
  }
  auto mixed =
      description_.Check(Json(R"({"referral_id":"r","action":"recorded","amount":1})"), "Outcome");
  ASSERT_OK(mixed);
  EXPECT_EQ(FormatMismatches(*mixed), "amount: unexpected field: Happened has no such field\n");
  auto wrapped =
      description_.Check(Json(R"({"event":{"referral_id":"r","action":"x"}})"), "Outcome");
  ASSERT_OK(wrapped);
  EXPECT_NE(FormatMismatches(*wrapped), "");
}

TEST_F(ContractCheckerTest, ChecksEachEnvelope) {
  const std::string thing = kGoodThing;
  const std::string pagination =
      R"("pagination":{"page":1,"limit":10,"total":1,"total_pages":1,"has_next_page":false,)"
      R"("has_prev_page":false})";
  EXPECT_EQ(
      FormatMismatches(description_.CheckResponse(
          "GET /v1/things", Body(R"({"success":true,"data":[)" + thing + "]," + pagination + "}"))),
      "");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse(
                "GET /v1/things", Body(R"({"success":true,"data":[)" + thing + "]}"))),
            "pagination: missing: required (OffsetPaginationMeta)\n");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse(
                "GET /v1/cursor", Body(R"({"success":true,"data":[],"has_more":"no"})"))),
            "has_more: wrong type: got string \"no\", want boolean\n");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse(
                "GET /v1/all", Body(R"({"success":true,"data":[],)" + pagination + "}"))),
            "pagination: unexpected field: the envelope (list Thing) has no such field\n");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse(
                "GET /v1/things/{id}", Body(R"({"success":true,"data":)" + thing + "}"))),
            "");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse(
                "GET /v1/things/{id}", Body(R"({"success":false,"data":{"id":"t"}})"))),
            "success: got boolean false, want true\n"
            "data.name: missing: required and nullable (string | null), send null when empty\n"
            "data.status: missing: required and nullable (\"PENDING\" | \"APPROVED\" | null), send "
            "null when empty\n"
            "data.mode: missing: required (Mode)\n"
            "data.count: missing: required (number)\n"
            "data.created_at: missing: required (timestamp)\n"
            "data.metadata: missing: required and nullable (any), send null when empty\n"
            "data.tags: missing: required (string[])\n"
            "data.answer: missing: required and nullable (string | string[] | null), send null "
            "when empty\n");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse("GET /v1/maybe",
                                                        Body(R"({"success":true,"data":null})"))),
            "");
  EXPECT_EQ(
      FormatMismatches(description_.CheckResponse("GET /v1/maybe", Body(R"({"success":true})"))),
      "data: missing: required and nullable (Thing | null), send null when empty\n");
  // Deletes answer the SDK's DeleteResponse, not the gRPC {id, deleted}.
  EXPECT_EQ(FormatMismatches(description_.CheckResponse(
                "DELETE /v1/things/{id}", Body(R"({"success":true,"message":"thing deleted"})"))),
            "");
  EXPECT_EQ(
      FormatMismatches(description_.CheckResponse(
          "DELETE /v1/things/{id}", Body(R"({"success":true,"data":{"id":"t","deleted":true}})"))),
      "message: missing: required (string)\n"
      "data: unexpected field: DeleteResponse has no such field\n");
  // A bare route's body is the object itself.
  EXPECT_EQ(FormatMismatches(description_.CheckResponse("POST /v1/bare", Body(thing))), "");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse(
                "POST /v1/bare", Body(R"({"success":true,"data":)" + thing + "}"))),
            "id: missing: required (string)\n"
            "name: missing: required and nullable (string | null), send null when empty\n"
            "status: missing: required and nullable (\"PENDING\" | \"APPROVED\" | null), send "
            "null when empty\n"
            "mode: missing: required (Mode)\n"
            "count: missing: required (number)\n"
            "created_at: missing: required (timestamp)\n"
            "metadata: missing: required and nullable (any), send null when empty\n"
            "tags: missing: required (string[])\n"
            "answer: missing: required and nullable (string | string[] | null), send null "
            "when empty\n"
            "data: unexpected field: Thing has no such field\n"
            "success: unexpected field: Thing has no such field\n");
  EXPECT_EQ(FormatMismatches(description_.CheckResponse("GET /v1/nothing", Body("{}"))),
            "(body): no described response for GET /v1/nothing\n");
}

TEST_F(ContractCheckerTest, ListsItsRoutes) {
  EXPECT_EQ(description_.RouteKeys(),
            (std::vector<std::string>{"GET /v1/things", "GET /v1/things/{id}", "GET /v1/cursor",
                                      "GET /v1/all", "DELETE /v1/things/{id}", "GET /v1/maybe",
                                      "POST /v1/bare"}));
  EXPECT_EQ(description_.RouteShape("GET /v1/maybe"), "single Thing | null");
  EXPECT_EQ(description_.RouteShape("DELETE /v1/things/{id}"), "delete");
  EXPECT_TRUE(description_.HasRoute("GET /v1/cursor"));
  EXPECT_FALSE(description_.HasRoute("GET /v1/nothing"));
}

TEST(ContractDescriptionParseTest, RefusesBadDescriptions) {
  const std::string envelopes =
      "type OffsetPaginationMeta { page: number; } type DeleteResponse { success: true; }\n";
  auto unknown = ContractDescription::Parse(envelopes + "type A { b: Bee; }");
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown type Bee"), std::string::npos);
  auto twice = ContractDescription::Parse(envelopes + "type A { b: string; }\nalias A = string");
  EXPECT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("line 3: A declared twice"), std::string::npos)
      << twice.status();
  EXPECT_FALSE(ContractDescription::Parse(envelopes + "type A { b string; }").ok());
  EXPECT_FALSE(ContractDescription::Parse(envelopes + "route GET /v1/a -> sometimes A").ok());
  EXPECT_FALSE(ContractDescription::Parse(envelopes + "route GET /v1/a -> single Nope").ok());
  EXPECT_FALSE(ContractDescription::Parse("type A { b: string; }").ok());  // no envelopes
  ContractDescription description = *ContractDescription::Parse(envelopes);
  EXPECT_FALSE(description.Check(Value(), "Nope").ok());
  EXPECT_FALSE(description.Check(Value(), "string |").ok());
}

// The checked-in description parses and every name in it is declared.
TEST(CheckedInDescriptionTest, Parses) {
  auto description = ContractDescription::Load("tests/contract/sdk_types.txt");
  ASSERT_OK(description);
  EXPECT_GE(description->RouteKeys().size(), 39u);
  // The rule the issue names: a referral that is not converted carries "converted_at": null.
  auto referral = description->Check(
      Json(R"({"id":"ref_1","affiliate_id":"aff_1","program_id":"prg_1","email":"a@b.c",)"
           R"("customer_id":null,"subscription_id":null,"external_user_id":null,"status":"lead",)"
           R"("name":null,"metadata":{},"created_at":"2026-01-02T03:04:05Z"})"),
      "Referral");
  ASSERT_OK(referral);
  EXPECT_EQ(FormatMismatches(*referral),
            "converted_at: missing: required and nullable (timestamp | null), send null when "
            "empty\n");
}

}  // namespace
}  // namespace affonso::tests
