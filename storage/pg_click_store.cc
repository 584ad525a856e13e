#include "storage/pg_click_store.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "storage/click_attribution_rows.h"
#include "storage/json_rows.h"
#include "storage/pg_values.h"

namespace affonso::storage {
namespace {

// The whole batch in one statement (one JSON object per click, as RunBatch
// writes it): the program and the approved affiliate are resolved inside
// the INSERT, team-scoped, so a click can only ever attach to the caller's
// own program and affiliate. Every click of the batch comes back: inserted
// with its row, or not, with whether its program is the team's (to say
// which one is missing). created_at: epoch micros, NULL = now; country
// stored upper case. The store's test sets each attribution field to a
// different value and reads each column back, so a misnamed key fails it.
constexpr Statement kInsertClicks{
    "click_insert_batch",
    "WITH i AS ( "
    "  SELECT * FROM json_to_recordset($1::json) "
    "  AS i(id text, team_id text, program_id text, tracking_id text, "
    "       sub1 text, sub2 text, sub3 text, sub4 text, sub5 text, referrer text, ip text, "
    "       user_agent text, utm_source text, utm_medium text, utm_campaign text, "
    "       utm_term text, utm_content text, gclid text, fbclid text, msclkid text, "
    "       ttclid text, created_at bigint, country text)), "
    "ins AS ( "
    "  INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id, "
    "    sub1, sub2, sub3, sub4, sub5, referrer, ip, user_agent, "
    "    utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
    "    gclid, fbclid, msclkid, ttclid, created_at, country) "
    "  SELECT i.id, p.team_id, p.id, a.id, a.tracking_id, "
    "    i.sub1, i.sub2, i.sub3, i.sub4, i.sub5, i.referrer, i.ip, i.user_agent, "
    "    i.utm_source, i.utm_medium, i.utm_campaign, i.utm_term, i.utm_content, "
    "    i.gclid, i.fbclid, i.msclkid, i.ttclid, "
    "    COALESCE(" AFFONSO_SQL_FROM_MICROS("i.created_at") ", now()), upper(i.country) "
    "  FROM i "
    "  JOIN programs p ON p.id = i.program_id AND p.team_id = i.team_id "
    "  JOIN affiliates a ON a.team_id = p.team_id AND a.program_id = p.id "
    "    AND a.tracking_id = i.tracking_id "
    "    AND a.deleted_at IS NULL AND a.partnership_status = 'approved' "
    "  RETURNING id, tracking_id, program_id, " AFFONSO_SQL_MICROS("created_at") " AS "
    "    created_micros) "
    "SELECT ins.id, true AS inserted, ins.tracking_id, ins.program_id, "
    "  ins.created_micros AS created_at, true AS program_found FROM ins "
    "UNION ALL "
    "SELECT i.id, false, NULL, NULL, NULL, "
    "  EXISTS (SELECT 1 FROM programs p WHERE p.id = i.program_id AND p.team_id = i.team_id) "
    "FROM i WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.id = i.id)"};

affonso::v1::Click ReadClick(const pqxx::row& row) {
  affonso::v1::Click click;
  click.set_id(ReadText(row["id"]));
  click.set_tracking_id(ReadText(row["tracking_id"]));
  click.set_program_id(ReadText(row["program_id"]));
  ReadTimestamp(row["created_at"], click.mutable_created_at());
  return click;
}

}  // namespace

PgClickStore::PgClickStore(ConnectionPool* pool, Options options)
    : pool_(pool),
      batches_(
          BatchOptionsFor(options, "affonso_click_batch_size",
                          "POST /v1/clicks clicks inserted per batch (one statement and commit)."),
          [this](absl::Span<Pending> batch) { return RunBatch(batch); },
          [](Pending& pending, const absl::Status& status) { pending.done(status); }) {}

PgClickStore::~PgClickStore() = default;

void PgClickStore::TrackClickAsync(std::string team_id,
                                   const affonso::v1::TrackClickRequest* request,
                                   ClickCallback done) {
  batches_.Add(Pending{std::move(team_id), request, std::move(done)});
}

absl::Status PgClickStore::RunBatch(absl::Span<Pending> batch) {
  // Ids are minted per run: a run that failed rolled back, so a rerun (the
  // pool's, or row by row) never meets its own ids.
  std::vector<std::string> ids(batch.size());
  absl::flat_hash_map<std::string, size_t> index_of;
  JsonRows rows;
  for (size_t n = 0; n < batch.size(); ++n) {
    const affonso::v1::TrackClickRequest& request = *batch[n].request;
    ids[n] = NewId("clk");
    index_of.emplace(ids[n], n);
    rows.BeginRow();
    rows.Text("id", ids[n]);
    rows.Text("team_id", batch[n].team_id);
    rows.Text("program_id", request.program_id());
    rows.Text("tracking_id", request.tracking_id());
    AddClickAttribution(request, rows);
    rows.Text("ip", request.ip());
    rows.Text("user_agent", request.user_agent());
    // Epoch micros as a JSON number ("" when unset: left out, NULL).
    const std::string created_at = TimestampMicros(request.created_at(), request.has_created_at());
    if (!created_at.empty()) rows.Raw("created_at", created_at);
    rows.Text("country", request.country());
    rows.EndRow();
  }
  const std::string json = std::move(rows).Finish();

  std::vector<absl::StatusOr<affonso::v1::Click>> outcomes(batch.size(),
                                                           absl::InternalError("internal error"));
  absl::Status status = pool_->Autocommit("track_clicks", [&](Tx& tx) -> absl::Status {
    const pqxx::result result = tx.Exec(kInsertClicks, json);
    for (const auto& row : result) {
      auto found = index_of.find(ReadText(row["id"]));
      if (found == index_of.end()) return absl::InternalError("internal error");
      if (row["inserted"].as<bool>()) {
        outcomes[found->second] = ReadClick(row);
      } else if (row["program_found"].as<bool>()) {
        // Both answers are this team's own business.
        outcomes[found->second] = NotFoundError("approved affiliate with this tracking id");
      } else {
        outcomes[found->second] = NotFoundError("program");
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;  // the workers answer
  for (size_t n = 0; n < batch.size(); ++n) batch[n].done(std::move(outcomes[n]));
  return absl::OkStatus();
}

}  // namespace affonso::storage
