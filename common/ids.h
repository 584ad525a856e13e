#ifndef AFFONSO_COMMON_IDS_H_
#define AFFONSO_COMMON_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affonso {

// A new opaque id such as "clk_3fQ9...": `prefix`, "_", then 22 base62
// characters from the OS CSPRNG (~131 bits), so ids are unguessable and never
// collide across replicas without coordination.
std::string NewId(absl::string_view prefix);

// `n` base62 characters from the OS CSPRNG.
std::string RandomBase62(int n);

// Lower-case hex SHA-256 of `data`. API keys are stored only as this hash:
// they carry >128 bits of entropy, so a fast hash is safe (no KDF needed).
std::string Sha256Hex(absl::string_view data);

}  // namespace affonso

#endif  // AFFONSO_COMMON_IDS_H_
