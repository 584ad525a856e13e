#ifndef AFFONSO_COMMON_STATUS_MACROS_H_
#define AFFONSO_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Abseil 20220623 ships no RETURN_IF_ERROR / ASSIGN_OR_RETURN; these follow cel-cpp's.

#define AFFONSO_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status affonso_status_ = (expr);           \
    if (!affonso_status_.ok()) return affonso_status_; \
  } while (false)

#define AFFONSO_STATUS_CONCAT_INNER_(a, b) a##b
#define AFFONSO_STATUS_CONCAT_(a, b) AFFONSO_STATUS_CONCAT_INNER_(a, b)

#define AFFONSO_ASSIGN_OR_RETURN(lhs, rexpr) \
  AFFONSO_ASSIGN_OR_RETURN_IMPL_(AFFONSO_STATUS_CONCAT_(affonso_statusor_, __LINE__), lhs, rexpr)

#define AFFONSO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // AFFONSO_COMMON_STATUS_MACROS_H_
