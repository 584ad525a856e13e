#include "storage/pg_api_key_change_feed.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/log.h"
#include "storage/pg_api_key_store.h"

// libpq directly: a LISTEN session is a long-lived socket to wait on, which
// the pool's transaction API does not offer.
#include <postgresql/libpq-fe.h>

namespace affonso::storage {
namespace {

// libpq's messages span lines; a log line must not.
std::string OneLine(const char* message) {
  return absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(message),
                             {{"\n", " "}, {"\t", ""}});
}

std::string ErrorOf(PGconn* connection) { return OneLine(PQerrorMessage(connection)); }

// The server's notices (its FATAL as it ends the session, for one) go to our
// log rather than libpq's default, stderr.
void LogNotice(void*, const char* message) {
  AFFONSO_LOG(kDebug, "api key feed: ", OneLine(message));
}

}  // namespace

void PgApiKeyChangeFeed::ConnectionCloser::operator()(PGconn* connection) const {
  PQfinish(connection);
}

PgApiKeyChangeFeed::PgApiKeyChangeFeed(std::string database_url, ApiKeyChangeObserver* observer,
                                       ApiKeyChangeFeedOptions options)
    : database_url_(std::move(database_url)),
      observer_(observer),
      options_(options),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

PgApiKeyChangeFeed::~PgApiKeyChangeFeed() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void PgApiKeyChangeFeed::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PgApiKeyChangeFeed::Stop() {
  stopping_ = true;
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

bool PgApiKeyChangeFeed::Sleep(absl::Duration delay) {
  pollfd wake{wake_fd_, POLLIN, 0};
  poll(&wake, 1, static_cast<int>(absl::ToInt64Milliseconds(delay)));
  return !stopping_;
}

bool PgApiKeyChangeFeed::WaitFor(PGconn* connection, short events, absl::Time deadline) {
  pollfd fds[2] = {{PQsocket(connection), events, 0}, {wake_fd_, POLLIN, 0}};
  int timeout_ms = -1;
  if (deadline != absl::InfiniteFuture()) {
    timeout_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
  }
  const int ready = poll(fds, 2, timeout_ms);
  return ready > 0 && fds[1].revents == 0 && fds[0].revents != 0 && !stopping_;
}

PgApiKeyChangeFeed::Connection PgApiKeyChangeFeed::Listen(std::string* error) {
  // Keywords after "dbname" (the URL) override what the URL says.
  const char* keywords[] = {"dbname", "application_name", "keepalives", "keepalives_idle",
                            "keepalives_interval", "keepalives_count",
                            // Bounds the blocking LISTEN (and so Stop()) on a
                            // network gone silent.
                            "tcp_user_timeout", nullptr};
  const char* values[] = {
      database_url_.c_str(), "affonso-api-key-feed", "1", "20", "5", "4", "10000", nullptr};
  Connection connection(PQconnectStartParams(keywords, values, /*expand_dbname=*/1));
  if (connection == nullptr) {
    *error = "out of memory";
    return nullptr;
  }
  PGconn* conn = connection.get();
  PQsetNoticeProcessor(conn, LogNotice, nullptr);
  if (PQstatus(conn) == CONNECTION_BAD) {
    *error = ErrorOf(conn);
    return nullptr;
  }
  // libpq's non-blocking connect, so that Stop() need not wait for it.
  const absl::Time deadline = absl::Now() + options_.connect_timeout;
  for (PostgresPollingStatusType state = PGRES_POLLING_WRITING; state != PGRES_POLLING_OK;
       state = PQconnectPoll(conn)) {
    if (state == PGRES_POLLING_FAILED) {
      *error = ErrorOf(conn);
      return nullptr;
    }
    if (!WaitFor(conn, state == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline)) {
      *error = stopping_ ? "stopping" : "connect timed out";
      return nullptr;
    }
  }
  PGresult* result = PQexec(conn, absl::StrCat("LISTEN ", kApiKeyChangesChannel).c_str());
  const bool listening = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  if (!listening) {
    *error = ErrorOf(conn);
    return nullptr;
  }
  return connection;
}

void PgApiKeyChangeFeed::Run() {
  absl::Duration retry_delay = options_.min_retry_delay;
  bool reported_down = false;
  while (!stopping_) {
    std::string error;
    Connection connection = Listen(&error);
    if (stopping_) break;
    if (connection == nullptr) {
      if (!reported_down) {
        AFFONSO_LOG(kWarning, "api key feed: cannot listen (", error, "); revocations reach ",
                    "this replica through its key cache TTL until it can");
        reported_down = true;
      }
      if (!Sleep(retry_delay)) break;
      retry_delay = std::min(retry_delay * 2, options_.max_retry_delay);
      continue;
    }

    // Changes from here on are reported; those before it may not have been.
    retry_delay = options_.min_retry_delay;
    reported_down = false;
    listening_ = true;
    observer_->OnApiKeyChangesMissed();
    AFFONSO_LOG(kInfo, "api key feed: listening for key changes");
    while (!stopping_) {
      if (!WaitFor(connection.get(), POLLIN, absl::InfiniteFuture()) && stopping_) break;
      if (PQconsumeInput(connection.get()) == 0) {
        AFFONSO_LOG(kWarning, "api key feed: connection lost (", ErrorOf(connection.get()),
                    "); reconnecting");
        break;
      }
      while (PGnotify* notice = PQnotifies(connection.get())) {
        observer_->OnApiKeyChanged(notice->extra);
        PQfreemem(notice);
      }
    }
    listening_ = false;
  }
}

}  // namespace affonso::storage
