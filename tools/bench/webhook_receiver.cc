// A webhook receiver for `./dev bench`: answers 200 to every POST and, after
// --seconds, prints how many deliveries arrived, the rate, and the delivery
// lag (arrival minus the event's createdAt) p50 / p99.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/http/http_server.h"

ABSL_FLAG(int, port, 8099, "port on 127.0.0.1");
ABSL_FLAG(double, seconds, 20, "how long to listen");
ABSL_FLAG(std::string, name, "webhook_delivery", "label printed with the results");
ABSL_FLAG(std::string, ids_file, "",
          "append each delivery's webhook-id to this file, one per line (crash checks)");

namespace {

class Receiver : public affonso::gateway::HttpHandler {
 public:
  explicit Receiver(std::FILE* ids) : ids_(ids) {}

  void Handle(affonso::gateway::HttpRequest request,
              std::function<void(affonso::gateway::HttpResponse)> respond) override {
    const absl::Time now = absl::Now();
    if (ids_ != nullptr) {
      // Written before the 200: an id acknowledged to the sender is on record.
      absl::MutexLock lock(&mu_);
      std::fprintf(ids_, "%s\n", request.Header("webhook-id").c_str());
      std::fflush(ids_);
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
  Receiver receiver(ids);
  affonso::gateway::HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = absl::GetFlag(FLAGS_port);
  auto server = affonso::gateway::HttpServer::Start(options, &receiver);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::fflush(stdout);
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
