#ifndef AFFONSO_COMMON_SECRET_BOX_H_
#define AFFONSO_COMMON_SECRET_BOX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso {

// Secrets that must stay readable (webhook signing keys), encrypted at rest
// under keys the operator supplies. AES-256-GCM with a fresh random 96-bit
// nonce per encryption. A sealed value is text:
//
//   "v1:" KEY_ID ":" base64(nonce[12] || ciphertext || tag[16])
//
// The associated data the caller gives (e.g. the row's team and id) is
// authenticated with the "v1:KEY_ID:" header, so a value copied to another
// row, or relabelled with another key id, does not open.
//
// A keyring holds several keys by id: the first (primary) seals, any of them
// opens, so the primary can change while older values still open, until they
// are re-sealed and the old key is dropped.
class SecretKeyring {
 public:
  static constexpr int kKeyBytes = 32;

  // "id1:base64key,id2:base64key" (first = primary; standard base64 of 32
  // bytes; ids of letters, digits, '-' and '_', at most 32). "" is the empty
  // keyring: nothing is encrypted. Errors never quote key material.
  static absl::StatusOr<SecretKeyring> Parse(absl::string_view spec);

  SecretKeyring() = default;
  SecretKeyring(const SecretKeyring&) = default;
  SecretKeyring& operator=(const SecretKeyring&) = default;
  SecretKeyring(SecretKeyring&&) = default;
  SecretKeyring& operator=(SecretKeyring&&) = default;
  ~SecretKeyring();  // wipes the keys

  bool empty() const { return keys_.empty(); }
  // "" when empty.
  const std::string& primary_id() const;
  std::vector<std::string> key_ids() const;

  // Under the primary key. FAILED_PRECONDITION when the keyring is empty.
  absl::StatusOr<std::string> Seal(absl::string_view plaintext,
                                   absl::string_view associated_data) const;

  // FAILED_PRECONDITION when the value names a key not in the keyring (the
  // operator removed it too early); DATA_LOSS when it is malformed or does not
  // authenticate (tampered, wrong key, other associated data).
  absl::StatusOr<std::string> Open(absl::string_view sealed,
                                   absl::string_view associated_data) const;

  // The key id a sealed value names; INVALID_ARGUMENT when it is no sealed value.
  static absl::StatusOr<std::string> KeyIdOf(absl::string_view sealed);

 private:
  struct Key {
    std::string id;
    std::string bytes;  // kKeyBytes
  };
  const Key* Find(absl::string_view id) const;

  std::vector<Key> keys_;  // keys_[0] is the primary
};

}  // namespace affonso

#endif  // AFFONSO_COMMON_SECRET_BOX_H_
