#include "storage/pg_partner_token_store.h"

#include <string>

#include "common/api_error.h"
#include "storage/joined_statement.h"
#include "storage/pg_values.h"
#include "storage/program_scope_sql.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

// The select list of a grant, under the names ReadGrant reads: `t` the
// token, `a` its affiliate, `p` the program, `s` its tracking settings.
#define AFFONSO_GRANT_COLUMNS \
  "t.id AS token_id, t.purpose, t.team_id, t.affiliate_id, t.program_id, "          \
  AFFONSO_SQL_MICROS("t.expires_at") " AS expires_at, t.revoked_at IS NOT NULL "    \
  "  OR a.deleted_at IS NOT NULL OR a.partnership_status = 'rejected' AS revoked, " \
  "a.name, a.email, a.tracking_id, a.partnership_status, p.website_url, "           \
  "COALESCE(s.default_referral_parameter, 'via') AS referral_parameter"
#define AFFONSO_GRANT_JOINS                                                \
  " JOIN affiliates a ON a.id = t.affiliate_id AND a.team_id = t.team_id " \
  "JOIN programs p ON p.id = t.program_id AND p.team_id = t.team_id "      \
  "LEFT JOIN program_tracking_settings s ON s.program_id = t.program_id "

// Only for the team's live affiliate, and not a rejected one; the program is
// the affiliate's. The same statement deletes the affiliate's rows expired
// over an hour ago (the signature refuses their tokens already; the hour
// covers clocks apart between servers and database), so an affiliate keeps
// at most the rows issued within a token lifetime and an hour.
// $1 team, $2 id, $3 purpose, $4 affiliate, $5 expiry (epoch micros).
constexpr Statement kIssue{
    "partner_token_issue",
    "WITH expired AS ( "
    "  DELETE FROM partner_tokens WHERE team_id = $1 AND affiliate_id = $4 "
    "    AND expires_at < now() - interval '1 hour'), "
    "t AS ( "
    "  INSERT INTO partner_tokens (team_id, id, purpose, affiliate_id, program_id, expires_at) "
    "  SELECT a.team_id, $2, $3, a.id, a.program_id, " AFFONSO_SQL_FROM_MICROS("$5::bigint") " "
    "  FROM affiliates a WHERE a.id = $4 AND a.team_id = $1 AND a.deleted_at IS NULL "
    "    AND a.partnership_status <> 'rejected' "
    "  RETURNING *) "
    "SELECT " AFFONSO_GRANT_COLUMNS " FROM t" AFFONSO_GRANT_JOINS};

// $1 team, $2 id, $3 purpose.
constexpr Statement kResolve{"partner_token_resolve",
                             "SELECT " AFFONSO_GRANT_COLUMNS
                             " FROM partner_tokens t" AFFONSO_GRANT_JOINS
                             "WHERE t.team_id = $1 AND t.id = $2 AND t.purpose = $3"};

// Why kIssue inserted nothing: no row = no such live affiliate of the team.
constexpr Statement kLiveAffiliate{
    "partner_token_live_affiliate",
    "SELECT 1 FROM affiliates WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL"};

constexpr Statement kRevoke{
    "partner_token_revoke",
    "UPDATE partner_tokens SET revoked_at = now(), revoked_reason = 'operator' "
    "WHERE team_id = $1 AND id = $2 AND revoked_at IS NULL"};

constexpr Statement kRevokeAffiliate{
    "partner_token_revoke_affiliate",
    "UPDATE partner_tokens SET revoked_at = now(), revoked_reason = 'operator' "
    "WHERE team_id = $1 AND affiliate_id = $2 AND revoked_at IS NULL"};

// As the other stores read "no program_id": the team's default program, and
// none (no fallback to another program) when it has no default.
// $2 NULL: the team's default program.
constexpr JoinedStatement kDefaultProgram{"partner_token_default_program", kWithProgram,
                                          "SELECT id FROM prog"};

#undef AFFONSO_GRANT_JOINS
#undef AFFONSO_GRANT_COLUMNS

PartnerTokenGrant ReadGrant(const pqxx::row& row) {
  PartnerTokenGrant grant;
  grant.token_id = ReadText(row["token_id"]);
  grant.purpose = ReadText(row["purpose"]);
  grant.team_id = ReadText(row["team_id"]);
  grant.affiliate_id = ReadText(row["affiliate_id"]);
  grant.program_id = ReadText(row["program_id"]);
  grant.expires_at_micros = row["expires_at"].as<int64_t>();
  if (!row["name"].is_null()) grant.name = ReadText(row["name"]);
  if (!row["email"].is_null()) grant.email = ReadText(row["email"]);
  if (!row["tracking_id"].is_null()) grant.tracking_id = ReadText(row["tracking_id"]);
  grant.partnership_status = ReadText(row["partnership_status"]);
  grant.website_url = ReadText(row["website_url"]);
  grant.referral_parameter = ReadText(row["referral_parameter"]);
  return grant;
}

}  // namespace

absl::StatusOr<PartnerTokenGrant> PgPartnerTokenStore::IssueToken(absl::string_view team_id,
                                                                  absl::string_view token_id,
                                                                  absl::string_view purpose,
                                                                  absl::string_view affiliate_id,
                                                                  int64_t expires_at_micros) {
  // Two statements (the insert, and why it inserted nothing): one transaction.
  return pool_->InTransaction(
      "issue_partner_token", [&](Tx& tx) -> absl::StatusOr<PartnerTokenGrant> {
        const pqxx::result rows =
            tx.Exec(kIssue, std::string(team_id), std::string(token_id), std::string(purpose),
                    std::string(affiliate_id), expires_at_micros);
        if (!rows.empty()) return ReadGrant(rows[0]);
        if (tx.Exec(kLiveAffiliate, std::string(affiliate_id), std::string(team_id)).empty()) {
          return NotFoundError("affiliate");
        }
        return ValidationError("partnership_status", "a rejected affiliate gets no partner token");
      });
}

absl::StatusOr<PartnerTokenGrant> PgPartnerTokenStore::ResolveToken(absl::string_view team_id,
                                                                    absl::string_view token_id,
                                                                    absl::string_view purpose) {
  return pool_->Autocommit(
      "resolve_partner_token", [&](Tx& tx) -> absl::StatusOr<PartnerTokenGrant> {
        const pqxx::result rows =
            tx.Exec(kResolve, std::string(team_id), std::string(token_id), std::string(purpose));
        if (rows.empty()) {
          return WithApiCode(absl::UnauthenticatedError("the partner token is not valid"),
                             api_code::kInvalidToken);
        }
        if (rows[0]["revoked"].as<bool>()) {
          return WithApiCode(absl::UnauthenticatedError("the partner token has been revoked"),
                             api_code::kTokenRevoked);
        }
        return ReadGrant(rows[0]);
      });
}

absl::Status PgPartnerTokenStore::RevokeToken(absl::string_view team_id,
                                              absl::string_view token_id) {
  return pool_->Autocommit("revoke_partner_token", [&](Tx& tx) {
    return RequireRow(tx, kRevoke, "token", team_id, token_id);
  });
}

absl::StatusOr<int> PgPartnerTokenStore::RevokeAffiliateTokens(absl::string_view team_id,
                                                               absl::string_view affiliate_id) {
  return pool_->Autocommit("revoke_affiliate_partner_tokens", [&](Tx& tx) -> absl::StatusOr<int> {
    return static_cast<int>(
        tx.Exec(kRevokeAffiliate, std::string(team_id), std::string(affiliate_id)).affected_rows());
  });
}

absl::StatusOr<std::string> PgPartnerTokenStore::DefaultProgram(absl::string_view team_id) {
  return pool_->Autocommit("partner_default_program", [&](Tx& tx) -> absl::StatusOr<std::string> {
    const pqxx::result rows =
        tx.Exec(kDefaultProgram, std::string(team_id), static_cast<const char*>(nullptr));
    if (rows.empty()) return NotFoundError("program");
    return ReadText(rows[0]["id"]);
  });
}

}  // namespace affonso::storage
