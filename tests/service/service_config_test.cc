#include "service/service_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace barrage {
namespace {

namespace fs = std::filesystem;

class ServiceConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("barrage-service-config-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& text) {
    std::string path = (dir_ / "controller.toml").string();
    std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(ServiceConfigTest, WithoutAFileTheDefaultsHold) {
  Result<ServerSettings> s = ResolveServerSettings({});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->db_path, "barrage.db");
  EXPECT_EQ(s->listen, "127.0.0.1:8470");
  EXPECT_EQ(s->public_url, "http://127.0.0.1:8470");
  EXPECT_EQ(s->data_dir, "barrage.db.files");
  EXPECT_EQ(s->max_plan_bytes, 16 << 20);
  EXPECT_EQ(s->max_upload_bytes, 256 << 20);
  EXPECT_EQ(s->auth_failures_per_window, 10);
  EXPECT_EQ(s->auth_window_s, 60);
}

TEST_F(ServiceConfigTest, TheServerTableIsReadAndPathsResolveAgainstTheFilesFolder) {
  std::string path = Write(
      "db = \"results.db\"\n"
      "[server]\n"
      "listen = \"[::1]:9000\"\n"
      "tls_cert_file = \"tls/cert.pem\"\n"
      "tls_key_file = \"/etc/barrage/key.pem\"\n"
      "public_url = \"https://bastion.example:9000/\"\n"
      "max_plan_bytes = 1000\n"
      "max_upload_bytes = 5000\n");
  Result<ServerSettings> s = ResolveServerSettings({.config_path = path});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->db_path, (dir_ / "results.db").string());
  EXPECT_EQ(s->listen, "[::1]:9000");
  EXPECT_EQ(s->tls_cert_file, (dir_ / "tls/cert.pem").string());
  EXPECT_EQ(s->tls_key_file, "/etc/barrage/key.pem");
  EXPECT_EQ(s->public_url, "https://bastion.example:9000");
  EXPECT_EQ(s->data_dir, (dir_ / "results.db").string() + ".files");
  EXPECT_EQ(s->max_plan_bytes, 1000);
  EXPECT_EQ(s->max_upload_bytes, 5000);
}

TEST_F(ServiceConfigTest, FlagsWinOverTheFile) {
  std::string path = Write("db = \"results.db\"\n[server]\nlisten = \"127.0.0.1:9000\"\n");
  Result<ServerSettings> s =
      ResolveServerSettings({.config_path = path, .db_path = "/tmp/x.db", .listen = "0.0.0.0:0"});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->db_path, "/tmp/x.db");
  EXPECT_EQ(s->listen, "0.0.0.0:0");
  EXPECT_EQ(s->public_url, "http://0.0.0.0:0");
}

TEST_F(ServiceConfigTest, AnUnknownKeyNamesTheFileLineAndKey) {
  std::string path = Write("[server]\nlisten = \"127.0.0.1:9000\"\nlisten_port = 9000\n");
  Result<ServerSettings> s = ResolveServerSettings({.config_path = path});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), path +
                                      ":3: key server.listen_port: unknown key (server takes listen, tls_cert_file, "
                                      "tls_key_file, public_url, data_dir, max_plan_bytes, max_upload_bytes, "
                                      "auth_failures_per_window, auth_window_s, max_local_runs)");
}

TEST_F(ServiceConfigTest, WrongTypesAndValuesNameTheKey) {
  std::string path = Write("[server]\nmax_plan_bytes = \"big\"\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":2: key server.max_plan_bytes: expected a positive number of bytes");
  path = Write("[server]\nlisten = \"localhost\"\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":2: key server.listen: listen \"localhost\": no port (expected ADDRESS:PORT, e.g. 127.0.0.1:8470)");
  path = Write("db = 3\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(), path + ":1: key db: expected a file name");
  path = Write("[server]\ntls_cert_file = \"c.pem\"\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ": key server.tls_key_file: tls_cert_file and tls_key_file go together");
  path = Write("[server]\nmax_plan_bytes = 10\nmax_upload_bytes = 5\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ": key server.max_plan_bytes: 10 is more than server.max_upload_bytes 5");
}

TEST_F(ServiceConfigTest, APostgresStoreTakesItsDataDirFromTheFile) {
  const std::string url = "postgresql://barrage:s3cret@db.internal/results";
  Result<ServerSettings> none = ResolveServerSettings({.db_path = url});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "barrage serve: a PostgreSQL store (postgresql://barrage:***@db.internal/results) needs server.data_dir in "
            "the --config file: the folder that keeps uploaded plans, their data files and the runs' folders");
  const std::string path = Write("db = \"" + url + "\"\n[server]\ndata_dir = \"/srv/barrage\"\n");
  Result<ServerSettings> s = ResolveServerSettings({.config_path = path});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->db_path, url);
  EXPECT_EQ(s->data_dir, "/srv/barrage");
}

TEST_F(ServiceConfigTest, TheRateLimiterKeysAreRead) {
  std::string path = Write("[server]\nauth_failures_per_window = 3\nauth_window_s = 600\n");
  Result<ServerSettings> s = ResolveServerSettings({.config_path = path});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->auth_failures_per_window, 3);
  EXPECT_EQ(s->auth_window_s, 600);
}

TEST_F(ServiceConfigTest, MaxLocalRunsIsReadAndBounded) {
  Result<ServerSettings> s = ResolveServerSettings({});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->max_local_runs, 1);
  std::string path = Write("[server]\nmax_local_runs = 4\n");
  s = ResolveServerSettings({.config_path = path});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->max_local_runs, 4);
  path = Write("[server]\nmax_local_runs = 0\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":2: key server.max_local_runs: expected a number of runs from 1 to 64");
  path = Write("[server]\nmax_local_runs = 65\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":2: key server.max_local_runs: expected a number of runs from 1 to 64");
}

TEST_F(ServiceConfigTest, BadRateLimiterKeysNameTheFileLineAndKey) {
  std::string path = Write("[server]\nlisten = \"127.0.0.1:9000\"\nauth_failures_per_window = 0\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":3: key server.auth_failures_per_window: expected a number of failures from 1 to 1000000");
  path = Write("[server]\nauth_failures_per_window = \"10\"\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":2: key server.auth_failures_per_window: expected a number of failures from 1 to 1000000");
  path = Write("[server]\nauth_window_s = 86401\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":2: key server.auth_window_s: expected a number of seconds from 1 to 86400");
  path = Write("[server]\nauth_window_s = 1.5\n");
  EXPECT_EQ(ResolveServerSettings({.config_path = path}).status().message(),
            path + ":2: key server.auth_window_s: expected a number of seconds from 1 to 86400");
}

TEST_F(ServiceConfigTest, ABadListenFlagIsAnError) {
  EXPECT_EQ(ResolveServerSettings({.listen = "127.0.0.1:70000"}).status().message(),
            "listen \"127.0.0.1:70000\": the port is above 65535 (expected ADDRESS:PORT, e.g. 127.0.0.1:8470)");
}

}  // namespace
}  // namespace barrage
