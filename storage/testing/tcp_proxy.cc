#include "storage/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace affonso::storage::testing {

struct TcpProxy::Pair {
  int client = -1;
  int server = -1;
  std::atomic<bool> cut{false};
  void Cut() {
    if (cut.exchange(true)) return;
    shutdown(client, SHUT_RDWR);
    shutdown(server, SHUT_RDWR);
  }
};

namespace {

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t written = send(fd, data, size, MSG_NOSIGNAL);
    if (written <= 0) return false;
    data += written;
    size -= written;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int upstream_port) {
  std::unique_ptr<TcpProxy> proxy(new TcpProxy(upstream_port));
  if (!proxy->Listen()) return absl::InternalError("proxy: cannot listen");
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

bool TcpProxy::Listen() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port_);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return false;
  }
  port_ = ntohs(address.sin_port);
  listen_fd_.store(fd);
  return true;
}

std::string TcpProxy::Rewrite(const std::string& url) const {
  // postgresql://user@host:port/db -> the proxy's port on loopback.
  const size_t at = url.find('@');
  const size_t slash = url.find('/', at == std::string::npos ? 13 : at);
  if (at == std::string::npos || slash == std::string::npos) return url;
  return absl::StrCat(url.substr(0, at + 1), "127.0.0.1:", port_, url.substr(slash));
}

void TcpProxy::AcceptLoop() {
  while (!stopping_.load()) {
    const int fd = listen_fd_.load();
    if (fd < 0) {
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    pollfd waiting{fd, POLLIN, 0};
    if (poll(&waiting, 1, 50) <= 0) continue;
    int client = accept(fd, nullptr, nullptr);
    if (client < 0) continue;
    int server = up_.load() ? ConnectLoopback(upstream_port_) : -1;
    if (server < 0) {
      close(client);
      continue;
    }
    auto pair = std::make_shared<Pair>();
    pair->client = client;
    pair->server = server;
    absl::MutexLock lock(&mu_);
    pairs_.push_back(pair);
    relays_.emplace_back([this, pair] { Relay(pair); });
  }
}

void TcpProxy::Relay(std::shared_ptr<Pair> pair) {
  char buffer[64 * 1024];
  pollfd fds[2] = {{pair->client, POLLIN, 0}, {pair->server, POLLIN, 0}};
  while (!pair->cut.load() && !stopping_.load()) {
    if (poll(fds, 2, 50) <= 0) continue;
    for (int side = 0; side < 2; ++side) {
      if (!(fds[side].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t size = recv(fds[side].fd, buffer, sizeof(buffer), 0);
      if (size <= 0) {
        pair->Cut();
        break;
      }
      bool cut_after = false;
      if (side == 0) {  // client -> server: the place for a planned cut
        absl::MutexLock lock(&mu_);
        if (!marker_.empty() &&
            std::string_view(buffer, size).find(marker_) != std::string_view::npos) {
          marker_.clear();
          cuts_++;
          if (!forward_marked_) {
            pair->Cut();
            break;
          }
          cut_after = true;
        }
      }
      if (!WriteAll(side == 0 ? pair->server : pair->client, buffer, size)) {
        pair->Cut();
        break;
      }
      if (cut_after) {
        // Long enough for the server to run and commit what it was sent;
        // its answer is never relayed.
        absl::SleepFor(absl::Milliseconds(300));
        pair->Cut();
        break;
      }
    }
  }
  pair->Cut();
  close(pair->client);
  close(pair->server);
}

void TcpProxy::Down() {
  up_.store(false);
  const int fd = listen_fd_.exchange(-1);
  if (fd >= 0) close(fd);  // new connections: refused
  absl::MutexLock lock(&mu_);
  for (auto& pair : pairs_) pair->Cut();
}

bool TcpProxy::Up() {
  up_.store(true);
  return listen_fd_.load() >= 0 || Listen();
}

void TcpProxy::CutAfterForwarding(const std::string& marker) {
  absl::MutexLock lock(&mu_);
  marker_ = marker;
  forward_marked_ = true;
}

void TcpProxy::CutBeforeForwarding(const std::string& marker) {
  absl::MutexLock lock(&mu_);
  marker_ = marker;
  forward_marked_ = false;
}

TcpProxy::~TcpProxy() {
  stopping_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  const int fd = listen_fd_.exchange(-1);
  if (fd >= 0) close(fd);
  std::vector<std::thread> relays;
  {
    absl::MutexLock lock(&mu_);
    for (auto& pair : pairs_) pair->Cut();
    relays.swap(relays_);
  }
  for (auto& relay : relays) relay.join();
}

}  // namespace affonso::storage::testing
