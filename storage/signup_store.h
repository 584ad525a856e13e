#ifndef AFFONSO_STORAGE_SIGNUP_STORE_H_
#define AFFONSO_STORAGE_SIGNUP_STORE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/referrals.pb.h"
#include "proto/affonso/v1/signups.pb.h"
#include "storage/await_result.h"

namespace affonso::storage {

struct Conversion {
  affonso::v1::Referral referral;
  // True for the one call that converted the click; false for every other
  // call, concurrent or later, which gets the same referral back.
  bool created = false;
};

using ConversionCallback = std::function<void(absl::StatusOr<Conversion>)>;

class SignupStore {
 public:
  virtual ~SignupStore() = default;

  // Converts the team's click into its referral (same id as the click),
  // honouring the program's email / name tracking settings; NOT_FOUND when
  // the click is not the team's. `done` runs once, on any thread, after the
  // outcome is durable. `*request` (assumed validated) must stay valid until
  // then. Asynchronous so that a waiting signup holds no thread.
  virtual void ConvertClickAsync(std::string team_id,
                                 const affonso::v1::RecordSignupRequest* request,
                                 ConversionCallback done) = 0;

  // The blocking form, for tools and tests.
  absl::StatusOr<Conversion> ConvertClick(absl::string_view team_id,
                                          const affonso::v1::RecordSignupRequest& request) {
    return AwaitResult<Conversion>([&](ConversionCallback done) {
      ConvertClickAsync(std::string(team_id), &request, std::move(done));
    });
  }
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_SIGNUP_STORE_H_
