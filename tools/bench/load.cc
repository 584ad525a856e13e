// Closed-loop gRPC load on the signup path, on gRPC's callback API so one
// thread keeps `--concurrency` calls in flight (the load generator shares
// the machine with the server and PostgreSQL, so it must stay cheap).
//
//   load --addr=127.0.0.1:50051 --api_key=... --mode=signup --click_prefix=clk_b1n
//        --clicks=200000 --concurrency=64 --seconds=20
//
// Modes: signup (each call converts a fresh pre-tracked click: <prefix><n>),
// mix (--duplicate_percent of calls re-convert an already converted click),
// click (TrackClick for --program_id / --tracking_id), conversion (a sale of
// 49.99 on referral <prefix><1 + n % clicks>, each call its own
// external_event_id, so each writes a commission).
// Prints one line: name, calls, errors, throughput, p50 / p99 / p99.9 in ms.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "proto/affonso/v1/conversions.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "server address");
ABSL_FLAG(std::string, api_key, "", "API key");
ABSL_FLAG(std::string, mode, "signup", "signup | mix | click | conversion");
ABSL_FLAG(std::string, name, "", "label printed with the results (default: mode)");
ABSL_FLAG(std::string, click_prefix, "", "pre-tracked click ids are <prefix><n>, n >= 1");
ABSL_FLAG(int, clicks, 0, "how many pre-tracked clicks exist");
ABSL_FLAG(int, duplicate_percent, 90, "mix: share of calls that repeat a converted click");
ABSL_FLAG(std::string, program_id, "", "click: program");
ABSL_FLAG(std::string, tracking_id, "", "click: affiliate tracking id");
ABSL_FLAG(int, concurrency, 64, "calls in flight");
ABSL_FLAG(int, channels, 4, "gRPC channels (TCP connections) shared by the calls");
ABSL_FLAG(double, seconds, 20, "measured duration");
ABSL_FLAG(double, warmup_seconds, 2, "unmeasured lead-in");

namespace {

using Clock = std::chrono::steady_clock;
using affonso::v1::Click;
using affonso::v1::ClickService;
using affonso::v1::Conversion;
using affonso::v1::ConversionService;
using affonso::v1::CreateConversionRequest;
using affonso::v1::RecordSignupRequest;
using affonso::v1::RecordSignupResponse;
using affonso::v1::SignupService;
using affonso::v1::TrackClickRequest;

class Load {
 public:
  Load() {
    for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", i);  // distinct channels, distinct connections
      auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_addr),
                                               grpc::InsecureChannelCredentials(), args);
      signups_.push_back(SignupService::NewStub(channel));
      clicks_.push_back(ClickService::NewStub(channel));
      conversions_.push_back(ConversionService::NewStub(channel));
    }
    mode_ = absl::GetFlag(FLAGS_mode);
    prefix_ = absl::GetFlag(FLAGS_click_prefix);
    click_count_ = absl::GetFlag(FLAGS_clicks);
    authorization_ = "Bearer " + absl::GetFlag(FLAGS_api_key);
  }

  void Run() {
    const int concurrency = absl::GetFlag(FLAGS_concurrency);
    start_ = Clock::now();
    measure_from_ = start_ + ToDuration(absl::GetFlag(FLAGS_warmup_seconds));
    stop_at_ = measure_from_ + ToDuration(absl::GetFlag(FLAGS_seconds));
    in_flight_ = concurrency;
    for (int slot = 0; slot < concurrency; ++slot) Issue(slot);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return in_flight_ == 0; });
  }

  void Report() {
    std::sort(latencies_ms_.begin(), latencies_ms_.end());
    auto pct = [&](double p) {
      if (latencies_ms_.empty()) return 0.0;
      return latencies_ms_[std::min(latencies_ms_.size() - 1,
                                    static_cast<size_t>(p * latencies_ms_.size()))];
    };
    const double seconds = absl::GetFlag(FLAGS_seconds);
    std::string name = absl::GetFlag(FLAGS_name).empty() ? mode_ : absl::GetFlag(FLAGS_name);
    std::printf(
        "RESULT name=%s calls=%zu errors=%d throughput=%.1f p50_ms=%.3f p99_ms=%.3f "
        "p999_ms=%.3f exhausted=%d\n",
        name.c_str(), latencies_ms_.size(), errors_.load(), latencies_ms_.size() / seconds,
        pct(0.50), pct(0.99), pct(0.999), exhausted_.load() ? 1 : 0);
    if (!first_error_.empty())
      std::fprintf(stderr, "%s first error: %s\n", name.c_str(), first_error_.c_str());
  }

 private:
  struct CallState {
    grpc::ClientContext context;
    RecordSignupRequest signup;
    RecordSignupResponse signup_response;
    TrackClickRequest click;
    Click click_response;
    CreateConversionRequest conversion;
    Conversion conversion_response;
    Clock::time_point started;
  };

  static Clock::duration ToDuration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // The next click to convert: fresh ones in order; in mix mode a share of
  // calls repeat one already handed out.
  bool NextClick(std::string* id) {
    thread_local std::mt19937 rng{std::random_device{}()};
    int handed_out = next_click_.load();
    if (mode_ == "mix" && handed_out > 0 &&
        static_cast<int>(rng() % 100) < absl::GetFlag(FLAGS_duplicate_percent)) {
      *id = absl::StrCat(prefix_, 1 + rng() % handed_out);
      return true;
    }
    int n = ++next_click_;
    if (n > click_count_) {
      exhausted_ = true;
      return false;
    }
    *id = absl::StrCat(prefix_, n);
    return true;
  }

  void Issue(int slot) {
    const Clock::time_point now = Clock::now();
    auto call = std::make_shared<CallState>();
    const bool takes_click = mode_ == "signup" || mode_ == "mix";
    if (now >= stop_at_ || (takes_click && !NextClick(call->signup.mutable_click_id()))) {
      Finish();
      return;
    }
    call->started = now;
    call->context.AddMetadata("authorization", authorization_);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const size_t channel = slot % signups_.size();
    auto on_done = [this, slot, call](grpc::Status status) {
      Record(call->started, status);
      Issue(slot);
    };
    if (mode_ == "click") {
      call->click.set_program_id(absl::GetFlag(FLAGS_program_id));
      call->click.set_tracking_id(absl::GetFlag(FLAGS_tracking_id));
      call->click.set_utm_source("bench");
      clicks_[channel]->async()->TrackClick(&call->context, &call->click, &call->click_response,
                                            on_done);
    } else if (mode_ == "conversion") {
      const int n = ++next_conversion_;
      call->conversion.set_referral_id(absl::StrCat(prefix_, 1 + n % std::max(click_count_, 1)));
      call->conversion.set_external_event_id(absl::StrCat("bench_sale_", n));
      call->conversion.set_sale_amount(49.99);
      call->conversion.set_sale_amount_currency("USD");
      conversions_[channel]->async()->CreateConversion(&call->context, &call->conversion,
                                                       &call->conversion_response, on_done);
    } else {
      call->signup.set_email(absl::StrCat("lead", slot, "@example.com"));
      signups_[channel]->async()->RecordSignup(&call->context, &call->signup,
                                               &call->signup_response, on_done);
    }
  }

  void Record(Clock::time_point started, const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    if (started < measure_from_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!status.ok()) {
      ++errors_;
      if (first_error_.empty()) {
        first_error_ = absl::StrCat(status.error_code(), " ", status.error_message());
      }
      return;
    }
    latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - started).count());
  }

  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_ == 0) done_.notify_all();
  }

  std::vector<std::unique_ptr<SignupService::Stub>> signups_;
  std::vector<std::unique_ptr<ClickService::Stub>> clicks_;
  std::vector<std::unique_ptr<ConversionService::Stub>> conversions_;
  std::string mode_, prefix_, authorization_;
  int click_count_ = 0;
  std::atomic<int> next_click_{0};
  std::atomic<int> next_conversion_{0};
  std::atomic<bool> exhausted_{false};
  std::atomic<int> errors_{0};
  Clock::time_point start_, measure_from_, stop_at_;
  std::mutex mu_;
  std::condition_variable done_;
  int in_flight_ = 0;
  std::vector<double> latencies_ms_;
  std::string first_error_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Load load;
  load.Run();
  load.Report();
  return 0;
}
