#ifndef AFFONSO_STORAGE_PG_SIGNUP_STORE_H_
#define AFFONSO_STORAGE_PG_SIGNUP_STORE_H_

#include "storage/pool.h"
#include "storage/signup_store.h"

namespace affonso::storage {

class PgSignupStore final : public SignupStore {
 public:
  explicit PgSignupStore(ConnectionPool* pool) : pool_(pool) {}
  absl::StatusOr<Conversion> ConvertClick(
      absl::string_view team_id, const affonso::v1::RecordSignupRequest& request) override;

  // The statement a new conversion runs ($1 click id, $2 team, $3 email,
  // $4 external user id, $5 name), for the pgbench baseline of `./dev bench`.
  static const std::string& ConvertSql();

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_SIGNUP_STORE_H_
