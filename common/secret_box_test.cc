#include "common/secret_box.h"

#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso {
namespace {

using ::affonso::matchers::StatusIs;

// 32-byte keys, standard base64.
const std::string kKey1 = absl::Base64Escape(std::string(32, '\x01'));
const std::string kKey2 = absl::Base64Escape(std::string(32, '\x02'));
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kRow[] = "team_1/whk_1";

SecretKeyring Ring(const std::string& spec) {
  absl::StatusOr<SecretKeyring> keyring = SecretKeyring::Parse(spec);
  EXPECT_OK(keyring);
  return keyring.ok() ? *std::move(keyring) : SecretKeyring();
}

// Flips one bit of the decoded box at `offset` (negative: from the end).
std::string Flip(const std::string& sealed, int offset) {
  const size_t header = sealed.rfind(':') + 1;
  std::string box;
  EXPECT_TRUE(absl::Base64Unescape(sealed.substr(header), &box));
  box[offset >= 0 ? offset : box.size() + offset] ^= 0x01;
  return sealed.substr(0, header) + absl::Base64Escape(box);
}

TEST(SecretKeyringTest, RoundTripsUnderThePrimaryKey) {
  SecretKeyring keyring = Ring("k1:" + kKey1 + ",k2:" + kKey2);
  EXPECT_EQ(keyring.primary_id(), "k1");
  absl::StatusOr<std::string> sealed = keyring.Seal(kSecret, kRow);
  ASSERT_OK(sealed);
  EXPECT_TRUE(absl::StartsWith(*sealed, "v1:k1:")) << *sealed;
  EXPECT_EQ(sealed->find(kSecret), std::string::npos);
  EXPECT_EQ(*SecretKeyring::KeyIdOf(*sealed), "k1");
  absl::StatusOr<std::string> opened = keyring.Open(*sealed, kRow);
  ASSERT_OK(opened);
  EXPECT_EQ(*opened, kSecret);
  EXPECT_EQ(*keyring.Open(*keyring.Seal("", kRow), kRow), "");
}

TEST(SecretKeyringTest, EveryEncryptionTakesAFreshNonce) {
  SecretKeyring keyring = Ring("k1:" + kKey1);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(*keyring.Seal(kSecret, kRow));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SecretKeyringTest, AnotherKeyUnderTheSameIdDoesNotOpen) {
  const std::string sealed = *Ring("k1:" + kKey1).Seal(kSecret, kRow);
  absl::StatusOr<std::string> opened = Ring("k1:" + kKey2).Open(sealed, kRow);
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss)) << opened.status();
}

TEST(SecretKeyringTest, TamperedNonceCiphertextOrTagDoesNotOpen) {
  SecretKeyring keyring = Ring("k1:" + kKey1);
  const std::string sealed = *keyring.Seal(kSecret, kRow);
  for (int offset : {0, 11, 12, 20, -17, -16, -1}) {
    absl::StatusOr<std::string> opened = keyring.Open(Flip(sealed, offset), kRow);
    EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss)) << "offset " << offset;
  }
  // Truncated, extended, or not base64 at all.
  EXPECT_THAT(keyring.Open(sealed.substr(0, sealed.size() - 4), kRow),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(keyring.Open(sealed + "AAAA", kRow), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(keyring.Open("v1:k1:%%%%", kRow), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(keyring.Open("v1:k1:", kRow), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(keyring.Open(kSecret, kRow), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SecretKeyringTest, OtherAssociatedDataDoesNotOpen) {
  SecretKeyring keyring = Ring("k1:" + kKey1);
  const std::string sealed = *keyring.Seal(kSecret, "team_1/whk_1");
  for (const char* other : {"team_2/whk_1", "team_1/whk_2", "", "team_1/whk_1 "}) {
    EXPECT_THAT(keyring.Open(sealed, other), StatusIs(absl::StatusCode::kDataLoss)) << other;
  }
}

TEST(SecretKeyringTest, RelabelledKeyIdDoesNotOpen) {
  // Both ids hold the same key: only the header's authentication stops it.
  SecretKeyring keyring = Ring("k1:" + kKey1 + ",k2:" + kKey1);
  const std::string sealed = *keyring.Seal(kSecret, kRow);
  std::string relabelled = sealed;
  relabelled.replace(0, 6, "v1:k2:");
  EXPECT_THAT(keyring.Open(relabelled, kRow), StatusIs(absl::StatusCode::kDataLoss));
  std::string other_version = sealed;
  other_version[1] = '2';
  EXPECT_THAT(keyring.Open(other_version, kRow), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SecretKeyringTest, UnknownKeyIdIsAFailedPrecondition) {
  const std::string sealed = *Ring("old:" + kKey1).Seal(kSecret, kRow);
  absl::StatusOr<std::string> opened = Ring("new:" + kKey2).Open(sealed, kRow);
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(opened.status().message(), "\"old\"")) << opened.status();
  EXPECT_THAT(SecretKeyring().Open(sealed, kRow), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SecretKeyringTest, RotationOpensOldValuesAndSealsUnderTheNewPrimary) {
  const std::string old_sealed = *Ring("k1:" + kKey1).Seal(kSecret, kRow);
  SecretKeyring rotated = Ring("k2:" + kKey2 + ",k1:" + kKey1);
  EXPECT_EQ(*rotated.Open(old_sealed, kRow), kSecret);
  const std::string resealed = *rotated.Seal(*rotated.Open(old_sealed, kRow), kRow);
  EXPECT_EQ(*SecretKeyring::KeyIdOf(resealed), "k2");
  // Once everything is re-sealed, the old key can go.
  SecretKeyring only_new = Ring("k2:" + kKey2);
  EXPECT_EQ(*only_new.Open(resealed, kRow), kSecret);
  EXPECT_THAT(only_new.Open(old_sealed, kRow), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SecretKeyringTest, EmptyKeyringSealsNothing) {
  SecretKeyring keyring = Ring("  ");
  EXPECT_TRUE(keyring.empty());
  EXPECT_EQ(keyring.primary_id(), "");
  EXPECT_THAT(keyring.Seal(kSecret, kRow), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SecretKeyringTest, ParsesListsAndTrimsWhitespace) {
  SecretKeyring keyring = Ring(" k-1:" + kKey1 + " , K_2:" + kKey2 + "\n");
  EXPECT_EQ(keyring.key_ids(), (std::vector<std::string>{"k-1", "K_2"}));
}

TEST(SecretKeyringTest, RejectsBadConfigurationWithoutQuotingKeys) {
  const std::string short_key = absl::Base64Escape(std::string(16, '\x07'));
  const std::string long_key = absl::Base64Escape(std::string(33, '\x07'));
  for (const std::string& spec :
       {kKey1, "k1:" + short_key, "k1:" + long_key, std::string("k1:not base64!"), ":" + kKey1,
        "k 1:" + kKey1, "k1:" + kKey1 + ",k1:" + kKey2, "k1:" + kKey1 + ",",
        std::string(33, 'k') + ":" + kKey1}) {
    absl::StatusOr<SecretKeyring> keyring = SecretKeyring::Parse(spec);
    EXPECT_THAT(keyring, StatusIs(absl::StatusCode::kInvalidArgument)) << spec;
    for (const std::string& key : {kKey1, kKey2, short_key, long_key}) {
      EXPECT_FALSE(absl::StrContains(keyring.status().message(), key)) << keyring.status();
    }
  }
}

}  // namespace
}  // namespace affonso
