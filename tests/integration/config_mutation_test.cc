// Mutation test of the configuration parsers (issue 14 item 3): the shipped config/*.toml,
// mutated byte by byte (each byte deleted, or replaced by one of: quote = [ # newline 0) and token by
// token (each commented-out setting enabled, each value given the wrong type), go through
// the readers the binaries use: barrage-worker's LoadWorkerConfigFile + ValidateWorkerConfig,
// `barrage serve`'s ResolveServerSettings + ResolveClusterSettings. Every outcome must be
// OK or an error whose message begins with the file's path (and so names it) — never a
// crash or an exception. The unmutated files are valid but for the keys the operator makes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "controller/cluster_config.h"
#include "service/service_config.h"
#include "tests/controller/temp_dir.h"
#include "worker/worker_config.h"

namespace barrage {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The mutants of `text`: byte deletions and replacements, then per line: a commented-out
// `key = value` enabled, and values of the wrong type.
std::vector<std::string> Mutants(const std::string& text) {
  std::vector<std::string> out;
  const std::string replacements = "\"=[#\n0";
  for (size_t i = 0; i < text.size(); ++i) {
    out.push_back(text.substr(0, i) + text.substr(i + 1));
    for (char c : replacements) {
      if (c == text[i]) continue;
      std::string m = text;
      m[i] = c;
      out.push_back(std::move(m));
    }
  }
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  auto join = [&lines](size_t at, const std::string& replacement) {
    std::string s;
    for (size_t j = 0; j < lines.size(); ++j) s += (j == at ? replacement : lines[j]) + "\n";
    return s;
  };
  const std::regex setting(R"(^#? ?([A-Za-z_]+) = (.*)$)");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, setting)) continue;
    const std::string key = m[1];
    out.push_back(join(i, key + " = " + std::string(m[2])));
    for (const char* value : {"1", "-1", "0", "1.5e300", "\"text\"", "\"\"", "true", "[]", "[1, \"a\"]", "{ a = 1 }",
                              "1979-05-27T07:32:00Z", "nan", "inf", "\"/nonexistent/file\"", "\"tcp://\""}) {
      out.push_back(join(i, key + " = " + value));
    }
  }
  return out;
}

class ConfigMutationTest : public ::testing::Test {
 protected:
  // Writes each mutant of config/`name` to the same name in a temporary folder (relative
  // paths in it resolve there) and checks `read`'s outcome. Returns the number of mutants.
  size_t Check(const std::string& name, const std::function<Status(const std::string& path)>& read) {
    const std::string original = ReadFile(std::string(BARRAGE_CONFIG_DIR) + "/" + name);
    EXPECT_FALSE(original.empty());
    const std::string path = dir_.File(name);
    size_t ok = 0, failures = 0;
    std::vector<std::string> mutants = Mutants(original);
    for (const std::string& mutant : mutants) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << mutant;
      Status s = Status::Ok();
      try {
        s = read(path);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "exception " << e.what() << " for:\n" << mutant;
        continue;
      }
      if (s.ok()) {
        ++ok;
      } else if (s.message().rfind(path, 0) != 0 && ++failures <= 5) {
        ADD_FAILURE() << "an error that does not name " << path << ": " << s.message() << "\nfor:\n" << mutant;
      }
    }
    EXPECT_EQ(failures, 0u);
    return mutants.size();
  }
  TempDir dir_;
};

TEST_F(ConfigMutationTest, WorkerToml) {
  size_t n = Check("worker.toml", [](const std::string& path) {
    WorkerConfig config;
    Status s = LoadWorkerConfigFile(path, &config);
    if (!s.ok()) return s;
    config.insecure = true;  // keys are the operator's; the rest is checked
    return ValidateWorkerConfig(config, path);
  });
  EXPECT_GT(n, 10000u);
}

TEST_F(ConfigMutationTest, ControllerToml) {
  size_t n = Check("controller.toml", [](const std::string& path) {
    ServeOptions options;
    options.config_path = path;
    Result<ServerSettings> server = ResolveServerSettings(options);
    if (!server.ok()) return server.status();
    ClusterOptions cluster;
    cluster.config_path = path;
    Result<ClusterSettings> settings = ResolveClusterSettings(cluster);
    return settings.ok() ? Status::Ok() : settings.status();
  });
  EXPECT_GT(n, 10000u);
}

TEST_F(ConfigMutationTest, TheShippedWorkerTomlIsValidButForTheKeys) {
  const std::string path = std::string(BARRAGE_CONFIG_DIR) + "/worker.toml";
  WorkerConfig config;
  ASSERT_TRUE(LoadWorkerConfigFile(path, &config).ok());
  EXPECT_EQ(ValidateWorkerConfig(config, path).message(),
            path +
                ": key security.secret_key_file: missing (CurveZMQ needs this worker's key pair; make one with "
                "--keygen FILE, or set insecure = true / --insecure for plain TCP)");
}

}  // namespace
}  // namespace barrage
