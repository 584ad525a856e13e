#include "storage/testing/commission_rows.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace affonso::storage::testing {

std::string InsertAffiliate(TestDatabase& db, const Tenant& tenant, const std::string& name) {
  const std::string id = NewId("aff");
  db.QueryValue(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status, payout_method) VALUES ('",
                   id, "', '", tenant.team_id, "', '", tenant.program_id, "', '", name, "', '",
                   absl::AsciiStrToLower(name), "@payouts.test', '",
                   absl::AsciiStrToLower(RandomBase62(10)), "', 'approved', 'paypal')"));
  return id;
}

std::string InsertReferral(TestDatabase& db, const Tenant& tenant,
                           const std::string& affiliate_id) {
  const std::string id = NewId("ref");
  db.QueryValue(absl::StrCat(
      "INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, status) VALUES ('", id,
      "', '", tenant.team_id, "', '", tenant.program_id, "', '", affiliate_id,
      "', 'direct', 'customer')"));
  return id;
}

std::string InsertCommission(TestDatabase& db, const Tenant& tenant, const CommissionRow& row) {
  const std::string affiliate = row.affiliate_id.empty() ? tenant.affiliate_id : row.affiliate_id;
  const std::string referral = InsertReferral(db, tenant, affiliate);
  const std::string id = NewId("com");
  db.QueryValue(absl::StrCat(
      "INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "
      "commission_amount, commission_currency, sale_amount, sale_amount_currency, status, "
      "hold_period_days, earning_type, created_at) VALUES ('",
      id, "', '", tenant.team_id, "', '", tenant.program_id, "', '", referral, "', '", affiliate,
      "', ", row.amount, ", '", row.currency, "', ", row.sale_amount, ", '", row.currency, "', '",
      row.status, "', ", row.hold_period_days, ", 'sale', ", row.created_at, ")"));
  return id;
}

std::string InsertClawback(TestDatabase& db, const Tenant& tenant, const std::string& commission_id,
                           const std::string& amount) {
  const std::string id = NewId("clb");
  db.QueryValue(absl::StrCat(
      "INSERT INTO commission_clawbacks (team_id, id, commission_id, program_id, affiliate_id, "
      "amount, currency) SELECT team_id, '",
      id, "', id, program_id, affiliate_id, ", amount,
      ", commission_currency FROM commissions WHERE id = '", commission_id, "' AND team_id = '",
      tenant.team_id, "'"));
  return id;
}

}  // namespace affonso::storage::testing
