#ifndef AFFONSO_SERVICES_RULES_EMAIL_TEMPLATE_H_
#define AFFONSO_SERVICES_RULES_EMAIL_TEMPLATE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso::services {

// The notification templates' syntax (docs/BEHAVIOUR.md "Notification
// templates"): text with placeholders written "{{name}}", blanks allowed
// inside the braces ("{{ name }}"), the name 1-64 letters, digits and '_'.
// Every "{{" must open a placeholder and every "}}" outside one is an error
// (so "{{{name}}}" and a lone "}}" are refused); a single '{' or '}' is
// text. There is no escape: a template cannot hold a literal "{{".
//
// Rendering is one pass over the template: a value is inserted as text and
// never read again, so a value holding "{{...}}" stays as it is (no
// template injection).

// How values are inserted.
enum class TemplateEscaping {
  // A subject line: control characters (line breaks included) in a value
  // become spaces, so a value cannot add a mail header.
  kPlainText,
  // An HTML body: the template is the author's markup; each value is
  // HTML-escaped (& < > " ' become entities).
  kHtml,
};

// The placeholders of `text`, in first-occurrence order without duplicates;
// INVALID_ARGUMENT (a message for the caller, naming the byte offset) when
// the braces are unbalanced or a "{{" does not open a well-formed
// placeholder.
absl::StatusOr<std::vector<std::string>> TemplatePlaceholders(absl::string_view text);

// OK when `text` is well-formed and uses only placeholders in `allowed`;
// INVALID_ARGUMENT otherwise, naming the first unknown placeholder and
// listing the allowed ones.
absl::Status CheckTemplate(absl::string_view text, const std::vector<std::string>& allowed);

// `text` with each placeholder replaced by its value, escaped as `escaping`
// says. INVALID_ARGUMENT when `text` is not well-formed or uses a
// placeholder `values` lacks.
absl::StatusOr<std::string> RenderTemplate(absl::string_view text,
                                           const std::map<std::string, std::string>& values,
                                           TemplateEscaping escaping);

// HTML-escaped `text` (& < > " ').
std::string HtmlEscape(absl::string_view text);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_EMAIL_TEMPLATE_H_
