#ifndef AFFONSO_GATEWAY_PIXEL_JS_MINIFIER_H_
#define AFFONSO_GATEWAY_PIXEL_JS_MINIFIER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso::gateway {

// The build's JavaScript minifier (pixel.js -> pixel.min.js): deliberately
// conservative, it only removes what cannot change the program. Lines stay
// lines (so automatic semicolon insertion reads the output as the source),
// each line's code is kept byte for byte, and:
//  - blank lines, lines of nothing but comments (`// ...`, `/* ... */`) and
//    the inside of a block comment that began on a line of its own go;
//  - leading and trailing whitespace of a line of code goes;
//  - a line that starts inside a string (a `\` continuation) or a multi-line
//    template literal is copied as it is, whitespace included.
// To know which lines those are it follows strings, template literals
// (with `${...}`), comments and regular expression literals (a `/` after
// an operator, an opening bracket or a keyword such as `return`; else a
// division). It never edits inside a line, so a string holding `//` or `/*`
// is untouched. INVALID_ARGUMENT (with the line number) for input it cannot
// follow: an unterminated string, template, comment or regular expression.
// The build then fails rather than shipping a changed script.
absl::StatusOr<std::string> MinifyJs(absl::string_view source);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_PIXEL_JS_MINIFIER_H_
