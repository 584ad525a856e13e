#ifndef AFFONSO_STORAGE_PG_SIGNUP_STORE_H_
#define AFFONSO_STORAGE_PG_SIGNUP_STORE_H_

#include <string>

#include "absl/types/span.h"
#include "common/metrics.h"
#include "storage/batch_workers.h"
#include "storage/conversion_policy.h"
#include "storage/pool.h"
#include "storage/signup_store.h"

namespace affonso::storage {

// A conversion writes, in one statement: the referral (rejected when the
// policy blocks it, with its fraud flags), the affiliate's lead commission
// when not rejected, and the outbox events that announce them.
//
// Conversions that arrive together share those statements and one commit
// (BatchWorkers): under load one fsync covers many signups, which is what
// lets the service out-run the one-statement-per-commit ceiling of the same
// SQL. Callers are answered only after the commit.
class PgSignupStore final : public SignupStore {
 public:
  using Options = BatchStoreOptions;

  // `policy` plans each conversion (fraud checks, commission, events); it must
  // outlive the store.
  PgSignupStore(ConnectionPool* pool, const ConversionPolicy* policy, Options options);
  PgSignupStore(ConnectionPool* pool, const ConversionPolicy* policy)
      : PgSignupStore(pool, policy, Options()) {}
  // Answers everything queued, then stops the workers.
  ~PgSignupStore() override;

  void ConvertClickAsync(std::string team_id, const affonso::v1::RecordSignupRequest* request,
                         ConversionCallback done) override;

  // The two statements a batch runs (facts, then the write; each takes one
  // JSON array, one object per conversion): the pgbench baseline of
  // `./dev bench` runs them for one conversion at a time.
  static const char* FactsSql();
  static const char* ConvertBatchSql();

 private:
  struct Pending {
    std::string team_id;
    const affonso::v1::RecordSignupRequest* request;
    ConversionCallback done;
  };

  // Runs one batch and answers every member; on an error, none.
  absl::Status RunBatch(absl::Span<Pending> batch);

  ConnectionPool* pool_;
  const ConversionPolicy* policy_;
  BatchWorkers<Pending> batches_;  // last: its workers use the rest
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_SIGNUP_STORE_H_
