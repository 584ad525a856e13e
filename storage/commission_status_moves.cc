#include "storage/commission_status_moves.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/json_escape.h"
#include "storage/pg_values.h"
#include "storage/transaction_event_sql.h"

namespace affonso::storage {
namespace {

// $1 JSON [{team_id, commission_id, updated_event_id, status_event_id}], $2
// the status they must still have, $3 the new one, $4 the status event's type
// (NULL: none).
constexpr Statement kMoveCommissions{
    "commission_status_move",
    "WITH i AS (SELECT * FROM json_to_recordset($1::json) "
    "  AS i(team_id text, commission_id text, updated_event_id text, status_event_id text)), "
    "upd AS ( "
    "  UPDATE commissions AS c SET status = $3::text, updated_at = now() "
    "  FROM i WHERE c.id = i.commission_id AND c.team_id = i.team_id AND c.status = $2::text "
    "  RETURNING c.id, c.team_id, c.referral_id, c.affiliate_id, c.commission_amount, "
    "    c.commission_currency, c.sale_amount AS event_sale_amount, "
    "    c.sale_amount_currency AS event_sale_currency, c.status, i.updated_event_id, "
    "    i.status_event_id), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT e.id, upd.team_id, e.type, " AFFONSO_TRANSACTION_EVENT_PAYLOAD("e.id", "e.type",
                                                                            "upd") " "
    "  FROM upd CROSS JOIN LATERAL (VALUES (upd.updated_event_id, 'transaction.updated'), "
    "    (upd.status_event_id, $4::text)) AS e(id, type) "
    "  WHERE e.type IS NOT NULL RETURNING id) "
    "SELECT upd.team_id, upd.id FROM upd ORDER BY upd.team_id, upd.id"};

}  // namespace

std::vector<CommissionRef> MoveCommissionStatus(Tx& tx,
                                                const std::vector<CommissionRef>& commissions,
                                                const char* from, const char* to,
                                                const char* status_event) {
  std::vector<CommissionRef> moved;
  if (commissions.empty()) return moved;
  std::string items = "[";
  for (const CommissionRef& commission : commissions) {
    if (items.size() > 1) items.push_back(',');
    absl::StrAppend(&items, "{\"team_id\":", JsonEscape(commission.team_id),
                    ",\"commission_id\":", JsonEscape(commission.id),
                    ",\"updated_event_id\":", JsonEscape(NewId("evt")),
                    ",\"status_event_id\":", JsonEscape(NewId("evt")), "}");
  }
  items.push_back(']');
  for (const pqxx::row& row : tx.Exec(kMoveCommissions, items, from, to, status_event)) {
    moved.push_back({ReadText(row["team_id"]), ReadText(row["id"])});
  }
  return moved;
}

}  // namespace affonso::storage
