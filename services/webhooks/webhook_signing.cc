#include "services/webhooks/webhook_signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace affonso::services {
namespace {

constexpr absl::string_view kSecretPrefix = "whsec_";
constexpr int kSecretBytes = 24;

// Raw HMAC-SHA256 digest (32 bytes).
std::string HmacSha256(absl::string_view key, absl::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  // OpenSSL may treat a null key pointer as "no key": an empty key must still
  // be a (zero-length) key.
  static const char kNoKey[1] = {0};
  const char* key_data = key.empty() ? kNoKey : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &digest_len) == nullptr) {
    std::abort();  // only on allocation failure: nothing sensible to send
  }
  return std::string(reinterpret_cast<const char*>(digest), digest_len);
}

// The Standard Webhooks key: the base64 part after the prefix; false when it
// is empty or not base64.
bool StandardWebhooksKey(absl::string_view secret, std::string* key) {
  absl::ConsumePrefix(&secret, kSecretPrefix);
  return !secret.empty() && absl::Base64Unescape(secret, key) && !key->empty();
}

}  // namespace

SignedHeaders SignWebhook(absl::string_view secret, absl::string_view event_id,
                          int64_t unix_seconds, absl::string_view body) {
  SignedHeaders headers;
  headers.webhook_id = std::string(event_id);
  headers.webhook_timestamp = absl::StrCat(unix_seconds);

  const std::string affonso_mac =
      HmacSha256(secret, absl::StrCat(headers.webhook_timestamp, ".", body));
  headers.affonso_signature =
      absl::StrCat("t=", headers.webhook_timestamp, ",v1=", absl::BytesToHexString(affonso_mac));

  std::string key;
  if (StandardWebhooksKey(secret, &key)) {
    const std::string standard_mac =
        HmacSha256(key, absl::StrCat(event_id, ".", headers.webhook_timestamp, ".", body));
    headers.webhook_signature = absl::StrCat("v1,", absl::Base64Escape(standard_mac));
  }
  return headers;
}

std::string NewWebhookSecret() {
  unsigned char bytes[kSecretBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return absl::StrCat(kSecretPrefix, absl::Base64Escape(absl::string_view(
                                         reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

bool IsWellFormedWebhookSecret(absl::string_view secret) {
  std::string key;
  return absl::StartsWith(secret, kSecretPrefix) && StandardWebhooksKey(secret, &key);
}

}  // namespace affonso::services
