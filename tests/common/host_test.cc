#include "common/host.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <string>

namespace barrage {
namespace {

// gethostname(2) returns the kernel's node name: the one uname(2) reports.
TEST(HostTest, HostNameIsTheNodeName) {
  utsname u{};
  ASSERT_EQ(uname(&u), 0);
  ASSERT_NE(u.nodename[0], '\0');
  EXPECT_EQ(HostName("fallback"), std::string(u.nodename));
  EXPECT_EQ(HostName(""), std::string(u.nodename));
}

}  // namespace
}  // namespace barrage
