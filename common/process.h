#ifndef AFFONSO_COMMON_PROCESS_H_
#define AFFONSO_COMMON_PROCESS_H_

#include <string>
#include <vector>

namespace affonso {

// Flag defaults from the environment, so every flag has an env equivalent:
// the variable's value when set (and, for ints, numeric), else `fallback`.
std::string EnvOr(const char* name, const std::string& fallback);
int EnvOr(const char* name, int fallback);

// Makes --help list the flags defined in `files` (e.g. {"gateway/main.cc",
// "gateway/rest_flags.cc"}), where our binaries define all of theirs: the main
// file and the flag units it shares with another binary. Abseil's default
// looks for a file named after the binary and so lists none. Call before
// parsing flags.
void HelpListsFlagsOf(std::vector<std::string> files);

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts
// later; call first thing in main, then WaitForStopSignal() once serving.
void BlockStopSignals();
// Waits for SIGINT or SIGTERM; returns the signal number.
int WaitForStopSignal();

}  // namespace affonso

#endif  // AFFONSO_COMMON_PROCESS_H_
