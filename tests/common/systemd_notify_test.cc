#include "common/systemd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "tests/common/fake_notify_socket.h"

namespace barrage {
namespace {

using std::chrono::milliseconds;
using test::FakeNotifySocket;

constexpr milliseconds kWait(2000);
constexpr milliseconds kNone(50);

TEST(SystemdNotifierTest, WithoutSocketEveryCallIsANoOp) {
  SystemdNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.Ready());
  EXPECT_FALSE(n.Status("idle"));
  EXPECT_FALSE(n.WatchdogTick(1'000'000));
  EXPECT_FALSE(n.Stopping());
  EXPECT_EQ(n.watchdog_interval_us(), 0);
}

TEST(SystemdNotifierTest, ARelativeSocketPathIsIgnoredAsSdNotifyDoes) {
  SystemdNotifier n("notify", 0);
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.Ready());
}

TEST(SystemdNotifierTest, ReadyIsOneDatagramSentOnce) {
  FakeNotifySocket socket;
  SystemdNotifier n(socket.path(), 0);
  ASSERT_TRUE(n.enabled());
  EXPECT_TRUE(n.Ready());
  EXPECT_FALSE(n.Ready());
  EXPECT_EQ(socket.Next(kWait), "READY=1");
  EXPECT_EQ(socket.Next(kNone), std::nullopt);
}

TEST(SystemdNotifierTest, StatusIsSentWhenItChanges) {
  FakeNotifySocket socket;
  SystemdNotifier n(socket.path(), 0);
  EXPECT_TRUE(n.Status("idle"));
  EXPECT_FALSE(n.Status("idle"));
  EXPECT_TRUE(n.Status("running run 7"));
  EXPECT_TRUE(n.Status("idle"));
  EXPECT_EQ(socket.Next(kWait), "STATUS=idle");
  EXPECT_EQ(socket.Next(kWait), "STATUS=running run 7");
  EXPECT_EQ(socket.Next(kWait), "STATUS=idle");
  EXPECT_EQ(socket.Next(kNone), std::nullopt);
}

TEST(SystemdNotifierTest, WatchdogKeepAlivesGoAtHalfTheTimeout) {
  FakeNotifySocket socket;
  SystemdNotifier n(socket.path(), 400'000);
  EXPECT_EQ(n.watchdog_interval_us(), 200'000);
  EXPECT_TRUE(n.WatchdogTick(10'000'000));   // the first at once
  EXPECT_FALSE(n.WatchdogTick(10'199'999));  // not yet half the timeout later
  EXPECT_TRUE(n.WatchdogTick(10'200'000));
  EXPECT_FALSE(n.WatchdogTick(10'300'000));
  EXPECT_TRUE(n.WatchdogTick(10'450'000));
  EXPECT_EQ(socket.Next(kWait), "WATCHDOG=1");
  EXPECT_EQ(socket.Next(kWait), "WATCHDOG=1");
  EXPECT_EQ(socket.Next(kWait), "WATCHDOG=1");
  EXPECT_EQ(socket.Next(kNone), std::nullopt);
}

TEST(SystemdNotifierTest, NoWatchdogWithoutWatchdogUsec) {
  FakeNotifySocket socket;
  SystemdNotifier n(socket.path(), 0);
  EXPECT_FALSE(n.WatchdogTick(10'000'000));
  EXPECT_EQ(socket.Next(kNone), std::nullopt);
}

TEST(SystemdNotifierTest, StoppingIsSentOnce) {
  FakeNotifySocket socket;
  SystemdNotifier n(socket.path(), 0);
  EXPECT_TRUE(n.Stopping());
  EXPECT_FALSE(n.Stopping());
  EXPECT_EQ(socket.Next(kWait), "STOPPING=1");
  EXPECT_EQ(socket.Next(kNone), std::nullopt);
}

TEST(SystemdNotifierTest, NotifySendsSeveralLinesAsOneDatagram) {
  FakeNotifySocket socket;
  SystemdNotifier n(socket.path(), 0);
  EXPECT_TRUE(n.Notify("READY=1\nSTATUS=idle"));
  EXPECT_EQ(socket.Next(kWait), "READY=1\nSTATUS=idle");
}

TEST(SystemdNotifierTest, AnAbstractSocketIsWrittenWithAnAt) {
  const std::string name = "barrage-notify-test-" + std::to_string(::getpid());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())),
            0);
  SystemdNotifier n("@" + name, 0);
  EXPECT_TRUE(n.Ready());
  char buf[64];
  ssize_t got = ::recv(fd, buf, sizeof(buf), 0);
  ::close(fd);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(std::max<ssize_t>(got, 0))), "READY=1");
}

TEST(SystemdNotifierTest, FromEnvironmentReadsAndUnsetsTheVariables) {
  FakeNotifySocket socket;
  ::setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  SystemdNotifier n = SystemdNotifier::FromEnvironment();
  EXPECT_EQ(::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(::getenv("WATCHDOG_PID"), nullptr);
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdog_interval_us(), 200'000);
  EXPECT_TRUE(n.Ready());
  EXPECT_EQ(socket.Next(kWait), "READY=1");
}

TEST(SystemdNotifierTest, AWatchdogForAnotherProcessIsNotThisOnes) {
  FakeNotifySocket socket;
  ::setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  SystemdNotifier n = SystemdNotifier::FromEnvironment();
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdog_interval_us(), 0);
  EXPECT_FALSE(n.WatchdogTick(1'000'000));
}

TEST(SystemdNotifierTest, AMovedNotifierKeepsItsSocket) {
  FakeNotifySocket socket;
  SystemdNotifier a(socket.path(), 0);
  SystemdNotifier b = std::move(a);
  EXPECT_TRUE(b.Ready());
  EXPECT_EQ(socket.Next(kWait), "READY=1");
}

}  // namespace
}  // namespace barrage
