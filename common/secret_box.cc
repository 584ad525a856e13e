#include "common/secret_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace affonso {
namespace {

constexpr absl::string_view kVersion = "v1";
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;
constexpr size_t kMaxKeyIdLength = 32;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

bool IsValidKeyId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The header is authenticated too: relabelling a value with another key id
// or version fails like tampering does.
std::string FullAssociatedData(absl::string_view header, absl::string_view associated_data) {
  return absl::StrCat(header, associated_data);
}

absl::Status OpenFailed() { return absl::DataLossError("sealed secret does not authenticate"); }

}  // namespace

absl::StatusOr<SecretKeyring> SecretKeyring::Parse(absl::string_view spec) {
  SecretKeyring keyring;
  spec = absl::StripAsciiWhitespace(spec);
  if (spec.empty()) return keyring;
  int position = 0;
  for (absl::string_view entry : absl::StrSplit(spec, ',')) {
    ++position;
    entry = absl::StripAsciiWhitespace(entry);
    const size_t colon = entry.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ", position, " is not ID:BASE64KEY (keys are comma-separated)"));
    }
    const absl::string_view id = entry.substr(0, colon);
    if (!IsValidKeyId(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ", position, ": the id must be 1 to 32 letters, digits, '-' or '_'"));
    }
    std::string bytes;
    if (!absl::Base64Unescape(entry.substr(colon + 1), &bytes) || bytes.size() != kKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", id, "\" is not the standard base64 of ", kKeyBytes,
                       " bytes (make one with: openssl rand -base64 32)"));
    }
    if (keyring.Find(id) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("key id \"", id, "\" appears twice"));
    }
    keyring.keys_.push_back(Key{std::string(id), std::move(bytes)});
  }
  return keyring;
}

SecretKeyring::~SecretKeyring() {
  for (Key& key : keys_) {
    if (!key.bytes.empty()) OPENSSL_cleanse(&key.bytes[0], key.bytes.size());
  }
}

const std::string& SecretKeyring::primary_id() const {
  static const std::string* const kNone = new std::string();
  return keys_.empty() ? *kNone : keys_.front().id;
}

std::vector<std::string> SecretKeyring::key_ids() const {
  std::vector<std::string> ids;
  for (const Key& key : keys_) ids.push_back(key.id);
  return ids;
}

const SecretKeyring::Key* SecretKeyring::Find(absl::string_view id) const {
  for (const Key& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

absl::StatusOr<std::string> SecretKeyring::Seal(absl::string_view plaintext,
                                                absl::string_view associated_data) const {
  if (keys_.empty()) return absl::FailedPreconditionError("no encryption key configured");
  const Key& key = keys_.front();
  const std::string header = absl::StrCat(kVersion, ":", key.id, ":");
  const std::string aad = FullAssociatedData(header, associated_data);

  std::string box(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  unsigned char* nonce = reinterpret_cast<unsigned char*>(&box[0]);
  unsigned char* out = nonce + kNonceBytes;
  if (RAND_bytes(nonce, kNonceBytes) != 1) return absl::InternalError("RAND_bytes failed");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key.bytes), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      len != static_cast<int>(plaintext.size()) ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + plaintext.size()) !=
          1) {
    return absl::InternalError("AES-GCM encryption failed");
  }
  return absl::StrCat(header, absl::Base64Escape(box));
}

absl::StatusOr<std::string> SecretKeyring::KeyIdOf(absl::string_view sealed) {
  std::vector<absl::string_view> parts = absl::StrSplit(sealed, absl::MaxSplits(':', 2));
  if (parts.size() != 3 || parts[0] != kVersion || !IsValidKeyId(parts[1])) {
    return absl::InvalidArgumentError("not a sealed secret");
  }
  return std::string(parts[1]);
}

absl::StatusOr<std::string> SecretKeyring::Open(absl::string_view sealed,
                                                absl::string_view associated_data) const {
  absl::StatusOr<std::string> id = KeyIdOf(sealed);
  if (!id.ok()) return absl::DataLossError("not a sealed secret");
  const Key* key = Find(*id);
  if (key == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("sealed under key \"", *id, "\", which is not configured"));
  }
  const size_t header_size = kVersion.size() + 1 + id->size() + 1;
  const absl::string_view header = sealed.substr(0, header_size);
  std::string box;
  // Base64Unescape also takes unpadded input; only our own output is valid,
  // and anything else fails authentication anyway.
  if (!absl::Base64Unescape(sealed.substr(header_size), &box) ||
      box.size() < kNonceBytes + kTagBytes) {
    return OpenFailed();
  }
  const std::string aad = FullAssociatedData(header, associated_data);
  const size_t text_size = box.size() - kNonceBytes - kTagBytes;
  unsigned char* nonce = reinterpret_cast<unsigned char*>(&box[0]);
  unsigned char* in = nonce + kNonceBytes;
  unsigned char* tag = in + text_size;
  std::string plaintext(text_size, '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(&plaintext[0]);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key->bytes), nonce) != 1) {
    return absl::InternalError("AES-GCM decryption failed");
  }
  if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, in, static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
    // Nothing of an unauthenticated plaintext leaves this function.
    if (!plaintext.empty()) OPENSSL_cleanse(&plaintext[0], plaintext.size());
    return OpenFailed();
  }
  return plaintext;
}

}  // namespace affonso
