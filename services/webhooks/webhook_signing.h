#ifndef AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SIGNING_H_
#define AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SIGNING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace affonso::services {

// The four headers every delivery carries (API.md "Webhooks"), so that both
// Affonso-style and Standard Webhooks receivers can verify it.
struct SignedHeaders {
  // X-Affonso-Signature: "t=<unix>,v1=<hex HMAC-SHA256(secret string, "<t>.<body>")>"
  std::string affonso_signature;
  // webhook-id: the event id (receivers deduplicate on it).
  std::string webhook_id;
  // webhook-timestamp: "<unix>"
  std::string webhook_timestamp;
  // webhook-signature: "v1,<base64 HMAC-SHA256(base64decode(secret after "whsec_"),
  // "<id>.<ts>.<body>")>"
  std::string webhook_signature;
};

// `secret` is the whole "whsec_..." string. The Affonso scheme keys the HMAC
// with the whole secret string; Standard Webhooks keys it with the
// base64-decoded part after "whsec_" (the whole string when the prefix is
// absent, as the reference libraries do). A secret whose key part is not
// base64 cannot be verified by any Standard Webhooks receiver: then
// webhook_signature is left empty rather than signed with a guessed key.
SignedHeaders SignWebhook(absl::string_view secret, absl::string_view event_id,
                          int64_t unix_seconds, absl::string_view body);

// A new secret: "whsec_" + standard base64 of 24 CSPRNG bytes.
std::string NewWebhookSecret();

// "whsec_" followed by non-empty standard base64: what SignWebhook can use
// for both schemes.
bool IsWellFormedWebhookSecret(absl::string_view secret);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_SIGNING_H_
