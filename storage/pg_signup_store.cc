#include "storage/pg_signup_store.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "storage/conversion_sql.h"
#include "storage/pg_values.h"
#include "storage/referral_rows.h"

namespace affonso::storage {
namespace {


// What the policy needs to decide each conversion of a batch (see
// conversion_sql.h). Clicks already converted are left out: the
// existing-referral lookup answers them.
const std::string kFactsBatchSql = absl::StrCat(
    "SELECT i.click_id, i.team_id, ", kConversionFactsColumns, " "
    "FROM unnest($1::text[], $2::text[]) AS i(click_id, team_id) "
    "JOIN clicks c ON c.id = i.click_id AND c.team_id = i.team_id "
    "JOIN affiliates a ON a.id = c.affiliate_id ",
    kConversionFactsJoins,
    "WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.id = c.id OR r.click_id = c.id)");

// The whole batch in one statement, so one transaction: the referrals, then
// (kCommissionAndEventCtes) the lead commissions of those not rejected and
// the outbox events announcing them.
const std::string kConvertBatchSql = absl::StrCat(
    "WITH i AS ( "
    "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "    $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], "
    "    $12::text[], $13::text[], $14::text[]) "
    "  AS i(referral_id, team_id, email, external_user_id, name, status, fraud_flags, "
    "       commission_id, incentive_id, commission_amount, currency, hold_period_days, "
    "       lead_event_id, transaction_event_id)), "
    "ins AS ( "
    "  INSERT INTO referrals AS r (id, team_id, program_id, affiliate_id, click_id, source, "
    "    email, external_user_id, name, status, fraud_flags) "
    "  SELECT c.id, c.team_id, c.program_id, c.affiliate_id, c.id, 'click', "
    "    CASE WHEN COALESCE(s.track_email, true) THEN i.email END, i.external_user_id, "
    "    CASE WHEN COALESCE(s.track_name, true) THEN i.name END, i.status, i.fraud_flags::jsonb "
    "  FROM i JOIN clicks c ON c.id = i.referral_id AND c.team_id = i.team_id "
    "  LEFT JOIN program_tracking_settings s ON s.program_id = c.program_id "
    "  ON CONFLICT DO NOTHING "
    "  RETURNING ", kReferralColumns, ", r.team_id AS owner_team, r.click_id AS click_ref), ",
    kCommissionAndEventCtes,
    "SELECT * FROM ins");

// The referrals of clicks the insert did not convert. A separate statement on
// purpose: under READ COMMITTED it takes a fresh snapshot, so it sees a
// concurrent winner's row that the insert waited for. A click can also belong
// to a direct referral (POST /v1/referrals with click_id): that referral is
// its conversion too. Last columns: the click and team asked for.
const std::string kExistingBatchSql = absl::StrCat(
    "SELECT ", kReferralColumns, ", i.click_id, i.team_id "
    "FROM unnest($1::text[], $2::text[]) AS i(click_id, team_id) "
    "JOIN referrals r ON r.team_id = i.team_id AND r.id = i.click_id "
    "UNION ALL "
    "SELECT ", kReferralColumns, ", i.click_id, i.team_id "
    "FROM unnest($1::text[], $2::text[]) AS i(click_id, team_id) "
    "JOIN referrals r ON r.team_id = i.team_id AND r.click_id = i.click_id "
    "  AND r.id <> i.click_id");

const Statement kFactsBatch{"signup_facts_batch", kFactsBatchSql.c_str()};
const Statement kConvertBatch{"signup_convert_batch", kConvertBatchSql.c_str()};
const Statement kExistingBatch{"signup_existing_batch", kExistingBatchSql.c_str()};

// A PostgreSQL array literal of text, NULL for absent (empty) values.
std::string TextArray(const std::vector<const std::string*>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (values[i] == nullptr || values[i]->empty()) {
      out += "NULL";
      continue;
    }
    out.push_back('"');
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace

PgSignupStore::PgSignupStore(ConnectionPool* pool, const ConversionPolicy* policy,
                             Options options)
    : pool_(pool), policy_(policy), options_(options) {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
}

PgSignupStore::~PgSignupStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    work_available_.SignalAll();
  }
  for (std::thread& worker : workers_) worker.join();
}

const std::string& PgSignupStore::FactsSql() { return kFactsBatchSql; }
const std::string& PgSignupStore::ConvertBatchSql() { return kConvertBatchSql; }

void PgSignupStore::ConvertClickAsync(std::string team_id,
                                      const affonso::v1::RecordSignupRequest* request,
                                      ConversionCallback done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(Pending{std::move(team_id), request, std::move(done)});
  // A busy worker takes the queue when it finishes; only an idle one needs
  // waking, which keeps wake-ups (context switches) to one per batch.
  if (idle_workers_ > 0) work_available_.Signal();
}

void PgSignupStore::Work() {
  mu_.Lock();
  while (true) {
    while (queue_.empty() && !stopping_) {
      ++idle_workers_;
      work_available_.Wait(&mu_);
      --idle_workers_;
    }
    if (queue_.empty()) break;  // stopping, and everything answered
    std::vector<Pending> batch;
    while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    mu_.Unlock();
    RunBatch(batch);
    mu_.Lock();
  }
  mu_.Unlock();
}

void PgSignupStore::RunBatch(std::vector<Pending>& batch) {
  // One slot per distinct (click, team): callers repeating a click share it,
  // and only the first of them can have created the referral.
  std::vector<size_t> slot_of(batch.size());
  std::vector<size_t> first_of_slot;
  absl::flat_hash_map<std::string, size_t> slot_by_key;
  std::vector<const std::string*> clicks, teams;
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
    clicks.push_back(&request.click_id());
    teams.push_back(&batch[i].team_id);
  }

  struct Outcome {
    absl::StatusOr<affonso::v1::Referral> referral = NotFoundError("click");
    bool created = false;
  };
  std::vector<Outcome> outcomes(first_of_slot.size());
  absl::Status status = pool_->Autocommit("convert_clicks", [&](Tx& tx) -> absl::Status {
    const std::string click_array = TextArray(clicks);
    const std::string team_array = TextArray(teams);

    // 1. Facts and decisions for the clicks not converted yet.
    struct Row {
      const std::string* click;
      const std::string* team;
      const affonso::v1::RecordSignupRequest* request;
      ConversionWrite write;
    };
    std::vector<Row> rows;
    for (const auto& facts_row : tx.Exec(kFactsBatch, click_array, team_array)) {
      auto slot = slot_by_key.find(key(ReadText(facts_row[0]), ReadText(facts_row[1])));
      if (slot == slot_by_key.end()) continue;
      const auto& request = *batch[first_of_slot[slot->second]].request;
      ConversionFacts facts;
      LeadPayout payout;
      facts.lead_email = request.email();
      facts.lead_external_user_id = request.external_user_id();
      ReadConversionFacts(facts_row, 2, &facts, &payout);
      Row row{clicks[slot->second], teams[slot->second], &request};
      PlanConversionWrite(policy_->Decide(facts), payout, "lead", &row.write);
      rows.push_back(std::move(row));
    }

    // 2. One statement writes referrals, commissions and events together.
    if (!rows.empty()) {
      std::vector<std::vector<const std::string*>> columns(14);
      for (const Row& row : rows) {
        const ConversionWrite& w = row.write;
        const std::string* values[] = {row.click,
                                       row.team,
                                       &row.request->email(),
                                       &row.request->external_user_id(),
                                       &row.request->name(),
                                       &w.status,
                                       &w.fraud_flags_json,
                                       &w.commission_id,
                                       &w.incentive_id,
                                       &w.commission_amount,
                                       &w.currency,
                                       &w.hold_period_days,
                                       &w.lead_event_id,
                                       &w.transaction_event_id};
        for (size_t c = 0; c < columns.size(); ++c) columns[c].push_back(values[c]);
      }
      pqxx::result inserted = tx.Exec(
          kConvertBatch, TextArray(columns[0]), TextArray(columns[1]), TextArray(columns[2]),
          TextArray(columns[3]), TextArray(columns[4]), TextArray(columns[5]),
          TextArray(columns[6]), TextArray(columns[7]), TextArray(columns[8]),
          TextArray(columns[9]), TextArray(columns[10]), TextArray(columns[11]),
          TextArray(columns[12]), TextArray(columns[13]));
      for (const auto& row : inserted) {
        auto referral = ReadReferral(row);
        if (!referral.ok()) return referral.status();
        // A converted referral's id is its click's id.
        auto slot = slot_by_key.find(key(referral->id(), ReadText(row[row.size() - 2])));
        if (slot == slot_by_key.end()) return absl::InternalError("unexpected converted row");
        outcomes[slot->second] = {*std::move(referral), true};
      }
    }
    size_t created = 0;
    for (const Outcome& outcome : outcomes) created += outcome.created;
    if (created == first_of_slot.size()) return absl::OkStatus();

    // 3. The referrals of clicks converted before (or concurrently).
    pqxx::result existing = tx.Exec(kExistingBatch, click_array, team_array);
    for (const auto& row : existing) {
      auto slot = slot_by_key.find(
          key(ReadText(row[row.size() - 2]), ReadText(row[row.size() - 1])));
      if (slot == slot_by_key.end() || outcomes[slot->second].created) continue;
      auto referral = ReadReferral(row);
      if (!referral.ok()) return referral.status();
      outcomes[slot->second].referral = *std::move(referral);
    }
    return absl::OkStatus();
  });

  for (size_t i = 0; i < batch.size(); ++i) {
    if (!status.ok()) {
      batch[i].done(status);
      continue;
    }
    const Outcome& outcome = outcomes[slot_of[i]];
    if (!outcome.referral.ok()) {
      batch[i].done(outcome.referral.status());
      continue;
    }
    // Of callers sharing a click, only the first in the batch created it.
    const bool created = outcome.created && first_of_slot[slot_of[i]] == i;
    batch[i].done(Conversion{*outcome.referral, created});
  }
}

}  // namespace affonso::storage
