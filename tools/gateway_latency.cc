// What the REST gateway adds to a call, measured at concurrency 1 against a
// running server: the same read (GET /v1/referrals/{id} vs
// ReferralService/GetReferral) N times each way, interleaved so both see the
// same machine state; prints p50 / p99 of each and of the difference.
//
//   gateway_latency --grpc=127.0.0.1:50051 --rest_port=8080 --api_key=...
//       --referral_id=clk_... [--calls=2000]
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"

ABSL_FLAG(std::string, grpc, "127.0.0.1:50051", "gRPC address");
ABSL_FLAG(int, rest_port, 8080, "REST port on 127.0.0.1");
ABSL_FLAG(std::string, api_key, "", "API key");
ABSL_FLAG(std::string, referral_id, "", "a referral of the key's team");
ABSL_FLAG(int, calls, 2000, "calls per transport");

namespace {

using Clock = std::chrono::steady_clock;

// One keep-alive HTTP/1.1 connection, as a REST client would hold it.
class KeepAliveClient {
 public:
  explicit KeepAliveClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) fd_ = -1;
  }
  ~KeepAliveClient() {
    if (fd_ >= 0) close(fd_);
  }
  // Returns the status code, or 0 on a broken connection.
  int Get(const std::string& request) {
    if (fd_ < 0 || send(fd_, request.data(), request.size(), MSG_NOSIGNAL) < 0) return 0;
    buffer_.clear();
    char chunk[8192];
    size_t body_start = std::string::npos;
    size_t length = 0;
    while (true) {
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return 0;
      buffer_.append(chunk, n);
      if (body_start == std::string::npos) {
        size_t end = buffer_.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        body_start = end + 4;
        size_t at = buffer_.find("Content-Length: ");
        if (at == std::string::npos || at > end) return 0;
        length = std::stoul(buffer_.substr(at + 16, buffer_.find("\r\n", at) - at - 16));
      }
      if (buffer_.size() >= body_start + length) break;
    }
    return std::stoi(buffer_.substr(9, 3));
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int calls = absl::GetFlag(FLAGS_calls);
  const std::string id = absl::GetFlag(FLAGS_referral_id);
  const std::string key = absl::GetFlag(FLAGS_api_key);

  auto stub = affonso::v1::ReferralService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_grpc), grpc::InsecureChannelCredentials()));
  KeepAliveClient http(absl::GetFlag(FLAGS_rest_port));
  const std::string request =
      absl::StrCat("GET /v1/referrals/", id,
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ", key, "\r\n\r\n");
  affonso::v1::GetReferralRequest get;
  get.set_id(id);

  std::vector<double> grpc_us, rest_us;
  int errors = 0;
  for (int i = 0; i < calls + 100; ++i) {  // the first 100 of each warm up
    affonso::v1::Referral referral;
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + key);
    auto t0 = Clock::now();
    bool grpc_ok = stub->GetReferral(&context, get, &referral).ok();
    auto t1 = Clock::now();
    bool rest_ok = http.Get(request) == 200;
    auto t2 = Clock::now();
    if (!grpc_ok || !rest_ok) ++errors;
    if (i < 100) continue;
    grpc_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    rest_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  std::printf("calls per transport: %d, errors: %d\n", calls, errors);
  std::printf("gRPC direct  p50 %7.1f us  p99 %7.1f us\n", Percentile(grpc_us, 0.5),
              Percentile(grpc_us, 0.99));
  std::printf("REST gateway p50 %7.1f us  p99 %7.1f us\n", Percentile(rest_us, 0.5),
              Percentile(rest_us, 0.99));
  std::printf("added by the gateway: p50 %+.1f us, p99 %+.1f us\n",
              Percentile(rest_us, 0.5) - Percentile(grpc_us, 0.5),
              Percentile(rest_us, 0.99) - Percentile(grpc_us, 0.99));
  return errors == 0 ? 0 : 1;
}
