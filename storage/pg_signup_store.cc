#include "storage/pg_signup_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "storage/pg_values.h"
#include "storage/referral_rows.h"

namespace affonso::storage {
namespace {

// The whole conversion in one autocommit statement: the click (team-scoped),
// the tracking settings and the insert. The referral takes the click's id, so
// of any number of racing calls exactly one inserts; the others wait on the
// primary key, find the conflict and return nothing.
const std::string kConvertSql = absl::StrCat(
    "INSERT INTO referrals AS r (id, team_id, program_id, affiliate_id, click_id, source, "
    "  email, external_user_id, name, status) "
    "SELECT c.id, c.team_id, c.program_id, c.affiliate_id, c.id, 'click', "
    "  CASE WHEN COALESCE(s.track_email, true) THEN $3 END, $4, "
    "  CASE WHEN COALESCE(s.track_name, true) THEN $5 END, 'lead' "
    "FROM clicks c "
    "LEFT JOIN program_tracking_settings s ON s.program_id = c.program_id "
    "WHERE c.id = $1 AND c.team_id = $2 "
    "ON CONFLICT DO NOTHING "
    "RETURNING ",
    kReferralColumns);

// A separate statement on purpose: under READ COMMITTED it takes a fresh
// snapshot, so it sees the winner's row that the INSERT above waited for.
// A click can also already belong to a direct referral (POST /v1/referrals
// with click_id): that referral is the click's conversion too.
const std::string kExistingSql = absl::StrCat(
    "SELECT ", kReferralColumns,
    " FROM referrals r WHERE (r.id = $1 OR r.click_id = $1) AND r.team_id = $2 "
    "ORDER BY r.id = $1 DESC LIMIT 1");

const Statement kConvert{"signup_convert", kConvertSql.c_str()};
const Statement kExisting{"signup_existing", kExistingSql.c_str()};

}  // namespace

const std::string& PgSignupStore::ConvertSql() { return kConvertSql; }

absl::StatusOr<Conversion> PgSignupStore::ConvertClick(
    absl::string_view team_id, const affonso::v1::RecordSignupRequest& request) {
  const std::string team(team_id);
  return pool_->Autocommit("convert_click", [&](Tx& tx) -> absl::StatusOr<Conversion> {
    pqxx::result inserted =
        tx.Exec(kConvert, request.click_id(), team, NullIfEmpty(request.email()),
                NullIfEmpty(request.external_user_id()), NullIfEmpty(request.name()));
    if (!inserted.empty()) {
      auto referral = ReadReferral(inserted[0]);
      if (!referral.ok()) return referral.status();
      return Conversion{*std::move(referral), true};
    }
    pqxx::result existing = tx.Exec(kExisting, request.click_id(), team);
    if (existing.empty()) return NotFoundError("click");
    auto referral = ReadReferral(existing[0]);
    if (!referral.ok()) return referral.status();
    return Conversion{*std::move(referral), false};
  });
}

}  // namespace affonso::storage
