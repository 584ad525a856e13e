#include "storage/pg_tracking_store.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "storage/click_attribution_rows.h"
#include "storage/coupon_rows.h"
#include "storage/json_rows.h"
#include "storage/pg_values.h"
#include "storage/program_store.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

// By the public id alone: this is how a public call learns its team. A
// program without tracking or pixel rows has their defaults ($2 the window).
constexpr Statement kResolveProgram{
    "public_program_resolve",
    "SELECT p.id, p.team_id, p.visitor_hash_salt, "
    "  COALESCE(t.default_referral_parameter, 'via') AS default_referral_parameter, "
    "  COALESCE(t.enabled_referral_parameters, '{}') AS enabled_referral_parameters, "
    "  COALESCE(t.append_affonso_id_enabled, false) AS append_affonso_id_enabled, "
    "  COALESCE(px.allowed_domains, '{}') AS allowed_domains, "
    "  COALESCE(px.click_dedup_window_seconds, $2::int) AS click_dedup_window_seconds, "
    "  COALESCE(px.browser_external_user_id, false) AS browser_external_user_id "
    "FROM programs p "
    "LEFT JOIN program_tracking_settings t ON t.program_id = p.id "
    "LEFT JOIN program_pixel_settings px ON px.team_id = p.team_id AND px.program_id = p.id "
    "WHERE p.id = $1"};

// Every statement of a batch takes it as one parameter, a JSON array with
// one object per distinct click (s: its slot), read with
// json_to_recordset.

// The approved, live affiliate with the tracking id in the team's program,
// per slot, and for each slot that de-duplicates the lock on the visitor's
// slot on that affiliate, held until the transaction ends. The locks are
// taken one after the other in key order (the sorted subquery feeds the
// aggregate in order; MATERIALIZED: computed once, whatever the join's
// plan), so batches sharing visitors queue instead of
// deadlocking. The next statement's snapshot is taken after the locks are
// granted, so it sees a racing batch's committed click. The key is the one
// single-click calls took, so replicas of the previous release exclude the
// same calls. Seed 19: apart from the other advisory locks' keys.
constexpr Statement kLockAffiliates{
    "public_click_affiliates_lock",
    "WITH i AS ( "
    "  SELECT * FROM json_to_recordset($1::json) "
    "  AS i(s int, team_id text, program_id text, tracking_id text, visitor_hash text, "
    "       dedup boolean)), "
    "found AS MATERIALIZED ( "
    "  SELECT i.s, a.id AS affiliate_id, "
    "    CASE WHEN i.dedup THEN hashtextextended(i.team_id || '/' || i.program_id || '/' || "
    "      a.id || '/' || i.visitor_hash, 19) END AS lock_key "
    "  FROM i JOIN affiliates a ON a.team_id = i.team_id AND a.program_id = i.program_id "
    "    AND a.tracking_id = i.tracking_id AND a.deleted_at IS NULL "
    "    AND a.partnership_status = 'approved'), "
    "locked AS MATERIALIZED ( "
    "  SELECT count(pg_advisory_xact_lock(k)) AS locks "
    "  FROM (SELECT DISTINCT lock_key AS k FROM found WHERE lock_key IS NOT NULL ORDER BY k) keys) "
    "SELECT f.s, f.affiliate_id, l.locks FROM found f CROSS JOIN locked l"};

// Per slot, the visitor's newest click on the affiliate within the window
// (dedup_window seconds; 0: none is looked for), else a new one with every
// attribution field (each under its column's name; the store's test sets
// each to a different value and reads each column back).
constexpr Statement kInsertUnlessSeen{
    "public_click_insert_batch",
    "WITH i AS ( "
    "  SELECT * FROM json_to_recordset($1::json) "
    "  AS i(s int, id text, team_id text, program_id text, affiliate_id text, "
    "       tracking_id text, visitor_hash text, dedup_window int, "
    "       sub1 text, sub2 text, sub3 text, sub4 text, sub5 text, referrer text, ip text, "
    "       user_agent text, utm_source text, utm_medium text, utm_campaign text, "
    "       utm_term text, utm_content text, gclid text, fbclid text, msclkid text, "
    "       ttclid text, has_consent boolean, ad_click_ids jsonb)), "
    "prev AS ( "
    "  SELECT i.s, p.id FROM i CROSS JOIN LATERAL ( "
    "    SELECT c.id FROM clicks c "
    "    WHERE c.team_id = i.team_id AND c.program_id = i.program_id "
    "      AND c.affiliate_id = i.affiliate_id AND c.visitor_hash = i.visitor_hash "
    "      AND c.created_at > now() - i.dedup_window * interval '1 second' "
    "    ORDER BY c.created_at DESC LIMIT 1) p "
    "  WHERE i.dedup_window > 0), "
    "ins AS ( "
    "  INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id, visitor_hash, "
    "    sub1, sub2, sub3, sub4, sub5, referrer, ip, user_agent, "
    "    utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
    "    gclid, fbclid, msclkid, ttclid, has_consent, ad_click_ids) "
    "  SELECT i.id, i.team_id, i.program_id, i.affiliate_id, i.tracking_id, i.visitor_hash, "
    "    i.sub1, i.sub2, i.sub3, i.sub4, i.sub5, i.referrer, i.ip, i.user_agent, "
    "    i.utm_source, i.utm_medium, i.utm_campaign, i.utm_term, i.utm_content, "
    "    i.gclid, i.fbclid, i.msclkid, i.ttclid, i.has_consent, i.ad_click_ids "
    "  FROM i WHERE NOT EXISTS (SELECT 1 FROM prev WHERE prev.s = i.s) "
    "  RETURNING id) "
    "SELECT i.s, ins.id, true AS created FROM ins JOIN i ON i.id = ins.id "
    "UNION ALL SELECT prev.s, prev.id, false FROM prev"};

// A click recorded without consent takes the visitor's IP and user agent;
// one that already holds consented values (or a POST /v1/clicks one: NULL)
// keeps them. $1 team, $2 program, $3 click, $4 ip, $5 user agent.
constexpr Statement kUpgradeClick{
    "public_click_upgrade",
    "UPDATE clicks c SET "
    "  ip = CASE WHEN c.has_consent = false THEN $4 ELSE c.ip END, "
    "  user_agent = CASE WHEN c.has_consent = false THEN $5 ELSE c.user_agent END, "
    "  has_consent = CASE WHEN c.has_consent = false THEN true ELSE c.has_consent END "
    "WHERE c.id = $3 AND c.team_id = $1 AND c.program_id = $2 "
    "RETURNING c.id, c.affiliate_id"};

// $1 team, $2 program, $3 click.
constexpr Statement kClickInProgram{
    "public_click_in_program",
    "SELECT 1 FROM clicks WHERE id = $3 AND team_id = $1 AND program_id = $2"};

PublicProgram ReadProgram(const pqxx::row& row) {
  PublicProgram program;
  program.id = ReadText(row["id"]);
  program.team_id = ReadText(row["team_id"]);
  program.visitor_hash_salt = ReadText(row["visitor_hash_salt"]);
  ReadTextArray(row["allowed_domains"], &program.allowed_domains);
  program.click_dedup_window_seconds = row["click_dedup_window_seconds"].as<int>();
  program.append_affonso_id_enabled = row["append_affonso_id_enabled"].as<bool>();
  program.browser_external_user_id = row["browser_external_user_id"].as<bool>();
  // The default parameter is always enabled, and first (as ReadTracking of
  // PgProgramStore lists them).
  const std::string default_parameter = ReadText(row["default_referral_parameter"]);
  program.referral_parameters.push_back(default_parameter);
  std::vector<std::string> enabled;
  ReadTextArray(row["enabled_referral_parameters"], &enabled);
  for (std::string& parameter : enabled) {
    if (parameter != default_parameter) program.referral_parameters.push_back(std::move(parameter));
  }
  return program;
}

// The ad platforms' click ids without a column of their own, as a JSON
// object of those present ("" when none: NULL).
std::string AdClickIds(const affonso::v1::TrackRequest& click) {
  const std::pair<const char*, const std::string*> ids[] = {
      {"gbraid", &click.gbraid()},
      {"wbraid", &click.wbraid()},
      {"gad_source", &click.gad_source()},
      {"utm_agid", &click.utm_agid()},
      {"gad_campaignid", &click.gad_campaignid()},
      {"utm_adid", &click.utm_adid()},
      {"fbadid", &click.fbadid()},
      {"fbgid", &click.fbgid()},
      {"igshid", &click.igshid()},
      {"li_fat_id", &click.li_fat_id()},
      {"twclid", &click.twclid()},
      {"epik", &click.epik()},
      {"sc_cid", &click.sc_cid()},
      {"rdt_cid", &click.rdt_cid()},
  };
  google::protobuf::Struct present;
  for (const auto& [name, value] : ids) {
    if (!value->empty()) (*present.mutable_fields())[name].set_string_value(*value);
  }
  return present.fields().empty() ? "" : StructToJson(present);
}

// '\n' occurs in neither (ids).
std::string AffiliateKey(absl::string_view team_id, absl::string_view affiliate_id) {
  return absl::StrCat(team_id, "\n", affiliate_id);
}

using CouponsByAffiliate = absl::flat_hash_map<std::string, std::vector<affonso::v1::Coupon>>;

// The coupons of each affiliate in `affiliates` (AffiliateKey -> its
// coupons; none: absent).
CouponsByAffiliate ReadAffiliateCoupons(Tx& tx, const std::vector<TeamAffiliate>& affiliates) {
  CouponsByAffiliate coupons;
  ReadCouponsOfAffiliates(
      tx, affiliates, [&](const std::string& team_id, affonso::v1::Coupon coupon) {
        coupons[AffiliateKey(team_id, coupon.affiliate_id())].push_back(std::move(coupon));
      });
  return coupons;
}

}  // namespace

absl::StatusOr<PublicProgram> PgTrackingStore::ResolveProgram(absl::string_view program_id) {
  const std::string program(program_id);
  return pool_->Autocommit("resolve_public_program", [&](Tx& tx) -> absl::StatusOr<PublicProgram> {
    return QueryOne(tx, kResolveProgram, ReadProgram, "program", program,
                    kDefaultClickDedupWindowSeconds);
  });
}

PgTrackingStore::PgTrackingStore(ConnectionPool* pool, Options options)
    : pool_(pool),
      batches_(
          BatchOptionsFor(options, "affonso_public_click_batch_size",
                          "POST /v1/track clicks recorded per batch (one transaction and commit)."),
          [this](absl::Span<Pending> batch) { return RunBatch(batch); },
          [](Pending& pending, const absl::Status& status) { pending.done(status); }) {}

PgTrackingStore::~PgTrackingStore() = default;

void PgTrackingStore::RecordClickAsync(std::string team_id, std::string program_id,
                                       const affonso::v1::TrackRequest* click, Visitor visitor,
                                       int dedup_window_seconds, TrackedClickCallback done) {
  batches_.Add(Pending{std::move(team_id), std::move(program_id), click, std::move(visitor),
                       dedup_window_seconds, std::move(done)});
}

absl::Status PgTrackingStore::RunBatch(absl::Span<Pending> batch) {
  // One slot per distinct click: calls that de-duplicate against each other
  // (same team, program, tracking id, so affiliate, and visitor) share one,
  // whose first call is the one that may create the click. Without a hash
  // there is nothing to compare: every such call is a slot, a new click.
  struct Slot {
    size_t first;  // the batch member that makes it
    int window;    // 0: no de-duplication
  };
  std::vector<Slot> slots;
  std::vector<size_t> slot_of(batch.size());
  absl::flat_hash_map<std::string, size_t> slot_by_key;
  JsonRows lookups;
  for (size_t n = 0; n < batch.size(); ++n) {
    const Pending& pending = batch[n];
    const bool dedup = pending.dedup_window_seconds > 0 && !pending.visitor.hash.empty();
    if (dedup) {
      // '\n' occurs in none of them (validated text, ids, hex).
      auto [it, inserted] = slot_by_key.try_emplace(
          absl::StrCat(pending.team_id, "\n", pending.program_id, "\n",
                       pending.click->tracking_id(), "\n", pending.visitor.hash),
          slots.size());
      slot_of[n] = it->second;
      if (!inserted) continue;
    } else {
      slot_of[n] = slots.size();
    }
    slots.push_back(Slot{n, dedup ? pending.dedup_window_seconds : 0});
    lookups.BeginRow();
    lookups.Int("s", static_cast<long long>(slots.size() - 1));
    lookups.Text("team_id", pending.team_id);
    lookups.Text("program_id", pending.program_id);
    lookups.Text("tracking_id", pending.click->tracking_id());
    lookups.Text("visitor_hash", pending.visitor.hash);
    lookups.Bool("dedup", dedup);
    lookups.EndRow();
  }
  const std::string lookups_json = std::move(lookups).Finish();
  // Ids are minted per run: a run that failed rolled back, so a rerun (the
  // pool's, or row by row) never meets its own ids.
  std::vector<std::string> ids(slots.size());
  for (std::string& id : ids) id = NewId("clk");

  struct Outcome {
    std::string affiliate_id;  // "": no such affiliate
    std::string click_id;
    bool created = false;
  };
  std::vector<Outcome> outcomes;
  CouponsByAffiliate coupons;
  absl::Status status = pool_->InTransaction("record_public_clicks", [&](Tx& tx) -> absl::Status {
    outcomes.assign(slots.size(), Outcome());
    coupons.clear();
    const pqxx::result affiliates = tx.Exec(kLockAffiliates, lookups_json);
    JsonRows writes;
    for (const auto& row : affiliates) {
      const int s = row["s"].as<int>();
      if (s < 0 || s >= static_cast<int>(slots.size())) {
        return absl::InternalError("internal error");
      }
      outcomes[s].affiliate_id = ReadText(row["affiliate_id"]);
      const Pending& pending = batch[slots[s].first];
      const affonso::v1::TrackRequest& click = *pending.click;
      const Visitor& visitor = pending.visitor;
      writes.BeginRow();
      writes.Int("s", s);
      writes.Text("id", ids[s]);
      writes.Text("team_id", pending.team_id);
      writes.Text("program_id", pending.program_id);
      writes.Text("affiliate_id", outcomes[s].affiliate_id);
      writes.Text("tracking_id", click.tracking_id());
      writes.Text("visitor_hash", visitor.hash);
      writes.Int("dedup_window", slots[s].window);
      AddClickAttribution(click, writes);
      // Without consent the visitor is kept as its hash alone.
      if (visitor.has_consent) {
        writes.Text("ip", visitor.ip);
        writes.Text("user_agent", visitor.user_agent);
      }
      writes.Bool("has_consent", visitor.has_consent);
      const std::string ad_click_ids = AdClickIds(click);
      if (!ad_click_ids.empty()) writes.Raw("ad_click_ids", ad_click_ids);
      writes.EndRow();
    }
    if (writes.empty()) return absl::OkStatus();
    const pqxx::result recorded = tx.Exec(kInsertUnlessSeen, std::move(writes).Finish());
    for (const auto& row : recorded) {
      const int s = row["s"].as<int>();
      if (s < 0 || s >= static_cast<int>(slots.size())) {
        return absl::InternalError("internal error");
      }
      outcomes[s].click_id = ReadText(row["id"]);
      outcomes[s].created = row["created"].as<bool>();
    }
    std::vector<TeamAffiliate> found_affiliates;
    for (size_t s = 0; s < slots.size(); ++s) {
      if (outcomes[s].affiliate_id.empty()) continue;
      found_affiliates.push_back({batch[slots[s].first].team_id, outcomes[s].affiliate_id});
    }
    coupons = ReadAffiliateCoupons(tx, found_affiliates);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;  // the workers answer

  for (size_t n = 0; n < batch.size(); ++n) {
    const Outcome& outcome = outcomes[slot_of[n]];
    if (outcome.affiliate_id.empty()) {
      batch[n].done(NotFoundError("approved affiliate with this tracking id"));
      continue;
    }
    if (outcome.click_id.empty()) {
      batch[n].done(absl::InternalError("internal error"));
      continue;
    }
    TrackedClick tracked;
    tracked.click_id = outcome.click_id;
    tracked.affiliate_id = outcome.affiliate_id;
    // Of calls sharing a slot, only its first made the click.
    tracked.created = outcome.created && slots[slot_of[n]].first == n;
    auto found = coupons.find(AffiliateKey(batch[n].team_id, outcome.affiliate_id));
    if (found != coupons.end()) tracked.coupons = found->second;
    batch[n].done(std::move(tracked));
  }
  return absl::OkStatus();
}

absl::StatusOr<TrackedClick> PgTrackingStore::UpgradeClick(absl::string_view team_id,
                                                           absl::string_view program_id,
                                                           absl::string_view click_id,
                                                           const Visitor& visitor) {
  const std::string team(team_id), program(program_id), click(click_id);
  // Autocommit: the update is idempotent and the coupon read needs no
  // snapshot of its own.
  return pool_->Autocommit("upgrade_public_click", [&](Tx& tx) -> absl::StatusOr<TrackedClick> {
    AFFONSO_ASSIGN_OR_RETURN(TrackedClick upgraded,
                             QueryOne(
                                 tx, kUpgradeClick,
                                 [](const pqxx::row& row) {
                                   TrackedClick found;
                                   found.click_id = ReadText(row["id"]);
                                   found.affiliate_id = ReadText(row["affiliate_id"]);
                                   return found;
                                 },
                                 "click", team, program, click, NullIfEmpty(visitor.ip),
                                 NullIfEmpty(visitor.user_agent)));
    CouponsByAffiliate coupons = ReadAffiliateCoupons(tx, {{team, upgraded.affiliate_id}});
    auto found = coupons.find(AffiliateKey(team, upgraded.affiliate_id));
    if (found != coupons.end()) upgraded.coupons = std::move(found->second);
    return upgraded;
  });
}

absl::Status PgTrackingStore::CheckClickInProgram(absl::string_view team_id,
                                                  absl::string_view program_id,
                                                  absl::string_view click_id) {
  const std::string team(team_id), program(program_id), click(click_id);
  return pool_->Autocommit("public_click_in_program", [&](Tx& tx) -> absl::Status {
    return RequireRow(tx, kClickInProgram, "click", team, program, click);
  });
}

}  // namespace affonso::storage
