// minify_js IN.js OUT.js: the build's step from pixel.js to pixel.min.js
// (js_minifier.h). Fails, and so fails the build, on a script it cannot
// follow.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "gateway/pixel/js_minifier.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: minify_js IN.js OUT.js\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "minify_js: cannot read " << argv[1] << "\n";
    return 1;
  }
  std::stringstream source;
  source << in.rdbuf();
  auto minified = affonso::gateway::MinifyJs(source.str());
  if (!minified.ok()) {
    std::cerr << "minify_js: " << argv[1] << ": " << minified.status().message() << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary);
  out << *minified;
  out.close();
  if (!out) {
    std::cerr << "minify_js: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
