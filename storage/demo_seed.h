#ifndef AFFONSO_STORAGE_DEMO_SEED_H_
#define AFFONSO_STORAGE_DEMO_SEED_H_

#include <string>

#include "absl/status/statusor.h"
#include "storage/pool.h"

namespace affonso::storage {

struct DemoTenant {
  std::string team_id;
  std::string program_id;
  std::string affiliate_id;
  std::string tracking_id;
  std::string api_key;  // fresh on every call: only hashes are stored
};

// The `./dev run` demo: team "Demo" with its default program and an approved
// affiliate tracking as "demo". Reuses them when present (run twice, same
// tenant) and always issues a new API key.
absl::StatusOr<DemoTenant> SeedDemo(ConnectionPool& pool);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_DEMO_SEED_H_
