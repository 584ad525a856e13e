// Creatives and notifications over REST end to end (issue 19): real HTTP, the
// in-process gateway, the real services and PostgreSQL, checked against the
// SDK's Creative and Notification shapes (program-creatives.ts,
// program-notifications.ts 1.0.1) and docs/BEHAVIOUR.md's choices.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

bool IsNull(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it != object.fields().end() && it->second.kind_case() == Value::kNullValue;
}

const google::protobuf::ListValue& DataList(const HttpResult& result) {
  static const google::protobuf::ListValue* empty = new google::protobuf::ListValue();
  auto data = result.json.fields().find("data");
  if (data == result.json.fields().end() || !data->second.has_list_value()) return *empty;
  return data->second.list_value();
}

// The notification of `type` in a list answer; nullptr when absent.
const Struct* Notification(const HttpResult& list, const std::string& type) {
  for (const Value& item : DataList(list).values()) {
    if (item.struct_value().fields().at("email_type_id").string_value() == type) {
      return &item.struct_value();
    }
  }
  return nullptr;
}

using ContentRestTest = RestTest;

TEST_F(ContentRestTest, CreativesRoundTripWithTheSdksNulls) {
  HttpResult created =
      Call("POST", "/v1/program/creatives",
           R"({"name":"Leaderboard","category":"Banner",)"
           R"("url":"https://cdn.example.com/lb.png","tags":["summer"," sale","summer"],)"
           R"("dimensions":{"width":728,"height":90}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const Struct& creative = created.Data();
  const std::string id = created.DataString("id");
  EXPECT_TRUE(absl::StartsWith(id, "crv_")) << id;
  EXPECT_EQ(created.DataString("category"), "banner");
  EXPECT_EQ(creative.fields().at("tags").list_value().values_size(), 2) << created.body;
  EXPECT_EQ(creative.fields().at("dimensions").struct_value().fields().at("width").number_value(),
            728);
  for (const char* field :
       {"description", "subcategory", "content", "usage_notes", "restrictions"}) {
    EXPECT_TRUE(IsNull(creative, field)) << field << ": " << created.body;
  }

  // PATCH: absent stays, null clears, [] clears the tags.
  HttpResult patched = Call("PATCH", "/v1/program/creatives/" + id,
                            R"({"usage_notes":"Do not crop","dimensions":null,"tags":[],)"
                            R"("category":null})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.DataString("name"), "Leaderboard");
  EXPECT_EQ(patched.DataString("usage_notes"), "Do not crop");
  EXPECT_TRUE(IsNull(patched.Data(), "dimensions")) << patched.body;
  EXPECT_TRUE(IsNull(patched.Data(), "category")) << patched.body;
  EXPECT_EQ(patched.Data().fields().at("tags").list_value().values_size(), 0) << patched.body;

  // A second creative in a category, then the list and its filter.
  ASSERT_EQ(Call("POST", "/v1/program/creatives", R"({"name":"Clip","category":"video"})").status,
            201);
  HttpResult all = Call("GET", "/v1/program/creatives");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(DataList(all).values_size(), 2);
  EXPECT_EQ(all.json.fields().at("pagination").struct_value().fields().at("total").number_value(),
            2);
  HttpResult videos = Call("GET", "/v1/program/creatives?category=video");
  ASSERT_EQ(videos.status, 200) << videos.body;
  ASSERT_EQ(DataList(videos).values_size(), 1) << videos.body;
  EXPECT_EQ(DataList(videos).values(0).struct_value().fields().at("name").string_value(), "Clip");
  EXPECT_EQ(Call("GET", "/v1/program/creatives?category=poster").status, 400);

  // B sees none of it; the delete answers the SDK's DeleteResponse.
  EXPECT_EQ(Call("GET", "/v1/program/creatives/" + id, "", &b_).status, 404);
  HttpResult deleted = Call("DELETE", "/v1/program/creatives/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.body, R"({"success":true,"message":"creative deleted"})");
  EXPECT_EQ(Call("GET", "/v1/program/creatives/" + id).status, 404);
}

TEST_F(ContentRestTest, NotificationsListTheCatalogueMergedWithTheProgramsSettings) {
  HttpResult list = Call("GET", "/v1/program/notifications");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_GE(DataList(list).values_size(), 7) << list.body;
  EXPECT_EQ(list.json.fields().count("pagination"), 0u) << list.body;
  for (const Value& item : DataList(list).values()) {
    const Struct& notification = item.struct_value();
    EXPECT_TRUE(IsNull(notification, "id")) << list.body;  // nothing customised yet
    EXPECT_TRUE(IsNull(notification, "custom_subject"));
    EXPECT_TRUE(IsNull(notification, "custom_body"));
    EXPECT_FALSE(
        notification.fields().at("type").struct_value().fields().at("name").string_value().empty());
  }
  const Struct* rejected = Notification(list, "affiliate_rejected");
  ASSERT_NE(rejected, nullptr);
  EXPECT_FALSE(rejected->fields().at("is_active").bool_value()) << "off by default";

  HttpResult patched =
      Call("PATCH", "/v1/program/notifications/new_commission",
           R"({"is_active":false,"custom_subject":"+{{commission_amount}} {{currency}}"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const std::string id = patched.DataString("id");
  EXPECT_TRUE(absl::StartsWith(id, "ntf_")) << patched.body;
  EXPECT_FALSE(patched.Data().fields().at("is_active").bool_value());
  EXPECT_EQ(patched.DataString("custom_subject"), "+{{commission_amount}} {{currency}}");
  EXPECT_TRUE(IsNull(patched.Data(), "custom_body"));

  list = Call("GET", "/v1/program/notifications");
  const Struct* commission = Notification(list, "new_commission");
  ASSERT_NE(commission, nullptr);
  EXPECT_EQ(commission->fields().at("id").string_value(), id);
  EXPECT_FALSE(commission->fields().at("is_active").bool_value());
  // B's program is untouched.
  HttpResult b_list = Call("GET", "/v1/program/notifications", "", &b_);
  const Struct* b_commission = Notification(b_list, "new_commission");
  ASSERT_NE(b_commission, nullptr);
  EXPECT_TRUE(IsNull(*b_commission, "id"));
  EXPECT_TRUE(b_commission->fields().at("is_active").bool_value());

  // null restores the default; the setting (and its id) stays.
  patched = Call("PATCH", "/v1/program/notifications/new_commission", R"({"custom_subject":null})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(IsNull(patched.Data(), "custom_subject"));
  EXPECT_EQ(patched.DataString("id"), id);

  EXPECT_EQ(
      Call("PATCH", "/v1/program/notifications/no_such_email", R"({"is_active":true})").status,
      404);
  HttpResult fixed = Call("PATCH", "/v1/program/notifications/new_affiliate_application",
                          R"({"custom_body":"<p>{{program_name}}</p>"})");
  EXPECT_EQ(fixed.status, 400) << fixed.body;
  EXPECT_EQ(fixed.ErrorField(), "custom_body");
  HttpResult unknown = Call("PATCH", "/v1/program/notifications/new_commission",
                            R"({"custom_body":"<p>{{payout_method}}</p>"})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(unknown.ErrorField(), "custom_body");
  EXPECT_TRUE(absl::StrContains(unknown.body, "{{commission_amount}}")) << unknown.body;
}

TEST_F(ContentRestTest, PreviewsRenderSampleValuesAsText) {
  // The default texts.
  HttpResult preview = Call("POST", "/v1/program/notifications/affiliate_welcome/preview", "");
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(preview.DataString("subject"), "Welcome to Acme Analytics");
  EXPECT_FALSE(absl::StrContains(preview.DataString("body"), "{{")) << preview.body;
  EXPECT_GE(preview.Data().fields().at("placeholders").list_value().values_size(), 1);

  // The program's custom text, then a draft over it; markup of the template
  // stays, values are escaped and never expanded again.
  ASSERT_EQ(Call("PATCH", "/v1/program/notifications/affiliate_welcome",
                 R"({"custom_subject":"Hi {{affiliate_name}}"})")
                .status,
            200);
  preview = Call("POST", "/v1/program/notifications/affiliate_welcome/preview", "{}");
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(preview.DataString("subject"), "Hi Jane Doe");
  preview = Call("POST", "/v1/program/notifications/affiliate_welcome/preview",
                 R"({"body":"<h1>{{program_name}}</h1><p>{{ affiliate_email }}</p>"})");
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(preview.DataString("subject"), "Hi Jane Doe");
  EXPECT_EQ(preview.DataString("body"), "<h1>Acme Analytics</h1><p>jane.doe@example.com</p>");
  // The preview stored nothing: the custom body is still the default (null).
  HttpResult list = Call("GET", "/v1/program/notifications");
  const Struct* welcome = Notification(list, "affiliate_welcome");
  ASSERT_NE(welcome, nullptr);
  EXPECT_TRUE(IsNull(*welcome, "custom_body"));

  HttpResult bad = Call("POST", "/v1/program/notifications/affiliate_welcome/preview",
                        R"({"subject":"{{affiliate_name}"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.ErrorField(), "subject");
  EXPECT_EQ(Call("POST", "/v1/program/notifications/nope/preview", "").status, 404);
}

}  // namespace
}  // namespace affonso::tests
