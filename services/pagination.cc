#include "services/pagination.h"

namespace affonso::services {

affonso::v1::Pagination MakePagination(int page, int limit, int total) {
  affonso::v1::Pagination pagination;
  pagination.set_page(page);
  pagination.set_limit(limit);
  pagination.set_total(total);
  const int total_pages = total == 0 ? 0 : (total - 1) / limit + 1;
  pagination.set_total_pages(total_pages);
  pagination.set_has_next_page(page < total_pages);
  pagination.set_has_prev_page(page > 1);
  return pagination;
}

}  // namespace affonso::services
