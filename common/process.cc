#include "common/process.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <utility>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace affonso {

void HelpListsFlagsOf(std::vector<std::string> files) {
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [files = std::move(files)](absl::string_view file) {
    for (const std::string& listed : files) {
      if (absl::EndsWith(file, listed)) return true;
    }
    return false;
  };
  absl::SetFlagsUsageConfig(usage);
}
namespace {

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

int EnvOr(const char* name, int fallback) {
  int value;
  const char* text = std::getenv(name);
  return text && absl::SimpleAtoi(text, &value) ? value : fallback;
}

void BlockStopSignals() {
  sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForStopSignal() {
  sigset_t signals = StopSignals();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return signal_number;
}

}  // namespace affonso
