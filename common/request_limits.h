#ifndef AFFONSO_COMMON_REQUEST_LIMITS_H_
#define AFFONSO_COMMON_REQUEST_LIMITS_H_

namespace affonso {

// How deep a request may nest, counted as its JSON form nests: objects and
// arrays of a REST body (the gateway), messages, Structs and lists of a gRPC
// request (RpcRunner::CheckRequest). One bound for both faces of the API, far
// above any real payload, and such a request (at most three protobuf levels
// per JSON level inside a Struct) stays within protobuf's parsing limit of
// 100 nested messages, responses holding it included.
inline constexpr int kMaxRequestNesting = 32;

}  // namespace affonso

#endif  // AFFONSO_COMMON_REQUEST_LIMITS_H_
