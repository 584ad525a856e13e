#include "services/api/marketplace_service.h"

#include <string>

#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;

// Twelve listings; records the queries.
class FakeMarketplaceStore : public storage::MarketplaceStore {
 public:
  absl::StatusOr<storage::MarketplacePage> ListPrograms(
      const storage::MarketplaceQuery& query) override {
    ++calls;
    last = query;
    storage::MarketplacePage page;
    page.total = 12;
    for (int i = 0; i < query.limit && (query.page - 1) * query.limit + i < 12; ++i) {
      page.programs.emplace_back().set_id("prg_" + std::to_string(i));
    }
    return page;
  }
  absl::StatusOr<affonso::v1::MarketplaceProgram> GetProgram(
      absl::string_view program_id) override {
    ++calls;
    if (program_id != "prg_listed") return NotFoundError("program");
    affonso::v1::MarketplaceProgram program;
    program.set_id("prg_listed");
    return program;
  }

  int calls = 0;
  storage::MarketplaceQuery last;
};

class MarketplaceServiceTest : public ::testing::Test {
 protected:
  testing::FakeAuthenticator authenticator_;
  FakeMarketplaceStore store_;
  MarketplaceServiceImpl service_{&authenticator_, &store_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::MarketplaceService::Stub> stub_ =
      affonso::v1::MarketplaceService::NewStub(server_.channel());
};

TEST_F(MarketplaceServiceTest, ListsAnOffsetPageWithTheCategoryFilter) {
  affonso::v1::ListMarketplaceProgramsRequest request;
  request.set_page(2);
  request.set_limit(5);
  request.set_category("SaaS");
  affonso::v1::ListMarketplaceProgramsResponse response;
  auto context = testing::ContextWithAuth();
  ASSERT_OK(stub_->ListMarketplacePrograms(context.get(), request, &response));
  EXPECT_EQ(store_.last.category, "SaaS");
  EXPECT_EQ(response.data_size(), 5);
  EXPECT_EQ(response.pagination().total(), 12);
  EXPECT_EQ(response.pagination().total_pages(), 3);
  EXPECT_TRUE(response.pagination().has_next_page());
  EXPECT_TRUE(response.pagination().has_prev_page());
}

TEST_F(MarketplaceServiceTest, BadPagesAndCategoriesAreValidationErrors) {
  affonso::v1::ListMarketplaceProgramsRequest request;
  request.set_limit(101);
  EXPECT_THAT(ParseListMarketplace(request).status(), HasApiError("VALIDATION_ERROR", "limit"));
  request.set_limit(10);
  request.set_category(std::string(101, 'c'));
  EXPECT_THAT(ParseListMarketplace(request).status(), HasApiError("VALIDATION_ERROR", "category"));
  affonso::v1::ListMarketplaceProgramsResponse response;
  auto context = testing::ContextWithAuth();
  EXPECT_THAT(stub_->ListMarketplacePrograms(context.get(), request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(MarketplaceServiceTest, AnIdWeNeverIssueIsNotFoundWithoutAQuery) {
  affonso::v1::GetMarketplaceProgramRequest request;
  affonso::v1::MarketplaceProgram program;
  request.set_id("aff_123");
  auto context = testing::ContextWithAuth();
  EXPECT_THAT(stub_->GetMarketplaceProgram(context.get(), request, &program),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 0);
  request.set_id("prg_unlisted");
  context = testing::ContextWithAuth();
  EXPECT_THAT(stub_->GetMarketplaceProgram(context.get(), request, &program),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  request.set_id("prg_listed");
  context = testing::ContextWithAuth();
  ASSERT_OK(stub_->GetMarketplaceProgram(context.get(), request, &program));
  EXPECT_EQ(program.id(), "prg_listed");
}

}  // namespace
}  // namespace affonso::services
