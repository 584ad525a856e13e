#include "services/call/rate_limiter.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"

namespace affonso::services {
namespace {

metrics::CounterFamily& Decisions(metrics::Registry* registry) {
  return registry->AddCounter("affonso_rate_limit_decisions_total",
                              "Rate-limit decisions on authenticated calls, by result.",
                              {"result"});
}

metrics::CounterFamily& Leases(metrics::Registry* registry) {
  return registry->AddCounter(
      "affonso_rate_limit_leases_total",
      "Rate-limit lease round trips: granted (requests leased), refused (the waiting call's "
      "request refused), returned (unused requests given back), error (no answer), ahead "
      "(requests of the next bucket leased besides).",
      {"kind"});
}

metrics::Histogram& LeaseSeconds(metrics::Registry* registry) {
  return registry
      ->AddHistogram(
          "affonso_rate_limit_lease_seconds",
          "Rate-limit lease round trips led by a call, from before it was sent to its "
          "answer: the key's calls wait for it.",
          {}, {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})
      .WithLabels({});
}

std::string IndexKey(absl::string_view team_id, absl::string_view api_key_id) {
  return absl::StrCat(team_id.size(), ":", team_id, api_key_id);
}

bool Same(storage::RateLimit a, storage::RateLimit b) {
  return a.per_minute == b.per_minute && a.per_second == b.per_second;
}

// A demand seen longer ago than this does not size a key's next lease.
constexpr absl::Duration kDemandMemory = absl::Seconds(1);
// The database's second buckets (migration 008), which a lease's extra
// requests are used within.
constexpr absl::Duration kBucket = absl::Milliseconds(50);
// A rate measured over less than this counts as over this: a burst of calls
// at once does not lease a whole bucket's worth at its instantaneous rate.
constexpr absl::Duration kShortestDemand = absl::Milliseconds(5);
// A call that finds the key's requests ahead due within this long waits for
// them rather than leading a lease of what is left of the current bucket.
// Their bucket starts a lease round trip or so after the current requests
// end (each side of the boundary is estimated from one round trip).
constexpr absl::Duration kWaitForAhead = absl::Milliseconds(5);

}  // namespace

absl::Duration SteadyNow() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

// One key's local state. Guarded by the limiter's mutex.
struct RateLimiter::Entry {
  std::string team_id;
  std::string api_key_id;
  std::string index_key;
  storage::RateLimit limit;
  Held current;  // this bucket's
  Held ahead;    // the next bucket's: current once it has begun
  // The lease answer's remaining (after its granted requests) and reset.
  int remaining = 0;
  int64_t reset_unix = 0;
  // Calls admitted from the lease's extra requests, and when it was sent:
  // the next lease asks for about twice as many.
  int used = 0;
  absl::Duration leased_at;
  // A refusal answers the key's calls from memory until `refused_until`.
  bool refused = false;
  absl::Duration refused_until;
  int refused_remaining = 0;
  bool in_flight = false;  // a lease round trip
  int waiting = 0;         // calls waiting for it
  bool listed = false;     // in leased_
  bool evicted = false;
  absl::CondVar answered;
  std::list<std::shared_ptr<Entry>>::iterator place;
};

RateLimiter::RateLimiter(storage::RateLimitStore* store, RateLimiterOptions options,
                         metrics::Registry* registry)
    : store_(store),
      options_(std::move(options)),
      allowed_(Decisions(registry).WithLabels({"allowed"})),
      limited_(Decisions(registry).WithLabels({"limited"})),
      errors_(Decisions(registry).WithLabels({"error"})),
      leases_granted_(Leases(registry).WithLabels({"granted"})),
      leases_refused_(Leases(registry).WithLabels({"refused"})),
      leases_returned_(Leases(registry).WithLabels({"returned"})),
      leases_errors_(Leases(registry).WithLabels({"error"})),
      leases_ahead_(Leases(registry).WithLabels({"ahead"})),
      lease_seconds_(LeaseSeconds(registry)) {
  if (options_.return_interval > absl::ZeroDuration()) {
    returner_ = std::thread([this] {
      // Named, so a stack dump or `top -H` tells it from the others.
      pthread_setname_np(pthread_self(), "affonso-ratelim");
      RunReturner();
    });
  }
}

RateLimiter::RateLimiter(storage::RateLimitStore* store, storage::RateLimit defaults,
                         metrics::Registry* registry, std::function<absl::Time()> clock)
    : RateLimiter(
          store,
          [&] {
            RateLimiterOptions options;
            options.defaults = defaults;
            options.clock = std::move(clock);
            return options;
          }(),
          registry) {}

RateLimiter::~RateLimiter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (returner_.joinable()) returner_.join();
  // Nothing admits any more: every unused request goes back.
  std::vector<Return> returns;
  {
    absl::MutexLock lock(&mu_);
    for (const std::shared_ptr<Entry>& entry : lru_) EndLease(*entry);
    returns.swap(returns_);
  }
  GiveBack(returns);
}

storage::RateLimit RateLimiter::LimitOf(const Caller& caller) const {
  storage::RateLimit limit = options_.defaults;
  if (caller.rate_limit_per_minute > 0) limit.per_minute = caller.rate_limit_per_minute;
  if (caller.rate_limit_per_second > 0) limit.per_second = caller.rate_limit_per_second;
  return limit;
}

std::shared_ptr<RateLimiter::Entry> RateLimiter::Find(const Caller& caller, bool create) const {
  const std::string index_key = IndexKey(caller.team_id, caller.api_key_id);
  auto found = index_.find(index_key);
  if (found != index_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);
    return *found->second;
  }
  if (!create) return nullptr;
  auto entry = std::make_shared<Entry>();
  entry->team_id = caller.team_id;
  entry->api_key_id = caller.api_key_id;
  entry->index_key = index_key;
  entry->limit = LimitOf(caller);
  lru_.push_front(entry);
  entry->place = lru_.begin();
  index_.emplace(index_key, lru_.begin());
  // Beyond the cap the least recently used idle key goes, its lease given
  // back. Keys with a round trip in flight or calls waiting stay (a few
  // steps at most): the cap can be passed while they are all busy.
  auto victim = lru_.end();
  for (int steps = 0; index_.size() > options_.max_keys && steps < 16; ++steps) {
    --victim;
    if (victim == lru_.begin()) break;
    Entry& old = **victim;
    if (old.in_flight || old.waiting > 0) continue;
    EndLease(old);
    old.evicted = true;
    index_.erase(old.index_key);
    victim = lru_.erase(victim);
  }
  return entry;
}

void RateLimiter::EndLease(Entry& entry) const {
  GiveUp(entry, entry.current);
  GiveUp(entry, entry.ahead);
  entry.used = 0;
  entry.refused = false;
}

void RateLimiter::GiveUp(Entry& entry, Held& held) const {
  if (held.tokens > 0) {
    returns_.push_back(Return{entry.team_id, entry.api_key_id, entry.limit, held.tokens,
                              held.minute_bucket, held.second_bucket});
  }
  held.tokens = 0;
}

void RateLimiter::Hold(Entry& entry, Held& held, Held leased, absl::Duration now) const {
  if (held.tokens > 0 && held.second_bucket == leased.second_bucket) {
    // Two estimates of the same bucket's edges: each is within them.
    held.tokens += leased.tokens;
    held.from = std::min(held.from, leased.from);
    held.expires = std::max(held.expires, leased.expires);
    return;
  }
  if (now >= leased.expires) {
    // Over already (the round trip outlasted its bucket): what is held stays.
    return GiveUp(entry, leased);
  }
  GiveUp(entry, held);
  held = leased;
}

void RateLimiter::MoveAhead(Entry& entry, absl::Duration now) const {
  Held& ahead = entry.ahead;
  if (ahead.tokens == 0) return;
  if (now >= ahead.expires) return GiveUp(entry, ahead);  // their bucket passed unused
  if (now < ahead.from || (entry.current.tokens > 0 && now < entry.current.expires)) return;
  GiveUp(entry, entry.current);
  entry.current = ahead;
  ahead.tokens = 0;
}

void RateLimiter::Allowed(storage::RateLimit limit, int remaining, int64_t reset_unix,
                          AdmissionState* state) const {
  allowed_.Increment();
  state->headers.emplace_back(kRateLimitLimitKey, std::to_string(limit.per_minute));
  state->headers.emplace_back(kRateLimitRemainingKey, std::to_string(remaining));
  state->headers.emplace_back(kRateLimitResetKey, std::to_string(reset_unix));
}

absl::Status RateLimiter::Refusal(storage::RateLimit limit, int remaining,
                                  absl::Duration retry_after) const {
  limited_.Increment();
  // Whole seconds, as Retry-After counts them; never 0, which reads as "now".
  const int64_t retry_seconds = std::max<int64_t>(1, std::ceil(absl::ToDoubleSeconds(retry_after)));
  // On a refusal the reset is when the same request would pass: the SDK
  // sleeps until X-RateLimit-Reset before its retry (when that is under a
  // minute away), so the minute allowance's full refill would make it wait
  // up to a minute for a burst that clears in a second.
  const std::string reset = std::to_string(absl::ToInt64Seconds(
      absl::Ceil(options_.clock() - absl::UnixEpoch() + retry_after, absl::Seconds(1))));
  absl::Status refused =
      WithApiCode(absl::ResourceExhaustedError(absl::StrCat(
                      "rate limit exceeded: ", limit.per_minute, " requests per minute, at most ",
                      limit.per_second, " per second; retry after ", retry_seconds, " s")),
                  api_code::kRateLimit);
  refused = WithResponseMetadata(refused, kRateLimitLimitKey, std::to_string(limit.per_minute));
  refused = WithResponseMetadata(refused, kRateLimitRemainingKey, std::to_string(remaining));
  refused = WithResponseMetadata(refused, kRateLimitResetKey, reset);
  return WithResponseMetadata(refused, kRetryAfterKey, std::to_string(retry_seconds));
}

std::optional<absl::Status> RateLimiter::DecideLocally(Entry& entry, absl::Duration now,
                                                       AdmissionState* state) const {
  MoveAhead(entry, now);
  Held& current = entry.current;
  if (current.tokens > 0 && now >= current.from && now < current.expires) {
    --current.tokens;
    ++entry.used;
    // The lease answer's room, plus what is left of the lease.
    Allowed(entry.limit, entry.remaining + current.tokens, entry.reset_unix, state);
    return absl::OkStatus();
  }
  if (entry.refused && now < entry.refused_until) {
    return Refusal(entry.limit, entry.refused_remaining, entry.refused_until - now);
  }
  return std::nullopt;
}

std::optional<absl::Status> RateLimiter::AdmitWithoutWaiting(const AdmissionRequest& request,
                                                             AdmissionState* state) const {
  const storage::RateLimit limit = LimitOf(state->caller);
  const absl::Duration now = options_.steady_clock();
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Entry> entry = Find(state->caller, /*create=*/false);
  // A changed limit ends the lease: Admit's to do.
  if (entry == nullptr || !Same(entry->limit, limit)) return std::nullopt;
  return DecideLocally(*entry, now, state);
}

absl::Status RateLimiter::Admit(const AdmissionRequest& request, AdmissionState* state) const {
  const storage::RateLimit limit = LimitOf(state->caller);
  storage::RateLimitLeaseRequest lease_request;
  std::shared_ptr<Entry> entry;
  absl::Duration sent;
  {
    absl::MutexLock lock(&mu_);
    entry = Find(state->caller, /*create=*/true);
    const absl::Time give_up = absl::Now() + options_.lease_wait;
    for (;;) {
      if (!Same(entry->limit, limit)) {
        // Set-limit or a key override reached this replica: requests leased
        // under the old limits are not used under the new ones.
        EndLease(*entry);
        entry->limit = limit;
      }
      const absl::Duration now = options_.steady_clock();
      std::optional<absl::Status> decided = DecideLocally(*entry, now, state);
      if (decided) return *std::move(decided);
      if (entry->in_flight) {
        ++entry->waiting;
        const bool timed_out = entry->answered.WaitWithDeadline(&mu_, give_up);
        --entry->waiting;
        if (timed_out && entry->in_flight) {
          errors_.Increment();
          return absl::UnavailableError(
              "rate limit: the key's shared state did not answer in time; retry");
        }
      } else if (entry->ahead.tokens > 0 && entry->ahead.from - now <= kWaitForAhead) {
        ++entry->waiting;
        entry->answered.WaitWithTimeout(&mu_, entry->ahead.from - now);
        --entry->waiting;
      } else {
        break;
      }
    }
    // This call leads the key's next lease, giving back what is left of the
    // previous one (expired: nothing can use it any more).
    lease_request.limit = limit;
    lease_request.need = 1;
    if (entry->current.tokens > 0) {
      lease_request.return_n = entry->current.tokens;
      lease_request.return_minute_bucket = entry->current.minute_bucket;
      lease_request.return_second_bucket = entry->current.second_bucket;
      entry->current.tokens = 0;
    }
    // About twice the recent demand for a whole bucket: the calls waiting
    // now, and the rate at which the previous lease's extra requests were
    // used. A count alone would shrink with the bucket fraction the previous
    // lease had left, and the key would ramp up through several round trips
    // per bucket.
    sent = options_.steady_clock();
    double wanted = entry->waiting;
    const absl::Duration since = sent - entry->leased_at;
    if (since < kDemandMemory && entry->used > 0) {
      wanted += 2.0 * entry->used * absl::FDivDuration(kBucket, std::max(since, kShortestDemand));
    }
    lease_request.extra = static_cast<int>(std::min<double>(std::ceil(wanted), limit.per_second));
    // As many for the next bucket: granted only late in the current one.
    lease_request.ahead = lease_request.extra;
    entry->used = 0;
    entry->refused = false;
    entry->in_flight = true;
    entry->leased_at = sent;
  }
  // Timed from `sent`, read before the request goes: the database reads its
  // clock later, so the lease never outlives its bucket by the database's.
  absl::StatusOr<storage::RateLimitLease> lease =
      store_->Lease(entry->team_id, entry->api_key_id, lease_request);
  const absl::Duration answered = options_.steady_clock();
  lease_seconds_.Observe(answered - sent);

  absl::MutexLock lock(&mu_);
  entry->in_flight = false;
  entry->answered.SignalAll();
  if (!lease.ok()) {
    // What was to be given back is lost: the key can only be under-admitted.
    leases_errors_.Increment();
    errors_.Increment();
    return lease.status();
  }
  if (lease_request.return_n > 0) leases_returned_.Increment();
  if (lease->granted == 0) {
    leases_refused_.Increment();
    if (Same(entry->limit, limit)) {
      entry->refused = true;
      entry->refused_until = sent + lease->retry_after;
      entry->refused_remaining = lease->remaining;
    }
    return Refusal(limit, lease->remaining, lease->retry_after);
  }
  leases_granted_.Increment();
  const int extra = lease->granted - 1;
  // Kept unless the key's limits changed (or it left the table) meanwhile.
  const bool keep = Same(entry->limit, limit) && !entry->evicted;
  if (extra > 0) {
    Held leased{extra, sent, sent + lease->bucket_left, lease->minute_bucket, lease->second_bucket};
    if (keep) {
      Hold(*entry, entry->current, leased, answered);
    } else {
      GiveUp(*entry, leased);
    }
  }
  if (lease->ahead_granted > 0) {
    leases_ahead_.Increment();
    // Their bucket begins no earlier than the time left after the answer
    // came (the database read its clock before), and ends no later than
    // 50 ms after that time left from the send.
    Held leased{lease->ahead_granted, answered + lease->bucket_left,
                sent + lease->bucket_left + kBucket, lease->minute_bucket,
                lease->second_bucket + 1};
    if (keep) {
      Hold(*entry, entry->ahead, leased, answered);
    } else {
      GiveUp(*entry, leased);
    }
  }
  if (keep && (entry->current.tokens > 0 || entry->ahead.tokens > 0) && !entry->listed) {
    entry->listed = true;
    leased_.push_back(entry);
  }
  entry->remaining = lease->remaining;
  entry->reset_unix = lease->reset_unix;
  Allowed(limit, lease->remaining + std::max(0, extra), lease->reset_unix, state);
  return absl::OkStatus();
}

int RateLimiter::ReturnExpiredLeases() const {
  std::vector<Return> returns;
  {
    absl::MutexLock lock(&mu_);
    const absl::Duration now = options_.steady_clock();
    std::vector<std::shared_ptr<Entry>> still;
    for (std::shared_ptr<Entry>& entry : leased_) {
      if (!entry->in_flight) {
        MoveAhead(*entry, now);
        if (now >= entry->current.expires) GiveUp(*entry, entry->current);
      }
      if (entry->current.tokens > 0 || entry->ahead.tokens > 0) {
        still.push_back(std::move(entry));
      } else {
        entry->listed = false;
      }
    }
    leased_.swap(still);
    returns.swap(returns_);
  }
  GiveBack(returns);
  return static_cast<int>(returns.size());
}

void RateLimiter::GiveBack(const std::vector<Return>& returns) const {
  for (const Return& back : returns) {
    storage::RateLimitLeaseRequest request;
    request.limit = back.limit;
    request.return_n = back.n;
    request.return_minute_bucket = back.minute_bucket;
    request.return_second_bucket = back.second_bucket;
    // A failure loses them: under-admission only.
    absl::StatusOr<storage::RateLimitLease> answer =
        store_->Lease(back.team_id, back.api_key_id, request);
    (answer.ok() ? leases_returned_ : leases_errors_).Increment();
  }
}

void RateLimiter::RunReturner() {
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.return_interval)) return;
    }
    ReturnExpiredLeases();
  }
}

int RateLimiter::waiting() const {
  absl::MutexLock lock(&mu_);
  int waiting = 0;
  for (const std::shared_ptr<Entry>& entry : lru_) waiting += entry->waiting;
  return waiting;
}

size_t RateLimiter::keys() const {
  absl::MutexLock lock(&mu_);
  return index_.size();
}

}  // namespace affonso::services
