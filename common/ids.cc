#include "common/ids.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace affonso {

std::string RandomBase62(int n) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(n);
  std::vector<unsigned char> buf(n * 2);
  while (static_cast<int>(out.size()) < n) {
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) std::abort();
    for (unsigned char b : buf) {
      // Rejection sampling keeps the distribution uniform: 248 = 4 * 62.
      if (b >= 248) continue;
      out.push_back(kAlphabet[b % 62]);
      if (static_cast<int>(out.size()) == n) break;
    }
  }
  return out;
}

std::string NewId(absl::string_view prefix) { return absl::StrCat(prefix, "_", RandomBase62(22)); }

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace affonso
