#ifndef AFFONSO_STORAGE_CREATIVE_STORE_H_
#define AFFONSO_STORAGE_CREATIVE_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/creatives.pb.h"

namespace affonso::storage {

// A program holds at most this many creatives: a create beyond it is a
// VALIDATION_ERROR on program_id (the program is full).
inline constexpr int kMaxCreativesPerProgram = 1000;

// The stored names of the categories ("brand", ...), which are also the
// SDK's; nullptr for UNSPECIFIED.
inline const char* CreativeCategoryToDb(affonso::v1::CreativeCategory category) {
  switch (category) {
    case affonso::v1::CREATIVE_CATEGORY_BRAND:
      return "brand";
    case affonso::v1::CREATIVE_CATEGORY_BANNER:
      return "banner";
    case affonso::v1::CREATIVE_CATEGORY_PRODUCT:
      return "product";
    case affonso::v1::CREATIVE_CATEGORY_CONTENT:
      return "content";
    case affonso::v1::CREATIVE_CATEGORY_VIDEO:
      return "video";
    case affonso::v1::CREATIVE_CATEGORY_DOCUMENT:
      return "document";
    default:
      return nullptr;
  }
}

// The category of a stored (or the SDK's) name; UNSPECIFIED for any other text.
inline affonso::v1::CreativeCategory CreativeCategoryFromDb(absl::string_view name) {
  for (int i = affonso::v1::CREATIVE_CATEGORY_BRAND; i <= affonso::v1::CREATIVE_CATEGORY_DOCUMENT;
       ++i) {
    const auto category = static_cast<affonso::v1::CreativeCategory>(i);
    if (name == CreativeCategoryToDb(category)) return category;
  }
  return affonso::v1::CREATIVE_CATEGORY_UNSPECIFIED;
}

// One page of the offset list, newest first; page and limit already resolved.
struct CreativeListQuery {
  int page = 1;
  int limit = 10;
  affonso::v1::CreativeCategory category = affonso::v1::CREATIVE_CATEGORY_UNSPECIFIED;  // = all
};

struct CreativePage {
  std::vector<affonso::v1::Creative> creatives;
  int total = 0;  // matching rows across all pages
};

// A program's creatives. Every call names the program by `program_id`, ""
// meaning the team's default program; a program the team does not own is
// NOT_FOUND("program"), a creative that is not the program's
// NOT_FOUND("creative").
//
// Inputs arrive validated and normalised by the service
// (services/api/creative_service.h ValidateCreativeInput): each present
// nullable field a string or null (category one of the six names, lower
// case), dimensions null or {width, height} with positive integers, tags
// strings without duplicates.
class CreativeStore {
 public:
  virtual ~CreativeStore() = default;

  // Absent fields are null (tags []). VALIDATION_ERROR on program_id when the
  // program has kMaxCreativesPerProgram creatives.
  virtual absl::StatusOr<affonso::v1::Creative> CreateCreative(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::CreativeInput& input) = 0;

  virtual absl::StatusOr<affonso::v1::Creative> GetCreative(absl::string_view team_id,
                                                            absl::string_view program_id,
                                                            absl::string_view id) = 0;

  virtual absl::StatusOr<CreativePage> ListCreatives(absl::string_view team_id,
                                                     absl::string_view program_id,
                                                     const CreativeListQuery& query) = 0;

  // Absent fields stay, present ones replace (null clears); updated_at moves.
  virtual absl::StatusOr<affonso::v1::Creative> UpdateCreative(
      absl::string_view team_id, absl::string_view program_id, absl::string_view id,
      const affonso::v1::CreativeInput& update) = 0;

  virtual absl::Status DeleteCreative(absl::string_view team_id, absl::string_view program_id,
                                      absl::string_view id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CREATIVE_STORE_H_
