// controller.toml and the cluster flags merged into the settings a cluster run uses.

#include "controller/cluster_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "common/wire.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

class ClusterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<CurveKeyPair> c = GenerateCurveKeyPair();
    Result<CurveKeyPair> w = GenerateCurveKeyPair();
    ASSERT_TRUE(c.ok() && w.ok());
    controller_ = *c;
    worker_ = *w;
    ASSERT_TRUE(WriteCurveKeyFile(dir_.File("controller.key"), controller_).ok());
    ASSERT_TRUE(WriteCurveKeyFile(dir_.File("worker.pub"), {worker_.public_key, ""}).ok());
  }

  ClusterOptions WithConfig(const std::string& text) {
    WriteWholeFile(dir_.File("controller.toml"), text);
    ClusterOptions o;
    o.config_path = dir_.File("controller.toml");
    return o;
  }

  TempDir dir_;
  CurveKeyPair controller_;
  CurveKeyPair worker_;
};

TEST_F(ClusterConfigTest, ReadsKeysAndAllowlistEntriesAsKeysOrKeyFiles) {
  Result<CurveKeyPair> other = GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  Result<ClusterSettings> s = ResolveClusterSettings(
      WithConfig("[cluster]\nbind = \"tcp://127.0.0.1:6000\"\nwait_for_workers = 7\nshare = \"total\"\n"
                 "[security]\nsecret_key_file = \"controller.key\"\nallowed_workers = [\"worker.pub\", \"" +
                 other->public_key + "\"]\n"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->bind, "tcp://127.0.0.1:6000");
  EXPECT_EQ(s->wait_for_workers_s, 7);
  EXPECT_EQ(s->share, "total");
  EXPECT_FALSE(s->insecure);
  EXPECT_EQ(s->secret_key, controller_.secret_key);
  EXPECT_EQ(s->public_key, controller_.public_key);
  EXPECT_EQ(s->allowed_keys, (std::set<std::string>{worker_.public_key, other->public_key}));
}

TEST_F(ClusterConfigTest, AnAllowlistEntryWithANameBindsTheNameToItsKey) {
  Result<CurveKeyPair> other = GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  Result<ClusterSettings> s = ResolveClusterSettings(
      WithConfig("[security]\nsecret_key_file = \"controller.key\"\nallowed_workers = [\n"
                 "  { name = \"lg-01\", key = \"worker.pub\" },\n  { name = \"lg-02\", key = \"" +
                 other->public_key + "\" }]\n"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->allowed_keys, (std::set<std::string>{worker_.public_key, other->public_key}));
  EXPECT_EQ(s->bound_names,
            (std::map<std::string, std::string>{{"lg-01", worker_.public_key}, {"lg-02", other->public_key}}));
}

TEST_F(ClusterConfigTest, ANameGivenTwoKeysOrAnEntryWithoutANameIsAnErrorNamingTheLine) {
  Result<CurveKeyPair> other = GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  Result<ClusterSettings> twice = ResolveClusterSettings(
      WithConfig("[security]\nsecret_key_file = \"controller.key\"\nallowed_workers = [\n"
                 "  { name = \"lg-01\", key = \"worker.pub\" },\n  { name = \"lg-01\", key = \"" +
                 other->public_key + "\" }]\n"));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), dir_.File("controller.toml") +
                                          ":5: key security.allowed_workers: worker name 'lg-01' is given two "
                                          "different keys");
  Result<ClusterSettings> unnamed = ResolveClusterSettings(
      WithConfig("[security]\nsecret_key_file = \"controller.key\"\nallowed_workers = [{ key = \"worker.pub\" }]\n"));
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(unnamed.status().message(),
            dir_.File("controller.toml") +
                ":3: key security.allowed_workers: expected { name = \"worker name\", key = \"public key or key "
                "file\" }");
}

TEST_F(ClusterConfigTest, AllowedWorkersDirAdmitsEveryKeyFileInIt) {
  std::filesystem::create_directory(dir_.File("workers.d"));
  ASSERT_TRUE(WriteCurveKeyFile(dir_.File("workers.d/lg-01.key"), {worker_.public_key, ""}).ok());
  Result<ClusterSettings> s = ResolveClusterSettings(
      WithConfig("[security]\nsecret_key_file = \"controller.key\"\nallowed_workers_dir = \"workers.d\"\n"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->allowed_keys, (std::set<std::string>{worker_.public_key}));
}

TEST_F(ClusterConfigTest, FlagsWinOverTheFile) {
  ClusterOptions o = WithConfig(
      "[cluster]\nbind = \"tcp://127.0.0.1:6000\"\nshare = \"total\"\n"
      "[security]\ninsecure = false\n");
  o.bind = "tcp://127.0.0.1:7000";
  o.share = "per-worker";
  o.insecure = true;
  o.worker_timeout_s = 3;
  Result<ClusterSettings> s = ResolveClusterSettings(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->bind, "tcp://127.0.0.1:7000");
  EXPECT_EQ(s->share, "per-worker");
  EXPECT_TRUE(s->insecure);
  EXPECT_EQ(s->wait_for_workers_s, 3);
}

TEST_F(ClusterConfigTest, SecureWithoutAKeyPairIsAnErrorNamingTheKey) {
  ClusterOptions o;
  Result<ClusterSettings> s = ResolveClusterSettings(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "(no --config given): key security.secret_key_file: cluster mode needs the controller's key pair "
            "(`barrage keygen -o controller.key`) or --insecure for plain TCP");
}

TEST_F(ClusterConfigTest, SecureWithoutAllowedWorkersIsAnError) {
  Result<ClusterSettings> s = ResolveClusterSettings(WithConfig("[security]\nsecret_key_file = \"controller.key\"\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), dir_.File("controller.toml") +
                                      ": key security.allowed_workers: no worker public keys are allowed, so no "
                                      "worker could connect (or use --insecure)");
}

TEST_F(ClusterConfigTest, ABadAllowlistEntryNamesFileLineAndKey) {
  Result<ClusterSettings> s = ResolveClusterSettings(
      WithConfig("[security]\nsecret_key_file = \"controller.key\"\nallowed_workers = [\n  \"nope.key\"\n]\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind(dir_.File("controller.toml") + ":4: key security.allowed_workers: ", 0), 0u)
      << s.status().message();
}

TEST_F(ClusterConfigTest, AWrongTypeNamesFileLineAndKey) {
  Result<ClusterSettings> s = ResolveClusterSettings(WithConfig("[cluster]\n\nwait_for_workers = \"soon\"\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            dir_.File("controller.toml") + ":3: key cluster.wait_for_workers: expected a positive number of seconds");
}

// Issue 16 item 9: the controller's key file open to others is refused; the config key or
// the flag turn that into a warning the command prints.
TEST_F(ClusterConfigTest, AnOpenSecretKeyFileIsRefusedUnlessTheConfigOrTheFlagAllowsIt) {
  const std::string key = dir_.File("controller.key");
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  const std::string open = key +
                           ": UNPROTECTED SECRET KEY FILE: permissions 0644 are too open: group or others "
                           "may access the secret key (chmod 600 " +
                           key + ")";
  const std::string keys = "secret_key_file = \"controller.key\"\nallowed_workers = [\"worker.pub\"]\n";
  Result<ClusterSettings> refused = ResolveClusterSettings(WithConfig("[security]\n" + keys));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            dir_.File("controller.toml") + ":2: key security.secret_key_file: " + open +
                "; --allow-insecure-key-permissions (allow_insecure_key_permissions = true) accepts it with a warning");

  Result<ClusterSettings> by_config =
      ResolveClusterSettings(WithConfig("[security]\n" + keys + "allow_insecure_key_permissions = true\n"));
  ASSERT_TRUE(by_config.ok()) << by_config.status().message();
  EXPECT_EQ(by_config->secret_key, controller_.secret_key);
  EXPECT_EQ(by_config->warnings, std::vector<std::string>{open});

  ClusterOptions flag = WithConfig("[security]\n" + keys);
  flag.allow_insecure_key_permissions = true;
  Result<ClusterSettings> by_flag = ResolveClusterSettings(flag);
  ASSERT_TRUE(by_flag.ok()) << by_flag.status().message();
  EXPECT_EQ(by_flag->warnings, std::vector<std::string>{open});

  Result<ClusterSettings> not_bool =
      ResolveClusterSettings(WithConfig("[security]\nallow_insecure_key_permissions = \"yes\"\n" + keys));
  ASSERT_FALSE(not_bool.ok());
  EXPECT_EQ(not_bool.status().message(),
            dir_.File("controller.toml") + ":2: key security.allow_insecure_key_permissions: expected true or false");
}

}  // namespace
}  // namespace barrage
