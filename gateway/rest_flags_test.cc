#include "gateway/rest_flags.h"

#include <cstdlib>
#include <vector>

#include "absl/flags/parse.h"
#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

// One test: flags are process-wide, and parsed once.
TEST(RestFlagsTest, DefaultsThenParsedValuesFillTheConfig) {
  const RestGatewayConfig defaults = RestGatewayConfigFromFlags();
  EXPECT_EQ(defaults.http.address, "0.0.0.0");
  EXPECT_EQ(defaults.http.port, 8080);
  EXPECT_EQ(defaults.http.io_threads, 2);
  EXPECT_EQ(defaults.http.max_body_bytes, size_t{1} << 20);
  EXPECT_EQ(defaults.http.read_timeout, absl::Seconds(15));
  EXPECT_EQ(defaults.http.idle_timeout, absl::Seconds(60));
  EXPECT_EQ(defaults.http.write_timeout, absl::Seconds(10));
  EXPECT_EQ(defaults.http.send_buffer_bytes, 64 << 10);
  EXPECT_EQ(defaults.http.max_connections, 10000);
  EXPECT_EQ(defaults.http.max_buffered_bytes, size_t{64} << 20);
  EXPECT_EQ(defaults.backend_deadline, absl::Seconds(10));
  EXPECT_FALSE(defaults.refuse_before_body);
  EXPECT_EQ(defaults.demo_program_id, "");
  EXPECT_EQ(defaults.demo_api_key, "");

  // The key comes from the environment when the flag is not given.
  ASSERT_EQ(setenv("DEMO_API_KEY", "sk_from_env", 1), 0);
  EXPECT_EQ(RestGatewayConfigFromFlags().demo_api_key, "sk_from_env");

  std::vector<char*> argv;
  for (const char* arg :
       {"test", "--http_host=127.0.0.1", "--http_port=-1", "--http_io_threads=3",
        "--max_body_bytes=10", "--http_read_timeout_ms=100", "--http_idle_timeout_ms=200",
        "--http_write_timeout_ms=300", "--http_send_buffer_bytes=0", "--http_max_connections=7",
        "--http_max_buffered_bytes=-5", "--backend_deadline_ms=250", "--demo_program_id=prg_demo",
        "--demo_api_key=sk_from_flag"}) {
    argv.push_back(const_cast<char*>(arg));
  }
  absl::ParseCommandLine(static_cast<int>(argv.size()), argv.data());
  const RestGatewayConfig config = RestGatewayConfigFromFlags();
  EXPECT_EQ(config.http.address, "127.0.0.1");
  EXPECT_EQ(config.http.port, -1);
  EXPECT_EQ(config.http.io_threads, 3);
  EXPECT_EQ(config.http.max_body_bytes, 10u);
  EXPECT_EQ(config.http.read_timeout, absl::Milliseconds(100));
  EXPECT_EQ(config.http.idle_timeout, absl::Milliseconds(200));
  EXPECT_EQ(config.http.write_timeout, absl::Milliseconds(300));
  EXPECT_EQ(config.http.send_buffer_bytes, 0);
  EXPECT_EQ(config.http.max_connections, 7);
  EXPECT_EQ(config.http.max_buffered_bytes, 0u);  // negative: no limit, as 0
  EXPECT_EQ(config.backend_deadline, absl::Milliseconds(250));
  EXPECT_EQ(config.demo_program_id, "prg_demo");
  EXPECT_EQ(config.demo_api_key, "sk_from_flag");  // the flag wins over the environment
}

}  // namespace
}  // namespace affonso::gateway
