#include "services/signing/signing_verifier.h"

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/signing_secret_store.h"

namespace affonso::services {
namespace {

using storage::SigningSecretRecord;

// In memory, counting lookups.
class FakeStore final : public storage::SigningSecretStore {
 public:
  absl::StatusOr<std::optional<SigningSecretRecord>> Get(absl::string_view team,
                                                         absl::string_view program,
                                                         absl::string_view source) override {
    ++gets;
    if (!fail.ok()) return fail;
    auto it = slots.find({std::string(team), std::string(program), std::string(source)});
    if (it == slots.end()) return std::optional<SigningSecretRecord>();
    return std::optional<SigningSecretRecord>(it->second);
  }
  absl::Status Set(absl::string_view team, absl::string_view program, absl::string_view source,
                   absl::string_view secret) override {
    SigningSecretRecord record;
    record.secret = std::string(secret);
    slots[{std::string(team), std::string(program), std::string(source)}] = record;
    return absl::OkStatus();
  }
  absl::Status Rotate(absl::string_view, absl::string_view, absl::string_view, absl::string_view,
                      absl::Duration) override {
    return absl::UnimplementedError("unused");
  }
  absl::Status Clear(absl::string_view team, absl::string_view program,
                     absl::string_view source) override {
    slots.erase({std::string(team), std::string(program), std::string(source)});
    return absl::OkStatus();
  }

  std::map<std::tuple<std::string, std::string, std::string>, SigningSecretRecord> slots;
  absl::Status fail;
  int gets = 0;
};

constexpr char kBody[] = R"({"referral_id":"ref_1","sale_amount":10,"external_event_id":"e1"})";

class SigningVerifierTest : public ::testing::Test {
 protected:
  SigningVerifierTest() : verifier_(&store_, [this] { return now_; }) {}

  SignedRequest Signed(const std::string& secret, absl::Time at, const std::string& body = kBody) {
    SignedRequest request;
    request.timestamp = absl::StrCat(absl::ToUnixSeconds(at));
    request.signature = RequestSignature(secret, request.timestamp, body);
    request.body = body;
    return request;
  }

  std::string Reason(const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
    return ApiErrorCode(status);
  }

  FakeStore store_;
  absl::Time now_ = absl::FromUnixSeconds(1714557600);
  SigningVerifier verifier_;
};

// The SDK's algorithm, by a known answer computed apart (Python:
// hmac.new(b"ssk_test", b'1714557600.{"a":1}', hashlib.sha256).hexdigest()).
TEST(RequestSignatureTest, IsLowerHexHmacSha256OfTimestampDotBody) {
  EXPECT_EQ(RequestSignature("ssk_test", "1714557600", R"({"a":1})"),
            "961c5b7f671e179c3642ad19ef228b921e5a0169a064cb4a9d58ce41dd0c3712");
  EXPECT_NE(RequestSignature("ssk_test", "1", "2"), RequestSignature("ssk_test", "12", ""));
}

TEST_F(SigningVerifierTest, NoSecretAcceptsEverything) {
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", SignedRequest{}));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "segment", SignedRequest{}));
}

TEST_F(SigningVerifierTest, GoodSignatureAccepted) {
  ASSERT_OK(store_.Set("team_a", "prg_1", "", "ssk_one"));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_one", now_)));
  // Upper-case hex is the same signature.
  SignedRequest upper = Signed("ssk_one", now_);
  for (char& c : upper.signature) c = static_cast<char>(std::toupper(c));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", upper));
}

TEST_F(SigningVerifierTest, MissingHeaders) {
  ASSERT_OK(store_.Set("team_a", "prg_1", "", "ssk_one"));
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", SignedRequest{"", "", kBody})),
            "MISSING_SIGNATURE");
  SignedRequest no_signature = Signed("ssk_one", now_);
  no_signature.signature.clear();
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", no_signature)), "MISSING_SIGNATURE");
  SignedRequest no_timestamp = Signed("ssk_one", now_);
  no_timestamp.timestamp.clear();
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", no_timestamp)), "MISSING_SIGNATURE");
  EXPECT_EQ(PublicErrorCode("MISSING_SIGNATURE"), "UNAUTHORIZED");
}

TEST_F(SigningVerifierTest, StaleBothDirectionsAndNonIntegers) {
  ASSERT_OK(store_.Set("team_a", "prg_1", "", "ssk_one"));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_one", now_ - absl::Seconds(300))));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_one", now_ + absl::Seconds(300))));
  EXPECT_EQ(
      Reason(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_one", now_ - absl::Seconds(301)))),
      "STALE_SIGNATURE");
  EXPECT_EQ(
      Reason(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_one", now_ + absl::Seconds(301)))),
      "STALE_SIGNATURE");
  for (const std::string timestamp :
       {"1714557600.0", "+1714557600", " 1714557600", "-1", "abc", "99999999999999999999999"}) {
    SignedRequest request;
    request.timestamp = timestamp;
    request.signature = RequestSignature("ssk_one", timestamp, kBody);
    request.body = kBody;
    EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", request)), "STALE_SIGNATURE")
        << timestamp;
  }
}

TEST_F(SigningVerifierTest, TamperedBodyOrWrongSecretInvalid) {
  ASSERT_OK(store_.Set("team_a", "prg_1", "", "ssk_one"));
  SignedRequest tampered = Signed("ssk_one", now_);
  tampered.body = R"({"referral_id":"ref_1","sale_amount":1000,"external_event_id":"e1"})";
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", tampered)), "INVALID_SIGNATURE");
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_other", now_))),
            "INVALID_SIGNATURE");
  // A signature over another timestamp does not carry over.
  SignedRequest moved = Signed("ssk_one", now_);
  moved.timestamp = absl::StrCat(absl::ToUnixSeconds(now_) + 1);
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", moved)), "INVALID_SIGNATURE");
  SignedRequest short_signature = Signed("ssk_one", now_);
  short_signature.signature.resize(32);
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", short_signature)), "INVALID_SIGNATURE");
}

TEST_F(SigningVerifierTest, RotationGraceThenOnlyTheNewSecret) {
  SigningSecretRecord rotated;
  rotated.secret = "ssk_new";
  rotated.previous_secret = "ssk_old";
  rotated.previous_valid_until = now_ + absl::Hours(24);
  store_.slots[{"team_a", "prg_1", ""}] = rotated;
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_new", now_)));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_old", now_)));
  now_ += absl::Hours(24);
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_new", now_)));
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", Signed("ssk_old", now_))),
            "INVALID_SIGNATURE");
}

TEST_F(SigningVerifierTest, SourceFallsBackToTheProgramsOwn) {
  ASSERT_OK(store_.Set("team_a", "prg_1", "", "ssk_own"));
  ASSERT_OK(store_.Set("team_a", "prg_1", "segment", "ssk_segment"));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "segment", Signed("ssk_segment", now_)));
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "segment", Signed("ssk_own", now_))),
            "INVALID_SIGNATURE")
      << "a source with its own secret uses that one only";
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "custom", Signed("ssk_own", now_)));
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "custom", SignedRequest{})),
            "MISSING_SIGNATURE");
  // Another team's or program's secret never applies.
  EXPECT_OK(verifier_.Verify("team_b", "prg_1", "", SignedRequest{}));
  EXPECT_OK(verifier_.Verify("team_a", "prg_2", "segment", SignedRequest{}));
}

TEST_F(SigningVerifierTest, CachesForTheTtlThenRereads) {
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", SignedRequest{}));
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", SignedRequest{}));
  EXPECT_EQ(store_.gets, 1) << "unsigned traffic without a secret costs one query per TTL";
  ASSERT_OK(store_.Set("team_a", "prg_1", "", "ssk_one"));
  now_ += kSigningSecretCacheTtl - absl::Seconds(1);
  EXPECT_OK(verifier_.Verify("team_a", "prg_1", "", SignedRequest{})) << "still cached";
  now_ += absl::Seconds(1);
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", SignedRequest{})), "MISSING_SIGNATURE");
  EXPECT_EQ(store_.gets, 2);
}

TEST_F(SigningVerifierTest, StoreErrorFailsClosedAndIsNotCached) {
  store_.fail = absl::UnavailableError("database down");
  EXPECT_THAT(verifier_.Verify("team_a", "prg_1", "", SignedRequest{}),
              matchers::StatusIs(absl::StatusCode::kUnavailable));
  store_.fail = absl::OkStatus();
  ASSERT_OK(store_.Set("team_a", "prg_1", "", "ssk_one"));
  EXPECT_EQ(Reason(verifier_.Verify("team_a", "prg_1", "", SignedRequest{})), "MISSING_SIGNATURE");
}

}  // namespace
}  // namespace affonso::services
