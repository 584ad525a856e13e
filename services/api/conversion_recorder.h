#ifndef AFFONSO_SERVICES_API_CONVERSION_RECORDER_H_
#define AFFONSO_SERVICES_API_CONVERSION_RECORDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/conversions.pb.h"

namespace affonso::services {

// The referral a request's identifiers name (CreateConversionRequest's
// referral_id ... external_user_id, coupon_code), with what the callers of
// the conversion path need before they write.
struct Attribution {
  std::string referral_id;  // "" when only a coupon's affiliate was found
  std::string program_id;
  std::string affiliate_id;
  std::string referral_status;  // "lead", "active", ... ("" with no referral)
};

// The conversion path as POST /v1/conversions runs it, for the other callers
// that record sales (POST /v1/events, the sources): validated, attributed,
// computed and written the same way, idempotent on external_event_id. The
// caller checks the request's signature itself (it knows its source).
class ConversionRecorder {
 public:
  virtual ~ConversionRecorder() = default;
  // NOT_FOUND ("referral") when no identifier names a live referral of the
  // team.
  virtual absl::StatusOr<Attribution> Attribute(
      absl::string_view team_id, const affonso::v1::CreateConversionRequest& request) = 0;
  // `source_event_id` ("" = none) is stored and answered as the conversion's
  // source_event_id.
  virtual absl::StatusOr<affonso::v1::Conversion> Record(
      absl::string_view team_id, const affonso::v1::CreateConversionRequest& request,
      absl::string_view source_event_id) = 0;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_CONVERSION_RECORDER_H_
