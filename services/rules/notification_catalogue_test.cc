#include "services/rules/notification_catalogue.h"

#include <set>

#include "gtest/gtest.h"
#include "services/rules/email_template.h"

namespace affonso::services {
namespace {

TEST(NotificationCatalogueTest, EveryTypeIsCompleteAndItsDefaultsRender) {
  ASSERT_GE(EmailTypes().size(), 7u);
  std::set<std::string> ids;
  int team = 0, fixed = 0;
  for (const EmailType& type : EmailTypes()) {
    SCOPED_TRACE(type.id);
    EXPECT_TRUE(ids.insert(type.id).second) << "duplicate id";
    for (char c : type.id) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << type.id;
    EXPECT_FALSE(type.name.empty());
    EXPECT_FALSE(type.description.empty());
    EXPECT_FALSE(type.icon.empty());
    EXPECT_TRUE(type.target_audience == "affiliate" || type.target_audience == "team");
    team += type.target_audience == "team";
    fixed += !type.is_customizable;
    EXPECT_FALSE(type.placeholders.empty());
    EXPECT_TRUE(CheckTemplate(type.default_subject, type.placeholders).ok());
    EXPECT_TRUE(CheckTemplate(type.default_body, type.placeholders).ok());
    const std::map<std::string, std::string> samples = SampleValues(type);
    EXPECT_EQ(samples.size(), type.placeholders.size());
    auto subject = RenderTemplate(type.default_subject, samples, TemplateEscaping::kPlainText);
    auto body = RenderTemplate(type.default_body, samples, TemplateEscaping::kHtml);
    ASSERT_TRUE(subject.ok()) << subject.status();
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(subject->find("{{"), std::string::npos) << *subject;
    EXPECT_EQ(body->find("{{"), std::string::npos) << *body;
    EXPECT_EQ(subject->find('\n'), std::string::npos);
    for (const auto& [name, value] : samples) {
      EXPECT_NE(value, name) << "no sample value for " << name;
    }
  }
  EXPECT_GE(team, 1);
  EXPECT_GE(fixed, 1);
}

TEST(NotificationCatalogueTest, FindsTypesById) {
  const EmailType* approved = FindEmailType("affiliate_approved");
  ASSERT_NE(approved, nullptr);
  EXPECT_EQ(approved->id, "affiliate_approved");
  EXPECT_EQ(FindEmailType("no_such_type"), nullptr);
  EXPECT_EQ(FindEmailType(""), nullptr);
  EXPECT_EQ(FindEmailType("Affiliate_Approved"), nullptr);
}

}  // namespace
}  // namespace affonso::services
