#include "storage/pg_signup_store.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "storage/conversion_sql.h"
#include "storage/fraud_names.h"
#include "storage/json_rows.h"
#include "storage/pg_values.h"
#include "storage/referral_rows.h"

namespace affonso::storage {
namespace {

// Every statement of a batch takes the batch as one parameter: a JSON array
// of objects read with json_to_recordset, so each value is found by its key
// and no column can shift against another. Absent keys read as NULL.

// What the policy needs to decide each conversion of a batch (see
// conversion_sql.h); the lead's email and external id come with each click,
// so the facts about the lead cost no further round trip. Clicks already
// converted are left out: the existing-referral lookup answers them.
constexpr char kFactsBatchSql[] =
    "SELECT i.click_id, i.team_id, " AFFONSO_CONVERSION_FACTS_COLUMNS(
        "i.email", "i.external_user_id") " FROM json_to_recordset($1::json) "
    "AS i(click_id text, team_id text, email text, external_user_id text) "
    "JOIN clicks c ON c.id = i.click_id AND c.team_id = i.team_id "
    "JOIN affiliates a ON a.id = c.affiliate_id " AFFONSO_CONVERSION_FACTS_JOINS
    "WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.id = c.id OR r.click_id = c.id)";

// The whole batch in one statement, so one transaction: the referrals, then
// (AFFONSO_COMMISSION_AND_EVENT_CTES) the lead commissions of those not
// rejected and the outbox events announcing them. One object per conversion,
// as WriteRow writes it.
constexpr char kConvertBatchSql[] =
    "WITH i AS ( "
    "  SELECT * FROM json_to_recordset($1::json) "
    "  AS i(referral_id text, team_id text, email text, external_user_id text, name text, "
    "       status text, fraud_flags jsonb, commission_id text, incentive_id text, "
    "       commission_amount text, currency text, hold_period_days int, "
    "       lead_event_id text, transaction_event_id text)), "
    "ins AS ( "
    "  INSERT INTO referrals AS r (id, team_id, program_id, affiliate_id, click_id, source, "
    "    email, external_user_id, name, status, fraud_flags) "
    "  SELECT c.id, c.team_id, c.program_id, c.affiliate_id, c.id, 'click', "
    "    CASE WHEN COALESCE(s.track_email, true) THEN i.email END, i.external_user_id, "
    "    CASE WHEN COALESCE(s.track_name, true) THEN i.name END, i.status, i.fraud_flags "
    "  FROM i JOIN clicks c ON c.id = i.referral_id AND c.team_id = i.team_id "
    "  LEFT JOIN program_tracking_settings s ON s.program_id = c.program_id "
    "  ON CONFLICT DO NOTHING "
    "  RETURNING " AFFONSO_REFERRAL_COLUMNS
    ", r.team_id AS owner_team, r.click_id AS click_ref), " AFFONSO_COMMISSION_AND_EVENT_CTES
    "SELECT * FROM ins";

// The referrals of clicks the insert did not convert. A separate statement on
// purpose: under READ COMMITTED it takes a fresh snapshot, so it sees a
// concurrent winner's row that the insert waited for. A click can also belong
// to a direct referral (POST /v1/referrals with click_id): that referral is
// its conversion too. A deleted referral is not answered: its click stays
// used, so the signup is NOT_FOUND (click). asked_*: the click and team asked
// for.
constexpr char kExistingBatchSql[] =
    "SELECT " AFFONSO_REFERRAL_COLUMNS
    ", i.click_id AS asked_click_id, "
    "  i.team_id AS asked_team_id "
    "FROM json_to_recordset($1::json) AS i(click_id text, team_id text) "
    "JOIN referrals r ON r.team_id = i.team_id AND r.id = i.click_id AND r.deleted_at IS NULL "
    "UNION ALL "
    "SELECT " AFFONSO_REFERRAL_COLUMNS
    ", i.click_id, i.team_id "
    "FROM json_to_recordset($1::json) AS i(click_id text, team_id text) "
    "JOIN referrals r ON r.team_id = i.team_id AND r.click_id = i.click_id "
    "  AND r.id <> i.click_id AND r.deleted_at IS NULL";

constexpr Statement kFactsBatch{"signup_facts_batch", kFactsBatchSql};
constexpr Statement kConvertBatch{"signup_convert_batch", kConvertBatchSql};
constexpr Statement kExistingBatch{"signup_existing_batch", kExistingBatchSql};

}  // namespace

PgSignupStore::PgSignupStore(ConnectionPool* pool, const ConversionPolicy* policy, Options options)
    : pool_(pool),
      policy_(policy),
      batches_(
          BatchOptionsFor(options, "affonso_signup_batch_size",
                          "Signups converted per batch (one statement and commit)."),
          [this](absl::Span<Pending> batch) { return RunBatch(batch); },
          [](Pending& pending, const absl::Status& status) { pending.done(status); }) {}

PgSignupStore::~PgSignupStore() = default;

const char* PgSignupStore::FactsSql() { return kFactsBatchSql; }
const char* PgSignupStore::ConvertBatchSql() { return kConvertBatchSql; }

void PgSignupStore::ConvertClickAsync(std::string team_id,
                                      const affonso::v1::RecordSignupRequest* request,
                                      ConversionCallback done) {
  batches_.Add(Pending{std::move(team_id), request, std::move(done)});
}

absl::Status PgSignupStore::RunBatch(absl::Span<Pending> batch) {
  // One slot per distinct (click, team): callers repeating a click share it,
  // and only the first of them can have created the referral.
  std::vector<size_t> slot_of(batch.size());
  std::vector<size_t> first_of_slot;
  absl::flat_hash_map<std::string, size_t> slot_by_key;
  JsonRows slots;  // [{"click_id":...,"team_id":...,"email":...,"external_user_id":...}, ...]
  auto key = [](absl::string_view click, absl::string_view team) {
    return absl::StrCat(click, "/", team);  // neither contains '/'
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& request = *batch[i].request;
    auto [it, inserted] =
        slot_by_key.try_emplace(key(request.click_id(), batch[i].team_id), first_of_slot.size());
    slot_of[i] = it->second;
    if (!inserted) continue;
    first_of_slot.push_back(i);
    slots.BeginRow();
    slots.Text("click_id", request.click_id());
    slots.Text("team_id", batch[i].team_id);
    // The facts about the lead are the first caller's, as its plan is.
    slots.Text("email", request.email());
    slots.Text("external_user_id", request.external_user_id());
    slots.EndRow();
  }
  const std::string slots_json = std::move(slots).Finish();

  struct Outcome {
    absl::StatusOr<affonso::v1::Referral> referral = NotFoundError("click");
    bool created = false;
  };
  std::vector<Outcome> outcomes(first_of_slot.size());
  absl::Status status = pool_->Autocommit("convert_clicks", [&](Tx& tx) -> absl::Status {
    // 1. Facts and plans for the clicks not converted yet, written as they
    // are planned: one object per conversion for the write.
    JsonRows writes;
    bool any_write = false;
    const pqxx::result facts_rows = tx.Exec(kFactsBatch, slots_json);
    const ConversionFactsReader facts_reader(facts_rows);
    const auto click_column = facts_rows.column_number("click_id");
    const auto team_column = facts_rows.column_number("team_id");
    for (const auto& facts_row : facts_rows) {
      auto slot = slot_by_key.find(
          key(ReadText(facts_row[click_column]), ReadText(facts_row[team_column])));
      if (slot == slot_by_key.end()) continue;
      const Pending& pending = batch[first_of_slot[slot->second]];
      const auto& request = *pending.request;
      ConversionFacts facts;
      facts.subject.lead_email = request.email();
      facts.subject.lead_external_user_id = request.external_user_id();
      facts_reader.Read(facts_row, &facts);
      const ConversionPlan plan = policy_->Plan(facts);
      const ConversionIds ids = MintConversionIds(plan);

      writes.BeginRow();
      writes.Text("referral_id", request.click_id());  // a converted referral's id is its click's
      writes.Text("team_id", pending.team_id);
      writes.Text("email", request.email());
      writes.Text("external_user_id", request.external_user_id());
      writes.Text("name", request.name());
      writes.Text("status", ReferralStatusToDb(plan.status));
      writes.Raw("fraud_flags", FraudFlagsToJson(plan.fraud_flags));
      if (plan.commission.has_value()) {
        writes.Text("commission_id", ids.commission_id);
        writes.Text("incentive_id", plan.commission->incentive_id);
        writes.Text("commission_amount", plan.commission->amount);
        writes.Text("currency", plan.commission->currency);
        writes.Int("hold_period_days", plan.commission->hold_period_days);
      }
      writes.Text("lead_event_id", ids.lead_event_id);
      writes.Text("transaction_event_id", ids.transaction_event_id);
      writes.EndRow();
      any_write = true;
    }

    // 2. One statement writes referrals, commissions and events together.
    if (any_write) {
      const pqxx::result inserted = tx.Exec(kConvertBatch, std::move(writes).Finish());
      const ReferralReader reader(inserted);
      const auto owner_team = inserted.column_number("owner_team");
      for (const auto& row : inserted) {
        auto referral = reader.Read(row);
        if (!referral.ok()) return referral.status();
        auto slot = slot_by_key.find(key(referral->id(), ReadText(row[owner_team])));
        if (slot == slot_by_key.end()) return absl::InternalError("unexpected converted row");
        outcomes[slot->second] = {*std::move(referral), true};
      }
    }
    size_t created = 0;
    for (const Outcome& outcome : outcomes) created += outcome.created;
    if (created == first_of_slot.size()) return absl::OkStatus();

    // 3. The referrals of clicks converted before (or concurrently).
    const pqxx::result existing = tx.Exec(kExistingBatch, slots_json);
    const ReferralReader reader(existing);
    const auto asked_click = existing.column_number("asked_click_id");
    const auto asked_team = existing.column_number("asked_team_id");
    for (const auto& row : existing) {
      auto slot = slot_by_key.find(key(ReadText(row[asked_click]), ReadText(row[asked_team])));
      if (slot == slot_by_key.end() || outcomes[slot->second].created) continue;
      auto referral = reader.Read(row);
      if (!referral.ok()) return referral.status();
      outcomes[slot->second].referral = *std::move(referral);
    }
    return absl::OkStatus();
  });

  if (!status.ok()) return status;  // the workers answer
  for (size_t i = 0; i < batch.size(); ++i) {
    const Outcome& outcome = outcomes[slot_of[i]];
    if (!outcome.referral.ok()) {
      batch[i].done(outcome.referral.status());
      continue;
    }
    // Of callers sharing a click, only the first in the batch created it.
    const bool created = outcome.created && first_of_slot[slot_of[i]] == i;
    batch[i].done(Conversion{*outcome.referral, created});
  }
  return absl::OkStatus();
}

}  // namespace affonso::storage
