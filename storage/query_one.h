#ifndef AFFONSO_STORAGE_QUERY_ONE_H_
#define AFFONSO_STORAGE_QUERY_ONE_H_

#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/api_error.h"
#include "storage/pool.h"

namespace affonso::storage {
namespace internal {

template <typename T>
struct StatusOrValue {
  using type = T;
};
template <typename T>
struct StatusOrValue<absl::StatusOr<T>> {
  using type = T;
};

// What a row reader gives, without its StatusOr.
template <typename Reader>
using ReadValue =
    typename StatusOrValue<std::decay_t<std::invoke_result_t<Reader&, const pqxx::row&>>>::type;

// libpqxx 6.4 takes no string_view parameter: those become strings (for the
// statement's duration); the rest pass through, so a null const char* stays
// SQL NULL.
template <typename T>
decltype(auto) Param(T&& value) {
  if constexpr (std::is_same_v<std::decay_t<T>, absl::string_view>) {
    return std::string(value);
  } else {
    return std::forward<T>(value);
  }
}

}  // namespace internal

// "Get by id, team-scoped": runs `statement` and reads its first row with
// `read` (returning T or absl::StatusOr<T>); NOT_FOUND naming `what` when it
// returns no row.
template <typename Reader, typename... Args>
absl::StatusOr<internal::ReadValue<Reader>> QueryOne(Tx& tx, const Statement& statement,
                                                     Reader&& read, absl::string_view what,
                                                     Args&&... args) {
  pqxx::result rows = tx.Exec(statement, internal::Param(std::forward<Args>(args))...);
  if (rows.empty()) return affonso::NotFoundError(what);
  return read(rows[0]);
}

// The same for a statement that only has to find its row (an existence
// check, or an UPDATE / DELETE without RETURNING): NOT_FOUND naming `what`
// when it returned no row and changed none.
template <typename... Args>
absl::Status RequireRow(Tx& tx, const Statement& statement, absl::string_view what,
                        Args&&... args) {
  const pqxx::result rows = tx.Exec(statement, internal::Param(std::forward<Args>(args))...);
  if (rows.empty() && rows.affected_rows() == 0) return affonso::NotFoundError(what);
  return absl::OkStatus();
}

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_QUERY_ONE_H_
