#include "services/call/pagination.h"

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

TEST(MakePaginationTest, CountsPagesAndNeighbours) {
  affonso::v1::Pagination empty = MakePagination(1, 10, 0);
  EXPECT_EQ(empty.total_pages(), 0);
  EXPECT_FALSE(empty.has_next_page());
  EXPECT_FALSE(empty.has_prev_page());

  affonso::v1::Pagination middle = MakePagination(2, 10, 25);
  EXPECT_EQ(middle.page(), 2);
  EXPECT_EQ(middle.limit(), 10);
  EXPECT_EQ(middle.total(), 25);
  EXPECT_EQ(middle.total_pages(), 3);
  EXPECT_TRUE(middle.has_next_page());
  EXPECT_TRUE(middle.has_prev_page());

  affonso::v1::Pagination last = MakePagination(3, 10, 30);
  EXPECT_EQ(last.total_pages(), 3);
  EXPECT_FALSE(last.has_next_page());

  affonso::v1::Pagination beyond = MakePagination(9, 10, 30);
  EXPECT_FALSE(beyond.has_next_page());
  EXPECT_TRUE(beyond.has_prev_page());

  EXPECT_EQ(MakePagination(1, 1, 1).total_pages(), 1);
  EXPECT_EQ(MakePagination(1, 100, 101).total_pages(), 2);
}

TEST(ResolvePageTest, DefaultsAndBounds) {
  auto defaults = ResolvePage(0, 0);
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->page, 1);
  EXPECT_EQ(defaults->limit, 10);
  EXPECT_EQ(ResolvePage(3, 100)->limit, 100);
  EXPECT_EQ(ApiErrorField(ResolvePage(-1, 10).status()), "page");
  EXPECT_EQ(ApiErrorField(ResolvePage(1, 101).status()), "limit");
  EXPECT_EQ(ApiErrorField(ResolvePage(1, -1).status()), "limit");
}

}  // namespace
}  // namespace affonso::services
