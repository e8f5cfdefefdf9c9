#include "service/service_info.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace barrage {
namespace {

TEST(ServiceInfoTest, TheApiLivesUnderApiV1) { EXPECT_EQ(kApiBase, "/api/v1"); }

TEST(ServiceInfoTest, TheVersionIsTheProjectsVersion) {
  // A version is "MAJOR.MINOR.PATCH", the CMake project version.
  std::string v(ServiceVersion());
  ASSERT_EQ(std::count(v.begin(), v.end(), '.'), 2) << v;
  EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); })) << v;
}

}  // namespace
}  // namespace barrage
