#include "services/call/pagination.h"

#include "absl/strings/str_cat.h"
#include "common/api_error.h"

namespace affonso::services {

absl::StatusOr<PageRequest> ResolvePage(int page, int limit, int default_limit, int max_limit) {
  if (page < 0) return ValidationError("page", "page must be at least 1");
  if (limit < 0 || limit > max_limit) {
    return ValidationError("limit", absl::StrCat("limit must be between 1 and ", max_limit));
  }
  return PageRequest{page == 0 ? 1 : page, limit == 0 ? default_limit : limit};
}

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
