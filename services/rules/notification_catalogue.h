#ifndef AFFONSO_SERVICES_RULES_NOTIFICATION_CATALOGUE_H_
#define AFFONSO_SERVICES_RULES_NOTIFICATION_CATALOGUE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace affonso::services {

// One email type an affiliate program sends (docs/BEHAVIOUR.md
// "Notifications"). The catalogue is the service's own, the same for every
// program; a program stores only its settings for these types.
struct EmailType {
  std::string id;  // the SDK's email_type_id: "affiliate_approved"
  std::string name;
  std::string description;
  std::string icon;
  std::string target_audience;  // "affiliate" or "team"
  // Whether a program may replace the subject and body (a team notice is
  // fixed text).
  bool is_customizable = true;
  // is_active while the program has not set it.
  bool active_by_default = true;
  // The placeholders its templates may use, in this order.
  std::vector<std::string> placeholders;
  // The texts used while the program has none of its own: a one-line plain
  // text subject and an HTML body, both in the template syntax of
  // email_template.h.
  std::string default_subject;
  std::string default_body;
};

// Every type, in the order lists show them.
const std::vector<EmailType>& EmailTypes();

// nullptr when `id` is no type of the catalogue.
const EmailType* FindEmailType(absl::string_view id);

// The sample value of each placeholder of `type` (previews render with these).
std::map<std::string, std::string> SampleValues(const EmailType& type);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_NOTIFICATION_CATALOGUE_H_
