#ifndef AFFONSO_STORAGE_MARKETPLACE_STORE_H_
#define AFFONSO_STORAGE_MARKETPLACE_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/marketplace.pb.h"

namespace affonso::storage {

// One page of the offset list; page and limit already resolved.
struct MarketplaceQuery {
  int page = 1;
  int limit = 10;
  std::string category;  // "" = any; else compared case-insensitively
};

struct MarketplacePage {
  std::vector<affonso::v1::MarketplaceProgram> programs;
  int total = 0;
};

// The programs their teams list in the marketplace (programs.
// marketplace_listed), read across teams: the one deliberate exception to
// "every query is scoped by team_id". Only the MarketplaceProgram fields
// are ever read out of another team's rows (the program's public texts, its
// default group's first incentive, its payment terms' cookie lifetime,
// frequency and threshold). A program that is not listed, not active or
// unknown is NOT_FOUND, whoever asks. Thread-safe; blocking.
class MarketplaceStore {
 public:
  virtual ~MarketplaceStore() = default;

  // Newest listed program first.
  virtual absl::StatusOr<MarketplacePage> ListPrograms(const MarketplaceQuery& query) = 0;
  virtual absl::StatusOr<affonso::v1::MarketplaceProgram> GetProgram(
      absl::string_view program_id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_MARKETPLACE_STORE_H_
