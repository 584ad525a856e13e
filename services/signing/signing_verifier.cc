#include "services/signing/signing_verifier.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"

namespace affonso::services {
namespace {

// A slot per (team, program, source) a live request names; past this many
// the cache starts over rather than grow without bound.
constexpr size_t kMaxCachedSlots = 100000;

absl::Status MissingSignature() {
  return WithApiCode(absl::UnauthenticatedError(
                         "this program accepts signed requests only: send X-Affonso-Timestamp "
                         "and X-Affonso-Signature"),
                     api_code::kMissingSignature);
}

absl::Status StaleSignature() {
  return WithApiCode(
      absl::UnauthenticatedError("X-Affonso-Timestamp must be unix seconds within 300 s of now"),
      api_code::kStaleSignature);
}

absl::Status InvalidSignature() {
  return WithApiCode(absl::UnauthenticatedError("X-Affonso-Signature does not match the request"),
                     api_code::kInvalidSignature);
}

// Unix seconds: digits only (no sign, space or fraction), within int64.
bool ParseTimestamp(absl::string_view text, int64_t* seconds) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, seconds);
}

}  // namespace

std::string RequestSignature(absl::string_view secret, absl::string_view timestamp,
                             absl::string_view body) {
  const std::string message = absl::StrCat(timestamp, ".", body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

SigningVerifier::SigningVerifier(storage::SigningSecretStore* store,
                                 std::function<absl::Time()> clock, absl::Duration cache_ttl)
    : store_(store), clock_(std::move(clock)), cache_ttl_(cache_ttl) {}

absl::StatusOr<std::optional<storage::SigningSecretRecord>> SigningVerifier::Lookup(
    absl::string_view team_id, absl::string_view program_id, absl::string_view source) {
  Key key{std::string(team_id), std::string(program_id), std::string(source)};
  const absl::Time now = clock_();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.fetched_at < cache_ttl_) return it->second.record;
  }
  // A store error fails the request (never "no secret": that would let
  // unsigned requests through) and is not remembered.
  absl::StatusOr<std::optional<storage::SigningSecretRecord>> fetched =
      store_->Get(team_id, program_id, source);
  if (!fetched.ok()) return fetched.status();
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCachedSlots) cache_.clear();
  cache_[std::move(key)] = Cached{*fetched, now};
  return fetched;
}

absl::Status SigningVerifier::Verify(absl::string_view team_id, absl::string_view program_id,
                                     absl::string_view source, const SignedRequest& request) {
  absl::StatusOr<std::optional<storage::SigningSecretRecord>> record =
      Lookup(team_id, program_id, source);
  if (!record.ok()) return record.status();
  if (!record->has_value() && !source.empty()) {
    record = Lookup(team_id, program_id, "");
    if (!record.ok()) return record.status();
  }
  if (!record->has_value()) return absl::OkStatus();

  const absl::Time now = clock_();
  std::vector<const std::string*> secrets = {&(*record)->secret};
  if (!(*record)->previous_secret.empty() && now < (*record)->previous_valid_until) {
    secrets.push_back(&(*record)->previous_secret);
  }
  if (request.timestamp.empty() || request.signature.empty()) return MissingSignature();

  // Every valid secret is tried, with no early exit, and the HMAC is
  // computed whatever the timestamp says: the answer's timing tells nothing
  // about which check failed or how close a guess came.
  const std::string given = absl::AsciiStrToLower(request.signature);
  bool matched = false;
  for (const std::string* secret : secrets) {
    const std::string expected = RequestSignature(*secret, request.timestamp, request.body);
    if (given.size() == expected.size() &&
        CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0) {
      matched = true;
    }
  }
  int64_t seconds = 0;
  if (!ParseTimestamp(request.timestamp, &seconds) ||
      absl::AbsDuration(now - absl::FromUnixSeconds(seconds)) > kSignatureMaxSkew) {
    return StaleSignature();
  }
  if (!matched) return InvalidSignature();
  return absl::OkStatus();
}

}  // namespace affonso::services
