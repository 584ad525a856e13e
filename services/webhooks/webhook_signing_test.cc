#include "services/webhooks/webhook_signing.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

// The example secret of the Standard Webhooks spec.
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// Expected values computed outside this code base with node's crypto module:
//   createHmac("sha256", Buffer.from(secret, "utf8")).update(`${t}.${body}`).digest("hex")
//   createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
//     .update(`${id}.${t}.${body}`).digest("base64")
struct KnownAnswer {
  const char* event_id;
  int64_t unix_seconds;
  const char* body;
  const char* affonso_hex;
  const char* standard_base64;
};

constexpr KnownAnswer kKnownAnswers[] = {
    {"evt_2LVYqK3yXqoQk5RzqB8TtA", 1700000000,
     R"({"id":"evt_2LVYqK3yXqoQk5RzqB8TtA","type":"referral.lead","data":{"email":"ada@example.com"}})",
     "9ee76220eeedb42ce6674be01c5e8e52fb49a94f0f6a68676d7c8ad23bc0578b",
     "kzk3TiT1+MLnBjEGBJlR6K8e4cmdcvZymqfJhwLgxqA="},
    {"evt_x", 0, "", "e08e3b234d55e695f064d71f5cb8dd382678d244a4ad2939f249dd786f778e03",
     "5bpT9aFdLgqwc8QxS3uqINt/4rsuPn9qPxwNXhRfYYU="},
    // {"name":"Zoë — 日本"} as UTF-8 bytes: the body is signed byte for byte.
    {"evt_unicode", 1735689600, "{\"name\":\"Zo\xc3\xab \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\"}",
     "3d0060a8f32a22d679576a9b9a4fbf367c7b9636026519bab36756215ac2d230",
     "RGTViYxbF/AR7t3WoZI7bUU+EsMfq1baZq9sjd5TPSk="},
};

TEST(SignWebhookTest, MatchesKnownAnswers) {
  for (const KnownAnswer& known : kKnownAnswers) {
    SCOPED_TRACE(known.event_id);
    const SignedHeaders headers =
        SignWebhook(kSecret, known.event_id, known.unix_seconds, known.body);
    EXPECT_EQ(headers.webhook_id, known.event_id);
    EXPECT_EQ(headers.webhook_timestamp, absl::StrCat(known.unix_seconds));
    EXPECT_EQ(headers.affonso_signature,
              absl::StrCat("t=", known.unix_seconds, ",v1=", known.affonso_hex));
    EXPECT_EQ(headers.webhook_signature, absl::StrCat("v1,", known.standard_base64));
  }
}

TEST(SignWebhookTest, EveryInputChangesTheSignatures) {
  const SignedHeaders base = SignWebhook(kSecret, "evt_a", 1700000000, "{}");
  const SignedHeaders other_body = SignWebhook(kSecret, "evt_a", 1700000000, "{} ");
  const SignedHeaders other_time = SignWebhook(kSecret, "evt_a", 1700000001, "{}");
  const SignedHeaders other_id = SignWebhook(kSecret, "evt_b", 1700000000, "{}");
  const SignedHeaders other_secret =
      SignWebhook("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "evt_a", 1700000000, "{}");
  for (const SignedHeaders* changed : {&other_body, &other_time, &other_secret}) {
    EXPECT_NE(changed->affonso_signature, base.affonso_signature);
    EXPECT_NE(changed->webhook_signature, base.webhook_signature);
  }
  // The Affonso scheme does not sign the id; Standard Webhooks does.
  EXPECT_EQ(other_id.affonso_signature, base.affonso_signature);
  EXPECT_NE(other_id.webhook_signature, base.webhook_signature);
}

TEST(SignWebhookTest, StandardKeyIsTheDecodedPartAfterThePrefix) {
  const std::string unprefixed(absl::StripPrefix(kSecret, "whsec_"));
  const SignedHeaders prefixed = SignWebhook(kSecret, "evt_a", 1700000000, "{}");
  const SignedHeaders bare = SignWebhook(unprefixed, "evt_a", 1700000000, "{}");
  EXPECT_EQ(bare.webhook_signature, prefixed.webhook_signature);
  // ...while the Affonso scheme keys with the whole string, prefix included.
  EXPECT_NE(bare.affonso_signature, prefixed.affonso_signature);
}

TEST(SignWebhookTest, SecretThatIsNotBase64GetsNoStandardSignature) {
  const SignedHeaders headers = SignWebhook("whsec_not base64!", "evt_a", 1700000000, "{}");
  EXPECT_EQ(headers.webhook_signature, "");
  EXPECT_TRUE(absl::StartsWith(headers.affonso_signature, "t=1700000000,v1="));
}

TEST(NewWebhookSecretTest, IsPrefixedBase64OfTwentyFourRandomBytes) {
  const std::string first = NewWebhookSecret();
  const std::string second = NewWebhookSecret();
  EXPECT_NE(first, second);
  for (const std::string& secret : {first, second}) {
    ASSERT_TRUE(absl::StartsWith(secret, "whsec_")) << secret;
    EXPECT_EQ(secret.size(), 6u + 32u) << secret;
    std::string key;
    ASSERT_TRUE(absl::Base64Unescape(secret.substr(6), &key)) << secret;
    EXPECT_EQ(key.size(), 24u);
    EXPECT_TRUE(IsWellFormedWebhookSecret(secret));
  }
}

TEST(IsWellFormedWebhookSecretTest, RequiresPrefixAndBase64) {
  EXPECT_TRUE(IsWellFormedWebhookSecret(kSecret));
  EXPECT_FALSE(IsWellFormedWebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_FALSE(IsWellFormedWebhookSecret("whsec_"));
  EXPECT_FALSE(IsWellFormedWebhookSecret("whsec_not base64!"));
  EXPECT_FALSE(IsWellFormedWebhookSecret(""));
}

// ---------------------------------------------------------------------------
// Independent verification: tests/webhook_verify/verify.js checks our headers
// with the Standard Webhooks reference library and node's own HMAC.

// A JSON string literal for `text` (UTF-8 passes through unchanged).
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, c));
    } else if (byte < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", byte));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string ShellQuote(absl::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

// What verify.js prints (trimmed), or a description of why it could not run.
// Fails the test (no skip) when the verifier is not set up: ./dev test always
// sets it up.
std::string RunVerifier(absl::string_view secret, const SignedHeaders& headers,
                        absl::string_view body) {
  const char* dir = getenv("WEBHOOK_VERIFY_DIR");
  if (dir == nullptr || *dir == '\0') {
    ADD_FAILURE() << "WEBHOOK_VERIFY_DIR is not set. The signature tests need the independent "
                     "verifier: run `./dev test`, or `(cd tests/webhook_verify && npm ci)` and "
                     "pass --test_env=WEBHOOK_VERIFY_DIR=$PWD/tests/webhook_verify to bazel test.";
    return "verifier not configured";
  }
  const std::string input =
      absl::StrCat("{\"secret\":", JsonString(secret), ",\"body\":", JsonString(body),
                   ",\"headers\":{", "\"webhook-id\":", JsonString(headers.webhook_id),
                   ",\"webhook-timestamp\":", JsonString(headers.webhook_timestamp),
                   ",\"webhook-signature\":", JsonString(headers.webhook_signature),
                   ",\"x-affonso-signature\":", JsonString(headers.affonso_signature), "}}");

  const char* tmp = getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/webhook_verify_XXXXXX");
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    ADD_FAILURE() << "mkstemp failed for " << path;
    return "no temp file";
  }
  const bool written = write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size());
  close(fd);
  if (!written) {
    ADD_FAILURE() << "could not write " << path;
    return "no temp file";
  }

  const std::string command = absl::StrCat("node ", ShellQuote(absl::StrCat(dir, "/verify.js")),
                                           " < ", ShellQuote(path), " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    unlink(path.c_str());
    return "popen failed";
  }
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  unlink(path.c_str());
  const std::string trimmed(absl::StripAsciiWhitespace(output));
  // 0 is "ok" and 1 a verdict; anything else (2: standardwebhooks not
  // installed, 127: no node) means the verifier itself could not run.
  if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1)) {
    ADD_FAILURE() << "the verifier did not run (" << command << ", status " << status
                  << "); is node installed and `npm ci` done in " << dir << "?\n"
                  << trimmed;
  }
  return trimmed;
}

// standardwebhooks refuses timestamps more than 5 minutes from its clock.
int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

TEST(IndependentVerifierTest, AcceptsOurSignatures) {
  const std::string bodies[] = {
      R"({"id":"evt_1","type":"referral.lead","createdAt":"2024-01-01T00:00:00Z","data":{}})",
      kKnownAnswers[2].body,
      "{\"note\":\"quotes \\\" backslash \\\\ newline \\n tab \\t\"}",
  };
  for (int i = 0; i < 3; ++i) {
    const std::string secret = i == 0 ? std::string(kSecret) : NewWebhookSecret();
    const std::string event_id = absl::StrCat("evt_independent", i);
    SCOPED_TRACE(bodies[i]);
    const SignedHeaders headers = SignWebhook(secret, event_id, Now(), bodies[i]);
    EXPECT_EQ(RunVerifier(secret, headers, bodies[i]), "ok");
  }
}

TEST(IndependentVerifierTest, RejectsATamperedBody) {
  const std::string secret = NewWebhookSecret();
  const std::string body = R"({"id":"evt_t","data":{"commissionAmount":10}})";
  const SignedHeaders headers = SignWebhook(secret, "evt_t", Now(), body);
  const std::string tampered = R"({"id":"evt_t","data":{"commissionAmount":1000}})";
  const std::string verdict = RunVerifier(secret, headers, tampered);
  EXPECT_NE(verdict, "ok");
  EXPECT_TRUE(absl::StrContains(verdict, "webhook-signature")) << verdict;
}

TEST(IndependentVerifierTest, RejectsATamperedAffonsoSignature) {
  const std::string secret = NewWebhookSecret();
  const std::string body = R"({"id":"evt_a"})";
  const int64_t now = Now();
  SignedHeaders headers = SignWebhook(secret, "evt_a", now, body);
  // Valid Standard Webhooks headers, Affonso header from another body: only
  // the node HMAC check can catch it.
  headers.affonso_signature =
      SignWebhook(secret, "evt_a", now, R"({"id":"evt_b"})").affonso_signature;
  const std::string verdict = RunVerifier(secret, headers, body);
  EXPECT_NE(verdict, "ok");
  EXPECT_TRUE(absl::StrContains(verdict, "x-affonso-signature")) << verdict;
}

TEST(IndependentVerifierTest, RejectsAnotherSecret) {
  const std::string body = R"({"id":"evt_s"})";
  const SignedHeaders headers = SignWebhook(NewWebhookSecret(), "evt_s", Now(), body);
  EXPECT_NE(RunVerifier(NewWebhookSecret(), headers, body), "ok");
}

}  // namespace
}  // namespace affonso::services
