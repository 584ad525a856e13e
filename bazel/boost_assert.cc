// Boost's assertion handler for debug builds (BOOST_ENABLE_ASSERT_DEBUG_HANDLER
// on //bazel:boost_beast; builds with NDEBUG have no Boost assertions, as
// before). It aborts like assert() does, except for one assertion of Beast
// 1.74 that is wrong.
//
// basic_parser::parse_chunk_header asserts `n >= 5` when it resumes a final
// chunk, but after "0\r\n" a read of one more byte ("\r") gives 4 bytes, all
// valid: a chunked request with an empty body, sent in small pieces, aborted
// the whole server (found by tests/fuzz/http_request_parse). Upstream fixed
// the assertion only (boostorg/beast#2861, "fix asserts, it's possible that we
// reach code only with 3 symbols"): the code after it handles such input
// (it asks for more). Every other assertion still aborts.

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool EndsWith(const char* text, const char* suffix) {
  const size_t length = std::strlen(text);
  const size_t suffix_length = std::strlen(suffix);
  return length >= suffix_length && std::strcmp(text + length - suffix_length, suffix) == 0;
}

bool IsKnownWrongAssertion(const char* expr, const char* function, const char* file) {
  return std::strcmp(expr, "n >= 5") == 0 &&
         EndsWith(file, "boost/beast/http/impl/basic_parser.ipp") &&
         std::strstr(function, "parse_chunk_header") != nullptr;
}

}  // namespace

namespace boost {

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
  if (IsKnownWrongAssertion(expr, function, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(const char* expr, const char* message, const char* function,
                          const char* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr,
               message);
  std::abort();
}

}  // namespace boost
