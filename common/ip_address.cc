#include "common/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace affonso {

bool IsIpLiteral(absl::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  const std::string address(text);
  unsigned char parsed[16];
  return inet_pton(AF_INET, address.c_str(), parsed) == 1 ||
         inet_pton(AF_INET6, address.c_str(), parsed) == 1;
}

std::string ClientBudgetKey(absl::string_view address) {
  if (address.size() >= INET6_ADDRSTRLEN) return std::string(address);
  const std::string text(address);
  unsigned char bytes[16];
  if (address.find(':') == absl::string_view::npos ||
      inet_pton(AF_INET6, text.c_str(), bytes) != 1) {
    return text;
  }
  char printed[INET6_ADDRSTRLEN];
  constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    return inet_ntop(AF_INET, bytes + 12, printed, sizeof(printed)) != nullptr ? printed : text;
  }
  std::memset(bytes + 8, 0, 8);
  if (inet_ntop(AF_INET6, bytes, printed, sizeof(printed)) == nullptr) return text;
  return absl::StrCat(printed, "/64");
}

}  // namespace affonso
