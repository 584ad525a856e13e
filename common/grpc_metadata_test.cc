#include "common/grpc_metadata.h"

#include <string>

#include "gtest/gtest.h"

namespace affonso {
namespace {

TEST(MetadataValueTest, FirstValueOfTheKeyOrEmpty) {
  const std::string a = "authorization", x = "x-error-code", xf = "x-error-field";
  const std::string v1 = "Bearer one", v2 = "Bearer two", code = "NOT_FOUND", empty;
  GrpcMetadata metadata;
  metadata.emplace(a, v1);
  metadata.emplace(a, v2);
  metadata.emplace(x, code);
  metadata.emplace(xf, empty);
  EXPECT_EQ(MetadataValue(metadata, "authorization"), "Bearer one");
  EXPECT_EQ(MetadataValue(metadata, "x-error-code"), "NOT_FOUND");
  EXPECT_EQ(MetadataValue(metadata, "x-error-field"), "");
  EXPECT_EQ(MetadataValue(metadata, "x-error"), "");  // a prefix is not the key
  EXPECT_EQ(MetadataValue(metadata, "x-error-code-2"), "");
  EXPECT_EQ(MetadataValue(metadata, "zzz"), "");
  EXPECT_EQ(MetadataValue(GrpcMetadata(), "authorization"), "");
}

TEST(MetadataValueTest, ValuesAreBytes) {
  const std::string key = "x-bin", value("a\0b", 3);
  GrpcMetadata metadata;
  metadata.emplace(key, value);
  EXPECT_EQ(MetadataValue(metadata, "x-bin"), value);
}

}  // namespace
}  // namespace affonso
