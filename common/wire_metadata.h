#ifndef AFFONSO_COMMON_WIRE_METADATA_H_
#define AFFONSO_COMMON_WIRE_METADATA_H_

// The gRPC metadata the services and the REST gateway exchange: the one place
// their names are spelled (both sides of the hop include this).

namespace affonso {

// Request metadata the gateway sends with each call.
inline constexpr char kRequestIdKey[] = "x-request-id";  // also answered in initial metadata
// The REST client's IP address, set by the in-process gateway; the services
// ignore it on calls from the network (a client could send anything).
inline constexpr char kClientAddressKey[] = "x-affonso-client-address";
// A signed request's X-Affonso-Timestamp / X-Affonso-Signature headers, which
// the gateway forwards unchanged (services/call/request_signing.h).
inline constexpr char kSignatureTimestampKey[] = "x-affonso-timestamp";
inline constexpr char kSignatureKey[] = "x-affonso-signature";
// What a public (unauthenticated) call is judged by: the browser's Origin
// and Referer and the client's User-Agent, forwarded by the gateway as sent
// (printable ASCII, bounded; anything else is dropped). The services believe
// them as they believe kClientAddressKey: only from the in-process gateway
// or a trusted loopback sidecar; a gRPC caller's are its own claim.
inline constexpr char kOriginKey[] = "x-affonso-origin";
inline constexpr char kRefererKey[] = "x-affonso-referer";
inline constexpr char kUserAgentKey[] = "x-affonso-user-agent";

// Response metadata the gateway turns into the HTTP answer.
inline constexpr char kHttpCodeKey[] = "x-http-code";      // "201" / "200" (initial)
inline constexpr char kErrorCodeKey[] = "x-error-code";    // API.md error code (trailing)
inline constexpr char kErrorFieldKey[] = "x-error-field";  // input field at fault (trailing)

// Response metadata of every rate-limited call, passed through as the
// X-RateLimit-* and Retry-After headers; a 429's envelope also carries
// Retry-After as error.retryAfter.
inline constexpr char kRateLimitLimitKey[] = "x-ratelimit-limit";
inline constexpr char kRateLimitRemainingKey[] = "x-ratelimit-remaining";
inline constexpr char kRateLimitResetKey[] = "x-ratelimit-reset";
inline constexpr char kRetryAfterKey[] = "retry-after";

}  // namespace affonso

#endif  // AFFONSO_COMMON_WIRE_METADATA_H_
