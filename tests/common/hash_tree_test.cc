#include "common/hash_tree.h"

#include <gtest/gtest.h>

namespace barrage {
namespace {

TestElement WithProps(std::vector<Property> props) {
  TestElement e;
  e.properties = std::move(props);
  return e;
}

Property P(PropertyType type, std::string name, std::string value) {
  Property p;
  p.type = type;
  p.name = std::move(name);
  p.value = std::move(value);
  return p;
}

TEST(HashTreeTest, BooleansStoredAsStringsFollowJavaParseBoolean) {
  TestElement e = WithProps({P(PropertyType::kString, "a", "TRUE"), P(PropertyType::kString, "b", "yes"),
                             P(PropertyType::kBool, "c", "false"), P(PropertyType::kString, "d", "")});
  EXPECT_TRUE(e.GetBool("a", false));
  EXPECT_FALSE(e.GetBool("b", true));
  EXPECT_FALSE(e.GetBool("c", true));
  EXPECT_FALSE(e.GetBool("d", true));  // present but empty: parseBoolean("") is false
  EXPECT_TRUE(e.GetBool("missing", true));
}

TEST(HashTreeTest, NumbersStoredAsAnyScalarType) {
  TestElement e = WithProps({P(PropertyType::kString, "s", " 42 "), P(PropertyType::kInt, "i", "-1"),
                             P(PropertyType::kLong, "l", "9000000000"), P(PropertyType::kString, "x", "${n}"),
                             P(PropertyType::kString, "e", "")});
  EXPECT_EQ(e.GetInt("s", 0), 42);
  EXPECT_EQ(e.GetInt("i", 0), -1);
  EXPECT_EQ(e.GetInt("l", 0), 9000000000);
  EXPECT_EQ(e.GetInt("x", 0), std::nullopt);
  EXPECT_EQ(e.GetInt("e", 7), 7);
  EXPECT_EQ(e.GetInt("missing", 5), 5);
}

TEST(HashTreeTest, ParseHelpers) {
  EXPECT_EQ(ParseInt64("+12"), 12);
  EXPECT_EQ(ParseInt64("1.5"), std::nullopt);
  EXPECT_EQ(ParseInt64(""), std::nullopt);
  EXPECT_EQ(ParseInt64(" -7\n"), -7);
  EXPECT_EQ(ParseInt64("+-5"), std::nullopt);  // Long.parseLong throws
  EXPECT_EQ(ParseInt64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(ParseDouble(" 2.5 "), 2.5);
  EXPECT_EQ(ParseDouble("abc"), std::nullopt);
  EXPECT_EQ(TrimAscii("\t x \r\n"), "x");
}

TEST(HashTreeTest, PropertyTypeNamesAreJMeterTags) {
  EXPECT_EQ(PropertyTypeName(PropertyType::kString), "stringProp");
  EXPECT_EQ(PropertyTypeName(PropertyType::kCollection), "collectionProp");
  EXPECT_EQ(PropertyTypeName(PropertyType::kObject), "objProp");
}

}  // namespace
}  // namespace barrage
