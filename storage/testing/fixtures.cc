#include "storage/testing/fixtures.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "storage/pg_api_key_store.h"

namespace affonso::storage::testing {

absl::StatusOr<Tenant> CreateTenant(TestDatabase& db, const std::string& name,
                                    const std::string& partnership_status) {
  PgApiKeyStore store(&db.pool());
  auto team = store.CreateTeam(name);
  if (!team.ok()) return team.status();
  auto key = store.CreateApiKey(team->team_id);
  if (!key.ok()) return key.status();
  Tenant tenant{team->team_id, team->program_id, NewId("aff"),
                absl::AsciiStrToLower(RandomBase62(8)), key->key};
  db.QueryValue(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status) VALUES ('",
                   tenant.affiliate_id, "', '", tenant.team_id, "', '", tenant.program_id,
                   "', 'Alice', 'alice@affiliate.test', '", tenant.tracking_id, "', '",
                   partnership_status, "')"));
  return tenant;
}

std::string InsertClick(TestDatabase& db, const Tenant& tenant) {
  std::string id = NewId("clk");
  db.QueryValue(absl::StrCat(
      "INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id) VALUES ('", id,
      "', '", tenant.team_id, "', '", tenant.program_id, "', '", tenant.affiliate_id, "', '",
      tenant.tracking_id, "')"));
  return id;
}

void SetTracking(TestDatabase& db, const Tenant& tenant, bool track_email, bool track_name) {
  db.QueryValue(absl::StrCat(
      "UPDATE program_tracking_settings SET track_email = ", track_email ? "true" : "false",
      ", track_name = ", track_name ? "true" : "false", " WHERE program_id = '", tenant.program_id,
      "'"));
}

void TwoTenantTest::SetUp() {
  auto db = TestDatabase::Create(pool_size_);
  ASSERT_OK(db);
  db_ = *std::move(db);
  auto a = CreateTenant(*db_, "A");
  ASSERT_OK(a);
  auto b = CreateTenant(*db_, "B");
  ASSERT_OK(b);
  a_ = *std::move(a);
  b_ = *std::move(b);
}

}  // namespace affonso::storage::testing
