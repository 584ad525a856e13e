#include "common/request_id.h"

#include "common/ids.h"

namespace affonso {

bool IsUsableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e) return false;
  }
  return true;
}

std::string RequestIdFor(absl::string_view offered) {
  return IsUsableRequestId(offered) ? std::string(offered) : NewId("req");
}

}  // namespace affonso
