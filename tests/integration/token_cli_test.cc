// `barrage token` as an operator runs it: the real binary creates, lists and revokes tokens in
// a store, and the service library (TokenStore::Authenticate, what `barrage serve` calls per
// request) accepts the token until it is revoked.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "service/tokens.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;

constexpr std::chrono::seconds kTimeout{20};

class TokenCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-token-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    db_ = (dir_ / "results.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  ProcessResult Barrage(std::vector<std::string> args) {
    args.insert(args.begin(), BARRAGE_BINARY);
    args.push_back("--db");
    args.push_back(db_);
    return RunProcess(args, kTimeout);
  }
  std::optional<Principal> Authenticate(const std::string& token) {
    Result<TokenStore> store = TokenStore::Open(db_, /*must_exist=*/true);
    EXPECT_TRUE(store.ok()) << store.status().message();
    if (!store.ok()) return std::nullopt;
    Result<std::optional<Principal>> p = store->Authenticate(token, WallMillis());
    EXPECT_TRUE(p.ok()) << p.status().message();
    return p.ok() ? *p : std::nullopt;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(TokenCliTest, CreateListAuthenticateRevokeAuthenticateFails) {
  ProcessResult created = Barrage({"token", "create", "--project", "shop", "--role", "tester", "--name", "ci"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(created.out.size(), 48u) << created.out;  // the token and a newline, nothing else
  const std::string token = created.out.substr(0, 47);
  EXPECT_EQ(token.substr(0, 4), "brg_");
  EXPECT_EQ(created.err, "barrage: created tester token 'ci' in project 'shop'; keep it now, it is not shown again\n");

  ProcessResult listed = Barrage({"token", "list", "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.find(token.substr(4)), std::string::npos);
  nlohmann::json all = nlohmann::json::parse(listed.out);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["project"], "shop");
  EXPECT_EQ(all[0]["name"], "ci");
  EXPECT_EQ(all[0]["role"], "tester");
  EXPECT_EQ(all[0]["active"], true);
  EXPECT_EQ(all[0]["revoked_at_ms"], nullptr);
  EXPECT_EQ(all[0]["last_used_at_ms"], nullptr);

  std::optional<Principal> p = Authenticate(token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->project, "shop");
  EXPECT_EQ(p->name, "ci");
  EXPECT_EQ(p->role, TokenRole::kTester);
  EXPECT_EQ(p->token_id, all[0]["id"].get<int64_t>());

  ProcessResult revoked = Barrage({"token", "revoke", "--project", "shop", "ci"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(revoked.out, "barrage: revoked tester token 'ci' in project 'shop'\n");
  EXPECT_FALSE(Authenticate(token));

  ProcessResult after = Barrage({"token", "list", "--project", "shop", "--format", "json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  nlohmann::json again = nlohmann::json::parse(after.out);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["active"], false);
  EXPECT_TRUE(again[0]["revoked_at_ms"].is_number());
  EXPECT_TRUE(again[0]["last_used_at_ms"].is_number());  // authenticated once
}

TEST_F(TokenCliTest, TheTextListHasOneRowPerToken) {
  ASSERT_EQ(Barrage({"token", "create", "--project", "shop", "--role", "admin", "--name", "lead"}).exit_code, 0);
  ASSERT_EQ(Barrage({"token", "create", "--project", "billing", "--role", "viewer", "--name", "dash"}).exit_code, 0);
  ProcessResult listed = Barrage({"token", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = listed.out.find('\n', at)) != std::string::npos; at = nl + 1) {
    lines.push_back(listed.out.substr(at, nl - at));
  }
  ASSERT_EQ(lines.size(), 3u) << listed.out;
  EXPECT_EQ(lines[0].substr(0, 41), "PROJECT  NAME  ROLE    STATUS  CREATED   ");
  EXPECT_EQ(lines[1].substr(0, 32), "billing  dash  viewer  active  2");
  EXPECT_EQ(lines[2].substr(0, 32), "shop     lead  admin   active  2");
  EXPECT_EQ(lines[1].substr(lines[1].size() - 1), "-");  // never used

  ProcessResult other = Barrage({"token", "list", "--project", "none"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(other.out, "no tokens in project 'none'\n");
}

TEST_F(TokenCliTest, BadArgumentsExitTwoNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string in_stderr;
  };
  ASSERT_EQ(Barrage({"token", "create", "--project", "shop", "--role", "tester", "--name", "ci"}).exit_code, 0);
  for (const Case& c : std::vector<Case>{
           {{"token", "create", "--project", "shop", "--role", "owner", "--name", "x"}, "--role"},
           {{"token", "create", "--role", "tester", "--name", "x"}, "--project"},
           {{"token", "create", "--project", "shop", "--role", "tester"}, "--name"},
           {{"token", "create", "--project", "shop", "--role", "tester", "--name", "a b"},
            "barrage: --name: 'a b' may hold only letters, digits, '.', '_' and '-'\n"},
           {{"token", "create", "--project", "shop", "--role", "viewer", "--name", "ci"},
            "barrage: --name: project 'shop' already has an active token 'ci' (revoke it first, or choose another "
            "name)\n"},
           {{"token", "list", "--format", "xml"}, "--format"},
           {{"token", "revoke", "--project", "shop", "nobody"},
            "barrage: no active token 'nobody' in project 'shop'\n"},
           {{"token", "revoke", "ci"}, "--project"},
       }) {
    ProcessResult r = Barrage(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[1] << " " << r.err;
    EXPECT_NE(r.err.find(c.in_stderr), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "") << r.out;
  }
}

TEST_F(TokenCliTest, ListingAMissingStoreFailsAndCreatesNothing) {
  ProcessResult r = Barrage({"token", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "barrage: " + db_ + ": no results store (run a plan first, or pass --db)\n");
  EXPECT_FALSE(fs::exists(db_));
}

}  // namespace
}  // namespace barrage
