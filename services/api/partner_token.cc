#include "services/api/partner_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"

namespace affonso::services {
namespace {

constexpr absl::string_view kPortalKind = "afpt";
constexpr absl::string_view kEmbedKind = "afet";
// Domain separation: this key signs nothing else, but a later format must not
// verify under this one.
constexpr absl::string_view kVersionLabel = "affonso-partner-token-v1\n";
// Team and token ids are ours (prefix_ and base62): anything longer or with
// other characters was not issued here.
constexpr size_t kMaxTokenLength = 256;

absl::string_view KindOf(PartnerTokenPurpose purpose) {
  return purpose == PartnerTokenPurpose::kEmbed ? kEmbedKind : kPortalKind;
}

bool IdCharacters(absl::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

absl::Status Refused(absl::string_view reason, absl::string_view message) {
  return WithApiCode(absl::UnauthenticatedError(message), reason);
}

}  // namespace

const char* PartnerTokenPurposeName(PartnerTokenPurpose purpose) {
  return purpose == PartnerTokenPurpose::kEmbed ? "embed" : "portal";
}

absl::StatusOr<PartnerTokenSigner> PartnerTokenSigner::Create(std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the partner token secret must be at least ", kMinSecretBytes, " bytes"));
  }
  return PartnerTokenSigner(std::move(secret));
}

PartnerTokenSigner PartnerTokenSigner::WithRandomSecret() {
  std::string secret(kMinSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                 static_cast<int>(secret.size())) != 1) {
    std::abort();  // no randomness: nothing may be signed
  }
  return PartnerTokenSigner(std::move(secret));
}

std::string PartnerTokenSigner::Mac(absl::string_view signed_part) const {
  const std::string message = absl::StrCat(kVersionLabel, signed_part);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &digest_len) == nullptr) {
    std::abort();  // only on allocation failure
  }
  return std::string(reinterpret_cast<const char*>(digest), digest_len);
}

std::string PartnerTokenSigner::Sign(const PartnerTokenClaims& claims) const {
  const std::string signed_part = absl::StrCat(KindOf(claims.purpose), "_", claims.team_id, ".",
                                               claims.token_id, ".", claims.expires_at_unix);
  return absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(Mac(signed_part)));
}

absl::StatusOr<PartnerTokenClaims> PartnerTokenSigner::Verify(absl::string_view token,
                                                              PartnerTokenPurpose purpose,
                                                              absl::Time now) const {
  if (token.empty()) return Refused(api_code::kMissingToken, "a partner token is required");
  const absl::Status invalid = Refused(api_code::kInvalidToken, "the partner token is not valid");
  if (token.size() > kMaxTokenLength) return invalid;
  const size_t last_dot = token.rfind('.');
  if (last_dot == absl::string_view::npos) return invalid;
  const absl::string_view signed_part = token.substr(0, last_dot);
  std::string given;
  // WebSafeBase64Unescape accepts padding and stray characters: the
  // canonical re-encoding must be what was sent, so no two spellings of a
  // signature both verify.
  if (!absl::WebSafeBase64Unescape(token.substr(last_dot + 1), &given) ||
      absl::WebSafeBase64Escape(given) != token.substr(last_dot + 1)) {
    return invalid;
  }
  const std::string expected = Mac(signed_part);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return invalid;
  }
  // Signed by us from here on: the parse cannot meet anything we did not write.
  const std::vector<absl::string_view> parts = absl::StrSplit(signed_part, '.');
  if (parts.size() != 3) return invalid;
  PartnerTokenClaims claims;
  absl::string_view kind_and_team = parts[0];
  if (absl::ConsumePrefix(&kind_and_team, absl::StrCat(kPortalKind, "_"))) {
    claims.purpose = PartnerTokenPurpose::kPortal;
  } else if (absl::ConsumePrefix(&kind_and_team, absl::StrCat(kEmbedKind, "_"))) {
    claims.purpose = PartnerTokenPurpose::kEmbed;
  } else {
    return invalid;
  }
  if (!IdCharacters(kind_and_team) || !IdCharacters(parts[1]) ||
      !absl::SimpleAtoi(parts[2], &claims.expires_at_unix)) {
    return invalid;
  }
  claims.team_id = std::string(kind_and_team);
  claims.token_id = std::string(parts[1]);
  if (claims.purpose != purpose) {
    return Refused(api_code::kWrongTokenPurpose,
                   absl::StrCat("this is a ", PartnerTokenPurposeName(claims.purpose),
                                " token; this operation takes a ", PartnerTokenPurposeName(purpose),
                                " token"));
  }
  if (absl::FromUnixSeconds(claims.expires_at_unix) <= now) {
    return Refused(api_code::kTokenExpired, "the partner token has expired");
  }
  return claims;
}

}  // namespace affonso::services
