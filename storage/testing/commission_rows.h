#ifndef AFFONSO_STORAGE_TESTING_COMMISSION_ROWS_H_
#define AFFONSO_STORAGE_TESTING_COMMISSION_ROWS_H_

#include <string>

#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage::testing {

// Rows of the money path written with plain SQL, so tests of the lifecycle
// and payouts do not depend on the conversion code. Each returns the new id.

// An approved affiliate of the tenant's program.
std::string InsertAffiliate(TestDatabase& db, const Tenant& tenant,
                            const std::string& name = "Bob");

// A direct referral of `affiliate_id`.
std::string InsertReferral(TestDatabase& db, const Tenant& tenant, const std::string& affiliate_id);

struct CommissionRow {
  std::string affiliate_id;  // "" = the tenant's
  std::string amount = "10.00";
  std::string currency = "USD";
  std::string sale_amount = "100.00";
  std::string status = "ready_for_payment";
  int hold_period_days = 0;
  // SQL expression for created_at.
  std::string created_at = "now()";
};
std::string InsertCommission(TestDatabase& db, const Tenant& tenant, const CommissionRow& row);

// A clawback of a commission (what the refunds change writes).
std::string InsertClawback(TestDatabase& db, const Tenant& tenant, const std::string& commission_id,
                           const std::string& amount);

}  // namespace affonso::storage::testing

#endif  // AFFONSO_STORAGE_TESTING_COMMISSION_ROWS_H_
