#include "storage/pg_signing_secret_store.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/api_error.h"
#include "common/secret_box.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

constexpr char kKeys[] = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

class PgSigningSecretStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(keyring_, SecretKeyring::Parse(kKeys));
    store_ = std::make_unique<PgSigningSecretStore>(&db_->pool(), &keyring_);
    plain_ = std::make_unique<PgSigningSecretStore>(&db_->pool());
  }

  std::string Column(const std::string& column, const std::string& source = "") {
    return db_->QueryValue("SELECT coalesce(" + column + "::text, '<null>') FROM signing_secrets " +
                           "WHERE team_id = '" + a_.team_id + "' AND program_id = '" +
                           a_.program_id + "' AND source = '" + source + "'");
  }

  SecretKeyring keyring_;
  std::unique_ptr<PgSigningSecretStore> store_, plain_;
};

TEST_F(PgSigningSecretStoreTest, SetGetClearPerSlotSealed) {
  ASSERT_OK_AND_ASSIGN(auto none, store_->Get(a_.team_id, a_.program_id, ""));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK(store_->Set(a_.team_id, a_.program_id, "", "ssk_own"));
  ASSERT_OK(store_->Set(a_.team_id, a_.program_id, "segment", "ssk_segment"));
  ASSERT_OK_AND_ASSIGN(auto own, store_->Get(a_.team_id, a_.program_id, ""));
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->secret, "ssk_own");
  EXPECT_EQ(own->previous_secret, "");
  ASSERT_OK_AND_ASSIGN(auto segment, store_->Get(a_.team_id, a_.program_id, "segment"));
  ASSERT_TRUE(segment.has_value());
  EXPECT_EQ(segment->secret, "ssk_segment");
  ASSERT_OK_AND_ASSIGN(auto custom, store_->Get(a_.team_id, a_.program_id, "custom"));
  EXPECT_FALSE(custom.has_value()) << "no fallback in the store";
  // At rest sealed, never in plaintext.
  EXPECT_EQ(Column("secret"), "<null>");
  EXPECT_EQ(Column("secret_sealed").rfind("v1:k1:", 0), 0u);
  // A store without the key cannot read it: an error, never "no secret".
  EXPECT_THAT(plain_->Get(a_.team_id, a_.program_id, "").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK(store_->Clear(a_.team_id, a_.program_id, "segment"));
  ASSERT_OK_AND_ASSIGN(auto cleared, store_->Get(a_.team_id, a_.program_id, "segment"));
  EXPECT_FALSE(cleared.has_value());
  EXPECT_THAT(store_->Clear(a_.team_id, a_.program_id, "segment"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto kept, store_->Get(a_.team_id, a_.program_id, ""));
  EXPECT_TRUE(kept.has_value());
}

TEST_F(PgSigningSecretStoreTest, WithoutKeysStoresPlaintext) {
  ASSERT_OK(plain_->Set(a_.team_id, a_.program_id, "", "ssk_plain"));
  EXPECT_EQ(Column("secret"), "ssk_plain");
  EXPECT_EQ(Column("secret_sealed"), "<null>");
  ASSERT_OK_AND_ASSIGN(auto read, store_->Get(a_.team_id, a_.program_id, ""));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->secret, "ssk_plain");
}

TEST_F(PgSigningSecretStoreTest, RotationKeepsThePreviousForTheGrace) {
  EXPECT_THAT(store_->Rotate(a_.team_id, a_.program_id, "", "ssk_new", absl::Hours(24)),
              StatusIs(absl::StatusCode::kNotFound))
      << "nothing to rotate";
  ASSERT_OK(store_->Set(a_.team_id, a_.program_id, "", "ssk_first"));
  const absl::Time before = absl::Now();
  ASSERT_OK(store_->Rotate(a_.team_id, a_.program_id, "", "ssk_second", absl::Hours(24)));
  ASSERT_OK_AND_ASSIGN(auto rotated, store_->Get(a_.team_id, a_.program_id, ""));
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(rotated->secret, "ssk_second");
  EXPECT_EQ(rotated->previous_secret, "ssk_first");
  EXPECT_GT(rotated->previous_valid_until, before + absl::Hours(24) - absl::Minutes(1));
  EXPECT_LT(rotated->previous_valid_until, absl::Now() + absl::Hours(24) + absl::Minutes(1));

  ASSERT_OK(store_->Rotate(a_.team_id, a_.program_id, "", "ssk_third", absl::Hours(1)));
  ASSERT_OK_AND_ASSIGN(auto again, store_->Get(a_.team_id, a_.program_id, ""));
  EXPECT_EQ(again->secret, "ssk_third");
  EXPECT_EQ(again->previous_secret, "ssk_second") << "only one previous secret";

  // set replaces at once: no grace.
  ASSERT_OK(store_->Set(a_.team_id, a_.program_id, "", "ssk_reset"));
  ASSERT_OK_AND_ASSIGN(auto reset, store_->Get(a_.team_id, a_.program_id, ""));
  EXPECT_EQ(reset->secret, "ssk_reset");
  EXPECT_EQ(reset->previous_secret, "");
  EXPECT_EQ(Column("previous_valid_until"), "<null>");
}

TEST_F(PgSigningSecretStoreTest, ScopedByTeam) {
  // Team b cannot set a secret on team a's program, nor see or clear one.
  EXPECT_THAT(store_->Set(b_.team_id, a_.program_id, "", "ssk_x"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store_->Set(a_.team_id, a_.program_id, "", "ssk_a"));
  ASSERT_OK_AND_ASSIGN(auto seen, store_->Get(b_.team_id, a_.program_id, ""));
  EXPECT_FALSE(seen.has_value());
  EXPECT_THAT(store_->Clear(b_.team_id, a_.program_id, ""), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Rotate(b_.team_id, a_.program_id, "", "ssk_y", absl::Hours(1)),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto kept, store_->Get(a_.team_id, a_.program_id, ""));
  EXPECT_EQ(kept->secret, "ssk_a");
  // A sealed value moved to another team's row does not open.
  ASSERT_OK(store_->Set(b_.team_id, b_.program_id, "", "ssk_b"));
  db_->QueryValue(
      "UPDATE signing_secrets SET secret_sealed = (SELECT secret_sealed FROM "
      "signing_secrets WHERE team_id = '" +
      a_.team_id + "') WHERE team_id = '" + b_.team_id + "' RETURNING 1");
  EXPECT_THAT(store_->Get(b_.team_id, b_.program_id, "").status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(PgSigningSecretStoreTest, UnknownSourceOrEmptySecretRefused) {
  EXPECT_THAT(store_->Set(a_.team_id, a_.program_id, "stripe", "ssk_x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Set(a_.team_id, a_.program_id, "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace affonso::storage
