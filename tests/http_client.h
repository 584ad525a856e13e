#ifndef AFFONSO_TESTS_HTTP_CLIENT_H_
#define AFFONSO_TESTS_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

namespace affonso::tests {

struct HttpResult {
  int status = 0;                              // 0: no answer
  std::map<std::string, std::string> headers;  // lower-case names
  std::string head;                            // status line and headers as received
  std::string body;
  // The body parsed as JSON (an empty Struct when it is not an object).
  google::protobuf::Struct json;

  // json["error"]["code"] and friends, "" when absent.
  std::string ErrorCode() const;
  std::string ErrorField() const;
  // json["error"]["details"][0]["reason"]: why a 401 or 403 was answered.
  std::string ErrorReason() const;
  // json["data"] as an object.
  const google::protobuf::Struct& Data() const;
  std::string DataString(const std::string& key) const;
};

// One request on a fresh loopback connection (Connection: close), so each
// call is independent. `headers` are sent as given; Content-Length is added.
HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::string& body = "",
                const std::vector<std::pair<std::string, std::string>>& headers = {});

// Sends raw bytes and returns everything the server answers before closing
// (for malformed-request tests).
std::string RawHttp(int port, const std::string& bytes);

}  // namespace affonso::tests

#endif  // AFFONSO_TESTS_HTTP_CLIENT_H_
