// HMAC-SHA256, base64 and the constant-time signature check of the storefront webhooks.
#include "http/api/internal/hmac.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/http/webhook_fixtures.h"

namespace roms::http::api::internal {
namespace {

std::string hex(const sha256_digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

TEST(WebhookHmac, MatchesRfc4231TestVectors) {
  // RFC 4231 test case 1 (20 bytes of 0x0b) and test case 2 ("Jefe").
  EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(WebhookHmac, Base64RoundTripsAndRejectsNonCanonicalText) {
  struct row {
    std::string_view raw, b64;
  };
  for (auto [raw, b64] :
       {row{"", ""}, row{"f", "Zg=="}, row{"fo", "Zm8="}, row{"foo", "Zm9v"},
        row{"foob", "Zm9vYg=="}, row{"fooba", "Zm9vYmE="}, row{"foobar", "Zm9vYmFy"}}) {
    EXPECT_EQ(base64_encode(raw), b64);
    auto back = base64_decode(b64);
    ASSERT_TRUE(back) << b64;
    EXPECT_EQ(*back, raw);
  }
  EXPECT_EQ(base64_decode("Zm8"), "fo");  // padding may be left out
  for (std::string_view bad : {"Zg=", "Z", "Zm9v!", "Zm 9v", "Zh==", "Zm9=", "Zg==="})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(WebhookHmac, VerifiesWhatOpenSslSigns) {
  const std::string body = R"({"id":450789469,"total_price":"598.94"})";
  const std::string sig = testing::sign("shpss_secret", body);
  EXPECT_TRUE(verify_hmac_sha256_base64("shpss_secret", body, sig));
  EXPECT_TRUE(verify_hmac_sha256_base64("shpss_secret", body, " " + sig + " "));
  EXPECT_EQ(base64_encode(hmac_sha256("shpss_secret", body)), sig);
}

TEST(WebhookHmac, RefusesEveryKindOfWrongSignature) {
  const std::string body = R"({"id":727,"status":"processing"})";
  const std::string sig = testing::sign("wc_secret", body);
  EXPECT_FALSE(verify_hmac_sha256_base64("other", body, sig)) << "another secret";
  EXPECT_FALSE(verify_hmac_sha256_base64("wc_secret", body + " ", sig)) << "a changed body";
  EXPECT_FALSE(verify_hmac_sha256_base64("wc_secret", body, "")) << "no signature";
  EXPECT_FALSE(verify_hmac_sha256_base64("", body, testing::sign("", body)))
      << "an empty secret verifies nothing";
  EXPECT_FALSE(verify_hmac_sha256_base64("wc_secret", body, sig.substr(0, 40))) << "truncated";
  EXPECT_FALSE(verify_hmac_sha256_base64("wc_secret", body, "not base64 at all!"));
  std::string flipped = sig;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_hmac_sha256_base64("wc_secret", body, flipped)) << "one character off";
  // A hex digest (what some other platforms send) is not accepted in place of base64.
  std::string hexsig;
  for (unsigned char c : hmac_sha256("wc_secret", body)) {
    static constexpr char kHex[] = "0123456789abcdef";
    hexsig.push_back(kHex[c >> 4]);
    hexsig.push_back(kHex[c & 15]);
  }
  EXPECT_FALSE(verify_hmac_sha256_base64("wc_secret", body, hexsig));
}

TEST(WebhookHmac, ConstantTimeEqualComparesSizesAndBytes) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace roms::http::api::internal
