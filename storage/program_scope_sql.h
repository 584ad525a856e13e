#ifndef AFFONSO_STORAGE_PROGRAM_SCOPE_SQL_H_
#define AFFONSO_STORAGE_PROGRAM_SCOPE_SQL_H_

namespace affonso::storage {

// The caller's program, team-scoped, as the first fragment of a
// JoinedStatement (storage/joined_statement.h): $1 is the team, $2 the
// program id or NULL for the team's default program. Every statement that
// starts from it has $1 and $2 so; another team's program (or anything under
// it) is simply not found.
//
//   constexpr JoinedStatement kProgramId{"program_resolve", kWithProgram,
//                                        "SELECT id FROM prog"};
inline constexpr char kWithProgram[] =
    "WITH prog AS (SELECT p.id FROM programs p WHERE p.team_id = $1 "
    "  AND CASE WHEN $2::text IS NULL THEN p.is_default ELSE p.id = $2::text END) ";

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PROGRAM_SCOPE_SQL_H_
