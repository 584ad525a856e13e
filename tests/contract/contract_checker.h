#ifndef AFFONSO_TESTS_CONTRACT_CONTRACT_CHECKER_H_
#define AFFONSO_TESTS_CONTRACT_CONTRACT_CHECKER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace affonso::tests {

// One place where a JSON value differs from its description.
struct Mismatch {
  std::string path;     // "data.converted_at", "data[0].partnership_status"; "" = the body
  std::string problem;  // "missing: required and nullable, send null", ...
};

// "path: problem", one per line.
std::string FormatMismatches(const std::vector<Mismatch>& mismatches);

// The response shapes of tests/contract/sdk_types.txt (its header and README.md describe the
// format): object types written from the SDK's TypeScript, aliases, and the envelope of each
// route. Objects are strict: a field the description does not name is a mismatch unless the type
// says `...`.
class ContractDescription {
 public:
  ContractDescription();
  ~ContractDescription();
  ContractDescription(ContractDescription&&) noexcept;
  ContractDescription& operator=(ContractDescription&&) noexcept;

  // Fails on a syntax error or a name that is declared twice or never declared.
  static absl::StatusOr<ContractDescription> Parse(absl::string_view text);
  static absl::StatusOr<ContractDescription> Load(const std::string& path);

  // Every difference of `value` from the type expression `type` ("Affiliate", "string | null",
  // "Group[]"); fails when `type` does not parse or names an unknown type.
  absl::StatusOr<std::vector<Mismatch>> Check(const google::protobuf::Value& value,
                                              absl::string_view type) const;

  // "GET /v1/affiliates", ... in file order.
  std::vector<std::string> RouteKeys() const;
  bool HasRoute(const std::string& route_key) const;
  // "offset Affiliate", "delete", ...; "" for an unknown route.
  std::string RouteShape(const std::string& route_key) const;
  // Every difference of a 2xx body from the route's envelope and type. An unknown route is one
  // mismatch.
  std::vector<Mismatch> CheckResponse(const std::string& route_key,
                                      const google::protobuf::Struct& body) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace affonso::tests

#endif  // AFFONSO_TESTS_CONTRACT_CONTRACT_CHECKER_H_
