#ifndef AFFONSO_STORAGE_SIGNUP_STORE_H_
#define AFFONSO_STORAGE_SIGNUP_STORE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/referrals.pb.h"
#include "proto/affonso/v1/signups.pb.h"

namespace affonso::storage {

struct Conversion {
  affonso::v1::Referral referral;
  // True for the one call that converted the click; false for every other
  // call, concurrent or later, which gets the same referral back.
  bool created = false;
};

class SignupStore {
 public:
  virtual ~SignupStore() = default;
  // Converts the team's click into its referral (same id as the click),
  // honouring the program's track_email / track_name settings. NOT_FOUND when
  // the click is not the team's. The request is assumed validated.
  virtual absl::StatusOr<Conversion> ConvertClick(
      absl::string_view team_id, const affonso::v1::RecordSignupRequest& request) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_SIGNUP_STORE_H_
