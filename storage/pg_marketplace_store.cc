#include "storage/pg_marketplace_store.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "common/api_error.h"
#include "storage/joined_statement.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::MarketplaceProgram;

// The public fields of a listed program, nothing else of its team's: the
// program's own texts, its default group's first incentive (sale before
// lead, then oldest) with the group's incentive count, and three of its
// payment terms. Not scoped by team: this is the marketplace's cross-team
// read (MarketplaceStore), so every statement repeats kListed.
constexpr char kSelect[] =
    "SELECT p.id, p.name, p.description, p.tagline, p.category, p.website_url, p.logo_url, "
    "  p.access_mode, inc.type AS incentive_type, inc.amount::text AS incentive_amount, "
    "  inc.is_percentage AS incentive_is_percentage, inc.apply_to AS incentive_apply_to, "
    "  inc.currency AS incentive_currency, inc.incentives AS incentive_count, "
    "  t.program_id AS terms_program_id, t.cookie_lifetime, t.payment_frequency, "
    "  t.payment_threshold::text AS payment_threshold ";
constexpr char kFrom[] =
    "FROM programs p "
    "LEFT JOIN LATERAL (SELECT i.type, i.amount, i.is_percentage, i.apply_to, i.currency, "
    "    count(*) OVER () AS incentives "
    "  FROM affiliate_groups g JOIN incentives i ON i.group_id = g.id AND i.program_id = "
    "g.program_id "
    "  WHERE g.program_id = p.id AND g.team_id = p.team_id AND g.is_default "
    "  ORDER BY (i.type = 'sale') DESC, i.created_at, i.id LIMIT 1) inc ON true "
    "LEFT JOIN program_payment_terms t ON t.team_id = p.team_id AND t.program_id = p.id ";
constexpr char kListed[] = "WHERE p.marketplace_listed AND p.status = 'active' ";

// $1 category (NULL: any), $2 limit, $3 offset; the total rides along.
constexpr JoinedStatement kListPrograms{
    "marketplace_list",
    kSelect,
    ", count(*) OVER () AS total ",
    kFrom,
    kListed,
    "AND ($1::text IS NULL OR lower(p.category) = lower($1::text)) "
    "ORDER BY p.created_at DESC, p.id DESC LIMIT $2::int OFFSET $3::bigint"};

constexpr JoinedStatement kCountPrograms{
    "marketplace_count", "SELECT count(*) AS total FROM programs p ", kListed,
    "AND ($1::text IS NULL OR lower(p.category) = lower($1::text))"};

// $1 the program id.
constexpr JoinedStatement kGetProgram{"marketplace_get", kSelect, kFrom, kListed, "AND p.id = $1"};

MarketplaceProgram ReadListing(const pqxx::row& row) {
  MarketplaceProgram program;
  program.set_id(ReadText(row["id"]));
  program.set_name(ReadText(row["name"]));
  if (!row["description"].is_null()) program.set_description(ReadText(row["description"]));
  if (!row["tagline"].is_null()) program.set_tagline(ReadText(row["tagline"]));
  if (!row["category"].is_null()) program.set_category(ReadText(row["category"]));
  program.set_website_url(ReadText(row["website_url"]));
  if (!row["logo_url"].is_null()) program.set_logo_url(ReadText(row["logo_url"]));
  const std::string access_mode = ReadText(row["access_mode"]);
  const auto* mode = affonso::v1::ProgramAccessMode_descriptor()->FindValueByName(
      "PROGRAM_ACCESS_MODE_" + absl::AsciiStrToUpper(access_mode));
  program.set_access_mode(
      static_cast<affonso::v1::ProgramAccessMode>(mode == nullptr ? 0 : mode->number()));
  program.set_currency("USD");
  if (!row["incentive_type"].is_null()) {
    affonso::v1::MarketplaceCommission* commission = program.mutable_commission();
    commission->set_type(ReadText(row["incentive_type"]));
    commission->set_value(ReadDecimal(row["incentive_amount"]));
    commission->set_is_percentage(row["incentive_is_percentage"].as<bool>());
    commission->set_apply_to(ReadText(row["incentive_apply_to"]));
    commission->set_has_multiple_tiers(row["incentive_count"].as<int64_t>() > 1);
    program.set_currency(ReadText(row["incentive_currency"]));
  }
  if (!row["terms_program_id"].is_null()) {
    affonso::v1::MarketplaceTerms* terms = program.mutable_terms();
    terms->set_cookie_lifetime_days(row["cookie_lifetime"].as<int>());
    terms->set_payment_frequency(ReadText(row["payment_frequency"]));
    terms->set_payment_threshold(ReadDecimal(row["payment_threshold"]));
  }
  return program;
}

}  // namespace

absl::StatusOr<MarketplacePage> PgMarketplaceStore::ListPrograms(const MarketplaceQuery& query) {
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  return pool_->Autocommit("list_marketplace", [&](Tx& tx) -> absl::StatusOr<MarketplacePage> {
    MarketplacePage page;
    pqxx::result rows = tx.Exec(kListPrograms, NullIfEmpty(query.category), query.limit, offset);
    if (rows.empty()) {
      // Past the last page the window has no row to carry the total.
      if (offset > 0) {
        page.total = tx.Exec(kCountPrograms, NullIfEmpty(query.category))[0]["total"].as<int>();
      }
      return page;
    }
    page.total = rows[0]["total"].as<int>();
    for (const pqxx::row& row : rows) page.programs.push_back(ReadListing(row));
    return page;
  });
}

absl::StatusOr<MarketplaceProgram> PgMarketplaceStore::GetProgram(absl::string_view program_id) {
  const std::string id(program_id);
  return pool_->Autocommit("get_marketplace", [&](Tx& tx) -> absl::StatusOr<MarketplaceProgram> {
    return QueryOne(tx, kGetProgram, ReadListing, "program", id);
  });
}

}  // namespace affonso::storage
