#ifndef AFFONSO_SERVICES_CALL_PAGINATION_H_
#define AFFONSO_SERVICES_CALL_PAGINATION_H_

#include "absl/status/statusor.h"
#include "proto/affonso/v1/common.pb.h"

namespace affonso::services {

// The page an offset list asks for: page >= 1 (0 means 1) and limit 1 to
// `max_limit` (0 means `default_limit`); VALIDATION_ERROR on `page` or
// `limit` otherwise.
struct PageRequest {
  int page = 1;
  int limit = 10;
};
absl::StatusOr<PageRequest> ResolvePage(int page, int limit, int default_limit = 10,
                                        int max_limit = 100);

// The `pagination` object of API.md's offset lists, for page `page` (1-based)
// of `limit` rows out of `total`.
affonso::v1::Pagination MakePagination(int page, int limit, int total);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_PAGINATION_H_
