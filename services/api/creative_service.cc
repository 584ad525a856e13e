#include "services/api/creative_service.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/api/program_service.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::Creative;
using affonso::v1::CreativeCategory;
using affonso::v1::CreativeInput;
using google::protobuf::ListValue;
using google::protobuf::Value;

constexpr char kCategories[] = "brand, banner, product, content, video or document";

// The SDK's six names, any case; UNSPECIFIED for anything else.
CreativeCategory ParseCategory(absl::string_view text) {
  return storage::CreativeCategoryFromDb(absl::AsciiStrToLower(absl::StripAsciiWhitespace(text)));
}

absl::Status CheckText(absl::string_view field, bool present, const Value& value,
                       size_t max_characters) {
  return present ? CheckNullableText(field, value, max_characters) : absl::OkStatus();
}

absl::Status CheckLongText(absl::string_view field, bool present, const Value& value,
                           size_t max_bytes) {
  if (!present) return absl::OkStatus();
  AFFONSO_RETURN_IF_ERROR(CheckNullableString(field, value));
  if (value.kind_case() != Value::kStringValue) return absl::OkStatus();
  return CheckMaxBytes(field, value.string_value(), max_bytes);
}

// CheckHttpUrl, and stricter for a link affiliates are handed: ASCII only, and no user info
// right after the scheme ("https://@evil.example").
absl::Status CheckUrl(const Value& value) {
  AFFONSO_RETURN_IF_ERROR(CheckNullableString("url", value));
  if (value.kind_case() != Value::kStringValue) return absl::OkStatus();
  const std::string& url = value.string_value();
  AFFONSO_RETURN_IF_ERROR(CheckHttpUrl("url", url, kMaxCreativeUrlLength));
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://")) absl::ConsumePrefix(&rest, "http://");
  const bool ascii = std::all_of(url.begin(), url.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x7f; });
  if (rest.front() == '@' || !ascii) {
    return ValidationError("url", "url must be an absolute http(s) URL");
  }
  return absl::OkStatus();
}

absl::StatusOr<ListValue> NormalizeTags(const ListValue& tags) {
  if (tags.values_size() > kMaxCreativeTags) {
    return ValidationError("tags", absl::StrCat("at most ", kMaxCreativeTags, " tags"));
  }
  ListValue kept;
  std::vector<std::string> seen;
  for (const Value& value : tags.values()) {
    if (value.kind_case() != Value::kStringValue) {
      return ValidationError("tags", "tags must be strings");
    }
    std::string tag(absl::StripAsciiWhitespace(value.string_value()));
    if (tag.empty()) return ValidationError("tags", "a tag must not be empty");
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength("tags", tag, kMaxCreativeTagLength));
    if (std::find(seen.begin(), seen.end(), tag) != seen.end()) continue;
    seen.push_back(tag);
    kept.add_values()->set_string_value(std::move(tag));
  }
  return kept;
}

absl::StatusOr<Value> NormalizeDimensions(const Value& dimensions) {
  if (dimensions.kind_case() == Value::kNullValue) return dimensions;
  constexpr char kMessage[] =
      "dimensions must be null or {\"width\": w, \"height\": h} with integers 1 to 100000";
  if (dimensions.kind_case() != Value::kStructValue) return ValidationError("dimensions", kMessage);
  const auto& fields = dimensions.struct_value().fields();
  if (fields.size() != 2 || !fields.count("width") || !fields.count("height")) {
    return ValidationError("dimensions", kMessage);
  }
  Value out;
  for (const char* name : {"width", "height"}) {
    const Value& side = fields.at(name);
    if (side.kind_case() != Value::kNumberValue || !std::isfinite(side.number_value()) ||
        side.number_value() != std::floor(side.number_value()) || side.number_value() < 1 ||
        side.number_value() > kMaxCreativeDimension) {
      return ValidationError("dimensions", kMessage);
    }
    (*out.mutable_struct_value()->mutable_fields())[name].set_number_value(side.number_value());
  }
  return out;
}

}  // namespace

absl::StatusOr<CreativeInput> ValidateCreativeInput(const CreativeInput& input) {
  CreativeInput normalized = input;
  AFFONSO_RETURN_IF_ERROR(
      CheckText("name", input.has_name(), input.name(), kMaxCreativeNameLength));
  AFFONSO_RETURN_IF_ERROR(CheckLongText("description", input.has_description(), input.description(),
                                        kMaxCreativeTextBytes));
  if (input.has_category()) {
    AFFONSO_RETURN_IF_ERROR(CheckNullableString("category", input.category()));
    if (input.category().kind_case() == Value::kStringValue) {
      const CreativeCategory category = ParseCategory(input.category().string_value());
      if (category == affonso::v1::CREATIVE_CATEGORY_UNSPECIFIED) {
        return ValidationError("category", absl::StrCat("category must be ", kCategories));
      }
      normalized.mutable_category()->set_string_value(storage::CreativeCategoryToDb(category));
    }
  }
  AFFONSO_RETURN_IF_ERROR(CheckText("subcategory", input.has_subcategory(), input.subcategory(),
                                    kMaxCreativeSubcategoryLength));
  if (input.has_url()) AFFONSO_RETURN_IF_ERROR(CheckUrl(input.url()));
  AFFONSO_RETURN_IF_ERROR(
      CheckLongText("content", input.has_content(), input.content(), kMaxCreativeContentBytes));
  if (input.has_tags()) {
    AFFONSO_ASSIGN_OR_RETURN(*normalized.mutable_tags(), NormalizeTags(input.tags()));
  }
  if (input.has_dimensions()) {
    AFFONSO_ASSIGN_OR_RETURN(*normalized.mutable_dimensions(),
                             NormalizeDimensions(input.dimensions()));
  }
  AFFONSO_RETURN_IF_ERROR(CheckLongText("usage_notes", input.has_usage_notes(), input.usage_notes(),
                                        kMaxCreativeTextBytes));
  AFFONSO_RETURN_IF_ERROR(CheckLongText("restrictions", input.has_restrictions(),
                                        input.restrictions(), kMaxCreativeTextBytes));
  return normalized;
}

absl::StatusOr<storage::CreativeListQuery> ParseListCreatives(
    const affonso::v1::ListCreativesRequest& request) {
  AFFONSO_ASSIGN_OR_RETURN(PageRequest page,
                           ResolvePage(request.page(), request.limit(), kDefaultCreativePageLimit,
                                       kMaxCreativePageLimit));
  storage::CreativeListQuery query;
  query.page = page.page;
  query.limit = page.limit;
  if (!request.category().empty()) {
    query.category = ParseCategory(request.category());
    if (query.category == affonso::v1::CREATIVE_CATEGORY_UNSPECIFIED) {
      return ValidationError("category", absl::StrCat("category must be ", kCategories));
    }
  }
  return query;
}

grpc::Status CreativeServiceImpl::ListCreatives(grpc::ServerContext* context,
                                                const affonso::v1::ListCreativesRequest* request,
                                                affonso::v1::ListCreativesResponse* response) {
  return runner_.Run(context, "ListCreatives", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(storage::CreativeListQuery query, ParseListCreatives(*request));
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_ASSIGN_OR_RETURN(storage::CreativePage page,
                             store_->ListCreatives(caller.team_id, program, query));
    for (Creative& creative : page.creatives) *response->add_data() = std::move(creative);
    *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
    return absl::OkStatus();
  });
}

grpc::Status CreativeServiceImpl::CreateCreative(grpc::ServerContext* context,
                                                 const affonso::v1::CreateCreativeRequest* request,
                                                 Creative* response) {
  return runner_.Run(
      context, "CreateCreative", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(CreativeInput input, ValidateCreativeInput(request->creative()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateCreative(caller.team_id, program, input));
        RpcRunner::SetHttpCode(context, 201);
        return absl::OkStatus();
      });
}

grpc::Status CreativeServiceImpl::GetCreative(grpc::ServerContext* context,
                                              const affonso::v1::GetCreativeRequest* request,
                                              Creative* response) {
  return runner_.Run(context, "GetCreative", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    if (!LooksLikeId(request->id(), "crv")) return NotFoundError("creative");
    AFFONSO_ASSIGN_OR_RETURN(*response,
                             store_->GetCreative(caller.team_id, program, request->id()));
    return absl::OkStatus();
  });
}

grpc::Status CreativeServiceImpl::UpdateCreative(grpc::ServerContext* context,
                                                 const affonso::v1::UpdateCreativeRequest* request,
                                                 Creative* response) {
  return runner_.Run(
      context, "UpdateCreative", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(CreativeInput update, ValidateCreativeInput(request->creative()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        if (!LooksLikeId(request->id(), "crv")) return NotFoundError("creative");
        AFFONSO_ASSIGN_OR_RETURN(
            *response, store_->UpdateCreative(caller.team_id, program, request->id(), update));
        return absl::OkStatus();
      });
}

grpc::Status CreativeServiceImpl::DeleteCreative(grpc::ServerContext* context,
                                                 const affonso::v1::DeleteCreativeRequest* request,
                                                 affonso::v1::DeleteCreativeResponse* response) {
  return runner_.Run(
      context, "DeleteCreative", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        if (!LooksLikeId(request->id(), "crv")) return NotFoundError("creative");
        AFFONSO_RETURN_IF_ERROR(store_->DeleteCreative(caller.team_id, program, request->id()));
        response->set_id(request->id());
        response->set_deleted(true);
        response->set_message("creative deleted");
        return absl::OkStatus();
      });
}

}  // namespace affonso::services
