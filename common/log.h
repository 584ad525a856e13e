#ifndef AFFONSO_COMMON_LOG_H_
#define AFFONSO_COMMON_LOG_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace affonso {

// Abseil 20220623 has no absl/log: a minimal leveled logger, one line per call
// on stderr with a UTC timestamp. Callers must not pass API keys, emails or
// names at kInfo or above.
enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
// Parses "debug" / "info" / "warning" / "error"; false when unknown.
bool ParseLogLevel(absl::string_view text, LogLevel* level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, absl::string_view message);

}  // namespace affonso

// Arguments are only evaluated when the level is enabled.
#define AFFONSO_LOG(level, ...)                                                    \
  do {                                                                             \
    if (::affonso::LogEnabled(::affonso::LogLevel::level)) {                       \
      ::affonso::LogLine(::affonso::LogLevel::level, ::absl::StrCat(__VA_ARGS__)); \
    }                                                                              \
  } while (false)

#endif  // AFFONSO_COMMON_LOG_H_
