#include "storage/pg_signup_store.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "storage/pg_values.h"
#include "storage/referral_rows.h"

namespace affonso::storage {
namespace {

// The shape of one conversion, also what the pgbench baseline runs: the
// click (team-scoped), the tracking settings and the insert, in one
// statement. The referral takes the click's id, so of any number of racing
// conversions exactly one inserts; the others wait on the primary key and
// find the conflict.
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

// The same for a whole batch, the inputs as parallel arrays.
const std::string kConvertBatchSql = absl::StrCat(
    "INSERT INTO referrals AS r (id, team_id, program_id, affiliate_id, click_id, source, "
    "  email, external_user_id, name, status) "
    "SELECT c.id, c.team_id, c.program_id, c.affiliate_id, c.id, 'click', "
    "  CASE WHEN COALESCE(s.track_email, true) THEN i.email END, i.external_user_id, "
    "  CASE WHEN COALESCE(s.track_name, true) THEN i.name END, 'lead' "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
    "  AS i(click_id, team_id, email, external_user_id, name) "
    "JOIN clicks c ON c.id = i.click_id AND c.team_id = i.team_id "
    "LEFT JOIN program_tracking_settings s ON s.program_id = c.program_id "
    "ON CONFLICT DO NOTHING "
    "RETURNING ",
    kReferralColumns, ", r.team_id");

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

PgSignupStore::PgSignupStore(ConnectionPool* pool, Options options)
    : pool_(pool), options_(options) {
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

const std::string& PgSignupStore::ConvertSql() { return kConvertSql; }

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
  // One row per distinct (click, team): callers repeating a click share it,
  // and only the first of them can have created the referral.
  std::vector<size_t> slot_of(batch.size());
  std::vector<size_t> first_of_slot;
  absl::flat_hash_map<std::string, size_t> slot_by_key;
  std::vector<const std::string*> clicks, teams, emails, external_ids, names;
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
    emails.push_back(&request.email());
    external_ids.push_back(&request.external_user_id());
    names.push_back(&request.name());
  }

  struct Outcome {
    absl::StatusOr<affonso::v1::Referral> referral = NotFoundError("click");
    bool created = false;
  };
  std::vector<Outcome> outcomes(first_of_slot.size());
  absl::Status status = pool_->Autocommit("convert_clicks", [&](Tx& tx) -> absl::Status {
    const std::string click_array = TextArray(clicks);
    const std::string team_array = TextArray(teams);
    size_t found = 0;
    pqxx::result inserted = tx.Exec(kConvertBatch, click_array, team_array, TextArray(emails),
                                    TextArray(external_ids), TextArray(names));
    for (const auto& row : inserted) {
      auto referral = ReadReferral(row);
      if (!referral.ok()) return referral.status();
      // A converted referral's id is its click's id.
      auto slot = slot_by_key.find(key(referral->id(), ReadText(row[row.size() - 1])));
      if (slot == slot_by_key.end()) return absl::InternalError("unexpected converted row");
      outcomes[slot->second] = {*std::move(referral), true};
      ++found;
    }
    if (found == first_of_slot.size()) return absl::OkStatus();
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
