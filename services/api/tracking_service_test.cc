#include "services/api/tracking_service.h"

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/api_error.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "common/wire_metadata.h"
#include "gtest/gtest.h"
#include "services/call/admission.h"
#include "services/call/admission_executor.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::BrowserSignupRequest;
using affonso::v1::BrowserSignupResult;
using affonso::v1::TrackingResult;
using affonso::v1::TrackRequest;

constexpr char kProgram[] = "prg_shop";
constexpr char kOtherProgram[] = "prg_other";
constexpr char kTeam[] = "team_shop";
constexpr char kAffiliate[] = "aff_alice";

// Programs and affiliates in memory; clicks de-duplicated like the real
// store (same team, program, affiliate and hash: the same click).
class FakeTrackingStore : public storage::TrackingStore {
 public:
  FakeTrackingStore() {
    storage::PublicProgram shop;
    shop.id = kProgram;
    shop.team_id = kTeam;
    shop.click_dedup_window_seconds = 3600;
    shop.referral_parameters = {"via", "ref"};
    shop.visitor_hash_salt = "salt-shop";
    programs[kProgram] = shop;
    storage::PublicProgram other = shop;
    other.id = kOtherProgram;
    other.visitor_hash_salt = "salt-other";
    programs[kOtherProgram] = other;
  }

  absl::StatusOr<storage::PublicProgram> ResolveProgram(absl::string_view program_id) override {
    absl::Notification* hold;
    {
      absl::MutexLock lock(&mu);
      hold = hold_resolves;
    }
    if (hold != nullptr) {
      {
        absl::MutexLock lock(&mu);
        ++held_resolves;
      }
      hold->WaitForNotification();
    }
    absl::MutexLock lock(&mu);
    ++resolves;
    resolve_thread = testing::ThreadName();
    auto found = programs.find(std::string(program_id));
    if (found == programs.end()) return NotFoundError("program");
    return found->second;
  }

  ~FakeTrackingStore() override {
    for (std::thread& worker : workers) worker.join();
  }

  // Answered at once on the calling thread, or, with `answer_elsewhere`, on
  // a thread of the store's own, as the batch workers answer.
  void RecordClickAsync(std::string team_id, std::string program_id, const TrackRequest* click,
                        storage::Visitor visitor, int dedup_window_seconds,
                        storage::TrackedClickCallback done) override {
    bool elsewhere;
    {
      absl::MutexLock lock(&mu);
      elsewhere = answer_elsewhere;
    }
    if (!elsewhere) return done(Record(team_id, program_id, *click, visitor, dedup_window_seconds));
    std::thread worker(
        [this, team_id, program_id, click, visitor, dedup_window_seconds, done = std::move(done)] {
          absl::StatusOr<storage::TrackedClick> tracked =
              Record(team_id, program_id, *click, visitor, dedup_window_seconds);
          {
            absl::MutexLock lock(&mu);
            ++answered_elsewhere;
          }
          done(std::move(tracked));
        });
    absl::MutexLock lock(&mu);
    workers.push_back(std::move(worker));
  }
  absl::StatusOr<storage::TrackedClick> Record(absl::string_view team_id,
                                               absl::string_view program_id,
                                               const TrackRequest& click,
                                               const storage::Visitor& visitor,
                                               int dedup_window_seconds) {
    absl::MutexLock lock(&mu);
    ++records;
    record_thread = testing::ThreadName();
    last_team = std::string(team_id);
    last_click = click;
    last_visitor = visitor;
    last_window = dedup_window_seconds;
    if (team_id != kTeam || click.tracking_id() != "alice") {
      return NotFoundError("approved affiliate with this tracking id");
    }
    const auto key = std::make_tuple(std::string(team_id), std::string(program_id), visitor.hash);
    storage::TrackedClick tracked;
    tracked.affiliate_id = kAffiliate;
    tracked.coupons = coupons;
    auto seen = clicks.find(key);
    if (dedup_window_seconds > 0 && seen != clicks.end()) {
      tracked.click_id = seen->second;
      return tracked;
    }
    tracked.click_id = absl::StrCat("clk_", ++inserted);
    tracked.created = true;
    clicks[key] = tracked.click_id;
    click_programs[tracked.click_id] = std::string(program_id);
    return tracked;
  }

  absl::StatusOr<storage::TrackedClick> UpgradeClick(absl::string_view team_id,
                                                     absl::string_view program_id,
                                                     absl::string_view click_id,
                                                     const storage::Visitor& visitor) override {
    absl::MutexLock lock(&mu);
    ++upgrades;
    upgrade_thread = testing::ThreadName();
    last_visitor = visitor;
    AFFONSO_RETURN_IF_ERROR(InProgram(team_id, program_id, click_id));
    storage::TrackedClick upgraded;
    upgraded.click_id = std::string(click_id);
    upgraded.affiliate_id = kAffiliate;
    upgraded.coupons = coupons;
    return upgraded;
  }

  absl::Status CheckClickInProgram(absl::string_view team_id, absl::string_view program_id,
                                   absl::string_view click_id) override {
    absl::MutexLock lock(&mu);
    return InProgram(team_id, program_id, click_id);
  }

  absl::Mutex mu;
  std::map<std::string, storage::PublicProgram> programs;
  std::map<std::tuple<std::string, std::string, std::string>, std::string> clicks;
  std::map<std::string, std::string> click_programs;
  int inserted = 0;
  int resolves = 0;
  std::string resolve_thread;
  std::string record_thread;  // the thread RecordClickAsync was called on, unless elsewhere
  std::string upgrade_thread;
  // When set, every ResolveProgram waits for it first; held_resolves counts
  // those that have started waiting.
  absl::Notification* hold_resolves = nullptr;
  int held_resolves = 0;
  // kAffiliate's, oldest first: every click of it comes back with them.
  std::vector<affonso::v1::Coupon> coupons;
  int records = 0;
  bool answer_elsewhere = false;
  int answered_elsewhere = 0;
  std::vector<std::thread> workers;
  int upgrades = 0;
  std::string last_team;
  TrackRequest last_click;
  storage::Visitor last_visitor;
  int last_window = -1;

 private:
  absl::Status InProgram(absl::string_view team_id, absl::string_view program_id,
                         absl::string_view click_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto found = click_programs.find(std::string(click_id));
    if (team_id != kTeam || found == click_programs.end() || found->second != program_id) {
      return NotFoundError("click");
    }
    return absl::OkStatus();
  }
};

class FakeSignupStore : public storage::SignupStore {
 public:
  // With `hold` set, each conversion waits for it (a slow batch).
  void ConvertClickAsync(std::string team_id, const affonso::v1::RecordSignupRequest* request,
                         storage::ConversionCallback done) override {
    absl::Notification* wait_for = nullptr;
    {
      absl::MutexLock lock(&mu);
      ++entered;
      wait_for = hold;
    }
    if (wait_for != nullptr) wait_for->WaitForNotification();
    absl::MutexLock lock(&mu);
    ++calls;
    last_team = team_id;
    last_request = *request;
    storage::Conversion conversion;
    conversion.referral.set_id(request->click_id());
    conversion.referral.set_status(affonso::v1::REFERRAL_STATUS_LEAD);
    conversion.created = converted.insert(request->click_id()).second;
    done(conversion);
  }
  absl::Mutex mu;
  absl::Notification* hold ABSL_GUARDED_BY(mu) = nullptr;
  int entered ABSL_GUARDED_BY(mu) = 0;
  int calls = 0;
  std::string last_team;
  affonso::v1::RecordSignupRequest last_request;
  std::set<std::string> converted;
};

TrackRequest Valid() {
  TrackRequest request;
  request.set_program_id(kProgram);
  request.set_tracking_id("alice");
  return request;
}

// ---- the rules ----

TEST(ValidateTrackTest, RequiredFieldsAndLimits) {
  EXPECT_OK(ValidateTrack(Valid()));
  TrackRequest request = Valid();
  request.clear_program_id();
  EXPECT_THAT(ValidateTrack(request), HasApiError("VALIDATION_ERROR", "program_id"));
  request = Valid();
  request.set_program_id(std::string(65, 'p'));
  EXPECT_THAT(ValidateTrack(request), HasApiError("VALIDATION_ERROR", "program_id"));

  // Every string field at its limit passes and one past it names itself.
  const std::map<std::string, size_t> limits = {
      {"tracking_id", 255},    {"sub1", 255},           {"sub5", 255},
      {"referrer", 2000},      {"user_agent", 1000},    {"utm_source", 255},
      {"utm_content", 255},    {"gclid", 255},          {"gbraid", 255},
      {"gad_campaignid", 255}, {"fbclid", 255},         {"li_fat_id", 255},
      {"sc_cid", 255},         {"rdt_cid", 255},        {"msclkid", 255},
      {"ttclid", 255},         {"landing_query", 4096}, {"upgrade_click_id", 64},
  };
  const auto* descriptor = TrackRequest::descriptor();
  int checked = 0;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
        field->name() == "program_id") {
      continue;
    }
    auto limit = limits.find(field->name());
    const size_t max = limit == limits.end() ? 255 : limit->second;
    request = Valid();
    request.GetReflection()->SetString(&request, field, std::string(max, 'x'));
    EXPECT_OK(ValidateTrack(request)) << field->name();
    request.GetReflection()->SetString(&request, field, std::string(max + 1, 'x'));
    EXPECT_THAT(ValidateTrack(request), HasApiError("VALIDATION_ERROR", field->name()))
        << field->name();
    ++checked;
  }
  EXPECT_EQ(checked, descriptor->field_count() - 1 - 2);  // program_id, has_consent, no_track
}

TEST(ValidateTrackTest, ATrackingIdOrALandingQueryUnlessUpgrading) {
  TrackRequest request = Valid();
  request.clear_tracking_id();
  EXPECT_THAT(ValidateTrack(request), HasApiError("VALIDATION_ERROR", "tracking_id"));
  request.set_landing_query("via=alice");
  EXPECT_OK(ValidateTrack(request));
  request.clear_landing_query();
  request.set_upgrade_click_id("clk_1");
  EXPECT_OK(ValidateTrack(request));
  request.set_has_consent(true);
  EXPECT_OK(ValidateTrack(request));
  // An upgrade is consent being given.
  request.set_has_consent(false);
  EXPECT_THAT(ValidateTrack(request), HasApiError("VALIDATION_ERROR", "upgrade_click_id"));
}

TEST(ValidateBrowserSignupTest, ProgramClickAndAnIdentity) {
  BrowserSignupRequest request;
  request.set_program_id(kProgram);
  request.set_click_id("clk_1");
  request.set_email("lead@example.com");
  EXPECT_OK(ValidateBrowserSignup(request));
  BrowserSignupRequest bad = request;
  bad.clear_program_id();
  EXPECT_THAT(ValidateBrowserSignup(bad), HasApiError("VALIDATION_ERROR", "program_id"));
  bad = request;
  bad.clear_click_id();
  EXPECT_THAT(ValidateBrowserSignup(bad), HasApiError("VALIDATION_ERROR", "click_id"));
  bad = request;
  bad.set_click_id(std::string(65, 'c'));
  EXPECT_THAT(ValidateBrowserSignup(bad), HasApiError("VALIDATION_ERROR", "click_id"));
  bad = request;
  bad.clear_email();
  EXPECT_THAT(ValidateBrowserSignup(bad), HasApiError("VALIDATION_ERROR", "email"));
  bad.set_external_user_id("user-1");
  EXPECT_OK(ValidateBrowserSignup(bad));
  bad = request;
  bad.set_email("not an email");
  EXPECT_THAT(ValidateBrowserSignup(bad), HasApiError("VALIDATION_ERROR", "email"));
  bad = request;
  bad.set_name(std::string(256, 'n'));
  EXPECT_THAT(ValidateBrowserSignup(bad), HasApiError("VALIDATION_ERROR", "name"));
}

TEST(ParseLandingQueryTest, DecodesAndKeepsTheFirstOfEachName) {
  auto params = ParseLandingQuery(
      "?via=al%69ce&utm_source=news+letter&via=bob&empty=&flag&bad=%zz%4&utm_term=a%26b#frag=x");
  EXPECT_EQ(params["via"], "alice");
  EXPECT_EQ(params["utm_source"], "news letter");
  EXPECT_EQ(params["empty"], "");
  EXPECT_EQ(params["flag"], "");
  EXPECT_EQ(params["bad"], "%zz%4");
  EXPECT_EQ(params["utm_term"], "a&b");
  EXPECT_EQ(params.count("frag"), 0u);
  EXPECT_EQ(params.size(), 6u);
  // What does not decode to text is dropped: invalid UTF-8, NUL, controls.
  params = ParseLandingQuery("a=%C3%A9&b=%C3&c=x%00y&d=x%0Ay&e%FF=1&f=ok");
  EXPECT_EQ(params["a"], "\xc3\xa9");
  EXPECT_EQ(params.count("b"), 0u);
  EXPECT_EQ(params.count("c"), 0u);
  EXPECT_EQ(params.count("d"), 0u);
  EXPECT_EQ(params.size(), 2u);
  EXPECT_TRUE(ParseLandingQuery("").empty());
  EXPECT_TRUE(ParseLandingQuery("&&&").empty());
}

TEST(HostOfTest, TheHostOfAnOriginOrReferer) {
  EXPECT_EQ(HostOf("https://Shop.Example.com"), "shop.example.com");
  EXPECT_EQ(HostOf("https://shop.example.com:8443"), "shop.example.com");
  EXPECT_EQ(HostOf("https://shop.example.com/landing?via=a#x"), "shop.example.com");
  EXPECT_EQ(HostOf("http://user:pw@shop.example.com:80/x"), "shop.example.com");
  EXPECT_EQ(HostOf("https://shop.example.com./x"), "shop.example.com");
  EXPECT_EQ(HostOf("http://[::1]:8080/x"), "[::1]");
  EXPECT_EQ(HostOf("null"), "");
  EXPECT_EQ(HostOf("shop.example.com"), "");
  EXPECT_EQ(HostOf(""), "");
}

TEST(IsAllowedHostTest, ExactHostsAndWildcards) {
  const std::vector<std::string> allowed = {"shop.example.com", "*.example.org"};
  EXPECT_TRUE(IsAllowedHost(allowed, "shop.example.com"));
  EXPECT_FALSE(IsAllowedHost(allowed, "www.shop.example.com"));
  EXPECT_FALSE(IsAllowedHost(allowed, "example.com"));
  EXPECT_TRUE(IsAllowedHost(allowed, "example.org"));
  EXPECT_TRUE(IsAllowedHost(allowed, "www.example.org"));
  EXPECT_TRUE(IsAllowedHost(allowed, "a.b.example.org"));
  EXPECT_FALSE(IsAllowedHost(allowed, "badexample.org"));
  EXPECT_FALSE(IsAllowedHost(allowed, "example.org.evil.test"));
  EXPECT_FALSE(IsAllowedHost(allowed, ""));
  EXPECT_TRUE(IsAllowedHost({}, "anything.test"));
}

TEST(IsBotUserAgentTest, KnownCrawlersPreviewersAndHeadlessBrowsers) {
  for (const char* bot :
       {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0)",
        "SomeCrawler 1.0",
        "my-spider",
        "Mozilla/5.0 (compatible; YandexBot/3.0)",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; PetalBot)",
        "Discordbot/2.0",
        "Applebot/0.1",
        "Mozilla/5.0 (compatible; SemrushBot/7)",
        "MJ12bot/v1.4.8",
        "DuckDuckBot/1.1",
        "Baiduspider/2.0",
        "Yahoo! Slurp",
        "LinkedInBot/1.0",
        "anything bot/1"}) {
    EXPECT_TRUE(IsBotUserAgent(bot)) << bot;
  }
  for (const char* person :
       {"", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"}) {
    EXPECT_FALSE(IsBotUserAgent(person)) << person;
  }
}

TEST(VisitorHashTest, EveryPartCountsAndPartsDoNotRunTogether) {
  const std::string hash = VisitorHash("salt", "team", "prg", "203.0.113.1", "UA");
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash, VisitorHash("salt", "team", "prg", "203.0.113.1", "UA"));
  EXPECT_NE(hash, VisitorHash("salt2", "team", "prg", "203.0.113.1", "UA"));
  EXPECT_NE(hash, VisitorHash("salt", "team2", "prg", "203.0.113.1", "UA"));
  EXPECT_NE(hash, VisitorHash("salt", "team", "prg2", "203.0.113.1", "UA"));
  EXPECT_NE(hash, VisitorHash("salt", "team", "prg", "203.0.113.2", "UA"));
  EXPECT_NE(hash, VisitorHash("salt", "team", "prg", "203.0.113.1", "UA2"));
  EXPECT_NE(VisitorHash("s", "t", "p", "1.2.3.4", "ab"),
            VisitorHash("s", "t", "p", "1.2.3.4a", "b"));
}

// ---- the service over gRPC ----

class FakeClock {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

class TrackingServiceTest : public ::testing::Test {
 protected:
  // The public runner as the server builds it: the per-IP stage only.
  // Limits per minute; 0 = off.
  explicit TrackingServiceTest(int ip_per_minute = 0, int program_per_minute = 0,
                               int max_browser_signups = 64, int max_track_offloads = 64)
      : ip_limiter_(Limits(ip_per_minute, "this address")),
        ip_stage_(&ip_limiter_),
        admission_({&ip_stage_}),
        rpc_metrics_(&registry_),
        executor_(AdmissionExecutor::Options{1, 16}),
        program_limiter_(Limits(program_per_minute, "this program")),
        service_(RpcRunner(&admission_, &calls_, &rpc_metrics_, &executor_), &tracking_, &signups_,
                 Options(max_browser_signups, max_track_offloads)) {}

  PublicRateLimiter::Options Limits(int per_minute, const char* what) {
    PublicRateLimiter::Options options;
    options.per_minute = per_minute;
    options.what = what;
    options.clock = [this] { return clock_.Now(); };
    return options;
  }
  TrackingServiceOptions Options(int max_browser_signups, int max_track_offloads) {
    TrackingServiceOptions options;
    options.max_browser_signups_in_flight = max_browser_signups;
    options.max_track_offloads_in_flight = max_track_offloads;
    options.program_limiter = &program_limiter_;
    options.registry = &registry_;
    options.clock = [this] { return clock_.Now(); };
    return options;
  }

  // A call as the gateway makes it: the browser's address, Origin and
  // User-Agent in metadata (the in-process channel's peer has no address).
  std::unique_ptr<grpc::ClientContext> Browser(const std::string& origin = "",
                                               const std::string& user_agent = kChrome,
                                               const std::string& address = "203.0.113.5") {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!address.empty()) context->AddMetadata(kClientAddressKey, address);
    if (!origin.empty()) context->AddMetadata(kOriginKey, origin);
    if (!user_agent.empty()) context->AddMetadata(kUserAgentKey, user_agent);
    return context;
  }
  grpc::Status Track(const TrackRequest& request, TrackingResult* result,
                     std::unique_ptr<grpc::ClientContext> context = nullptr) {
    context_ = context ? std::move(context) : Browser();
    return stub_->Track(context_.get(), request, result);
  }
  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }
  std::string Initial(const std::string& key) { return testing::ServerMetadata(*context_, key); }

  // `calls` concurrent Track calls, each for its own program id not in the
  // cache ("prg_<prefix><i>"), with every store lookup held: the first call
  // alone until its lookup runs (so the admission thread is taken), then the
  // others, until `answered_while_held` of them have been answered (expected
  // exactly: the rest are waiting for their lookup); then the lookups go on.
  // Each call's status.
  std::vector<grpc::Status> TrackUncachedWhileLookupsHeld(int calls, const std::string& prefix,
                                                          int answered_while_held) {
    absl::Notification release;
    {
      absl::MutexLock lock(&tracking_.mu);
      tracking_.hold_resolves = &release;
    }
    std::vector<grpc::Status> statuses(calls);
    std::atomic<int> answered{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < calls; ++i) {
      callers.emplace_back([&, i] {
        std::unique_ptr<grpc::ClientContext> context = Browser();
        TrackRequest request = Valid();
        request.set_program_id(absl::StrCat("prg_", prefix, i));
        TrackingResult result;
        statuses[i] = stub_->Track(context.get(), request, &result);
        answered.fetch_add(1);
      });
      if (i == 0) {
        auto running = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tracking_.mu) {
          return tracking_.held_resolves > 0;
        };
        absl::MutexLock lock(&tracking_.mu);
        tracking_.mu.AwaitWithTimeout(absl::Condition(&running), absl::Seconds(10));
      }
    }
    for (int i = 0; i < 1000 && answered.load() < answered_while_held; ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_EQ(answered.load(), answered_while_held);
    release.Notify();
    for (std::thread& caller : callers) caller.join();
    absl::MutexLock lock(&tracking_.mu);
    tracking_.hold_resolves = nullptr;
    return statuses;
  }
  static int CountCode(const std::vector<grpc::Status>& statuses, grpc::StatusCode code) {
    int n = 0;
    for (const grpc::Status& status : statuses) n += status.error_code() == code ? 1 : 0;
    return n;
  }

  static constexpr char kChrome[] =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0";

  FakeClock clock_;
  metrics::Registry registry_;
  PublicRateLimiter ip_limiter_;
  ClientAddressRateLimitStage ip_stage_;
  Admission admission_;
  ServerCalls calls_;
  RpcMetrics rpc_metrics_;
  AdmissionExecutor executor_;
  PublicRateLimiter program_limiter_;
  FakeTrackingStore tracking_;
  FakeSignupStore signups_;
  TrackingServiceImpl service_;
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::TrackingService::Stub> stub_ =
      affonso::v1::TrackingService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(TrackingServiceTest, ANewClickIsTrackedForTheProgramsTeamWithTheVisitor) {
  TrackRequest request = Valid();
  request.set_sub1("s1");
  request.set_utm_source("newsletter");
  TrackingResult result;
  ASSERT_OK(Track(request, &result));
  EXPECT_EQ(result.cid(), "clk_1");
  EXPECT_EQ(result.status(), "tracked");
  EXPECT_FALSE(result.has_message());
  EXPECT_TRUE(result.has_append_affonso_id_enabled());
  EXPECT_FALSE(result.append_affonso_id_enabled());
  EXPECT_FALSE(result.has_resolved_query_params());
  ASSERT_TRUE(result.has_data());
  EXPECT_FALSE(result.data().has_discount());
  EXPECT_EQ(result.data().affiliate_coupons_size(), 0);
  EXPECT_EQ(Initial(kHttpCodeKey), "");  // 200

  EXPECT_EQ(tracking_.last_team, kTeam);
  EXPECT_EQ(tracking_.last_click.sub1(), "s1");
  EXPECT_EQ(tracking_.last_click.utm_source(), "newsletter");
  EXPECT_EQ(tracking_.last_window, 3600);
  const storage::Visitor& visitor = tracking_.last_visitor;
  EXPECT_EQ(visitor.ip, "203.0.113.5");
  EXPECT_EQ(visitor.user_agent, kChrome);
  EXPECT_TRUE(visitor.has_consent);
  EXPECT_EQ(visitor.hash, VisitorHash("salt-shop", kTeam, kProgram, "203.0.113.5", kChrome));
}

// The store answers RecordClickAsync from its batch workers: the call gets
// each click (and each error) whichever thread answers it.
TEST_F(TrackingServiceTest, AClickAnsweredFromTheStoresOwnThreadIsTheCallsAnswer) {
  {
    absl::MutexLock lock(&tracking_.mu);
    tracking_.answer_elsewhere = true;
  }
  TrackingResult first, again, missing;
  ASSERT_OK(Track(Valid(), &first));
  EXPECT_EQ(first.status(), "tracked");
  EXPECT_EQ(first.cid(), "clk_1");
  ASSERT_OK(Track(Valid(), &again));
  EXPECT_EQ(again.status(), "duplicate");
  EXPECT_EQ(again.cid(), "clk_1");
  TrackRequest unknown = Valid();
  unknown.set_tracking_id("mallory");
  EXPECT_THAT(Track(unknown, &missing), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer(kErrorCodeKey), "NOT_FOUND");
  absl::MutexLock lock(&tracking_.mu);
  EXPECT_EQ(tracking_.answered_elsewhere, 3);
}

// A callback thread never waits on the database: a program not yet cached
// is looked up, and an upgrade runs its statement, on an admission thread; a
// cached program's click goes to the store's batch from the callback thread.
TEST_F(TrackingServiceTest, WhatWaitsOnTheDatabaseRunsOnAnAdmissionThread) {
  TrackingResult first, again, upgraded;
  ASSERT_OK(Track(Valid(), &first));
  EXPECT_EQ(tracking_.resolve_thread, "affonso-admit");
  ASSERT_OK(Track(Valid(), &again));
  EXPECT_EQ(tracking_.resolves, 1);
  EXPECT_NE(tracking_.record_thread, "affonso-admit");
  EXPECT_NE(tracking_.record_thread, "");

  TrackRequest upgrade;
  upgrade.set_program_id(kProgram);
  upgrade.set_upgrade_click_id(first.cid());
  upgrade.set_has_consent(true);
  ASSERT_OK(Track(upgrade, &upgraded));
  EXPECT_EQ(upgraded.status(), "upgraded");
  EXPECT_EQ(tracking_.upgrade_thread, "affonso-admit");
}

// Lookups of uncached programs queue for the admission threads (the
// fixture's: 1 thread, 16 waiting); past that a call is refused at once,
// UNAVAILABLE, rather than queued without end or run on a callback thread.
TEST_F(TrackingServiceTest, AFullAdmissionQueueRefusesUncachedLookupsAtOnce) {
  // 1 looking up, 16 waiting, 3 refused: 3 answered while the lookup is
  // held means all 20 arrived and 17 were accepted.
  const std::vector<grpc::Status> statuses = TrackUncachedWhileLookupsHeld(20, "unknown", 3);
  EXPECT_EQ(CountCode(statuses, grpc::StatusCode::UNAVAILABLE), 3);
  EXPECT_EQ(CountCode(statuses, grpc::StatusCode::NOT_FOUND), 17);
  absl::MutexLock lock(&tracking_.mu);
  EXPECT_EQ(tracking_.resolves, 17);
  EXPECT_EQ(tracking_.records, 0);
}

// Anonymous lookups take at most max_track_offloads_in_flight of the
// admission threads' queue (here 2), whatever room it has left: the rest of
// the queue stays for API-key calls.
class TrackOffloadCapTest : public TrackingServiceTest {
 protected:
  TrackOffloadCapTest() : TrackingServiceTest(0, 0, 64, /*max_track_offloads=*/2) {}
};

TEST_F(TrackOffloadCapTest, PastTheCapUncachedLookupsAreRefusedAtOnce) {
  // 2 offloaded, 4 refused.
  const std::vector<grpc::Status> statuses = TrackUncachedWhileLookupsHeld(6, "capped", 4);
  EXPECT_EQ(CountCode(statuses, grpc::StatusCode::UNAVAILABLE), 4);
  // The cap frees as lookups finish: the next miss is looked up.
  TrackingResult result;
  EXPECT_THAT(Track(Valid(), &result), StatusIs(grpc::StatusCode::OK));
  absl::MutexLock lock(&tracking_.mu);
  EXPECT_EQ(tracking_.resolves, 3);
}

TEST_F(TrackingServiceTest, TheSameVisitorGetsTheSameClickAndAnotherANewOne) {
  TrackingResult first, again, other;
  ASSERT_OK(Track(Valid(), &first));
  ASSERT_OK(Track(Valid(), &again));
  EXPECT_EQ(again.cid(), first.cid());
  EXPECT_EQ(again.status(), "duplicate");
  // The request's user agent (a backend relaying its visitor) wins over
  // the header.
  TrackRequest relayed = Valid();
  relayed.set_user_agent("Mozilla/5.0 (Macintosh) Safari/605.1");
  ASSERT_OK(Track(relayed, &other));
  EXPECT_NE(other.cid(), first.cid());
  EXPECT_EQ(other.status(), "tracked");
  EXPECT_EQ(tracking_.last_visitor.user_agent, "Mozilla/5.0 (Macintosh) Safari/605.1");
  const std::string text = registry_.Render();
  EXPECT_NE(text.find(R"(affonso_public_clicks_total{result="duplicate"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(affonso_public_clicks_total{result="tracked"} 2)"), std::string::npos);
}

TEST_F(TrackingServiceTest, WithoutConsentTheVisitorIsOnlyItsHash) {
  TrackRequest request = Valid();
  request.set_has_consent(false);
  TrackingResult result;
  ASSERT_OK(Track(request, &result));
  EXPECT_FALSE(tracking_.last_visitor.has_consent);
  // The store drops IP and user agent; the hash is made of them all the same.
  EXPECT_EQ(tracking_.last_visitor.hash,
            VisitorHash("salt-shop", kTeam, kProgram, "203.0.113.5", kChrome));
}

TEST_F(TrackingServiceTest, TheLandingQueryGivesTheTrackingIdAndMissingAttribution) {
  TrackRequest request = Valid();
  request.clear_tracking_id();
  request.set_utm_source("given");
  request.set_landing_query(
      "ref=alice&utm_source=ignored&utm_medium=cpc&gclid=g%2D1&ScCid=sc-1&li_fat_id=li&other=x");
  TrackingResult result;
  ASSERT_OK(Track(request, &result));
  EXPECT_EQ(result.status(), "tracked");
  EXPECT_EQ(tracking_.last_click.tracking_id(), "alice");
  EXPECT_EQ(tracking_.last_click.utm_source(), "given");
  EXPECT_EQ(tracking_.last_click.utm_medium(), "cpc");
  EXPECT_EQ(tracking_.last_click.gclid(), "g-1");
  EXPECT_EQ(tracking_.last_click.sc_cid(), "sc-1");
  EXPECT_EQ(tracking_.last_click.li_fat_id(), "li");
  const auto& used = result.resolved_query_params().fields();
  EXPECT_EQ(used.size(), 5u);
  EXPECT_EQ(used.at("ref").string_value(), "alice");
  EXPECT_EQ(used.at("utm_medium").string_value(), "cpc");
  EXPECT_EQ(used.at("gclid").string_value(), "g-1");
  EXPECT_EQ(used.at("ScCid").string_value(), "sc-1");
  EXPECT_EQ(used.count("utm_source"), 0u);

  // The default parameter comes first whatever the query's order.
  request.set_landing_query("ref=bob&via=alice");
  ASSERT_OK(Track(request, &result));
  EXPECT_EQ(tracking_.last_click.tracking_id(), "alice");
  // An explicit tracking id wins over the query.
  request.set_tracking_id("alice");
  request.set_landing_query("via=bob");
  ASSERT_OK(Track(request, &result));
  EXPECT_EQ(tracking_.last_click.tracking_id(), "alice");
  EXPECT_FALSE(result.resolved_query_params().fields().count("via"));
}

TEST_F(TrackingServiceTest, ALandingQueryWithoutAReferralParameterRecordsNothing) {
  TrackRequest request = Valid();
  request.clear_tracking_id();
  for (const char* query : {"utm_source=x", "aff=alice", "via=", "via=%00"}) {
    request.set_landing_query(query);
    TrackingResult result;
    ASSERT_OK(Track(request, &result));
    EXPECT_EQ(result.status(), "ignored") << query;
    EXPECT_EQ(result.cid(), "");
    EXPECT_TRUE(result.has_message());
    EXPECT_TRUE(result.has_data());
    EXPECT_FALSE(result.has_resolved_query_params());
  }
  EXPECT_EQ(tracking_.records, 0);
}

TEST_F(TrackingServiceTest, BotsAndNoTrackAreAnsweredButNotRecorded) {
  TrackingResult result;
  ASSERT_OK(Track(Valid(), &result, Browser("", "Mozilla/5.0 (compatible; Googlebot/2.1)")));
  EXPECT_EQ(result.status(), "ignored");
  EXPECT_EQ(result.cid(), "");
  EXPECT_NE(result.message().find("bots"), std::string::npos);
  TrackRequest relayed = Valid();
  relayed.set_user_agent("facebookexternalhit/1.1");
  ASSERT_OK(Track(relayed, &result));
  EXPECT_EQ(result.status(), "ignored");
  TrackRequest opted_out = Valid();
  opted_out.set_no_track(true);
  ASSERT_OK(Track(opted_out, &result));
  EXPECT_EQ(result.status(), "ignored");
  EXPECT_NE(result.message().find("not to be tracked"), std::string::npos);
  EXPECT_EQ(tracking_.records, 0);
  EXPECT_EQ(tracking_.upgrades, 0);
}

TEST_F(TrackingServiceTest, OnlyAllowedSitesMayCall) {
  tracking_.programs[kProgram].allowed_domains = {"shop.example.com", "*.example.org"};
  TrackingResult result;
  for (const char* origin :
       {"https://shop.example.com", "https://www.example.org:8443", "https://example.org"}) {
    ASSERT_OK(Track(Valid(), &result, Browser(origin))) << origin;
  }
  // A server-side caller sends neither Origin nor Referer.
  ASSERT_OK(Track(Valid(), &result, Browser("")));
  const int recorded = tracking_.records;

  for (const char* origin : {"https://evil.test", "https://www.shop.example.com", "null",
                             "https://example.org.evil.test"}) {
    EXPECT_THAT(Track(Valid(), &result, Browser(origin)),
                StatusIs(grpc::StatusCode::PERMISSION_DENIED))
        << origin;
    EXPECT_EQ(Trailer(kErrorCodeKey), "ORIGIN_NOT_ALLOWED");
  }
  // Without Origin, the Referer's host is the page's.
  auto context = Browser("");
  context->AddMetadata(kRefererKey, "https://evil.test/page?via=alice");
  EXPECT_THAT(Track(Valid(), &result, std::move(context)),
              StatusIs(grpc::StatusCode::PERMISSION_DENIED));
  context = Browser("");
  context->AddMetadata(kRefererKey, "https://shop.example.com/page");
  ASSERT_OK(Track(Valid(), &result, std::move(context)));
  EXPECT_EQ(tracking_.records, recorded + 1);

  // The browser signup is judged alike.
  BrowserSignupRequest signup;
  signup.set_program_id(kProgram);
  signup.set_click_id(result.cid());
  signup.set_email("lead@example.com");
  BrowserSignupResult converted;
  context_ = Browser("https://evil.test");
  EXPECT_THAT(stub_->BrowserSignup(context_.get(), signup, &converted),
              StatusIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(signups_.calls, 0);
}

TEST_F(TrackingServiceTest, UnknownProgramsAreNotFoundAndRememberedForAWhile) {
  TrackRequest request = Valid();
  request.set_program_id("prg_unknown");
  TrackingResult result;
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Track(request, &result), StatusIs(grpc::StatusCode::NOT_FOUND));
    EXPECT_EQ(Trailer(kErrorCodeKey), "NOT_FOUND");
  }
  EXPECT_EQ(tracking_.resolves, 1);
  // A malformed id is not looked up at all.
  request.set_program_id("team_a");
  EXPECT_THAT(Track(request, &result), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(tracking_.resolves, 1);
  // Known programs are cached too; past the TTL they are looked up again.
  ASSERT_OK(Track(Valid(), &result));
  ASSERT_OK(Track(Valid(), &result));
  EXPECT_EQ(tracking_.resolves, 2);
  clock_.Advance(absl::Seconds(11));
  ASSERT_OK(Track(Valid(), &result));
  request.set_program_id("prg_unknown");
  EXPECT_THAT(Track(request, &result), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(tracking_.resolves, 4);
}

TEST(PublicProgramCacheTest, BoundedAndLeastRecentlyUsedFirst) {
  FakeTrackingStore store;
  absl::Time now = absl::FromUnixSeconds(1700000000);
  PublicProgramCache cache(absl::Seconds(10), 2, 1, [&] { return now; });
  ASSERT_OK(cache.Resolve(&store, kProgram));
  EXPECT_THAT(cache.Resolve(&store, "prg_x"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(cache.Resolve(&store, kProgram));  // kProgram is now the most recent
  EXPECT_EQ(store.resolves, 2);
  EXPECT_THAT(cache.Resolve(&store, "prg_y"), StatusIs(absl::StatusCode::kNotFound));  // evicts x
  ASSERT_OK_AND_ASSIGN(PublicProgramCache::Program program, cache.Resolve(&store, kProgram));
  EXPECT_EQ(program->team_id, kTeam);
  EXPECT_EQ(store.resolves, 3);
  EXPECT_THAT(cache.Resolve(&store, "prg_x"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store.resolves, 4);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_THAT(cache.Resolve(&store, absl::StrCat("prg_flood", i)),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_EQ(store.resolves, 1004);
}

TEST(PublicProgramCacheTest, UnknownIdsNeverEvictRealPrograms) {
  FakeTrackingStore store;
  absl::Time now = absl::FromUnixSeconds(1700000000);
  PublicProgramCache cache(absl::Seconds(10), 2, 3, [&] { return now; });
  ASSERT_OK(cache.Resolve(&store, kProgram));
  ASSERT_OK(cache.Resolve(&store, kOtherProgram));
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(cache.Resolve(&store, absl::StrCat("prg_flood", i)),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_EQ(store.resolves, 102);
  // Both real programs are still remembered...
  ASSERT_OK(cache.Resolve(&store, kProgram));
  ASSERT_OK(cache.Resolve(&store, kOtherProgram));
  EXPECT_EQ(store.resolves, 102);
  // ...and so are the last 3 misses, but not the earlier ones.
  for (int i = 97; i < 100; ++i) {
    EXPECT_THAT(cache.Resolve(&store, absl::StrCat("prg_flood", i)),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_EQ(store.resolves, 102);
  EXPECT_THAT(cache.Resolve(&store, "prg_flood0"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store.resolves, 103);
}

TEST_F(TrackingServiceTest, PendingAffiliatesAndOtherTeamsTrackingIdsAreNotFound) {
  TrackRequest request = Valid();
  request.set_tracking_id("pending-bob");
  TrackingResult result;
  EXPECT_THAT(Track(request, &result), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer(kErrorCodeKey), "NOT_FOUND");
  EXPECT_EQ(result.cid(), "");
}

TEST_F(TrackingServiceTest, InvalidRequestsReachNoStore) {
  TrackRequest request = Valid();
  request.set_referrer(std::string(2001, 'r'));
  TrackingResult result;
  EXPECT_THAT(Track(request, &result), StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(kErrorCodeKey), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer(kErrorFieldKey), "referrer");
  EXPECT_EQ(tracking_.resolves, 0);
  EXPECT_EQ(tracking_.records, 0);
}

TEST_F(TrackingServiceTest, CouponsComeBackAsTheSdksDiscounts) {
  affonso::v1::Coupon percent;
  percent.set_code("ALICE10");
  percent.set_discount_type(affonso::v1::DISCOUNT_TYPE_PERCENTAGE);
  percent.set_discount_value(10);
  percent.set_duration(affonso::v1::COUPON_DURATION_FOREVER);
  affonso::v1::Coupon fixed;
  fixed.set_code("ALICE5");
  fixed.set_discount_type(affonso::v1::DISCOUNT_TYPE_FIXED);
  fixed.set_discount_value(5.5);
  fixed.set_duration(affonso::v1::COUPON_DURATION_REPEATING);
  fixed.set_duration_in_months(3);
  fixed.set_provider_coupon_id("stripe_co_1");
  affonso::v1::Coupon once = percent;
  once.set_code("ONCE");
  once.set_duration(affonso::v1::COUPON_DURATION_ONCE);
  tracking_.coupons = {percent, fixed, once};
  tracking_.programs[kProgram].append_affonso_id_enabled = true;

  TrackingResult result;
  ASSERT_OK(Track(Valid(), &result));
  EXPECT_TRUE(result.append_affonso_id_enabled());
  const auto& data = result.data();
  ASSERT_EQ(data.affiliate_coupons_size(), 3);
  ASSERT_TRUE(data.has_discount());
  EXPECT_EQ(data.discount().promo_code(), "ALICE10");
  EXPECT_EQ(data.discount().amount(), 10);
  EXPECT_EQ(data.discount().type(), "percentage");
  EXPECT_FALSE(data.discount().has_max_duration());
  EXPECT_FALSE(data.discount().has_coupon_id());
  EXPECT_EQ(data.affiliate_coupons(1).promo_code(), "ALICE5");
  EXPECT_EQ(data.affiliate_coupons(1).type(), "fixed");
  EXPECT_EQ(data.affiliate_coupons(1).amount(), 5.5);
  EXPECT_EQ(data.affiliate_coupons(1).max_duration(), "3 months");
  EXPECT_EQ(data.affiliate_coupons(1).coupon_id(), "stripe_co_1");
  EXPECT_EQ(data.affiliate_coupons(2).max_duration(), "once");
}

TEST_F(TrackingServiceTest, AnUpgradeAttachesConsentToTheProgramsClick) {
  TrackRequest anonymous = Valid();
  anonymous.set_has_consent(false);
  TrackingResult first;
  ASSERT_OK(Track(anonymous, &first));

  TrackRequest upgrade;
  upgrade.set_program_id(kProgram);
  upgrade.set_upgrade_click_id(first.cid());
  upgrade.set_has_consent(true);
  TrackingResult upgraded;
  ASSERT_OK(Track(upgrade, &upgraded, Browser("", kChrome, "198.51.100.7")));
  EXPECT_EQ(upgraded.cid(), first.cid());
  EXPECT_EQ(upgraded.status(), "upgraded");
  EXPECT_EQ(tracking_.upgrades, 1);
  EXPECT_EQ(tracking_.records, 1);
  EXPECT_EQ(tracking_.last_visitor.ip, "198.51.100.7");
  EXPECT_TRUE(tracking_.last_visitor.has_consent);

  // Another program's click, or no click id at all: not found.
  upgrade.set_program_id(kOtherProgram);
  EXPECT_THAT(Track(upgrade, &upgraded), StatusIs(grpc::StatusCode::NOT_FOUND));
  upgrade.set_program_id(kProgram);
  upgrade.set_upgrade_click_id("ref_not_a_click");
  EXPECT_THAT(Track(upgrade, &upgraded), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(tracking_.upgrades, 2);
}

TEST_F(TrackingServiceTest, BrowserSignupConvertsOnlyTheProgramsClick) {
  TrackingResult click;
  ASSERT_OK(Track(Valid(), &click));
  BrowserSignupRequest request;
  request.set_program_id(kProgram);
  request.set_click_id(click.cid());
  request.set_email("lead@example.com");
  request.set_name("Lee");
  BrowserSignupResult result;
  context_ = Browser();
  ASSERT_OK(stub_->BrowserSignup(context_.get(), request, &result));
  EXPECT_EQ(result.id(), click.cid());
  EXPECT_EQ(result.status(), affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_TRUE(result.created());
  EXPECT_EQ(Initial(kHttpCodeKey), "201");
  EXPECT_EQ(signups_.last_team, kTeam);
  EXPECT_EQ(signups_.last_request.email(), "lead@example.com");
  EXPECT_EQ(signups_.last_request.name(), "Lee");

  context_ = Browser();
  ASSERT_OK(stub_->BrowserSignup(context_.get(), request, &result));
  EXPECT_FALSE(result.created());
  EXPECT_EQ(Initial(kHttpCodeKey), "200");

  request.set_program_id(kOtherProgram);
  context_ = Browser();
  EXPECT_THAT(stub_->BrowserSignup(context_.get(), request, &result),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer(kErrorCodeKey), "NOT_FOUND");
  request.set_program_id("prg_unknown");
  context_ = Browser();
  EXPECT_THAT(stub_->BrowserSignup(context_.get(), request, &result),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  request.set_program_id(kProgram);
  request.set_click_id("ref_direct");
  context_ = Browser();
  EXPECT_THAT(stub_->BrowserSignup(context_.get(), request, &result),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  request.set_click_id(click.cid());
  request.clear_email();
  context_ = Browser();
  EXPECT_THAT(stub_->BrowserSignup(context_.get(), request, &result),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(kErrorFieldKey), "email");
  EXPECT_EQ(signups_.calls, 2);
}

TEST_F(TrackingServiceTest, ABrowserSetsTheExternalUserIdOnlyWhereTheProgramOptedIn) {
  TrackingResult click;
  ASSERT_OK(Track(Valid(), &click));
  BrowserSignupRequest request;
  request.set_program_id(kProgram);
  request.set_click_id(click.cid());
  request.set_email("lead@example.com");
  request.set_external_user_id("user-1");
  BrowserSignupResult result;
  // Off (the default): the id is dropped, the email converts.
  context_ = Browser();
  ASSERT_OK(stub_->BrowserSignup(context_.get(), request, &result));
  EXPECT_TRUE(result.created());
  EXPECT_EQ(signups_.last_request.email(), "lead@example.com");
  EXPECT_EQ(signups_.last_request.external_user_id(), "");
  EXPECT_EQ(signups_.calls, 1);

  // An id alone is refused: nothing is converted.
  TrackingResult other;
  ASSERT_OK(Track(Valid(), &other, Browser("", "Visitor/2")));
  ASSERT_NE(other.cid(), click.cid());
  request.set_click_id(other.cid());
  request.clear_email();
  context_ = Browser();
  const grpc::Status refused = stub_->BrowserSignup(context_.get(), request, &result);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("only from its backend (POST /v1/signups)"),
            std::string::npos)
      << refused.error_message();
  EXPECT_EQ(Trailer(kErrorCodeKey), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer(kErrorFieldKey), "email");
  EXPECT_EQ(signups_.calls, 1);

  // Opted in: as POST /v1/signups takes it.
  tracking_.programs[kOtherProgram].browser_external_user_id = true;
  TrackRequest on_other = Valid();
  on_other.set_program_id(kOtherProgram);
  TrackingResult opted;
  ASSERT_OK(Track(on_other, &opted));
  request.set_program_id(kOtherProgram);
  request.set_click_id(opted.cid());
  context_ = Browser();
  ASSERT_OK(stub_->BrowserSignup(context_.get(), request, &result));
  EXPECT_TRUE(result.created());
  EXPECT_EQ(signups_.last_request.external_user_id(), "user-1");
  EXPECT_EQ(signups_.last_request.email(), "");
  EXPECT_EQ(signups_.calls, 2);
}

class BusyTrackingServiceTest : public TrackingServiceTest {
 protected:
  BusyTrackingServiceTest() : TrackingServiceTest(0, 0, /*max_browser_signups=*/2) {}
};

TEST_F(BusyTrackingServiceTest, BrowserSignupsInFlightAreCapped) {
  TrackingResult click;
  ASSERT_OK(Track(Valid(), &click));
  BrowserSignupRequest request;
  request.set_program_id(kProgram);
  request.set_click_id(click.cid());
  request.set_email("lead@example.com");
  absl::Notification release;
  {
    absl::MutexLock lock(&signups_.mu);
    signups_.hold = &release;
  }
  std::vector<grpc::Status> held(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto context = Browser();
      BrowserSignupResult result;
      held[i] = stub_->BrowserSignup(context.get(), request, &result);
    });
  }
  {
    absl::MutexLock lock(&signups_.mu);
    auto both_waiting = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(signups_.mu) {
      return signups_.entered == 2;
    };
    signups_.mu.Await(absl::Condition(&both_waiting));
  }
  const int resolves = tracking_.resolves;
  BrowserSignupResult result;
  context_ = Browser();
  // Refused at once; a deadline so that a call let through fails, not hangs.
  context_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_THAT(stub_->BrowserSignup(context_.get(), request, &result),
              StatusIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_EQ(Trailer(kErrorCodeKey), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(tracking_.resolves, resolves);  // refused before any work
  {
    absl::MutexLock lock(&signups_.mu);
    EXPECT_EQ(signups_.entered, 2);
  }
  release.Notify();
  for (std::thread& thread : threads) thread.join();
  for (const grpc::Status& status : held) EXPECT_OK(status);
  // The slots are given back.
  context_ = Browser();
  ASSERT_OK(stub_->BrowserSignup(context_.get(), request, &result));
  EXPECT_EQ(signups_.calls, 3);
}

class RateLimitedTrackingServiceTest : public TrackingServiceTest {
 protected:
  RateLimitedTrackingServiceTest()
      : TrackingServiceTest(/*ip_per_minute=*/2,
                            /*program_per_minute=*/3) {}
};

TEST_F(RateLimitedTrackingServiceTest, EachAddressAndEachProgramHasItsBudget) {
  TrackingResult result;
  ASSERT_OK(Track(Valid(), &result, Browser("", kChrome, "203.0.113.1")));
  EXPECT_EQ(Initial(kRateLimitLimitKey), "2");
  EXPECT_EQ(Initial(kRateLimitRemainingKey), "1");
  ASSERT_OK(Track(Valid(), &result, Browser("", kChrome, "203.0.113.1")));
  EXPECT_THAT(Track(Valid(), &result, Browser("", kChrome, "203.0.113.1")),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(Trailer(kErrorCodeKey), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(Trailer(kRetryAfterKey), "30");
  EXPECT_EQ(tracking_.resolves, 1);  // refused before any work

  // Another address has its own budget, but the program's is shared: 3.
  ASSERT_OK(Track(Valid(), &result, Browser("", kChrome, "203.0.113.2")));
  EXPECT_THAT(Track(Valid(), &result, Browser("", kChrome, "203.0.113.2")),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(Trailer(kErrorCodeKey), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(Trailer(kRetryAfterKey), "20");
  EXPECT_EQ(tracking_.records, 3);
  // Another program is not limited by this one's.
  TrackRequest other = Valid();
  other.set_program_id(kOtherProgram);
  ASSERT_OK(Track(other, &result, Browser("", kChrome, "203.0.113.3")));
}

TEST_F(RateLimitedTrackingServiceTest, PagesOfDisallowedSitesSpendNoProgramBudget) {
  tracking_.programs[kProgram].allowed_domains = {"shop.example.com"};
  TrackingResult result;
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(Track(Valid(), &result,
                      Browser("https://evil.test", kChrome, absl::StrCat("203.0.113.", 10 + i))),
                StatusIs(grpc::StatusCode::PERMISSION_DENIED));
    EXPECT_EQ(Trailer(kErrorCodeKey), "ORIGIN_NOT_ALLOWED");
  }
  // The program's 3 are all there for its own site.
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(
        Track(Valid(), &result,
              Browser("https://shop.example.com", kChrome, absl::StrCat("203.0.113.", 20 + i))))
        << i;
  }
  EXPECT_THAT(Track(Valid(), &result, Browser("https://shop.example.com", kChrome, "203.0.113.30")),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(tracking_.records, 3);
}

}  // namespace
}  // namespace affonso::services
