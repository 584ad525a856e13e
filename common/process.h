#ifndef AFFONSO_COMMON_PROCESS_H_
#define AFFONSO_COMMON_PROCESS_H_

#include <string>

namespace affonso {

// Flag defaults from the environment, so every flag has an env equivalent:
// the variable's value when set (and, for ints, numeric), else `fallback`.
std::string EnvOr(const char* name, const std::string& fallback);
int EnvOr(const char* name, int fallback);

// Makes --help list the flags defined in `main_file` (e.g. "gateway/main.cc"),
// where our binaries define all of theirs; Abseil's default looks for a file
// named after the binary and so lists none. Call before parsing flags.
void HelpListsFlagsOf(const char* main_file);

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts
// later; call first thing in main, then WaitForStopSignal() once serving.
void BlockStopSignals();
// Waits for SIGINT or SIGTERM; returns the signal number.
int WaitForStopSignal();

}  // namespace affonso

#endif  // AFFONSO_COMMON_PROCESS_H_
