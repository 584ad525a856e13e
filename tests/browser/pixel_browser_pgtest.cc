// The pixel in a real browser: Debian's headless Chromium, driven over
// WebDriver (chromedriver on loopback), loads test pages from a local page
// server under made-up hosts (www.site.test, www.evil.test: Chromium's host
// resolver maps *.test to 127.0.0.1, and nothing else resolves). The pages
// embed the snippet as a site would, with the script from the real
// affonso_server binary (/js/pixel.min.js, served by its REST port), which
// also answers /v1/track and /v1/track/signup against this test's database.
//
// Chromium and chromedriver are packages `./dev test` installs: their absence
// fails the test, it never skips.
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gateway/http/http_server.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "tests/http_client.h"
#include "tests/server_process.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr char kChromedriver[] = "/usr/bin/chromedriver";
// A desktop Chrome's user agent: the pixel is under test here, not whether a
// headless browser counts as a bot (its own "HeadlessChrome" might).
constexpr char kVisitorAgent[] =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";
constexpr char kBotAgent[] =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
// Bounds of every wait: a slow, shared 2-core machine, never an endless one.
constexpr int kWebDriverSeconds = 60;
constexpr int kScriptTimeoutMs = 20000;

std::string Env(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value == nullptr || *value == '\0' ? fallback : value;
}

bool IsExecutable(const char* path) { return access(path, X_OK) == 0; }

std::string Json(const Value& value) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(value, &out);
  return out;
}

const Value* Field(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StringField(const Struct& object, const std::string& name) {
  const Value* value = Field(object, name);
  return value == nullptr ? "" : value->string_value();
}

// One WebDriver command. chromedriver keeps the connection open after its
// answer, whatever it says, so this reads by Content-Length (libcurl), not
// until the server closes as tests/http_client does.
HttpResult WebDriverCall(int port, const std::string& method, const std::string& path,
                         const std::string& body = "") {
  HttpResult result;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return result;
  const std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(kWebDriverSeconds));
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* out) {
        static_cast<std::string*>(out)->append(data, size * count);
        return size * count;
      });
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  result.status = static_cast<int>(status);
  (void)google::protobuf::util::JsonStringToMessage(result.body, &result.json);
  return result;
}

// The test pages: /landing embeds the snippet of program A, /consent that of
// program B with data-requires-consent. Any host serves both: the browser's
// host name is what the test varies.
class PageServer : public gateway::HttpHandler {
 public:
  PageServer(int api_port, std::string landing_program, std::string consent_program)
      : api_port_(api_port),
        landing_program_(std::move(landing_program)),
        consent_program_(std::move(consent_program)) {}

  void Handle(gateway::HttpRequest request,
              std::function<void(gateway::HttpResponse)> respond) override {
    gateway::HttpResponse response;
    response.content_type = "text/html; charset=utf-8";
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (path == "/landing") {
      response.body = Page(landing_program_, "");
    } else if (path == "/consent") {
      response.body = Page(consent_program_, " data-requires-consent");
    } else {
      response.status = 404;
      response.body = "not found\n";
    }
    respond(std::move(response));
  }

 private:
  std::string Page(const std::string& program_id, const std::string& extra) const {
    return absl::StrFormat(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Landing</title>\n"
        "<script async defer src=\"http://127.0.0.1:%d/js/pixel.min.js\" data-affonso=\"%s\" "
        "data-cookie_duration=\"30\"%s></script>\n"
        "</head><body><h1>A site that embeds the pixel</h1></body></html>\n",
        api_port_, program_id, extra);
  }

  const int api_port_;
  const std::string landing_program_;
  const std::string consent_program_;
};

// chromedriver in a process group of its own, so that it and the browsers
// it started are stopped together.
class Chromedriver {
 public:
  static absl::StatusOr<std::unique_ptr<Chromedriver>> Start(const std::string& log_dir) {
    const int port = FreePort();
    const std::string port_flag = absl::StrCat("--port=", port);
    const std::string log_flag = absl::StrCat("--log-path=", log_dir, "/chromedriver.log");
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      setpgid(0, 0);
      // Should the test be killed (a Bazel timeout), chromedriver goes with
      // it; the browsers it started leave when it does.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
      // Chromium writes under HOME and the XDG directories: the test's own.
      const std::string home = Env("TEST_TMPDIR", "/tmp");
      setenv("HOME", home.c_str(), 1);
      setenv("XDG_CONFIG_HOME", (home + "/xdg-config").c_str(), 1);
      setenv("XDG_CACHE_HOME", (home + "/xdg-cache").c_str(), 1);
      execl(kChromedriver, kChromedriver, port_flag.c_str(), log_flag.c_str(), nullptr);
      _exit(127);
    }
    setpgid(pid, pid);
    std::unique_ptr<Chromedriver> driver(new Chromedriver(pid, port));
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      HttpResult status = WebDriverCall(port, "GET", "/status");
      const Value* value = Field(status.json, "value");
      if (status.status == 200 && value != nullptr) {
        const Value* ready = Field(value->struct_value(), "ready");
        if (ready != nullptr && ready->bool_value()) break;
      }
      int wait_status = 0;
      if (waitpid(pid, &wait_status, WNOHANG) == pid) {
        driver->pid_ = -1;
        return absl::InternalError("chromedriver exited at start-up");
      }
      if (absl::Now() > deadline) return absl::DeadlineExceededError("chromedriver not ready");
      absl::SleepFor(absl::Milliseconds(50));
    }
    return driver;
  }

  ~Chromedriver() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    // Whatever is left of the group (a browser chromedriver did not close).
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

  int port() const { return port_; }

 private:
  Chromedriver(pid_t pid, int port) : pid_(pid), port_(port) {}
  pid_t pid_;
  int port_;
};

// One browser: a WebDriver session with a fresh profile (no cookies).
class Browser {
 public:
  Browser(int driver_port, const std::string& profile_dir, const std::string& user_agent)
      : driver_port_(driver_port) {
    const std::string args = absl::StrCat(
        R"(["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage",)",
        // *.test is this machine; every other name fails to resolve, and the
        // browser's own background traffic is off: loopback only.
        R"("--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)",
        R"("--no-proxy-server","--disable-background-networking","--disable-component-update",)",
        R"("--disable-sync","--disable-extensions","--disable-default-apps","--no-first-run",)",
        R"("--no-default-browser-check","--user-data-dir=)", profile_dir, R"(",)",
        R"("--user-agent=)", user_agent, R"("])");
    HttpResult created =
        Call("POST", "/session",
             absl::StrCat(R"({"capabilities":{"alwaysMatch":{"browserName":"chrome",)",
                          R"("goog:chromeOptions":{"binary":")", kChromium, R"(","args":)", args,
                          "}}}}"));
    const Value* value = Field(created.json, "value");
    if (created.status == 200 && value != nullptr) {
      session_ = StringField(value->struct_value(), "sessionId");
    }
    error_ = absl::StrCat("new session: HTTP ", created.status, " ", created.body);
    if (session_.empty()) return;
    Command("POST", "timeouts",
            absl::StrFormat(R"({"script":%d,"pageLoad":%d,"implicit":0})", kScriptTimeoutMs,
                            kScriptTimeoutMs));
  }

  ~Browser() {
    if (!session_.empty()) Call("DELETE", "/session/" + session_);
  }

  bool ok() const { return !session_.empty(); }
  const std::string& error() const { return error_; }

  // WebDriver's answer's "value"; a failed command is a test failure.
  Value Command(const std::string& method, const std::string& command,
                const std::string& body = "") {
    HttpResult result = Call(method, absl::StrCat("/session/", session_, "/", command), body);
    EXPECT_EQ(result.status, 200) << method << " " << command << ": " << result.body;
    const Value* value = Field(result.json, "value");
    return value == nullptr ? Value() : *value;
  }

  void Navigate(const std::string& url) {
    Command("POST", "url", absl::StrCat(R"({"url":")", url, R"("})"));
  }
  void Reload() { Command("POST", "refresh", "{}"); }

  // Runs `script` with `done` bound to the callback that returns its result.
  Value ExecuteAsync(const std::string& script) {
    Struct body;
    (*body.mutable_fields())["script"].set_string_value(
        "const done = arguments[arguments.length - 1];\n" + script);
    body.mutable_fields()->operator[]("args").mutable_list_value();
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(body, &json);
    return Command("POST", "execute/async", json);
  }

  // This page's click id from the pixel (Affonso.ready), once it has
  // reported the visit; "" when it recorded none. "no pixel" when the
  // script never loaded.
  std::string PixelClickId() {
    Value cid = ExecuteAsync(
        "const deadline = Date.now() + 10000;\n"
        "const wait = () => {\n"
        "  if (window.Affonso && window.Affonso.ready) {\n"
        "    window.Affonso.ready.then((cid) => done(cid || ''), () => done('rejected'));\n"
        "  } else if (Date.now() > deadline) {\n"
        "    done('no pixel');\n"
        "  } else {\n"
        "    setTimeout(wait, 20);\n"
        "  }\n"
        "};\n"
        "wait();");
    return cid.string_value();
  }

  // The affonso_referral cookie the current page sees, as WebDriver reports
  // it (name, value, domain, path, expiry, sameSite...); empty when none.
  Struct ReferralCookie() {
    Value cookies = Command("GET", "cookie");
    for (const Value& cookie : cookies.list_value().values()) {
      if (StringField(cookie.struct_value(), "name") == "affonso_referral") {
        return cookie.struct_value();
      }
    }
    return Struct();
  }

  // What document.cookie shows the page (the pixel reads the same).
  std::string DocumentCookie() { return ExecuteAsync("done(document.cookie);").string_value(); }

 private:
  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return WebDriverCall(driver_port_, method, target, body);
  }

  const int driver_port_;
  std::string session_;
  std::string error_;
};

// One server, database, page server and chromedriver for the suite; each
// test has browsers (profiles) of its own.
class PixelBrowserTest : public ::testing::Test {
 protected:
  struct World {
    std::unique_ptr<storage::testing::TestDatabase> db;
    storage::testing::Tenant a, b;
    std::unique_ptr<ServerProcess> server;
    int http_port = 0;
    std::unique_ptr<PageServer> pages;
    std::unique_ptr<gateway::HttpServer> page_server;
    std::unique_ptr<Chromedriver> driver;
    std::string failure;  // why the world could not be built
  };

  static void TearDownTestSuite() {
    if (world_ == nullptr) return;
    world_->driver.reset();
    if (world_->page_server) world_->page_server->Shutdown(absl::Seconds(1));
    if (world_->server) world_->server->Stop(SIGTERM);
    delete world_;
    world_ = nullptr;
  }

  void SetUp() override {
    // Missing packages are a failure: ./dev test installs both.
    ASSERT_TRUE(IsExecutable(kChromium))
        << kChromium << " is missing: install Debian's chromium (./dev test does)";
    ASSERT_TRUE(IsExecutable(kChromedriver))
        << kChromedriver << " is missing: install Debian's chromium-driver (./dev test does)";
    if (world_ == nullptr) {
      world_ = new World;
      world_->failure = Build(*world_);
    }
    ASSERT_EQ(world_->failure, "");
  }

  // "" when everything started.
  static std::string Build(World& world) {
    auto db = storage::testing::TestDatabase::Create(4);
    if (!db.ok()) return db.status().ToString();
    world.db = *std::move(db);
    auto a = storage::testing::CreateTenant(*world.db, "Site");
    auto b = storage::testing::CreateTenant(*world.db, "Consenting site");
    if (!a.ok() || !b.ok()) return "tenants not created";
    world.a = *a;
    world.b = *b;

    world.http_port = FreePort();
    auto server = ServerProcess::Start(
        {"--database_url=" + world.db->url(), absl::StrCat("--http_port=", world.http_port),
         "--metrics_port=-1", "--shutdown_drain_delay_ms=0", "--log_level=warning",
         "--db_pool_size=4", "--webhook_workers=1"});
    if (!server.ok()) return server.status().ToString();
    world.server = *std::move(server);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (Http(world.http_port, "GET", "/healthz").status != 200) {
      if (absl::Now() > deadline) return "the server's REST port never answered";
      absl::SleepFor(absl::Milliseconds(20));
    }
    // The sites allowed to embed each program's pixel.
    for (const storage::testing::Tenant* tenant : {&world.a, &world.b}) {
      HttpResult patched = Http(
          world.http_port, "PATCH", "/v1/program/pixel", R"({"allowedDomains":["*.site.test"]})",
          {{"Authorization", "Bearer " + tenant->api_key}, {"Content-Type", "application/json"}});
      if (patched.status != 200) {
        return absl::StrCat("PATCH /v1/program/pixel: ", patched.status, " ", patched.body);
      }
    }

    world.pages =
        std::make_unique<PageServer>(world.http_port, world.a.program_id, world.b.program_id);
    gateway::HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    auto page_server = gateway::HttpServer::Start(options, world.pages.get());
    if (!page_server.ok()) return page_server.status().ToString();
    world.page_server = *std::move(page_server);

    auto driver =
        Chromedriver::Start(Env("TEST_UNDECLARED_OUTPUTS_DIR", Env("TEST_TMPDIR", "/tmp")));
    if (!driver.ok()) return driver.status().ToString();
    world.driver = *std::move(driver);
    return "";
  }

  std::unique_ptr<Browser> NewBrowser(const std::string& user_agent = kVisitorAgent) {
    const std::string profile = absl::StrCat(Env("TEST_TMPDIR", "/tmp"), "/profile-", ++profiles_);
    mkdir(profile.c_str(), 0700);
    auto browser = std::make_unique<Browser>(world_->driver->port(), profile, user_agent);
    EXPECT_TRUE(browser->ok()) << browser->error();
    return browser;
  }

  std::string PageUrl(const std::string& host, const std::string& path_and_query) const {
    return absl::StrCat("http://", host, ":", world_->page_server->port(), path_and_query);
  }

  // The tests share the database: each counts what it adds.
  int Clicks(const storage::testing::Tenant& tenant) {
    return std::stoi(world_->db->QueryValue("SELECT count(*) FROM clicks WHERE team_id = '" +
                                            tenant.team_id + "'"));
  }
  std::string NewestClick(const storage::testing::Tenant& tenant) {
    return world_->db->QueryValue("SELECT id FROM clicks WHERE team_id = '" + tenant.team_id +
                                  "' ORDER BY created_at DESC, id DESC LIMIT 1");
  }

  std::string ClickColumn(const std::string& column, const std::string& cid) {
    return world_->db->QueryValue("SELECT " + column + " FROM clicks WHERE id = '" + cid + "'");
  }

  HttpResult Api(const std::string& method, const std::string& target,
                 const storage::testing::Tenant& as) {
    return Http(world_->http_port, method, target, "", {{"Authorization", "Bearer " + as.api_key}});
  }

  // An approved affiliate of `tenant` tracking as NAME + the tenant's
  // tracking id; its id.
  std::string AddAffiliate(const storage::testing::Tenant& tenant, const std::string& name) {
    const std::string id = "aff_" + name + tenant.tracking_id;
    world_->db->QueryValue(
        "INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
        "partnership_status) VALUES ('" +
        id + "', '" + tenant.team_id + "', '" + tenant.program_id + "', '" + name + "', '" + name +
        "@affiliate.test', '" + name + tenant.tracking_id + "', 'approved')");
    return id;
  }

  static World* world_;
  static int profiles_;
};

PixelBrowserTest::World* PixelBrowserTest::world_ = nullptr;
int PixelBrowserTest::profiles_ = 0;

// (a) arrival records one click and sets the cookie on the registrable
// domain, (b) a reload records none and leaves the cookie alone, (c)
// Affonso.signup() makes a lead of the click.
TEST_F(PixelBrowserTest, ArrivalReloadAndSignup) {
  std::unique_ptr<Browser> browser = NewBrowser();
  ASSERT_TRUE(browser->ok());
  const int clicks = Clicks(world_->a);

  browser->Navigate(
      PageUrl("www.site.test", "/landing?via=" + world_->a.tracking_id + "&utm_source=newsletter"));
  const std::string cid = browser->PixelClickId();
  ASSERT_TRUE(absl::StartsWith(cid, "clk_")) << cid;
  EXPECT_EQ(Clicks(world_->a), clicks + 1);
  EXPECT_EQ(NewestClick(world_->a), cid);
  EXPECT_EQ(ClickColumn("affiliate_id", cid), world_->a.affiliate_id);
  EXPECT_EQ(ClickColumn("utm_source", cid), "newsletter");

  Struct cookie = browser->ReferralCookie();
  EXPECT_EQ(StringField(cookie, "value"), cid) << "cookies: " << browser->DocumentCookie();
  // On site.test, for every subdomain, not only www.site.test.
  EXPECT_EQ(StringField(cookie, "domain"), ".site.test");
  EXPECT_EQ(StringField(cookie, "path"), "/");
  EXPECT_EQ(StringField(cookie, "sameSite"), "Lax");
  const Value* expiry = Field(cookie, "expiry");
  ASSERT_NE(expiry, nullptr);
  const double days = (expiry->number_value() - absl::ToUnixSeconds(absl::Now())) / 86400;
  EXPECT_GT(days, 29.9);
  EXPECT_LT(days, 30.1);
  EXPECT_TRUE(absl::StrContains(browser->DocumentCookie(), "affonso_referral=" + cid));

  // (b) The same visitor again: the same click, no second row, and the
  // cookie not rewritten (its expiry would move by the second waited).
  absl::SleepFor(absl::Milliseconds(1100));
  browser->Reload();
  EXPECT_EQ(browser->PixelClickId(), cid);
  EXPECT_EQ(Clicks(world_->a), clicks + 1);
  Struct after_reload = browser->ReferralCookie();
  EXPECT_EQ(StringField(after_reload, "value"), cid);
  const Value* expiry_after = Field(after_reload, "expiry");
  ASSERT_NE(expiry_after, nullptr);
  EXPECT_EQ(expiry_after->number_value(), expiry->number_value());

  // (c) The site's signup form calls Affonso.signup(email).
  Value answer = browser->ExecuteAsync(
      "Affonso.signup('ada@example.com').then((a) => done(a), (e) => done('threw ' + e));");
  ASSERT_EQ(answer.kind_case(), Value::kStructValue) << Json(answer);
  const Value* success = Field(answer.struct_value(), "success");
  ASSERT_NE(success, nullptr) << Json(answer);
  EXPECT_TRUE(success->bool_value()) << Json(answer);
  const Value* data = Field(answer.struct_value(), "data");
  ASSERT_NE(data, nullptr) << Json(answer);
  EXPECT_EQ(StringField(data->struct_value(), "id"), cid);
  const Value* created = Field(data->struct_value(), "created");
  ASSERT_NE(created, nullptr) << Json(answer);
  EXPECT_TRUE(created->bool_value());

  HttpResult referrals = Api("GET", "/v1/referrals", world_->a);
  ASSERT_EQ(referrals.status, 200) << referrals.body;
  const Value* listed = Field(referrals.json, "data");
  ASSERT_NE(listed, nullptr) << referrals.body;
  const Struct* referral = nullptr;
  for (const Value& item : listed->list_value().values()) {
    if (StringField(item.struct_value(), "id") == cid) referral = &item.struct_value();
  }
  ASSERT_NE(referral, nullptr) << "no referral " << cid << " in " << referrals.body;
  EXPECT_EQ(StringField(*referral, "affiliate_id"), world_->a.affiliate_id);
  EXPECT_EQ(StringField(*referral, "status"), "lead") << referrals.body;

  // A second call converts nothing more: the same referral, not created.
  Value again = browser->ExecuteAsync("Affonso.signup('ada@example.com').then(done);");
  ASSERT_EQ(again.kind_case(), Value::kStructValue) << Json(again);
  const Value* again_data = Field(again.struct_value(), "data");
  ASSERT_NE(again_data, nullptr) << Json(again);
  EXPECT_EQ(StringField(again_data->struct_value(), "id"), cid);
  EXPECT_FALSE(Field(again_data->struct_value(), "created")->bool_value()) << Json(again);
}

// (d) The same snippet on a site the program does not allow: the pixel
// runs, the server refuses it, nothing is recorded and no cookie is set.
TEST_F(PixelBrowserTest, DisallowedSiteRecordsNothing) {
  std::unique_ptr<Browser> browser = NewBrowser();
  ASSERT_TRUE(browser->ok());
  const int before = Clicks(world_->a);
  browser->Navigate(PageUrl("www.evil.test", "/landing?via=" + world_->a.tracking_id));
  EXPECT_EQ(browser->PixelClickId(), "");
  EXPECT_EQ(Clicks(world_->a), before);
  EXPECT_EQ(StringField(browser->ReferralCookie(), "value"), "");
  EXPECT_FALSE(absl::StrContains(browser->DocumentCookie(), "affonso_referral"));
  // Without a cookie, signup() quietly does nothing.
  Value answer = browser->ExecuteAsync(
      "Affonso.signup('eve@example.com').then((a) => done(a === null ? 'null' : a));");
  EXPECT_EQ(answer.string_value(), "null") << Json(answer);
}

// (e) A crawler following an affiliate link is no visitor.
TEST_F(PixelBrowserTest, BotRecordsNothing) {
  std::unique_ptr<Browser> browser = NewBrowser(kBotAgent);
  ASSERT_TRUE(browser->ok());
  EXPECT_EQ(browser->ExecuteAsync("done(navigator.userAgent);").string_value(), kBotAgent);
  const int before = Clicks(world_->a);
  browser->Navigate(PageUrl("www.site.test", "/landing?via=" + world_->a.tracking_id));
  EXPECT_EQ(browser->PixelClickId(), "");
  EXPECT_EQ(Clicks(world_->a), before);
  EXPECT_EQ(StringField(browser->ReferralCookie(), "value"), "");
}

// Last click wins: arriving through another affiliate's link replaces the
// cookie. Two affiliates of its own: the server takes the same visitor on
// the same affiliate within the hour for a reload, whichever test it was.
TEST_F(PixelBrowserTest, AnotherAffiliatesLinkReplacesTheCookie) {
  const std::string carol = AddAffiliate(world_->a, "carol");
  const std::string bob = AddAffiliate(world_->a, "bob");
  std::unique_ptr<Browser> browser = NewBrowser();
  ASSERT_TRUE(browser->ok());
  browser->Navigate(PageUrl("www.site.test", "/landing?via=carol" + world_->a.tracking_id));
  const std::string first = browser->PixelClickId();
  ASSERT_TRUE(absl::StartsWith(first, "clk_")) << first;
  EXPECT_EQ(ClickColumn("affiliate_id", first), carol);
  EXPECT_EQ(StringField(browser->ReferralCookie(), "value"), first);

  // Another page of the same site, through Bob's link.
  browser->Navigate(PageUrl("blog.site.test", "/landing?via=bob" + world_->a.tracking_id));
  const std::string second = browser->PixelClickId();
  ASSERT_TRUE(absl::StartsWith(second, "clk_")) << second;
  EXPECT_NE(second, first);
  EXPECT_EQ(ClickColumn("affiliate_id", second), bob);
  Struct cookie = browser->ReferralCookie();
  EXPECT_EQ(StringField(cookie, "value"), second) << browser->DocumentCookie();
  EXPECT_EQ(StringField(cookie, "domain"), ".site.test");
  // One cookie for the site, not one per host.
  EXPECT_EQ(browser->DocumentCookie(), "affonso_referral=" + second);
}

// (f) data-requires-consent: the visit is counted without IP or user agent
// and without a cookie until the page reports consent; then the same click
// gets both, and the cookie is set.
TEST_F(PixelBrowserTest, ConsentModeSetsTheCookieOnlyAfterConsent) {
  std::unique_ptr<Browser> browser = NewBrowser();
  ASSERT_TRUE(browser->ok());
  const int clicks = Clicks(world_->b);
  browser->Navigate(PageUrl("shop.site.test", "/consent?via=" + world_->b.tracking_id));
  const std::string cid = browser->PixelClickId();
  ASSERT_TRUE(absl::StartsWith(cid, "clk_")) << cid;
  EXPECT_EQ(Clicks(world_->b), clicks + 1);
  EXPECT_EQ(ClickColumn("affiliate_id", cid), world_->b.affiliate_id);
  EXPECT_EQ(ClickColumn("coalesce(ip, '')", cid), "");
  EXPECT_EQ(ClickColumn("coalesce(user_agent, '')", cid), "");
  EXPECT_EQ(StringField(browser->ReferralCookie(), "value"), "");
  EXPECT_FALSE(absl::StrContains(browser->DocumentCookie(), "affonso_referral"));

  Value granted = browser->ExecuteAsync(
      "window.affonsoConsentGranted().then((cid) => done(cid || ''), () => done('rejected'));");
  EXPECT_EQ(granted.string_value(), cid) << Json(granted);
  EXPECT_EQ(Clicks(world_->b), clicks + 1);
  EXPECT_EQ(ClickColumn("ip", cid), "127.0.0.1");
  EXPECT_EQ(ClickColumn("user_agent", cid), kVisitorAgent);
  Struct cookie = browser->ReferralCookie();
  EXPECT_EQ(StringField(cookie, "value"), cid);
  EXPECT_EQ(StringField(cookie, "domain"), ".site.test");
}

}  // namespace
}  // namespace affonso::tests
