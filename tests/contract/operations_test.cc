// Every one of the contract's 64 operations (operations.txt, from ../shared/API.md) is served by
// the route table the gateway builds from the protos and has its answer described in
// sdk_types.txt, which //tests:contract_pgtest then checks against a live server.
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/testing/status_matchers.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/route_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/contract/contract_checker.h"

namespace affonso::tests {
namespace {

// "GET /v1/affiliates/{id}/portal-token" -> "GET /v1/affiliates/{}/portal-token": the contract
// and the protos may name a path variable differently ({emailTypeId}, {email_type_id}).
std::string Unnamed(const std::string& route_key) {
  std::string out;
  bool in_variable = false;
  for (char c : route_key) {
    if (c == '{') {
      in_variable = true;
      out += "{}";
    } else if (c == '}') {
      in_variable = false;
    } else if (!in_variable) {
      out += c;
    }
  }
  return out;
}

struct Operation {
  std::string number;
  std::string route_key;  // unnamed
  std::string sdk_method;
};

std::vector<Operation> LoadOperations() {
  std::ifstream in("tests/contract/operations.txt");
  std::vector<Operation> operations;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() != 4) {
      ADD_FAILURE() << "operations.txt: not 'N VERB PATH METHOD': " << line;
      continue;
    }
    operations.push_back({words[0], Unnamed(absl::StrCat(words[1], " ", words[2])), words[3]});
  }
  return operations;
}

TEST(OperationsTest, TheListHoldsTheContractsSixtyFourOperations) {
  std::vector<Operation> operations = LoadOperations();
  ASSERT_EQ(operations.size(), 64u);
  std::set<std::string> numbers, routes;
  for (size_t i = 0; i < operations.size(); ++i) {
    EXPECT_EQ(operations[i].number, std::to_string(i + 1));
    EXPECT_TRUE(routes.insert(operations[i].route_key).second)
        << "listed twice: " << operations[i].route_key;
  }
}

TEST(OperationsTest, EveryOperationIsServedAndDescribed) {
  auto table = gateway::RouteTable::FromServices(gateway::ContractServices());
  ASSERT_OK(table);
  std::set<std::string> served;
  for (const gateway::Route& route : table->routes()) {
    served.insert(Unnamed(absl::StrCat(route.http_method, " ", route.path_template)));
  }
  auto description = ContractDescription::Load("tests/contract/sdk_types.txt");
  ASSERT_OK(description);
  std::set<std::string> described;
  for (const std::string& key : description->RouteKeys()) described.insert(Unnamed(key));

  std::vector<std::string> not_served, not_described;
  for (const Operation& operation : LoadOperations()) {
    const std::string name = absl::StrCat("#", operation.number, " ", operation.route_key, " (",
                                          operation.sdk_method, ")");
    if (!served.count(operation.route_key)) not_served.push_back(name);
    if (!described.count(operation.route_key)) not_described.push_back(name);
  }
  EXPECT_THAT(not_served, testing::IsEmpty())
      << "not served:\n  " << absl::StrJoin(not_served, "\n  ");
  EXPECT_THAT(not_described, testing::IsEmpty())
      << "no route line in sdk_types.txt:\n  " << absl::StrJoin(not_described, "\n  ");
}

}  // namespace
}  // namespace affonso::tests
