#include "services/call/api_key_authenticator.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/api_key_syntax.h"
#include "common/ids.h"
#include "common/ip_address.h"
#include "common/status_macros.h"
#include "common/wire_metadata.h"

namespace affonso::services {
namespace {

Caller CallerFor(const storage::ApiKeyRecord& record) {
  Caller caller;
  caller.team_id = record.team_id;
  caller.api_key_id = record.id;
  caller.rate_limit_per_minute = record.rate_limit_per_minute;
  caller.rate_limit_per_second = record.rate_limit_per_second;
  if (record.permissions) {
    caller.permissions = std::make_shared<const std::vector<std::string>>(*record.permissions);
  }
  return caller;
}

// Where the failures of addresses beyond the tracked ones go: together they
// share one budget, so a flood of new addresses cannot push out the counts
// of those already over theirs.
constexpr absl::string_view kOverflowKey = "overflow";

}  // namespace

ApiKeyAuthenticator::ApiKeyAuthenticator(storage::ApiKeyStore* store, Options options,
                                         std::function<absl::Time()> clock)
    : store_(store), options_(options), clock_(std::move(clock)) {}

absl::StatusOr<Caller> ApiKeyAuthenticator::AuthenticateFrom(
    absl::string_view authorization, absl::string_view client_address) const {
  const absl::Time now = clock_();
  absl::StatusOr<absl::string_view> key = ApiKeyFromAuthorization(authorization);
  if (!key.ok()) {
    AFFONSO_RETURN_IF_ERROR(CheckAddress(client_address, now));
    CountFailure(client_address, now);
    return key.status();
  }
  absl::StatusOr<Caller> caller = Lookup(*key, client_address, now);
  if (absl::IsUnauthenticated(caller.status())) CountFailure(client_address, now);
  return caller;
}

std::optional<absl::StatusOr<Caller>> ApiKeyAuthenticator::AuthenticateWithoutWaiting(
    absl::string_view authorization, absl::string_view client_address) const {
  const absl::Time now = clock_();
  absl::StatusOr<absl::string_view> key = ApiKeyFromAuthorization(authorization);
  if (!key.ok()) {
    absl::Status address = CheckAddress(client_address, now);
    if (!address.ok()) return address;
    CountFailure(client_address, now);
    return key.status();
  }
  std::optional<absl::StatusOr<Caller>> caller = FromMemory(Sha256Hex(*key), client_address, now);
  if (caller && absl::IsUnauthenticated(caller->status())) CountFailure(client_address, now);
  return caller;
}

std::optional<absl::StatusOr<Caller>> ApiKeyAuthenticator::FromMemory(
    const std::string& hash, absl::string_view client_address, absl::Time now) const {
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && it->second.expires > now && !it->second.revoked) {
      return it->second.caller;
    }
  }
  // Past a cached good key every answer is a failure or costs a query: what
  // an address over its budget no longer gets.
  absl::Status address = CheckAddress(client_address, now);
  if (!address.ok()) return address;
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(hash);
  if (it != cache_.end() && it->second.expires > now) {
    // The lock was let go above: a lookup may have cached the key since, so
    // it is revoked only if its record says so.
    if (it->second.revoked) return InvalidApiKeyError();
    return it->second.caller;
  }
  auto unknown = unknown_.find(hash);
  if (unknown != unknown_.end()) {
    if (unknown->second > now) return InvalidApiKeyError();
    unknown_.erase(unknown);
  }
  return std::nullopt;
}

absl::StatusOr<Caller> ApiKeyAuthenticator::Lookup(absl::string_view key,
                                                   absl::string_view client_address,
                                                   absl::Time now) const {
  const std::string hash = Sha256Hex(key);
  if (std::optional<absl::StatusOr<Caller>> known = FromMemory(hash, client_address, now)) {
    return *std::move(known);
  }
  uint64_t evictions_before;
  {
    absl::MutexLock lock(&mu_);
    if (options_.max_concurrent_lookups > 0 &&
        lookups_in_flight_ >= options_.max_concurrent_lookups) {
      return absl::UnavailableError("too many API key lookups in progress; retry");
    }
    ++lookups_in_flight_;
    evictions_before = evictions_;
  }
  absl::StatusOr<storage::ApiKeyRecord> record = store_->FindByHash(hash);
  absl::MutexLock lock(&mu_);
  --lookups_in_flight_;
  if (absl::IsNotFound(record.status())) {
    if (options_.negative_ttl > absl::ZeroDuration()) {
      if (unknown_.size() >= options_.max_negative_entries) {
        absl::erase_if(unknown_, [now](const auto& entry) { return entry.second <= now; });
        if (unknown_.size() >= options_.max_negative_entries) unknown_.clear();
      }
      unknown_[hash] = now + options_.negative_ttl;
    }
    return InvalidApiKeyError();
  }
  if (!record.ok()) return record.status();
  Caller caller = CallerFor(*record);
  if (evictions_ == evictions_before) {
    if (cache_.size() >= options_.max_entries) cache_.clear();
    cache_[hash] = Entry{caller, record->revoked, now + options_.ttl};
  }
  if (record->revoked) return InvalidApiKeyError();
  return caller;
}

absl::Status ApiKeyAuthenticator::RefuseWithoutLookup(absl::string_view authorization,
                                                      absl::string_view client_address) const {
  AFFONSO_ASSIGN_OR_RETURN(absl::string_view key, ApiKeyFromAuthorization(authorization));
  const absl::Time now = clock_();
  std::optional<absl::StatusOr<Caller>> known = FromMemory(Sha256Hex(key), client_address, now);
  if (!known) return absl::OkStatus();  // only a lookup can tell: AuthenticateFrom decides
  if (absl::IsUnauthenticated(known->status())) CountFailure(client_address, now);
  return known->status();
}

absl::Status ApiKeyAuthenticator::CheckAddress(absl::string_view client_address,
                                               absl::Time now) const {
  if (options_.failures_per_minute <= 0 || client_address.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(ClientBudgetKey(client_address));
  if (it == failures_.end() && failures_.size() >= options_.max_addresses) {
    it = failures_.find(kOverflowKey);
  }
  if (it == failures_.end()) return absl::OkStatus();
  const absl::Duration left = it->second.window_start + absl::Minutes(1) - now;
  if (left <= absl::ZeroDuration() || it->second.count < options_.failures_per_minute) {
    return absl::OkStatus();
  }
  const int64_t retry_seconds =
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(left, absl::Seconds(1))));
  absl::Status refused = WithApiCode(
      absl::ResourceExhaustedError(absl::StrCat(
          "too many failed authentications from this address; retry after ", retry_seconds, " s")),
      api_code::kRateLimit);
  return WithResponseMetadata(refused, kRetryAfterKey, std::to_string(retry_seconds));
}

void ApiKeyAuthenticator::CountFailure(absl::string_view client_address, absl::Time now) const {
  if (options_.failures_per_minute <= 0 || client_address.empty()) return;
  absl::MutexLock lock(&mu_);
  std::string key = ClientBudgetKey(client_address);
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    if (failures_.size() >= options_.max_addresses) {
      absl::erase_if(failures_, [now](const auto& entry) {
        return entry.second.window_start + absl::Minutes(1) <= now;
      });
      if (failures_.size() >= options_.max_addresses) key = std::string(kOverflowKey);
    }
    it = failures_.try_emplace(key, Failures{now, 0}).first;
  }
  if (it->second.window_start + absl::Minutes(1) <= now) it->second = Failures{now, 0};
  ++it->second.count;
}

void ApiKeyAuthenticator::OnApiKeyChanged(absl::string_view key_id) {
  absl::MutexLock lock(&mu_);
  ++evictions_;
  // A scan: keys change rarely, and the cache is keyed by hash, not id.
  absl::erase_if(cache_,
                 [&](const auto& entry) { return entry.second.caller.api_key_id == key_id; });
}

void ApiKeyAuthenticator::OnApiKeyChangesMissed() {
  absl::MutexLock lock(&mu_);
  ++evictions_;
  cache_.clear();
  unknown_.clear();
}

}  // namespace affonso::services
