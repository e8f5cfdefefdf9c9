#include "worker/event_loop.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace barrage {
namespace {

int OpenDescriptorCount() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++n;
  }
  return n;  // the iterator's own descriptor is counted every time, so counts compare
}

// A constructor that throws runs no destructor: the EventLoop must give back what it had
// already set up (here the epoll descriptor) before throwing.
TEST(EventLoopTest, SetupFailureThrowsAndLeaksNoDescriptor) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  // The two descriptor numbers the next opens get: allow the first (epoll), refuse the
  // second (the wake eventfd).
  const int first = dup(0);
  const int second = dup(0);
  ASSERT_GE(first, 0);
  ASSERT_GT(second, first);
  close(second);
  close(first);
  const int before = OpenDescriptorCount();
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(second);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  std::string message;
  try {
    EventLoop loop;
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(message, "event loop setup failed: eventfd: Too many open files");
  EXPECT_EQ(OpenDescriptorCount(), before);
}

}  // namespace
}  // namespace barrage
