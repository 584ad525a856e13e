#include "storage/fraud_names.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace affonso::storage {
namespace {

using affonso::v1::FraudCheck;
using affonso::v1::FraudFlag;
using affonso::v1::FraudMode;

template <typename Enum>
struct Name {
  Enum value;
  const char* db;
};

constexpr Name<FraudMode> kModes[] = {
    {affonso::v1::FRAUD_MODE_OFF, "off"},
    {affonso::v1::FRAUD_MODE_DETECT, "detect"},
    {affonso::v1::FRAUD_MODE_BLOCK, "block"},
};

constexpr Name<FraudCheck> kChecks[] = {
    {affonso::v1::FRAUD_CHECK_SELF_REFERRAL, "self_referral"},
    {affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL, "suspicious_email"},
    {affonso::v1::FRAUD_CHECK_PAID_TRAFFIC, "paid_traffic"},
    {affonso::v1::FRAUD_CHECK_CROSS_PROGRAM_BAN, "cross_program_ban"},
    {affonso::v1::FRAUD_CHECK_DUPLICATE_PAYOUT, "duplicate_payout"},
    {affonso::v1::FRAUD_CHECK_BANNED_REFERRAL, "banned_referral"},
    {affonso::v1::FRAUD_CHECK_BLOCKED_COUNTRY, "blocked_country"},
};

template <typename Enum, size_t N>
const char* ToDb(const Name<Enum> (&table)[N], Enum value) {
  for (const Name<Enum>& name : table) {
    if (name.value == value) return name.db;
  }
  return nullptr;
}

template <typename Enum, size_t N>
Enum FromDb(const Name<Enum> (&table)[N], absl::string_view text, Enum unspecified) {
  for (const Name<Enum>& name : table) {
    if (text == name.db) return name.value;
  }
  return unspecified;
}

}  // namespace

const char* FraudModeToDb(FraudMode mode) { return ToDb(kModes, mode); }

FraudMode FraudModeFromDb(absl::string_view text) {
  return FromDb(kModes, text, affonso::v1::FRAUD_MODE_UNSPECIFIED);
}

const char* FraudCheckToDb(FraudCheck check) { return ToDb(kChecks, check); }

FraudCheck FraudCheckFromDb(absl::string_view text) {
  return FromDb(kChecks, text, affonso::v1::FRAUD_CHECK_UNSPECIFIED);
}

std::string FraudFlagsToJson(const std::vector<FraudFlag>& flags) {
  // The names are fixed ASCII identifiers: nothing to escape.
  std::string json = "[";
  for (const FraudFlag& flag : flags) {
    const char* check = FraudCheckToDb(flag.check());
    const char* mode = FraudModeToDb(flag.mode());
    if (check == nullptr || mode == nullptr) continue;
    if (json.size() > 1) json += ",";
    absl::StrAppend(&json, R"({"check":")", check, R"(","mode":")", mode, R"("})");
  }
  json += "]";
  return json;
}

absl::Status FraudFlagsFromJson(absl::string_view json,
                                google::protobuf::RepeatedPtrField<FraudFlag>* out) {
  if (json == "[]") return absl::OkStatus();  // nearly every referral: skip the parser
  google::protobuf::ListValue flags;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &flags).ok()) {
    return absl::InternalError("stored fraud_flags is not a JSON array");
  }
  for (const auto& value : flags.values()) {
    const auto& fields = value.struct_value().fields();
    auto check = fields.find("check");
    auto mode = fields.find("mode");
    if (check == fields.end() || mode == fields.end()) continue;
    FraudFlag* flag = out->Add();
    flag->set_check(FraudCheckFromDb(check->second.string_value()));
    flag->set_mode(FraudModeFromDb(mode->second.string_value()));
  }
  return absl::OkStatus();
}

}  // namespace affonso::storage
