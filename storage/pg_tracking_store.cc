#include "storage/pg_tracking_store.h"

#include <string>
#include <utility>

#include "common/api_error.h"
#include "common/ids.h"
#include "google/protobuf/struct.pb.h"
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

// The approved, live affiliate with the tracking id in the team's program.
// $1 team, $2 program, $3 tracking id.
#define AFFONSO_APPROVED_AFFILIATE                                              \
  "FROM affiliates a WHERE a.team_id = $1 AND a.program_id = $2 "               \
  "AND a.tracking_id = $3 AND a.deleted_at IS NULL AND a.partnership_status = " \
  "'approved'"
constexpr Statement kFindAffiliate{"public_click_affiliate",
                                   "SELECT a.id " AFFONSO_APPROVED_AFFILIATE};
// The same, locking the visitor's slot on that affiliate until the
// transaction ends ($4 the visitor hash). The next statement's snapshot is
// taken after the lock is granted, so it sees a racing call's committed
// click. Seed 19: apart from the other advisory locks' keys.
constexpr Statement kLockAffiliateVisitor{"public_click_affiliate_lock",
                                          "SELECT a.id, pg_advisory_xact_lock(hashtextextended("
                                          "  $1::text || '/' || $2::text || '/' || a.id || '/' || "
                                          "$4::text, 19)) AS locked " AFFONSO_APPROVED_AFFILIATE};
#undef AFFONSO_APPROVED_AFFILIATE

// The visitor's newest click on the affiliate within the window ($5 seconds;
// 0: none is looked for), else a new one. $1 team, $2 program, $3 affiliate,
// $4 visitor hash, $6 id, $7 tracking id, then the attribution in the column
// list's order: $8-$12 sub1-sub5, $13 referrer, $14 ip, $15 user agent,
// $16-$20 utm source, medium, campaign, term, content, $21 gclid, $22
// fbclid, $23 msclkid, $24 ttclid, $25 has_consent, $26 ad_click_ids (a JSON
// object). The store's test sets each to a different value and reads each
// column back.
constexpr Statement kInsertUnlessSeen{
    "public_click_insert",
    "WITH prev AS (SELECT c.id FROM clicks c "
    "  WHERE $5::int > 0 AND c.team_id = $1 AND c.program_id = $2 AND c.affiliate_id = $3 "
    "    AND c.visitor_hash = $4 AND c.created_at > now() - $5::int * interval '1 second' "
    "  ORDER BY c.created_at DESC LIMIT 1), "
    "ins AS (INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id, visitor_hash, "
    "    sub1, sub2, sub3, sub4, sub5, referrer, ip, user_agent, "
    "    utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
    "    gclid, fbclid, msclkid, ttclid, has_consent, ad_click_ids) "
    "  SELECT $6, $1, $2, $3, $7, $4, $8, $9, $10, $11, $12, $13, $14, $15, "
    "    $16, $17, $18, $19, $20, $21, $22, $23, $24, $25::boolean, $26::jsonb "
    "  WHERE NOT EXISTS (SELECT 1 FROM prev) "
    "  RETURNING id) "
    "SELECT id, true AS created FROM ins UNION ALL SELECT id, false AS created FROM prev"};

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

}  // namespace

absl::StatusOr<PublicProgram> PgTrackingStore::ResolveProgram(absl::string_view program_id) {
  const std::string program(program_id);
  return pool_->Autocommit("resolve_public_program", [&](Tx& tx) -> absl::StatusOr<PublicProgram> {
    return QueryOne(tx, kResolveProgram, ReadProgram, "program", program,
                    kDefaultClickDedupWindowSeconds);
  });
}

absl::StatusOr<TrackedClick> PgTrackingStore::RecordClick(absl::string_view team_id,
                                                          absl::string_view program_id,
                                                          const affonso::v1::TrackRequest& click,
                                                          const Visitor& visitor,
                                                          int dedup_window_seconds) {
  const std::string team(team_id), program(program_id);
  const std::string id = NewId("clk");
  const std::string ad_click_ids = AdClickIds(click);
  // Without a hash there is nothing to compare: every call is a new click.
  const bool dedup = dedup_window_seconds > 0 && !visitor.hash.empty();
  const int window = dedup ? dedup_window_seconds : 0;
  const std::string ip = visitor.has_consent ? visitor.ip : "";
  const std::string user_agent = visitor.has_consent ? visitor.user_agent : "";
  return pool_->InTransaction("record_public_click", [&](Tx& tx) -> absl::StatusOr<TrackedClick> {
    const pqxx::result affiliate =
        dedup ? tx.Exec(kLockAffiliateVisitor, team, program, click.tracking_id(), visitor.hash)
              : tx.Exec(kFindAffiliate, team, program, click.tracking_id());
    if (affiliate.empty()) return NotFoundError("approved affiliate with this tracking id");
    TrackedClick tracked;
    tracked.affiliate_id = ReadText(affiliate[0]["id"]);
    const pqxx::result rows = tx.Exec(
        kInsertUnlessSeen, team, program, tracked.affiliate_id, NullIfEmpty(visitor.hash), window,
        id, click.tracking_id(), NullIfEmpty(click.sub1()), NullIfEmpty(click.sub2()),
        NullIfEmpty(click.sub3()), NullIfEmpty(click.sub4()), NullIfEmpty(click.sub5()),
        NullIfEmpty(click.referrer()), NullIfEmpty(ip), NullIfEmpty(user_agent),
        NullIfEmpty(click.utm_source()), NullIfEmpty(click.utm_medium()),
        NullIfEmpty(click.utm_campaign()), NullIfEmpty(click.utm_term()),
        NullIfEmpty(click.utm_content()), NullIfEmpty(click.gclid()), NullIfEmpty(click.fbclid()),
        NullIfEmpty(click.msclkid()), NullIfEmpty(click.ttclid()), visitor.has_consent,
        NullIfEmpty(ad_click_ids));
    tracked.click_id = ReadText(rows[0]["id"]);
    tracked.created = rows[0]["created"].as<bool>();
    return tracked;
  });
}

absl::StatusOr<TrackedClick> PgTrackingStore::UpgradeClick(absl::string_view team_id,
                                                           absl::string_view program_id,
                                                           absl::string_view click_id,
                                                           const Visitor& visitor) {
  const std::string team(team_id), program(program_id), click(click_id);
  return pool_->Autocommit("upgrade_public_click", [&](Tx& tx) -> absl::StatusOr<TrackedClick> {
    return QueryOne(
        tx, kUpgradeClick,
        [](const pqxx::row& row) {
          TrackedClick upgraded;
          upgraded.click_id = ReadText(row["id"]);
          upgraded.affiliate_id = ReadText(row["affiliate_id"]);
          return upgraded;
        },
        "click", team, program, click, NullIfEmpty(visitor.ip), NullIfEmpty(visitor.user_agent));
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
