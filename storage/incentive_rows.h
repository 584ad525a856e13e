#ifndef AFFONSO_STORAGE_INCENTIVE_ROWS_H_
#define AFFONSO_STORAGE_INCENTIVE_ROWS_H_

#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/struct.pb.h"
#include "storage/pg_values.h"

namespace affonso::storage {

// The incentive terms that both an Incentive and a CommissionOverride carry
// (the SDK's GroupIncentive and CommissionOverride share them), read from
// `alias` (the incentives table) under the names ReadIncentiveTerms reads.
#define AFFONSO_INCENTIVE_TERM_COLUMNS(alias)                                                     \
  alias ".apply_to AS incentive_apply_to, " alias ".product_ids AS incentive_product_ids, " alias \
        ".approval_type AS incentive_approval_type, " alias                                       \
        ".hold_period_days AS incentive_hold_period_days, " alias                                 \
        ".incentive_length AS incentive_length, " alias                                           \
        ".length_value AS incentive_length_value, " alias                                         \
        ".variable_commission AS incentive_variable_commission, " alias                           \
        ".variable_config::text AS incentive_variable_config"

// Fills the terms of AFFONSO_INCENTIVE_TERM_COLUMNS into an Incentive or a
// CommissionOverride (the same field names in both).
template <typename Message>
absl::Status ReadIncentiveTerms(const pqxx::row& row, Message* out) {
  out->set_apply_to(row["incentive_apply_to"].c_str());
  ReadTextArray(row["incentive_product_ids"], out->mutable_product_ids());
  out->set_approval_type(row["incentive_approval_type"].c_str());
  if (!row["incentive_hold_period_days"].is_null()) {
    out->set_hold_period_days(row["incentive_hold_period_days"].template as<int>());
  }
  out->set_incentive_length(row["incentive_length"].c_str());
  if (!row["incentive_length_value"].is_null()) {
    out->set_length_value(row["incentive_length_value"].template as<int>());
  }
  out->set_variable_commission(row["incentive_variable_commission"].template as<bool>());
  if (row["incentive_variable_config"].is_null()) return absl::OkStatus();
  return ReadJsonValue(row["incentive_variable_config"], out->mutable_variable_config());
}

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_INCENTIVE_ROWS_H_
