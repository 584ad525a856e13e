#ifndef AFFONSO_STORAGE_CONVERSION_POLICY_H_
#define AFFONSO_STORAGE_CONVERSION_POLICY_H_

#include <string>
#include <vector>

namespace affonso::storage {

// What the database knows about one conversion before it is written: the lead,
// the affiliate, the click's traffic parameters and the program's fraud rules
// (as stored: 'off' | 'detect' | 'block').
struct ConversionFacts {
  std::string lead_email;
  std::string lead_external_user_id;
  std::string affiliate_email;
  std::string affiliate_external_user_id;
  // The click's parameters; empty without a click.
  std::string gclid, fbclid, msclkid, ttclid, utm_medium;
  std::string self_referral_mode = "detect";
  std::string suspicious_email_mode = "detect";
  std::string paid_traffic_mode = "detect";
  std::vector<std::string> paid_click_params;
  std::vector<std::string> paid_utm_mediums;
  std::vector<std::string> allowed_email_domains;
};

struct ConversionDecision {
  bool rejected = false;
  // referrals.fraud_flags: [{"check":"self_referral","mode":"detect"}, ...]
  std::string fraud_flags_json = "[]";
};

// The business rules a conversion passes through (the fraud checks), kept
// out of storage so the store only moves rows. Called on the store's worker
// threads: must be thread-safe and must not block.
class ConversionPolicy {
 public:
  virtual ~ConversionPolicy() = default;
  virtual ConversionDecision Decide(const ConversionFacts& facts) const = 0;
};

// Lets every conversion through with no flags (tools, and tests of storage
// alone).
class AcceptAllPolicy final : public ConversionPolicy {
 public:
  ConversionDecision Decide(const ConversionFacts&) const override { return {}; }
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CONVERSION_POLICY_H_
