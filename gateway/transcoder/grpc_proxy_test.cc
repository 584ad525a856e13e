#include "gateway/transcoder/grpc_proxy.h"

#include <string>

#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

TEST(ForwardableSignatureHeaderTest, PrintableAsciiUpToTheLimit) {
  EXPECT_TRUE(ForwardableSignatureHeader("1714557600"));
  EXPECT_TRUE(ForwardableSignatureHeader(std::string(64, 'a')));
  EXPECT_TRUE(ForwardableSignatureHeader(std::string(kMaxSignatureHeaderLength, 'f')));
  EXPECT_TRUE(ForwardableSignatureHeader("not a number ~"));  // the service judges it
}

TEST(ForwardableSignatureHeaderTest, DropsEmptyLongAndUnprintable) {
  EXPECT_FALSE(ForwardableSignatureHeader(""));
  EXPECT_FALSE(ForwardableSignatureHeader(std::string(kMaxSignatureHeaderLength + 1, 'f')));
  EXPECT_FALSE(ForwardableSignatureHeader("abc\tdef"));
  EXPECT_FALSE(ForwardableSignatureHeader("abc\ndef"));
  EXPECT_FALSE(ForwardableSignatureHeader(std::string("a\0b", 3)));
  EXPECT_FALSE(ForwardableSignatureHeader("caf\xc3\xa9"));
  EXPECT_FALSE(ForwardableSignatureHeader("\x7f"));
}

}  // namespace
}  // namespace affonso::gateway
