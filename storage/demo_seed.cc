#include "storage/demo_seed.h"

#include "common/ids.h"
#include "storage/pg_api_key_store.h"

namespace affonso::storage {
namespace {

constexpr char kDemoTeam[] = "Demo";
constexpr char kDemoTrackingId[] = "demo";

// Serialises concurrent seeders (two `./dev run` at once) without a unique
// constraint on team names, which real tenants may share.
constexpr Statement kLock{"demo_lock", "SELECT pg_advisory_xact_lock(7283514002)"};
// $1 team name.
constexpr Statement kFindDemo{"demo_find",
                              "SELECT t.id AS team_id, p.id AS program_id FROM teams t JOIN "
                              "programs p ON p.team_id = t.id AND p.is_default "
                              "WHERE t.name = $1 ORDER BY t.created_at LIMIT 1"};
// $1 team, $2 program, $3 tracking id, $4 id if it is new.
constexpr Statement kUpsertAffiliate{
    "demo_affiliate",
    "WITH existing AS ("
    "  SELECT id FROM affiliates WHERE program_id = $2 AND tracking_id = $3 "
    "  AND deleted_at IS NULL), "
    "inserted AS ("
    "  INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
    "    partnership_status) "
    "  SELECT $4, $1, $2, 'Demo Affiliate', 'affiliate@demo.test', $3, 'approved' "
    "  WHERE NOT EXISTS (SELECT 1 FROM existing) RETURNING id) "
    "SELECT id FROM existing UNION ALL SELECT id FROM inserted"};

}  // namespace

absl::StatusOr<DemoTenant> SeedDemo(ConnectionPool& pool) {
  PgApiKeyStore keys(&pool);
  auto tenant = pool.InTransaction("seed_demo", [&](Tx& tx) -> absl::StatusOr<DemoTenant> {
    tx.Exec(kLock);
    DemoTenant demo;
    pqxx::result found = tx.Exec(kFindDemo, kDemoTeam);
    if (found.empty()) {
      TeamBootstrap team = CreateTeamInTransaction(tx, kDemoTeam);
      demo.team_id = team.team_id;
      demo.program_id = team.program_id;
    } else {
      demo.team_id = found[0]["team_id"].as<std::string>();
      demo.program_id = found[0]["program_id"].as<std::string>();
    }
    demo.tracking_id = kDemoTrackingId;
    demo.affiliate_id = tx.Exec(kUpsertAffiliate, demo.team_id, demo.program_id, demo.tracking_id,
                                NewId("aff"))[0]["id"]
                            .as<std::string>();
    return demo;
  });
  if (!tenant.ok()) return tenant.status();
  auto key = keys.CreateApiKey(tenant->team_id);
  if (!key.ok()) return key.status();
  tenant->api_key = key->key;
  return tenant;
}

}  // namespace affonso::storage
