#ifndef AFFONSO_TESTS_SERVER_PROCESS_H_
#define AFFONSO_TESTS_SERVER_PROCESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace affonso::tests {

// A free TCP port on 127.0.0.1 (bound and released: good enough for tests).
int FreePort();

// A real affonso_server process (the binary from the test's runfiles), for
// tests about what only separate processes show: replicas sharing one
// database, SIGKILL, SIGTERM.
class ServerProcess {
 public:
  // Starts the binary with `flags` (plus --grpc_port=<free port>) and waits
  // until its gRPC port accepts connections.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      std::vector<std::string> flags, absl::Duration ready_timeout = absl::Seconds(30));
  ~ServerProcess();  // SIGKILL if still running

  int grpc_port() const { return grpc_port_; }
  pid_t pid() const { return pid_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // Sends `signal_number` and waits for the exit; the exit status (or
  // 128 + the signal that ended it).
  int Stop(int signal_number);

 private:
  ServerProcess(pid_t pid, int grpc_port) : pid_(pid), grpc_port_(grpc_port) {}

  pid_t pid_;
  int grpc_port_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace affonso::tests

#endif  // AFFONSO_TESTS_SERVER_PROCESS_H_
