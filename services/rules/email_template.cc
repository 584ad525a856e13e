#include "services/rules/email_template.h"

#include <algorithm>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace affonso::services {
namespace {

constexpr size_t kMaxPlaceholderNameLength = 64;

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Walks `text`, calling `on_text` for each run of literal text and
// `on_placeholder` for each placeholder's name; the first syntax error stops
// it.
absl::Status Scan(absl::string_view text, const std::function<void(absl::string_view)>& on_text,
                  const std::function<absl::Status(absl::string_view)>& on_placeholder) {
  size_t literal_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "}}") == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unbalanced braces: \"}}\" at offset ", i, " closes no placeholder"));
    }
    if (text.compare(i, 2, "{{") != 0) {
      ++i;
      continue;
    }
    const size_t open = i;
    size_t at = i + 2;
    while (at < text.size() && text[at] == ' ') ++at;
    const size_t name_start = at;
    while (at < text.size() && IsNameChar(text[at])) ++at;
    const size_t name_end = at;
    while (at < text.size() && text[at] == ' ') ++at;
    if (name_end == name_start || name_end - name_start > kMaxPlaceholderNameLength ||
        text.compare(at, 2, "}}") != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unbalanced braces: \"{{\" at offset ", open,
                       " does not open a placeholder {{name}} (1-64 letters, digits and '_')"));
    }
    if (open > literal_start) on_text(text.substr(literal_start, open - literal_start));
    absl::Status status = on_placeholder(text.substr(name_start, name_end - name_start));
    if (!status.ok()) return status;
    i = at + 2;
    literal_start = i;
  }
  if (text.size() > literal_start) on_text(text.substr(literal_start));
  return absl::OkStatus();
}

void AppendPlainText(absl::string_view value, std::string* out) {
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    out->push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
}

void AppendHtmlEscaped(absl::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&#39;");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendHtmlEscaped(text, &out);
  return out;
}

absl::StatusOr<std::vector<std::string>> TemplatePlaceholders(absl::string_view text) {
  std::vector<std::string> names;
  absl::Status status = Scan(
      text, [](absl::string_view) {},
      [&](absl::string_view name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          names.emplace_back(name);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return names;
}

absl::Status CheckTemplate(absl::string_view text, const std::vector<std::string>& allowed) {
  return Scan(
      text, [](absl::string_view) {},
      [&](absl::string_view name) {
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
          return absl::OkStatus();
        }
        std::vector<std::string> written;
        for (const std::string& each : allowed) written.push_back(absl::StrCat("{{", each, "}}"));
        return absl::InvalidArgumentError(
            absl::StrCat("unknown placeholder {{", name, "}}; this email type takes ",
                         written.empty() ? "none" : absl::StrJoin(written, ", ")));
      });
}

absl::StatusOr<std::string> RenderTemplate(absl::string_view text,
                                           const std::map<std::string, std::string>& values,
                                           TemplateEscaping escaping) {
  std::string out;
  out.reserve(text.size());
  absl::Status status = Scan(
      text, [&](absl::string_view literal) { out.append(literal.data(), literal.size()); },
      [&](absl::string_view name) {
        auto value = values.find(std::string(name));
        if (value == values.end()) {
          return absl::InvalidArgumentError(absl::StrCat("no value for {{", name, "}}"));
        }
        if (escaping == TemplateEscaping::kHtml) {
          AppendHtmlEscaped(value->second, &out);
        } else {
          AppendPlainText(value->second, &out);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

}  // namespace affonso::services
