#ifndef AFFONSO_SERVICES_RULES_DISPOSABLE_DOMAINS_H_
#define AFFONSO_SERVICES_RULES_DISPOSABLE_DOMAINS_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace affonso::services {

// Domains of disposable-email providers. The shipped list comes from the npm
// package disposable-email-domains (refresh: ./dev refresh-disposable-domains).
class DisposableDomains {
 public:
  // The list shipped in the binary (services/rules/data/disposable_email_domains.txt).
  // Built on first use (~120k domains, tens of ms): call it once at start-up.
  static const DisposableDomains& Builtin();
  // One domain per line, '#' comments and blank lines ignored.
  static DisposableDomains FromText(absl::string_view text);
  // True when `domain` (lower-case) or any parent domain of it is listed
  // ("a.mailinator.com" matches "mailinator.com"); a bare TLD never matches.
  bool Contains(absl::string_view domain) const;
  size_t size() const;

 private:
  absl::flat_hash_set<std::string> domains_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_DISPOSABLE_DOMAINS_H_
