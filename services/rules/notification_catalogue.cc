#include "services/rules/notification_catalogue.h"

namespace affonso::services {
namespace {

// Values that look like what a real email would carry; previews show them.
const std::map<std::string, std::string>& AllSampleValues() {
  static const auto* values = new std::map<std::string, std::string>{
      {"program_name", "Acme Analytics"},
      {"affiliate_name", "Jane Doe"},
      {"affiliate_email", "jane.doe@example.com"},
      {"portal_url", "https://partners.example.com/portal"},
      {"referral_link", "https://www.example.com/?via=jane"},
      {"referral_name", "Sam Customer"},
      {"sale_amount", "120.00"},
      {"commission_amount", "24.00"},
      {"payout_amount", "250.00"},
      {"currency", "USD"},
      {"payout_method", "PayPal"},
  };
  return *values;
}

std::vector<EmailType> MakeCatalogue() {
  std::vector<EmailType> types;
  types.push_back(EmailType{
      "affiliate_welcome",
      "Welcome",
      "Sent to an affiliate when they join the program.",
      "user-plus",
      "affiliate",
      true,
      true,
      {"program_name", "affiliate_name", "affiliate_email", "portal_url"},
      "Welcome to {{program_name}}",
      "<p>Hi {{affiliate_name}},</p><p>Thanks for joining the {{program_name}} affiliate "
      "program. Your partner portal is at <a href=\"{{portal_url}}\">{{portal_url}}</a>.</p>"});
  types.push_back(EmailType{
      "affiliate_approved",
      "Application approved",
      "Sent to an affiliate when their application is approved.",
      "check-circle",
      "affiliate",
      true,
      true,
      {"program_name", "affiliate_name", "affiliate_email", "portal_url", "referral_link"},
      "You're in: welcome to {{program_name}}",
      "<p>Hi {{affiliate_name}},</p><p>Your application to {{program_name}} is approved. "
      "Share your link: <a href=\"{{referral_link}}\">{{referral_link}}</a></p>"});
  types.push_back(EmailType{"affiliate_rejected",
                            "Application rejected",
                            "Sent to an affiliate when their application is rejected.",
                            "x-circle",
                            "affiliate",
                            true,
                            false,
                            {"program_name", "affiliate_name", "affiliate_email"},
                            "Your application to {{program_name}}",
                            "<p>Hi {{affiliate_name}},</p><p>Thank you for your interest in "
                            "{{program_name}}. We cannot accept your application at this "
                            "time.</p>"});
  types.push_back(EmailType{
      "new_referral",
      "New referral",
      "Sent to an affiliate when someone signs up through their link.",
      "link",
      "affiliate",
      true,
      true,
      {"program_name", "affiliate_name", "referral_name", "portal_url"},
      "New referral for {{program_name}}",
      "<p>Hi {{affiliate_name}},</p><p>{{referral_name}} just signed up through your link. "
      "<a href=\"{{portal_url}}\">See your referrals</a>.</p>"});
  types.push_back(
      EmailType{"new_commission",
                "New commission",
                "Sent to an affiliate when they earn a commission.",
                "dollar-sign",
                "affiliate",
                true,
                true,
                {"program_name", "affiliate_name", "commission_amount", "sale_amount", "currency",
                 "portal_url"},
                "You earned {{commission_amount}} {{currency}}",
                "<p>Hi {{affiliate_name}},</p><p>A sale of {{sale_amount}} {{currency}} earned you "
                "{{commission_amount}} {{currency}} with {{program_name}}.</p>"});
  types.push_back(EmailType{
      "commission_approved",
      "Commission approved",
      "Sent to an affiliate when a commission is approved for payment.",
      "badge-check",
      "affiliate",
      true,
      true,
      {"program_name", "affiliate_name", "commission_amount", "currency", "portal_url"},
      "Your commission of {{commission_amount}} {{currency}} is approved",
      "<p>Hi {{affiliate_name}},</p><p>Your commission of {{commission_amount}} {{currency}} "
      "from {{program_name}} is approved and will be paid with your next payout.</p>"});
  types.push_back(
      EmailType{"payout_sent",
                "Payout sent",
                "Sent to an affiliate when a payout to them is paid.",
                "send",
                "affiliate",
                true,
                true,
                {"program_name", "affiliate_name", "payout_amount", "currency", "payout_method",
                 "portal_url"},
                "{{program_name}} sent you {{payout_amount}} {{currency}}",
                "<p>Hi {{affiliate_name}},</p><p>{{program_name}} paid you {{payout_amount}} "
                "{{currency}} by {{payout_method}}.</p>"});
  types.push_back(EmailType{
      "new_affiliate_application",
      "New affiliate application",
      "Sent to the program's team when an affiliate applies to join.",
      "bell",
      "team",
      false,
      true,
      {"program_name", "affiliate_name", "affiliate_email"},
      "New affiliate application to {{program_name}}",
      "<p>{{affiliate_name}} ({{affiliate_email}}) applied to join {{program_name}}.</p>"});
  return types;
}

}  // namespace

const std::vector<EmailType>& EmailTypes() {
  static const auto* types = new std::vector<EmailType>(MakeCatalogue());
  return *types;
}

const EmailType* FindEmailType(absl::string_view id) {
  for (const EmailType& type : EmailTypes()) {
    if (type.id == id) return &type;
  }
  return nullptr;
}

std::map<std::string, std::string> SampleValues(const EmailType& type) {
  std::map<std::string, std::string> values;
  for (const std::string& name : type.placeholders) {
    auto sample = AllSampleValues().find(name);
    values[name] = sample == AllSampleValues().end() ? name : sample->second;
  }
  return values;
}

}  // namespace affonso::services
