#include "tests/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace affonso::tests {

std::string RawHttp(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return "";
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and close before we finish
    sent += n;
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[16384];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) answer.append(buffer, n);
  close(fd);
  return answer;
}

HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                     "Connection: close\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
  absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n\r\n", body);
  std::string answer = RawHttp(port, request);

  HttpResult result;
  size_t head_end = answer.find("\r\n\r\n");
  if (head_end == std::string::npos) return result;
  result.head = answer.substr(0, head_end);
  std::vector<std::string> lines = absl::StrSplit(result.head, "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &result.status)) return result;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    result.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  result.body = answer.substr(head_end + 4);
  (void)google::protobuf::util::JsonStringToMessage(result.body, &result.json);
  return result;
}

std::string HttpResult::ErrorCode() const {
  auto error = json.fields().find("error");
  if (error == json.fields().end()) return "";
  auto code = error->second.struct_value().fields().find("code");
  return code == error->second.struct_value().fields().end() ? "" : code->second.string_value();
}

std::string HttpResult::ErrorField() const {
  auto error = json.fields().find("error");
  if (error == json.fields().end()) return "";
  auto field = error->second.struct_value().fields().find("field");
  return field == error->second.struct_value().fields().end() ? "" : field->second.string_value();
}

std::string HttpResult::ErrorReason() const {
  auto error = json.fields().find("error");
  if (error == json.fields().end()) return "";
  auto details = error->second.struct_value().fields().find("details");
  if (details == error->second.struct_value().fields().end() ||
      details->second.list_value().values_size() == 0) {
    return "";
  }
  const auto& first = details->second.list_value().values(0).struct_value().fields();
  auto reason = first.find("reason");
  return reason == first.end() ? "" : reason->second.string_value();
}

const google::protobuf::Struct& HttpResult::Data() const {
  static const google::protobuf::Struct* empty = new google::protobuf::Struct();
  auto data = json.fields().find("data");
  return data == json.fields().end() ? *empty : data->second.struct_value();
}

std::string HttpResult::DataString(const std::string& key) const {
  auto value = Data().fields().find(key);
  return value == Data().fields().end() ? "" : value->second.string_value();
}

}  // namespace affonso::tests
