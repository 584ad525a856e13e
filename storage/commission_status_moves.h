#ifndef AFFONSO_STORAGE_COMMISSION_STATUS_MOVES_H_
#define AFFONSO_STORAGE_COMMISSION_STATUS_MOVES_H_

#include <string>
#include <vector>

#include "storage/pool.h"

namespace affonso::storage {

struct CommissionRef {
  std::string team_id;
  std::string id;
};

// Inside the caller's transaction: moves each of `commissions` that is still
// in status `from` to `to`, with transaction.updated and, when
// `status_event` is not null, that event too (the transaction.* payload),
// in one statement. Returns the ones moved. The caller has locked them (FOR
// UPDATE) when it needs all of them to move. Throws what libpqxx throws (the
// pool's transaction maps it).
std::vector<CommissionRef> MoveCommissionStatus(Tx& tx,
                                                const std::vector<CommissionRef>& commissions,
                                                const char* from, const char* to,
                                                const char* status_event);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_COMMISSION_STATUS_MOVES_H_
