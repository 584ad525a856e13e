#ifndef AFFONSO_GATEWAY_PIXEL_PIXEL_ASSETS_H_
#define AFFONSO_GATEWAY_PIXEL_PIXEL_ASSETS_H_

#include "absl/strings/string_view.h"

namespace affonso::gateway {

// The pixel's files, embedded in the binary at build time
// (//gateway/pixel:embedded_assets), so that a gateway serves exactly the
// script it was built with and reads no file at run time.

// gateway/pixel/pixel.js as written: /js/pixel.js.
absl::string_view PixelJs();
// The same through MinifyJs (js_minifier.h): /js/pixel.min.js, what the
// snippet loads.
absl::string_view PixelMinJs();
// gateway/pixel/demo.html with its {{PROGRAM_ID}} and {{API_KEY}}
// placeholders (demo_page.h fills them).
absl::string_view DemoHtml();

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_PIXEL_PIXEL_ASSETS_H_
