#ifndef AFFONSO_STORAGE_PG_API_KEY_CHANGE_FEED_H_
#define AFFONSO_STORAGE_PG_API_KEY_CHANGE_FEED_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "storage/api_key_store.h"

typedef struct pg_conn PGconn;  // libpq's, as libpq-fe.h declares it

namespace affonso::storage {

struct ApiKeyChangeFeedOptions {
  // Waits between connection attempts while the database is unreachable:
  // from `min_retry_delay`, doubling up to `max_retry_delay`.
  absl::Duration min_retry_delay = absl::Milliseconds(250);
  absl::Duration max_retry_delay = absl::Seconds(10);
  // A connection attempt that takes longer is abandoned and retried.
  absl::Duration connect_timeout = absl::Seconds(5);
};

// LISTENs on kApiKeyChangesChannel and tells `observer` (on the feed's own
// thread) the id of each key changed anywhere. A LISTEN needs a session that
// stays open, so the feed holds one connection of its own, outside the pool;
// it is named "affonso-api-key-feed" in pg_stat_activity. Every time it
// starts listening, on the first connection and after any reconnection, it
// first reports OnApiKeyChangesMissed: notices sent while nobody listened are
// lost. TCP keepalives notice a silently dead connection within ~40 s.
class PgApiKeyChangeFeed {
 public:
  PgApiKeyChangeFeed(std::string database_url, ApiKeyChangeObserver* observer,
                     ApiKeyChangeFeedOptions options = {});
  ~PgApiKeyChangeFeed();  // Stop()

  void Start();
  // Returns once the feed's thread has ended; no observer call follows.
  void Stop();

  // True while a LISTEN session is up (for tests and logs).
  bool listening() const { return listening_.load(); }

 private:
  struct ConnectionCloser {
    void operator()(PGconn* connection) const;
  };
  using Connection = std::unique_ptr<PGconn, ConnectionCloser>;

  void Run();
  // A session that has run LISTEN, or null with `*error` set.
  Connection Listen(std::string* error);
  // Until the socket is ready for `events` or `deadline`; false on timeout
  // or Stop().
  bool WaitFor(PGconn* connection, short events, absl::Time deadline);
  // Sleeps up to `delay`; false when Stop() interrupted it.
  bool Sleep(absl::Duration delay);

  const std::string database_url_;
  ApiKeyChangeObserver* const observer_;
  const ApiKeyChangeFeedOptions options_;
  int wake_fd_ = -1;  // eventfd: Stop() makes it readable
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_API_KEY_CHANGE_FEED_H_
