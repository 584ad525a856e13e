#ifndef AFFONSO_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define AFFONSO_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"

// A property of the code under test: on failure the input is a crasher
// (libFuzzer saves it; the replay test fails on it).
#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

namespace affonso::fuzz {

// Strict RFC 8259 JSON (one value, optional surrounding whitespace) in
// valid UTF-8: what every body the gateway sends must be.
bool IsValidJson(absl::string_view text);

}  // namespace affonso::fuzz

#endif  // AFFONSO_TESTS_FUZZ_FUZZ_SUPPORT_H_
