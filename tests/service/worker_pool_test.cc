// WorkerPool driven message by message through a fake transport, with invented times:
// registration and its refusals, heartbeats and liveness, reconnection, reserving workers
// for runs and taking them back.

#include "service/worker_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/protocol.h"
#include "common/wire.h"
#include "tests/controller/fake_cluster_transport.h"

namespace barrage {
namespace {

using test::FakeTransport;

constexpr int64_t kSecond = 1'000'000;

class WorkerPoolTest : public ::testing::Test {
 protected:
  void Create() {
    pool_ = std::make_unique<WorkerPool>(options_, &transport_, [this](const std::string& l) { logs_.push_back(l); });
  }
  void Advance(int64_t us) {
    now_.steady_us += us;
    now_.wall_us += us;
  }
  void Deliver(const std::string& peer, std::string bytes, const std::string& key = "") {
    pool_->OnMessage({peer, std::move(bytes), key}, now_);
  }
  static std::string HelloBytes(const std::string& name, uint16_t min_protocol = kProtocolVersion) {
    HelloMessage h;
    h.name = name;
    h.host = name + ".local";
    h.cores = 4;
    h.min_protocol = min_protocol;
    h.max_protocol = std::max<uint16_t>(min_protocol, kProtocolVersion);
    h.software_version = "0.1.0";
    return EncodeHello("", h);
  }
  void Hello(const std::string& peer, const std::string& name, const std::string& key = "") {
    Deliver(peer, HelloBytes(name), key);
  }
  void Heartbeat(const std::string& peer, const std::string& key = "") {
    HeartbeatMessage hb;
    hb.state = proto::WorkerState::Idle;
    hb.sent_at_us = now_.wall_us;
    Deliver(peer, EncodeHeartbeat("", hb), key);
  }
  RejectMessage LastReject(const std::string& peer) {
    std::vector<const test::Sent*> r = transport_.To(peer, proto::Body::Reject);
    EXPECT_FALSE(r.empty());
    if (r.empty()) return {};
    return DecodeReject(*r.back()->env().body_as_Reject());
  }
  std::vector<std::string> States() const {
    std::vector<std::string> out;
    for (const PooledWorker& w : pool_->List()) {
      out.push_back(w.name + ":" + PoolStateName(w.state) + (w.run ? "@" + std::to_string(w.run) : ""));
    }
    return out;
  }

  WorkerPoolOptions options_;
  FakeTransport transport_;
  std::vector<std::string> logs_;
  ClusterTime now_{1000 * kSecond, 1'700'000'000LL * kSecond};
  std::unique_ptr<WorkerPool> pool_;
};

TEST_F(WorkerPoolTest, AWorkerThatSaysHelloIsWelcomedAndIdle) {
  Create();
  Hello("p1", "lg-01");
  std::vector<const test::Sent*> welcome = transport_.To("p1", proto::Body::Welcome);
  ASSERT_EQ(welcome.size(), 1u);
  EXPECT_EQ(RunIdOf(welcome[0]->env()), "");
  WelcomeMessage w = DecodeWelcome(*welcome[0]->env().body_as_Welcome());
  EXPECT_EQ(w.protocol, kProtocolVersion);
  EXPECT_EQ(w.heartbeat_ms, 1000u);
  EXPECT_EQ(w.worker_id, 0u);
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:idle"}));
  ASSERT_EQ(pool_->List().size(), 1u);
  const PooledWorker pw = pool_->List()[0];
  EXPECT_EQ(pw.host, "lg-01.local");
  EXPECT_EQ(pw.cores, 4);
  EXPECT_EQ(pw.version, "0.1.0");
  EXPECT_EQ(pw.joined_at_ms, 1'700'000'000'000);
  EXPECT_EQ(logs_.back(), "worker lg-01 joined the pool from lg-01.local (4 cores, 0.1.0)");
  EXPECT_EQ(pool_->idle(), 1);
}

TEST_F(WorkerPoolTest, ProtocolMismatchAndNamelessWorkersAreRejectedPermanently) {
  Create();
  Deliver("p1", HelloBytes("old", kProtocolVersion + 1));
  RejectMessage r = LastReject("p1");
  EXPECT_TRUE(r.permanent);
  EXPECT_EQ(r.reason, "protocol version mismatch: the worker speaks " + std::to_string(kProtocolVersion + 1) + ".." +
                          std::to_string(kProtocolVersion + 1) + ", this controller speaks " +
                          std::to_string(kProtocolVersion));
  Hello("p2", "");
  r = LastReject("p2");
  EXPECT_TRUE(r.permanent);
  EXPECT_EQ(r.reason, "malformed Hello: Hello: name is empty");
  EXPECT_TRUE(pool_->List().empty());
}

TEST_F(WorkerPoolTest, ANameBelongsToTheFirstKeyThatRegisteredIt) {
  Create();
  Hello("p1", "lg-01", "KEY-A-0123456789");
  Hello("p2", "lg-01", "KEY-B-0123456789");
  RejectMessage r = LastReject("p2");
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.reason,
            "the name 'lg-01' belongs to another key (key KEY-B-01..., the name is bound to key KEY-A-01...)");
  ASSERT_EQ(pool_->List().size(), 1u);
  EXPECT_EQ(pool_->List()[0].peer, "p1");
}

TEST_F(WorkerPoolTest, TheConfigurationBindsNamesAndKeys) {
  options_.bound_names = {{"lg-02", "KEY-B-0123456789"}};
  Create();
  Hello("p1", "lg-02", "KEY-A-0123456789");
  EXPECT_EQ(LastReject("p1").reason,
            "the name 'lg-02' belongs to another key (key KEY-A-01..., the name is bound to key KEY-B-01...)");
  Hello("p2", "lg-09", "KEY-B-0123456789");
  EXPECT_EQ(LastReject("p2").reason, "this worker's key is bound to the name(s) lg-02");
  Hello("p3", "lg-02", "KEY-B-0123456789");
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-02:idle"}));
}

TEST_F(WorkerPoolTest, IdleWorkersAreHeartbeatenWithTheirStampEchoed) {
  Create();
  Hello("p1", "lg-01");
  Advance(200'000);
  Heartbeat("p1");  // sent_at = now
  Advance(kSecond);
  pool_->OnTick(now_);
  std::vector<const test::Sent*> hbs = transport_.To("p1", proto::Body::Heartbeat);
  ASSERT_EQ(hbs.size(), 1u);
  HeartbeatMessage hb = DecodeHeartbeat(*hbs[0]->env().body_as_Heartbeat());
  EXPECT_EQ(hb.state, proto::WorkerState::Idle);
  EXPECT_EQ(hb.sent_at_us, now_.wall_us);
  EXPECT_EQ(hb.echo_us, EchoUs(now_.wall_us - kSecond, now_.wall_us - kSecond, now_.wall_us));
  pool_->OnTick(now_);  // not again within the interval
  EXPECT_EQ(transport_.To("p1", proto::Body::Heartbeat).size(), 1u);
}

TEST_F(WorkerPoolTest, ASilentWorkerIsLostAndIdleAgainWhenItSpeaks) {
  Create();
  Hello("p1", "lg-01");
  Advance(4 * kSecond);
  pool_->OnTick(now_);
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:idle"}));  // 4 heartbeats: not yet
  Advance(1);
  pool_->OnTick(now_);
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:lost"}));
  EXPECT_EQ(logs_.back(), "worker lg-01 lost: silent for 4 s");
  EXPECT_EQ(pool_->idle(), 0);
  Heartbeat("p1");
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:idle"}));
  EXPECT_EQ(logs_.back(), "worker lg-01 is back (idle)");
}

TEST_F(WorkerPoolTest, AReconnectedWorkerMovesToItsNewConnectionOnceTheOldIsGone) {
  Create();
  Hello("p1", "lg-01");
  Hello("p2", "lg-01");  // the old connection is alive: a second process
  EXPECT_EQ(LastReject("p2").reason, "worker 'lg-01' is connected already (another connection)");
  transport_.disconnected.insert("p1");  // closed: the heartbeat cannot be sent
  Hello("p2", "lg-01");
  ASSERT_EQ(transport_.To("p2", proto::Body::Welcome).size(), 1u);
  EXPECT_EQ(pool_->List()[0].peer, "p2");
  EXPECT_EQ(logs_.back(), "worker lg-01 is on a new connection (reconnected or restarted)");
}

TEST_F(WorkerPoolTest, MessagesFromUnknownConnectionsOrOtherKeysAreDropped) {
  Create();
  Heartbeat("stranger");
  EXPECT_EQ(logs_.back(), "dropped a message from stranger: Heartbeat from a connection that has not registered");
  Deliver("stranger", "garbage");
  EXPECT_EQ(logs_.back(), "dropped a message from stranger: not a valid protocol message (7 bytes)");
  Hello("p1", "lg-01", "KEY-A-0123456789");
  Heartbeat("p1", "KEY-B-0123456789");
  EXPECT_EQ(logs_.back(),
            "dropped a message from p1: Heartbeat signed with another key than the one 'lg-01' registered with");
  // Only the first few drops of a connection are logged.
  const size_t logged = logs_.size();
  for (int i = 0; i < 10; ++i) Heartbeat("stranger");
  EXPECT_EQ(logs_.size(), logged + 1);
}

TEST_F(WorkerPoolTest, ReserveTakesIdleWorkersByNameOrCountAndReleaseGivesThemBack) {
  Create();
  Hello("p1", "lg-01");
  Hello("p2", "lg-02");
  Hello("p3", "lg-03");
  Result<std::vector<PooledWorker>> a = pool_->Reserve(7, 2, {}, now_);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].name, "lg-01");
  EXPECT_EQ((*a)[1].name, "lg-02");
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:busy@7", "lg-02:busy@7", "lg-03:idle"}));

  Result<std::vector<PooledWorker>> b = pool_->Reserve(8, 2, {}, now_);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "2 worker(s) requested, 1 idle (lg-01 busy in run 7, lg-02 busy in run 7)");
  Result<std::vector<PooledWorker>> c = pool_->Reserve(8, 0, {"lg-02", "lg-04"}, now_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "workers lg-02, lg-04 requested: lg-02 busy in run 7, lg-04 not connected");
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:busy@7", "lg-02:busy@7", "lg-03:idle"}));  // none taken

  pool_->Release(7, {{"lg-02", "p9"}}, {"lg-01"}, now_);
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:lost", "lg-02:idle", "lg-03:idle"}));
  EXPECT_EQ(pool_->List()[1].peer, "p9");  // it reconnected during the run
  Result<std::vector<PooledWorker>> d = pool_->Reserve(8, 0, {"lg-03", "lg-02"}, now_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ((*d)[0].name, "lg-03");
  EXPECT_EQ((*d)[1].name, "lg-02");
}

TEST_F(WorkerPoolTest, ABusyWorkersMessagesBelongToItsRunAndItIsNotHeartbeaten) {
  Create();
  Hello("p1", "lg-01");
  ASSERT_TRUE(pool_->Reserve(7, 1, {}, now_).ok());
  HeartbeatMessage hb;
  EXPECT_EQ(pool_->RunOf({"p1", EncodeHeartbeat("", hb), ""}), 7);
  // Its Hello from a new connection (it restarted during the run) goes to the run too.
  EXPECT_EQ(pool_->RunOf({"p5", HelloBytes("lg-01"), ""}), 7);
  EXPECT_EQ(pool_->RunOf({"p6", HelloBytes("lg-02"), ""}), std::nullopt);
  EXPECT_EQ(pool_->RunOf({"p6", "garbage", ""}), std::nullopt);
  Advance(10 * kSecond);
  pool_->OnTick(now_);
  EXPECT_TRUE(transport_.To("p1", proto::Body::Heartbeat).empty());
  EXPECT_EQ(States(), (std::vector<std::string>{"lg-01:busy@7"}));  // its run judges its liveness
  pool_->Release(7, {}, {}, now_);
  EXPECT_EQ(pool_->RunOf({"p1", EncodeHeartbeat("", hb), ""}), std::nullopt);
}

}  // namespace
}  // namespace barrage
