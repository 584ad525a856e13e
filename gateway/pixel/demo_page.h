#ifndef AFFONSO_GATEWAY_PIXEL_DEMO_PAGE_H_
#define AFFONSO_GATEWAY_PIXEL_DEMO_PAGE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affonso::gateway {

// `page` (demo.html) with every {{PROGRAM_ID}} and {{API_KEY}} replaced by
// the value HTML-escaped (& < > " '), so that a configured value can neither
// end the attribute or element it sits in nor add markup.
std::string RenderDemoPage(absl::string_view page, absl::string_view program_id,
                           absl::string_view api_key);

// & < > " ' as character references.
std::string HtmlEscape(absl::string_view text);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_PIXEL_DEMO_PAGE_H_
