// REST load across replicas for the rolling-restart check
// (tools/ops/rolling_restart.sh): each worker tracks a click and converts it,
// over keep-alive connections, sending only to replicas whose /readyz says
// ready, polled every --poll_ms: what a Kubernetes Service does with its
// endpoints. Any request that does not get its 2xx counts as failed.
//
//   rolling_load --targets=127.0.0.1:8081,127.0.0.1:8082 --api_key=sk_live_...
//                --program_id=prg_... --tracking_id=... --concurrency=16 --seconds=30
//
// Prints one RESULT line and, per failure kind, a FAILURE line.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, targets, "127.0.0.1:8080", "comma-separated host:port REST replicas");
ABSL_FLAG(std::string, api_key, "", "API key");
ABSL_FLAG(std::string, program_id, "", "program of the clicks");
ABSL_FLAG(std::string, tracking_id, "", "affiliate tracking id of the clicks");
ABSL_FLAG(std::string, name, "rolling_load", "label printed with the results");
ABSL_FLAG(int, concurrency, 16, "workers, each one request at a time");
ABSL_FLAG(int, seconds, 30, "how long to send");
ABSL_FLAG(int, poll_ms, 50, "readiness poll interval");
ABSL_FLAG(int, timeout_ms, 15000, "per-request timeout");
ABSL_FLAG(std::string, ack_file, "",
          "append the click id of every acknowledged (2xx) signup, one per line");
ABSL_FLAG(bool, conversions, false,
          "after each acknowledged signup, record a sale on the new referral (retried until "
          "acknowledged, then sent once more, which must answer replayed), and on every other "
          "one a partial refund (retried the same way)");
ABSL_FLAG(std::string, conversion_ack_file, "",
          "append the external_event_id of every acknowledged conversion");
ABSL_FLAG(std::string, refund_ack_file, "",
          "append the external_event_id of every acknowledged refund");
ABSL_FLAG(bool, timeline, false,
          "also print, per second of the run, the answers by class (ok, 503, other 5xx, "
          "4xx, no answer)");
ABSL_FLAG(bool, expect_failures, false,
          "failed requests are expected (a server being killed): exit 0 anyway");

namespace {

size_t Collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The value of "id" in a JSON body, "" when absent (enough for our answers).
std::string JsonId(const std::string& body) {
  const std::string key = "\"id\":\"";
  size_t start = body.find(key);
  if (start == std::string::npos) return "";
  start += key.size();
  size_t end = body.find('"', start);
  return end == std::string::npos ? "" : body.substr(start, end - start);
}

class Replicas {
 public:
  explicit Replicas(std::vector<std::string> targets)
      : targets_(std::move(targets)), ready_(targets_.size()) {}

  // Polls /readyz of every replica until `stop`.
  void Poll(const std::atomic<bool>& stop, absl::Duration interval) {
    CURL* curl = curl_easy_init();
    std::string body;
    while (!stop.load()) {
      for (size_t i = 0; i < targets_.size(); ++i) {
        body.clear();
        curl_easy_setopt(curl, CURLOPT_URL, ("http://" + targets_[i] + "/readyz").c_str());
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 500L);
        long status = 0;
        if (curl_easy_perform(curl) == CURLE_OK) {
          curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        }
        const bool ready = status == 200;
        if (ready != ready_[i].load()) {
          std::fprintf(stderr, "%s replica %s %s\n",
                       absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone()).c_str(),
                       targets_[i].c_str(), ready ? "ready" : "not ready");
        }
        ready_[i].store(ready);
      }
      absl::SleepFor(interval);
    }
    curl_easy_cleanup(curl);
  }

  // A ready replica, round robin; "" when none is.
  std::string Pick() {
    for (size_t attempt = 0; attempt < targets_.size(); ++attempt) {
      size_t i = next_.fetch_add(1) % targets_.size();
      if (ready_[i].load()) return targets_[i];
    }
    return "";
  }

 private:
  const std::vector<std::string> targets_;
  std::vector<std::atomic<bool>> ready_;
  std::atomic<size_t> next_{0};
};

struct Totals {
  absl::Time start = absl::Now();
  std::FILE* acks = nullptr;
  std::FILE* conversion_acks = nullptr;
  std::FILE* refund_acks = nullptr;
  // Per second of the run: answers by class; and the slowest failed request.
  std::map<int, std::map<std::string, long>> timeline;
  absl::Duration slowest_failure;
  std::atomic<long> requests{0};
  std::atomic<long> ok{0};
  std::atomic<long> clicks{0};
  std::atomic<long> signups{0};
  std::atomic<long> conversions{0};
  std::atomic<long> refunds{0};
  std::atomic<long> waited_for_ready{0};
  std::mutex mu;
  std::map<std::string, long> failures;

  void Acknowledged(const std::string& click_id) {
    if (acks == nullptr) return;
    std::lock_guard<std::mutex> lock(mu);
    std::fprintf(acks, "%s\n", click_id.c_str());
  }

  void Write(std::FILE* file, const std::string& line) {
    if (file == nullptr) return;
    std::lock_guard<std::mutex> lock(mu);
    std::fprintf(file, "%s\n", line.c_str());
  }

  void Fail(const std::string& kind) {
    std::lock_guard<std::mutex> lock(mu);
    failures[kind]++;
  }

  void Answer(const std::string& answer_class, absl::Time sent) {
    const absl::Time now = absl::Now();
    std::lock_guard<std::mutex> lock(mu);
    timeline[static_cast<int>((now - start) / absl::Seconds(1))][answer_class]++;
    if (answer_class != "ok") slowest_failure = std::max(slowest_failure, now - sent);
  }
};

class Worker {
 public:
  Worker(Replicas* replicas, Totals* totals, std::string api_key)
      : replicas_(replicas), totals_(totals), curl_(curl_easy_init()) {
    headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + api_key).c_str());
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  }
  ~Worker() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }

  // POSTs `body`; true on 2xx, with the body in `response`. Waits for a
  // ready replica; false without sending when `stop` comes first.
  bool Post(const std::string& path, const std::string& body, std::string* response,
            const std::atomic<bool>& stop) {
    std::string target = replicas_->Pick();
    while (target.empty()) {
      if (stop.load()) return false;
      totals_->waited_for_ready++;
      absl::SleepFor(absl::Milliseconds(10));
      target = replicas_->Pick();
    }
    response->clear();
    curl_easy_setopt(curl_, CURLOPT_URL, ("http://" + target + path).c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, response);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::GetFlag(FLAGS_timeout_ms)));
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    totals_->requests++;
    const absl::Time sent = absl::Now();
    CURLcode code = curl_easy_perform(curl_);
    if (code != CURLE_OK) {
      totals_->Answer("no_answer", sent);
      totals_->Fail(absl::StrCat("curl: ", curl_easy_strerror(code), " (", target, ")"));
      return false;
    }
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    totals_->Answer(status >= 200 && status <= 299 ? "ok"
                    : status == 503                ? "503"
                    : status >= 500                ? "other_5xx"
                                                   : "4xx",
                    sent);
    if (status < 200 || status > 299) {
      totals_->Fail(
          absl::StrCat("HTTP ", status, " ", path, " (", target, ") ", response->substr(0, 160)));
      return false;
    }
    totals_->ok++;
    return true;
  }

  void Run(const std::atomic<bool>& stop, const std::string& click_body, int index) {
    std::string response;
    for (long n = 0; !stop.load(); ++n) {
      if (!Post("/v1/clicks", click_body, &response, stop)) {
        absl::SleepFor(absl::Milliseconds(20));  // a client's backoff
        continue;
      }
      totals_->clicks++;
      const std::string click_id = JsonId(response);
      const std::string signup = absl::StrCat(R"({"click_id":")", click_id, R"(","email":"lead-)",
                                              index, "-", n, R"(@example.com"})");
      if (Post("/v1/signups", signup, &response, stop)) {
        totals_->signups++;
        totals_->Acknowledged(click_id);
        if (absl::GetFlag(FLAGS_conversions)) Sell(click_id, n % 2 == 0, stop);
      }
    }
  }

  // A client that must not lose a sale: it retries the same request (same
  // external_event_id) until it is acknowledged, as the SDK does on a 5xx.
  bool PostUntilAcknowledged(const std::string& path, const std::string& body,
                             std::string* response, const std::atomic<bool>& stop) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (Post(path, body, response, stop)) return true;
      if (stop.load() && attempt >= 20) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  void Sell(const std::string& referral_id, bool refund, const std::atomic<bool>& stop) {
    std::string response;
    const std::string event_id = "sale_" + referral_id;
    const std::string sale = absl::StrCat(R"({"referral_id":")", referral_id,
                                          R"(","sale_amount":30.00,"sale_amount_currency":"USD",)",
                                          R"("external_event_id":")", event_id, R"("})");
    if (!PostUntilAcknowledged("/v1/conversions", sale, &response, stop)) return;
    totals_->conversions++;
    totals_->Write(totals_->conversion_acks, event_id);
    const std::string conversion_id = JsonId(response);
    // The same sale again: one commission, answered as a replay.
    if (PostUntilAcknowledged("/v1/conversions", sale, &response, stop) &&
        response.find(R"("replayed":true)") == std::string::npos) {
      totals_->Fail("a repeated conversion was not answered as replayed");
    }
    if (!refund || conversion_id.empty()) return;
    const std::string refund_id = "refund_" + referral_id;
    const std::string body =
        absl::StrCat(R"({"amount":10.00,"external_event_id":")", refund_id, R"("})");
    if (PostUntilAcknowledged(absl::StrCat("/v1/conversions/", conversion_id, "/refund"), body,
                              &response, stop)) {
      totals_->refunds++;
      totals_->Write(totals_->refund_acks, refund_id);
    }
  }

 private:
  Replicas* replicas_;
  Totals* totals_;
  CURL* curl_;
  curl_slist* headers_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Replicas replicas(absl::StrSplit(absl::GetFlag(FLAGS_targets), ',', absl::SkipEmpty()));
  Totals totals;
  if (!absl::GetFlag(FLAGS_ack_file).empty()) {
    totals.acks = std::fopen(absl::GetFlag(FLAGS_ack_file).c_str(), "w");
  }
  if (!absl::GetFlag(FLAGS_conversion_ack_file).empty()) {
    totals.conversion_acks = std::fopen(absl::GetFlag(FLAGS_conversion_ack_file).c_str(), "w");
  }
  if (!absl::GetFlag(FLAGS_refund_ack_file).empty()) {
    totals.refund_acks = std::fopen(absl::GetFlag(FLAGS_refund_ack_file).c_str(), "w");
  }
  std::atomic<bool> stop_polling{false};
  std::atomic<bool> stop{false};
  std::thread poller(
      [&] { replicas.Poll(stop_polling, absl::Milliseconds(absl::GetFlag(FLAGS_poll_ms))); });
  absl::SleepFor(absl::Milliseconds(3 * absl::GetFlag(FLAGS_poll_ms)));

  const std::string click_body =
      absl::StrCat(R"({"programId":")", absl::GetFlag(FLAGS_program_id), R"(","trackingId":")",
                   absl::GetFlag(FLAGS_tracking_id), R"("})");
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int i = 0; i < absl::GetFlag(FLAGS_concurrency); ++i) {
    workers.emplace_back([&, i] {
      Worker worker(&replicas, &totals, absl::GetFlag(FLAGS_api_key));
      worker.Run(stop, click_body, i);
    });
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
  stop.store(true);
  for (auto& worker : workers) worker.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  stop_polling.store(true);
  poller.join();

  if (absl::GetFlag(FLAGS_timeline)) {
    for (const auto& [second, answers] : totals.timeline) {
      std::printf("SECOND t=%d", second);
      for (const char* answer_class : {"ok", "503", "other_5xx", "4xx", "no_answer"}) {
        auto it = answers.find(answer_class);
        std::printf(" %s=%ld", answer_class, it == answers.end() ? 0L : it->second);
      }
      std::printf("\n");
    }
  }
  long failed = 0;
  for (const auto& [kind, count] : totals.failures) {
    std::printf("FAILURE count=%ld %s\n", count, kind.c_str());
    failed += count;
  }
  std::printf(
      "RESULT name=%s requests=%ld ok=%ld failed=%ld clicks=%ld signups=%ld conversions=%ld "
      "refunds=%ld throughput=%.1f waits_for_ready=%ld slowest_failure_ms=%.0f\n",
      absl::GetFlag(FLAGS_name).c_str(), totals.requests.load(), totals.ok.load(), failed,
      totals.clicks.load(), totals.signups.load(), totals.conversions.load(), totals.refunds.load(),
      totals.requests.load() / elapsed, totals.waited_for_ready.load(),
      absl::ToDoubleMilliseconds(totals.slowest_failure));
  for (std::FILE* file : {totals.acks, totals.conversion_acks, totals.refund_acks}) {
    if (file != nullptr) std::fclose(file);
  }
  curl_global_cleanup();
  return failed == 0 || absl::GetFlag(FLAGS_expect_failures) ? 0 : 1;
}
