// Request charsets (HTTPSampler.contentEncoding): Java's String.getBytes / new String /
// URLDecoder.decode as worker/http_request.h reproduces them. The expected bytes are the
// charsets' code tables; the error texts are those JMeter 2.13 on Java 17 recorded
// (tests/jmeter_compat/golden/request_charset.txt).
#include "worker/http_request.h"

#include <gtest/gtest.h>

namespace barrage {
namespace {

TEST(EncodeTextTest, Utf8IsKeptAsItIs) {
  EXPECT_EQ(EncodeText("caf\xC3\xA9 \xE2\x9C\x93", "UTF-8"), "caf\xC3\xA9 \xE2\x9C\x93");
  EXPECT_EQ(EncodeText("caf\xC3\xA9", "utf8"), "caf\xC3\xA9");
}

TEST(EncodeTextTest, Latin1TakesOneBytePerCharacterAndQuestionMarksTheRest) {
  EXPECT_EQ(EncodeText("caf\xC3\xA9 \xE2\x9C\x93", "ISO-8859-1"), "caf\xE9 ?");
  EXPECT_EQ(EncodeText("\xC3\xBF\xF0\x9F\x98\x80!", "latin1"), "\xFF?!");  // a 4-byte character is one '?'
}

TEST(EncodeTextTest, Windows1252HasTheEuroSign) {
  EXPECT_EQ(EncodeText("\xE2\x82\xAC", "windows-1252"), "\x80");
  EXPECT_EQ(EncodeText("\xE2\x82\xAC", "ISO-8859-1"), "?");
}

TEST(EncodeTextTest, AsciiQuestionMarksEverythingAbove127) { EXPECT_EQ(EncodeText("a\xC3\xA9z", "US-ASCII"), "a?z"); }

TEST(EncodeTextTest, UnknownOrIllegalCharsetIsNullopt) {
  EXPECT_EQ(EncodeText("x", "bogus"), std::nullopt);
  EXPECT_EQ(EncodeText("x", "utf 8"), std::nullopt);
  EXPECT_EQ(EncodeText("x", ""), std::nullopt);
}

TEST(DecodeTextTest, Latin1BytesBecomeTheirCodePoints) {
  EXPECT_EQ(DecodeText("caf\xE9", "ISO-8859-1"), "caf\xC3\xA9");
}

TEST(DecodeTextTest, MalformedUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(DecodeText("a\xE9z", "UTF-8"), "a\xEF\xBF\xBDz");
}

TEST(JavaCharsetNameTest, AliasesBecomeJavasCanonicalNames) {
  EXPECT_EQ(JavaCharsetName("utf-8"), "UTF-8");
  EXPECT_EQ(JavaCharsetName("UTF8"), "UTF-8");
  EXPECT_EQ(JavaCharsetName("latin1"), "ISO-8859-1");
  EXPECT_EQ(JavaCharsetName("iso-8859-1"), "ISO-8859-1");
  EXPECT_EQ(JavaCharsetName("CP1252"), "windows-1252");
  EXPECT_EQ(JavaCharsetName("shift_jis"), "Shift_JIS");
  EXPECT_EQ(JavaCharsetName("x-Custom"), "x-Custom");
}

TEST(JavaUrlDecodeTest, PlusIsASpaceAndEscapesAreBytesInTheCharset) {
  EXPECT_EQ(JavaUrlDecode("a+b%41%20c", "UTF-8").value(), "a bA c");
  EXPECT_EQ(JavaUrlDecode("%C3%A9", "UTF-8").value(), "\xC3\xA9");
  EXPECT_EQ(JavaUrlDecode("%E9", "ISO-8859-1").value(), "\xC3\xA9");
  EXPECT_EQ(JavaUrlDecode("%E9", "UTF-8").value(), "\xEF\xBF\xBD");
  EXPECT_EQ(JavaUrlDecode("caf\xC3\xA9", "ISO-8859-1").value(), "caf\xC3\xA9");  // characters pass through
}

TEST(JavaUrlDecodeTest, IncompleteTrailingEscapeIsAnIllegalArgument) {
  Result<std::string> r = JavaUrlDecode("100%", "UTF-8");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "java.lang.IllegalArgumentException|URLDecoder: Incomplete trailing escape (%) pattern");
  EXPECT_EQ(JavaUrlDecode("%4", "UTF-8").status().message(), r.status().message());
}

TEST(JavaUrlDecodeTest, NonHexEscapeNamesTheIndexAsJava17Does) {
  EXPECT_EQ(JavaUrlDecode("%zz", "UTF-8").status().message(),
            "java.lang.IllegalArgumentException|URLDecoder: Illegal hex characters in escape (%) pattern - "
            "Error at index 0 in: \"zz\"");
  EXPECT_EQ(JavaUrlDecode("%4g", "UTF-8").status().message(),
            "java.lang.IllegalArgumentException|URLDecoder: Illegal hex characters in escape (%) pattern - "
            "Error at index 1 in: \"4g\"");
  EXPECT_EQ(JavaUrlDecode("%-1", "UTF-8").status().message(),
            "java.lang.IllegalArgumentException|URLDecoder: Illegal hex characters in escape (%) pattern - "
            "negative value");
}

TEST(JavaUrlDecodeTest, UnknownCharsetIsAnUnsupportedEncoding) {
  EXPECT_EQ(JavaUrlDecode("x", "bogus").status().message(), "java.io.UnsupportedEncodingException|bogus");
}

}  // namespace
}  // namespace barrage
