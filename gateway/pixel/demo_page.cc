#include "gateway/pixel/demo_page.h"

#include "absl/strings/str_replace.h"

namespace affonso::gateway {

std::string HtmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string RenderDemoPage(absl::string_view page, absl::string_view program_id,
                           absl::string_view api_key) {
  // One pass: a value that itself holds "{{API_KEY}}" is not expanded again.
  return absl::StrReplaceAll(
      page, {{"{{PROGRAM_ID}}", HtmlEscape(program_id)}, {"{{API_KEY}}", HtmlEscape(api_key)}});
}

}  // namespace affonso::gateway
