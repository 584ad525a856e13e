#ifndef AFFONSO_STORAGE_TESTING_TCP_PROXY_H_
#define AFFONSO_STORAGE_TESTING_TCP_PROXY_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace affonso::storage::testing {

// A TCP proxy in front of PostgreSQL for fault injection: a database outage
// (Down/Up), and a connection lost at a chosen moment of the protocol, such
// as after a statement reached the server but before its answer came back
// (an in-doubt commit).
class TcpProxy {
 public:
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int upstream_port);
  ~TcpProxy();

  int port() const { return port_; }
  // `url` (postgresql://user@127.0.0.1:PORT/db) with the proxy's port.
  std::string Rewrite(const std::string& url) const;

  // Outage: connections are refused and the open ones cut, as when the
  // database goes down; Up() accepts again.
  void Down();
  // False when the proxy's port could not be bound again.
  [[nodiscard]] bool Up();

  // The next client-to-server chunk containing `marker` is forwarded (or
  // not), and then that connection is cut without relaying any answer.
  void CutAfterForwarding(const std::string& marker);
  void CutBeforeForwarding(const std::string& marker);
  int cuts() const { return cuts_.load(); }

 private:
  struct Pair;
  explicit TcpProxy(int upstream_port) : upstream_port_(upstream_port) {}
  bool Listen();
  void AcceptLoop();
  void Relay(std::shared_ptr<Pair> pair);

  const int upstream_port_;
  int port_ = 0;
  std::atomic<int> listen_fd_{-1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> up_{true};
  std::atomic<int> cuts_{0};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Pair>> pairs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
  std::string marker_ ABSL_GUARDED_BY(mu_);
  bool forward_marked_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace affonso::storage::testing

#endif  // AFFONSO_STORAGE_TESTING_TCP_PROXY_H_
