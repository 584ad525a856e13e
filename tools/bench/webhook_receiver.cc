// A webhook receiver for `./dev bench`: answers 200 to every POST and, after
// --seconds, prints how many deliveries arrived, the rate, and the delivery
// lag (arrival minus the event's createdAt) p50 / p99. `./dev run` starts it
// for the demo with --seconds=0 (until stopped) and --print (a line for each
// delivery).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/http/http_server.h"

ABSL_FLAG(int, port, 8099, "port on 127.0.0.1");
ABSL_FLAG(double, seconds, 20, "how long to listen; 0: until stopped (SIGINT, SIGTERM)");
ABSL_FLAG(bool, print, false, "print a line for each delivery (event type and id) as it arrives");
ABSL_FLAG(std::string, name, "webhook_delivery", "label printed with the results");
ABSL_FLAG(std::string, ids_file, "",
          "append each delivery's webhook-id to this file, one per line (crash checks)");

namespace {

// The string value of "key" in a JSON text ("" when absent): enough for the
// event envelope's top-level "type", which comes before "data".
std::string JsonString(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\"");
  if (at == std::string::npos) return "";
  at = json.find_first_not_of(" \t\r\n:", at + key.size() + 2);
  if (at == std::string::npos || json[at] != '"') return "";
  const size_t end = json.find('"', at + 1);
  return end == std::string::npos ? "" : json.substr(at + 1, end - at - 1);
}

class Receiver : public affonso::gateway::HttpHandler {
 public:
  Receiver(std::FILE* ids, bool print) : ids_(ids), print_(print) {}

  void Handle(affonso::gateway::HttpRequest request,
              std::function<void(affonso::gateway::HttpResponse)> respond) override {
    const absl::Time now = absl::Now();
    if (ids_ != nullptr) {
      // Written before the 200: an id acknowledged to the sender is on record.
      absl::MutexLock lock(&mu_);
      std::fprintf(ids_, "%s\n", request.Header("webhook-id").c_str());
      std::fflush(ids_);
    }
    if (print_) {
      absl::MutexLock lock(&mu_);
      std::printf("webhook_receiver: %s %s (%s)\n", JsonString(request.body, "type").c_str(),
                  request.Header("webhook-id").c_str(), request.target.c_str());
      std::fflush(stdout);
    }
    // "createdAt": "2026-11-24T05:17:46.017Z" in the event body.
    const std::string key = "\"createdAt\": \"";
    size_t at = request.body.find(key);
    absl::Time created;
    std::string error;
    if (at != std::string::npos) {
      size_t end = request.body.find('"', at + key.size());
      if (absl::ParseTime(absl::RFC3339_full,
                          request.body.substr(at + key.size(), end - at - key.size()), &created,
                          &error)) {
        absl::MutexLock lock(&mu_);
        lags_ms_.push_back(absl::ToDoubleMilliseconds(now - created));
      }
    }
    respond(affonso::gateway::HttpResponse{});
  }
  std::vector<double> lags() {
    absl::MutexLock lock(&mu_);
    return lags_ms_;
  }

 private:
  std::FILE* const ids_;
  const bool print_;
  absl::Mutex mu_;
  std::vector<double> lags_ms_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::FILE* ids = nullptr;
  if (!absl::GetFlag(FLAGS_ids_file).empty()) {
    ids = std::fopen(absl::GetFlag(FLAGS_ids_file).c_str(), "a");
    if (ids == nullptr) {
      std::fprintf(stderr, "cannot open %s\n", absl::GetFlag(FLAGS_ids_file).c_str());
      return 1;
    }
  }
  Receiver receiver(ids, absl::GetFlag(FLAGS_print));
  affonso::gateway::HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = absl::GetFlag(FLAGS_port);
  auto server = affonso::gateway::HttpServer::Start(options, &receiver);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::fflush(stdout);
  if (absl::GetFlag(FLAGS_seconds) <= 0) {
    // Until a signal ends the process (its default action).
    while (true) absl::SleepFor(absl::Hours(1));
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
  (*server)->Shutdown(absl::Seconds(1));
  std::vector<double> lags = receiver.lags();
  std::sort(lags.begin(), lags.end());
  auto pct = [&](double p) {
    return lags.empty() ? 0.0
                        : lags[std::min(lags.size() - 1, static_cast<size_t>(p * lags.size()))];
  };
  std::printf(
      "RESULT name=%s deliveries=%zu rate=%.1f lag_p50_ms=%.1f lag_p99_ms=%.1f lag_max_ms=%.1f\n",
      absl::GetFlag(FLAGS_name).c_str(), lags.size(), lags.size() / absl::GetFlag(FLAGS_seconds),
      pct(0.5), pct(0.99), lags.empty() ? 0.0 : lags.back());
  return 0;
}
