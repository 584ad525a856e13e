#include "storage/signing_secret_store.h"

namespace affonso::storage {

bool IsSigningSecretSource(absl::string_view source) {
  for (absl::string_view known : kSigningSecretSources) {
    if (source == known) return true;
  }
  return false;
}

}  // namespace affonso::storage
