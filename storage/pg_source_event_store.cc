#include "storage/pg_source_event_store.h"

#include <string>

#include "common/api_error.h"
#include "common/ids.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

#define AFFONSO_SOURCE_EVENT_COLUMNS                                                         \
  "id, source, external_event_id, event_name, event_type, referral_id, program_id, action, " \
  "referral_status, transaction_id, " AFFONSO_SQL_MICROS("created_at") " AS created_at"

// A repeat (or a racing duplicate) inserts nothing: ON CONFLICT waits for
// the first insert to commit, then the select reads its row.
// $1 id, $2 team, $3 source, $4 external_event_id, $5 event_name,
// $6 event_type, $7 referral, $8 program, $9 payload.
constexpr Statement kInsertEvent{
    "source_events_insert",
    "INSERT INTO source_events (id, team_id, source, external_event_id, event_name, event_type, "
    "referral_id, program_id, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) "
    "ON CONFLICT (team_id, source, external_event_id) WHERE external_event_id IS NOT NULL "
    "DO NOTHING RETURNING " AFFONSO_SOURCE_EVENT_COLUMNS};

// $1 team, $2 source, $3 external_event_id.
constexpr Statement kSelectByExternalId{
    "source_events_by_external_id",
    "SELECT " AFFONSO_SOURCE_EVENT_COLUMNS
    " FROM source_events WHERE team_id = $1 AND source = $2 AND external_event_id = $3"};

// The first outcome wins. $1 team, $2 id, $3 action, $4 referral_status,
// $5 transaction_id.
constexpr Statement kCompleteEvent{
    "source_events_complete",
    "UPDATE source_events SET action = $3, referral_status = $4, transaction_id = $5, "
    "completed_at = now() WHERE team_id = $1 AND id = $2 AND action IS NULL "
    "RETURNING " AFFONSO_SOURCE_EVENT_COLUMNS};

// $1 team, $2 id.
constexpr Statement kSelectEvent{"source_events_by_id",
                                 "SELECT " AFFONSO_SOURCE_EVENT_COLUMNS
                                 " FROM source_events WHERE team_id = $1 AND id = $2"};

SourceEvent ReadEvent(const pqxx::row& row) {
  SourceEvent event;
  event.id = ReadText(row["id"]);
  event.source = ReadText(row["source"]);
  event.external_event_id = ReadText(row["external_event_id"]);
  event.event_name = ReadText(row["event_name"]);
  event.event_type = ReadText(row["event_type"]);
  event.referral_id = ReadText(row["referral_id"]);
  event.program_id = ReadText(row["program_id"]);
  event.action = ReadText(row["action"]);
  event.referral_status = ReadText(row["referral_status"]);
  event.transaction_id = ReadText(row["transaction_id"]);
  event.created_at = absl::FromUnixMicros(row["created_at"].as<int64_t>());
  return event;
}

}  // namespace

absl::StatusOr<ReservedEvent> PgSourceEventStore::Reserve(absl::string_view team_id,
                                                          const SourceEventInput& input) {
  const std::string team(team_id);
  const std::string id = NewId("evt");
  // Autocommit: the select after a conflict needs a snapshot taken after the
  // first insert committed.
  return pool_->Autocommit("reserve_source_event", [&](Tx& tx) -> absl::StatusOr<ReservedEvent> {
    ReservedEvent reserved;
    const pqxx::result inserted =
        tx.Exec(kInsertEvent, id, team, input.source, NullIfEmpty(input.external_event_id),
                input.event_name, input.event_type, input.referral_id, input.program_id,
                input.payload.empty() ? std::string("{}") : input.payload);
    if (!inserted.empty()) {
      reserved.event = ReadEvent(inserted[0]);
      reserved.created = true;
      return reserved;
    }
    const pqxx::result earlier =
        tx.Exec(kSelectByExternalId, team, input.source, input.external_event_id);
    if (earlier.empty()) return absl::AbortedError("event changed concurrently; retry");
    reserved.event = ReadEvent(earlier[0]);
    return reserved;
  });
}

absl::StatusOr<SourceEvent> PgSourceEventStore::Complete(absl::string_view team_id,
                                                         absl::string_view id,
                                                         absl::string_view action,
                                                         absl::string_view referral_status,
                                                         absl::string_view transaction_id) {
  const std::string team(team_id);
  const std::string event_id(id);
  const std::string status(referral_status);
  const std::string transaction(transaction_id);
  return pool_->Autocommit("complete_source_event", [&](Tx& tx) -> absl::StatusOr<SourceEvent> {
    const pqxx::result updated = tx.Exec(kCompleteEvent, team, event_id, std::string(action),
                                         status, NullIfEmpty(transaction));
    if (!updated.empty()) return ReadEvent(updated[0]);
    return QueryOne(tx, kSelectEvent, ReadEvent, "event", team, event_id);
  });
}

}  // namespace affonso::storage
