#include "services/api_key_authenticator.h"

#include "common/api_error.h"
#include "common/api_key_syntax.h"
#include "common/ids.h"
#include "common/status_macros.h"

namespace affonso::services {
namespace {

Caller CallerFor(const storage::ApiKeyRecord& record) {
  Caller caller;
  caller.team_id = record.team_id;
  caller.api_key_id = record.id;
  caller.rate_limit_per_minute = record.rate_limit_per_minute;
  caller.rate_limit_per_second = record.rate_limit_per_second;
  return caller;
}

}  // namespace

ApiKeyAuthenticator::ApiKeyAuthenticator(storage::ApiKeyStore* store, Options options,
                                         std::function<absl::Time()> clock)
    : store_(store), options_(options), clock_(std::move(clock)) {}

absl::StatusOr<Caller> ApiKeyAuthenticator::Authenticate(
    absl::string_view authorization) const {
  AFFONSO_ASSIGN_OR_RETURN(absl::string_view key, ApiKeyFromAuthorization(authorization));
  const std::string hash = Sha256Hex(key);
  const absl::Time now = clock_();
  uint64_t evictions_before;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && it->second.expires > now) {
      if (it->second.record.revoked) return InvalidApiKeyError();
      return CallerFor(it->second.record);
    }
    evictions_before = evictions_;
  }
  absl::StatusOr<storage::ApiKeyRecord> record = store_->FindByHash(hash);
  if (absl::IsNotFound(record.status())) return InvalidApiKeyError();
  if (!record.ok()) return record.status();
  {
    absl::MutexLock lock(&mu_);
    if (evictions_ == evictions_before) {
      if (cache_.size() >= options_.max_entries) cache_.clear();
      cache_[hash] = Entry{*record, now + options_.ttl};
    }
  }
  if (record->revoked) return InvalidApiKeyError();
  return CallerFor(*record);
}

void ApiKeyAuthenticator::OnApiKeyChanged(absl::string_view key_id) {
  absl::MutexLock lock(&mu_);
  ++evictions_;
  // A scan: keys change rarely, and the cache is keyed by hash, not id.
  absl::erase_if(cache_, [&](const auto& entry) { return entry.second.record.id == key_id; });
}

void ApiKeyAuthenticator::OnApiKeyChangesMissed() {
  absl::MutexLock lock(&mu_);
  ++evictions_;
  cache_.clear();
}

}  // namespace affonso::services
