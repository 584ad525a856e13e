#ifndef AFFONSO_SERVICES_PAGINATION_H_
#define AFFONSO_SERVICES_PAGINATION_H_

#include "proto/affonso/v1/common.pb.h"

namespace affonso::services {

// The `pagination` object of API.md's offset lists, for page `page` (1-based)
// of `limit` rows out of `total`.
affonso::v1::Pagination MakePagination(int page, int limit, int total);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_PAGINATION_H_
