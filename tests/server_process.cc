#include "tests/server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace affonso::tests {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(std::vector<std::string> flags,
                                                                    absl::Duration ready_timeout) {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  if (runfiles == nullptr) return absl::FailedPreconditionError("TEST_SRCDIR is not set");
  const std::string binary = absl::StrCat(runfiles, "/affonso/services/server/affonso_server");
  const int port = FreePort();
  flags.push_back(absl::StrCat("--grpc_port=", port));
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (std::string& flag : flags) argv.push_back(flag.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  std::unique_ptr<ServerProcess> process(new ServerProcess(pid, port));
  // Short reconnect backoff: the port opens once migrations ran, and the
  // default backoff (1 s, growing) would only add to the wait.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  process->channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                                grpc::InsecureChannelCredentials(), args);
  const absl::Time deadline = absl::Now() + ready_timeout;
  while (!process->channel_->WaitForConnected(
      absl::ToChronoTime(std::min(deadline, absl::Now() + absl::Milliseconds(200))))) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      return absl::InternalError(absl::StrCat("affonso_server exited at start-up, status ",
                                              WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("affonso_server not listening on port ", port));
    }
  }
  return process;
}

int ServerProcess::Stop(int signal_number) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal_number);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

}  // namespace affonso::tests
