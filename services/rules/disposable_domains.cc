#include "services/rules/disposable_domains.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace affonso::services {
namespace internal {
// Defined by the generated embedded_disposable_domains.cc: the data file in
// pieces that each end at a line break (compilers cap a single literal).
const std::vector<absl::string_view>& EmbeddedDisposableDomainsChunks();
}  // namespace internal

const DisposableDomains& DisposableDomains::Builtin() {
  static const auto* builtin = new DisposableDomains(
      FromText(absl::StrJoin(internal::EmbeddedDisposableDomainsChunks(), "")));
  return *builtin;
}

DisposableDomains DisposableDomains::FromText(absl::string_view text) {
  DisposableDomains result;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    // A domain never holds '#', so everything after one is comment.
    line = line.substr(0, line.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    result.domains_.insert(absl::AsciiStrToLower(line));
  }
  return result;
}

bool DisposableDomains::Contains(absl::string_view domain) const {
  absl::ConsumeSuffix(&domain, ".");  // the DNS root: "mailinator.com."
  // Each suffix that still has a dot: the domain itself, then its parents,
  // stopping before the bare TLD.
  for (absl::string_view candidate = domain;;) {
    size_t dot = candidate.find('.');
    if (dot == absl::string_view::npos) return false;
    if (domains_.contains(candidate)) return true;
    candidate.remove_prefix(dot + 1);
  }
}

size_t DisposableDomains::size() const { return domains_.size(); }

}  // namespace affonso::services
