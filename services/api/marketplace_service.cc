#include "services/api/marketplace_service.h"

#include <string>

#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

namespace v1 = affonso::v1;

constexpr size_t kMaxCategoryLength = 100;

}  // namespace

absl::StatusOr<storage::MarketplaceQuery> ParseListMarketplace(
    const v1::ListMarketplaceProgramsRequest& request) {
  AFFONSO_ASSIGN_OR_RETURN(
      PageRequest page, ResolvePage(request.page(), request.limit(), kDefaultMarketplacePageLimit,
                                    kMaxMarketplacePageLimit));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("category", request.category(), kMaxCategoryLength));
  storage::MarketplaceQuery query;
  query.page = page.page;
  query.limit = page.limit;
  query.category = request.category();
  return query;
}

grpc::Status MarketplaceServiceImpl::ListMarketplacePrograms(
    grpc::ServerContext* context, const v1::ListMarketplaceProgramsRequest* request,
    v1::ListMarketplaceProgramsResponse* response) {
  return runner_.Run(
      context, "ListMarketplacePrograms", *request, [&](const Caller&) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::MarketplaceQuery query, ParseListMarketplace(*request));
        AFFONSO_ASSIGN_OR_RETURN(storage::MarketplacePage page, store_->ListPrograms(query));
        for (v1::MarketplaceProgram& program : page.programs) {
          *response->add_data() = std::move(program);
        }
        *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
        return absl::OkStatus();
      });
}

grpc::Status MarketplaceServiceImpl::GetMarketplaceProgram(
    grpc::ServerContext* context, const v1::GetMarketplaceProgramRequest* request,
    v1::MarketplaceProgram* response) {
  return runner_.Run(context, "GetMarketplaceProgram", *request,
                     [&](const Caller&) -> absl::Status {
                       // Ids we never issue are NOT_FOUND without a query.
                       if (!LooksLikeId(request->id(), "prg")) return NotFoundError("program");
                       AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetProgram(request->id()));
                       return absl::OkStatus();
                     });
}

}  // namespace affonso::services
