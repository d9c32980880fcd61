#include "common/password.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tenantdb {
namespace {

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

TEST(GeneratePasswordTest, Is43CharactersOfUnpaddedBase64Url) {
  for (int i = 0; i < 100; ++i) {
    const std::string p = GeneratePassword();
    ASSERT_EQ(p.size(), 43u);
    for (const char c : p) {
      ASSERT_TRUE(IsBase64UrlChar(c)) << p;
    }
  }
}

TEST(GeneratePasswordTest, IsUniqueAndUsesTheWholeAlphabet) {
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 1000; ++i) {
    const std::string p = GeneratePassword();
    EXPECT_TRUE(seen.insert(p).second) << "duplicate password";
    chars.insert(p.begin(), p.end());
  }
  // 43'000 characters drawn from 64: every one should appear.
  EXPECT_EQ(chars.size(), 64u);
}

TEST(Base64UrlEncodeTest, MatchesRfc4648Vectors) {
  const auto enc = [](const std::string& s) {
    return Base64UrlEncode(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "Zg");
  EXPECT_EQ(enc("fo"), "Zm8");
  EXPECT_EQ(enc("foo"), "Zm9v");
  EXPECT_EQ(enc("foob"), "Zm9vYg");
  EXPECT_EQ(enc("fooba"), "Zm9vYmE");
  EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
  EXPECT_EQ(enc("\xfb\xff\xfe"), "-__-");
}

}  // namespace
}  // namespace tenantdb
