#ifndef AFFONSO_STORAGE_JOINED_STATEMENT_H_
#define AFFONSO_STORAGE_JOINED_STATEMENT_H_

#include <cstddef>
#include <initializer_list>

#include "storage/pool.h"

namespace affonso::storage {

// A Statement whose SQL is fragments joined at compile time, so a fragment
// several statements share (a team-scoping CTE) is written once while every
// statement stays a constant: no macros, no dynamically initialised strings.
//
//   constexpr char kWithProgram[] = "WITH prog AS (...) ";
//   constexpr JoinedStatement kProgramId{"program_resolve", kWithProgram,
//                                        "SELECT id FROM prog"};
//
// It is a Statement (its `sql` points at its own text), so Tx::Exec takes it.
template <size_t N>
struct JoinedStatement : Statement {
  template <size_t... Sizes>
  constexpr JoinedStatement(const char* statement_name, const char (&... parts)[Sizes])
      : Statement{statement_name, text}, text{} {
    size_t at = 0;
    for (const char* part : {static_cast<const char*>(parts)...}) {
      while (*part != '\0') text[at++] = *part++;
    }
  }

  char text[N];
};

// N counts each fragment without its terminating NUL, plus one.
template <size_t... Sizes>
JoinedStatement(const char*, const char (&... parts)[Sizes])
    -> JoinedStatement<(Sizes + ... + 0) - sizeof...(Sizes) + 1>;

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_JOINED_STATEMENT_H_
