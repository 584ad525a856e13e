#include "storage/pg_click_store.h"

#include "common/api_error.h"
#include "common/ids.h"
#include "storage/pg_values.h"

namespace affonso::storage {
namespace {

// One round trip: the program and the approved affiliate are resolved inside
// the INSERT, team-scoped, so a click can only ever attach to the caller's own
// program and affiliate.
// $1 id, $2 team, $3 program, $4 tracking id, then the attribution in the
// column list's order: $5-$9 sub1-sub5, $10 referrer, $11 ip, $12 user agent,
// $13-$17 utm source, medium, campaign, term, content, $18 gclid, $19 fbclid,
// $20 msclkid, $21 ttclid; $22 created_at (epoch micros, NULL = now), $23
// country (stored upper case). The
// store's test sets each to a different value and reads each column back, so
// a misordered parameter fails it.
constexpr Statement kInsertClick{
    "click_insert",
    "INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id, "
    "  sub1, sub2, sub3, sub4, sub5, referrer, ip, user_agent, "
    "  utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
    "  gclid, fbclid, msclkid, ttclid, created_at, country) "
    "SELECT $1, p.team_id, p.id, a.id, a.tracking_id, "
    "  $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, "
    "  COALESCE(" AFFONSO_SQL_FROM_MICROS("$22") ", now()), upper($23::text) "
    "FROM programs p "
    "JOIN affiliates a ON a.program_id = p.id AND a.tracking_id = $4 "
    "  AND a.deleted_at IS NULL AND a.partnership_status = 'approved' "
    "WHERE p.id = $3 AND p.team_id = $2 "
    "RETURNING id, tracking_id, program_id, " AFFONSO_SQL_MICROS("created_at") " AS created_at"};

// $1 program, $2 team.
constexpr Statement kProgramExists{"click_program_exists",
                                   "SELECT 1 FROM programs WHERE id = $1 AND team_id = $2"};

affonso::v1::Click ReadClick(const pqxx::row& row) {
  affonso::v1::Click click;
  click.set_id(ReadText(row["id"]));
  click.set_tracking_id(ReadText(row["tracking_id"]));
  click.set_program_id(ReadText(row["program_id"]));
  ReadTimestamp(row["created_at"], click.mutable_created_at());
  return click;
}

}  // namespace

absl::StatusOr<affonso::v1::Click> PgClickStore::TrackClick(
    absl::string_view team_id, const affonso::v1::TrackClickRequest& request) {
  const std::string team(team_id);
  const std::string id = NewId("clk");
  const std::string created_at = TimestampMicros(request.created_at(), request.has_created_at());
  return pool_->Autocommit("track_click", [&](Tx& tx) -> absl::StatusOr<affonso::v1::Click> {
    pqxx::result rows = tx.Exec(
        kInsertClick, id, team, request.program_id(), request.tracking_id(),
        NullIfEmpty(request.sub1()), NullIfEmpty(request.sub2()), NullIfEmpty(request.sub3()),
        NullIfEmpty(request.sub4()), NullIfEmpty(request.sub5()), NullIfEmpty(request.referrer()),
        NullIfEmpty(request.ip()), NullIfEmpty(request.user_agent()),
        NullIfEmpty(request.utm_source()), NullIfEmpty(request.utm_medium()),
        NullIfEmpty(request.utm_campaign()), NullIfEmpty(request.utm_term()),
        NullIfEmpty(request.utm_content()), NullIfEmpty(request.gclid()),
        NullIfEmpty(request.fbclid()), NullIfEmpty(request.msclkid()),
        NullIfEmpty(request.ttclid()), NullIfEmpty(created_at), NullIfEmpty(request.country()));
    if (rows.empty()) {
      // Say which one is missing; both answers are this team's own business.
      if (tx.Exec(kProgramExists, request.program_id(), team).empty()) {
        return NotFoundError("program");
      }
      return NotFoundError("approved affiliate with this tracking id");
    }
    return ReadClick(rows[0]);
  });
}

}  // namespace affonso::storage
