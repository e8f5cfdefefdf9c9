#include "service/tokens.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/digest.h"
#include "controller/results_store.h"
#include "controller/store_schema.h"
#include "tests/common/fake_clock.h"
#include "tests/controller/raw_sql.h"
#include "tests/controller/temp_dir.h"
#include "tests/service/store_backends.h"

namespace barrage {
namespace {

using test::RawScalar;

constexpr int64_t kStartMs = 1'767'225'600'000;  // FakeClock's wall start, 2026-01-01T00:00:00Z

// Every TEST_P runs on a SQLite file and on a PostgreSQL database (store_backends.h).
class TokensTest : public test::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (!Ready()) return;
    Result<TokenStore> store = TokenStore::Open(Db(), /*must_exist=*/false, clock_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_.emplace(std::move(store).value());
  }
  NewToken MustCreate(const std::string& project, const std::string& name, TokenRole role) {
    Result<NewToken> t = store_->Create(project, name, role, "alice");
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? std::move(t).value() : NewToken{};
  }
  std::optional<Principal> Auth(const std::string& token) {
    Result<std::optional<Principal>> p = store_->Authenticate(token, clock_.WallMillis());
    EXPECT_TRUE(p.ok()) << p.status().message();
    return p.ok() ? *p : std::nullopt;
  }

  FakeClock clock_;
  std::optional<TokenStore> store_;
};

TEST_P(TokensTest, ATokenIsBrgAndFortyThreeBase64UrlCharacters) {
  NewToken t = MustCreate("shop", "ci", TokenRole::kTester);
  ASSERT_EQ(t.token.size(), 47u);
  EXPECT_EQ(t.token.substr(0, 4), "brg_");
  EXPECT_TRUE(std::all_of(t.token.begin() + 4, t.token.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  })) << t.token;
  EXPECT_NE(MustCreate("shop", "ci2", TokenRole::kTester).token, t.token);
}

TEST_P(TokensTest, TheStoreKeepsOnlyTheSha256OfTheToken) {
  NewToken t = MustCreate("shop", "ci", TokenRole::kTester);
  EXPECT_EQ(Scalar("SELECT token_sha256 FROM api_token WHERE name = 'ci'"), Sha256Hex(t.token));
  store_.reset();          // checkpoints the WAL into the file on close
  if (Postgres()) return;  // the server's files are the server's
  for (const std::string& file : {Db(), Db() + "-wal"}) {
    EXPECT_EQ(ReadWholeFile(file).find(t.token.substr(4)), std::string::npos) << file;
  }
}

TEST_P(TokensTest, CreateRecordsTheRowAndCreatesTheProject) {
  clock_.Advance(std::chrono::seconds(5));
  NewToken t = MustCreate("shop", "ci", TokenRole::kAdmin);
  EXPECT_EQ(t.record.project, "shop");
  EXPECT_EQ(t.record.name, "ci");
  EXPECT_EQ(t.record.role, TokenRole::kAdmin);
  EXPECT_EQ(t.record.created_at_ms, kStartMs + 5000);
  EXPECT_EQ(t.record.created_by, "alice");
  EXPECT_FALSE(t.record.revoked_at_ms);
  EXPECT_EQ(Scalar("SELECT count(*) FROM project WHERE name = 'shop'"), "1");
  Result<std::vector<TokenRecord>> all = store_->List("");
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, t.record.id);
  EXPECT_EQ(TokenRecordJson((*all)[0]).dump(),
            "{\"id\":" + std::to_string(t.record.id) +
                ",\"project\":\"shop\",\"name\":\"ci\",\"role\":\"admin\",\"created_at_ms\":1767225605000,"
                "\"created_by\":\"alice\",\"revoked_at_ms\":null,\"last_used_at_ms\":null,\"active\":true}");
}

TEST_P(TokensTest, AuthenticateGivesTheTokensPrincipal) {
  NewToken t = MustCreate("shop", "ci", TokenRole::kTester);
  std::optional<Principal> p = Auth(t.token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->token_id, t.record.id);
  EXPECT_EQ(p->name, "ci");
  EXPECT_EQ(p->project, "shop");
  EXPECT_EQ(p->role, TokenRole::kTester);
}

TEST_P(TokensTest, UnknownMalformedAndAlteredTokensAreRefused) {
  NewToken t = MustCreate("shop", "ci", TokenRole::kAdmin);
  std::string altered = t.token;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string(), std::string("brg_"), t.token.substr(0, 46), t.token + "A", "xyz_" + t.token.substr(4), altered,
        std::string("brg_") + std::string(43, 'A'), Sha256Hex(t.token)}) {
    EXPECT_FALSE(Auth(bad)) << bad;
  }
  EXPECT_TRUE(Auth(t.token));
}

TEST_P(TokensTest, LastUsedIsWrittenAtMostOnceAMinute) {
  NewToken t = MustCreate("shop", "ci", TokenRole::kViewer);
  const std::string sql = "SELECT last_used_at FROM api_token WHERE id = " + std::to_string(t.record.id);
  EXPECT_EQ(Scalar(sql), "NULL");
  ASSERT_TRUE(Auth(t.token));
  EXPECT_EQ(Scalar(sql), std::to_string(kStartMs));
  clock_.Advance(std::chrono::seconds(59));
  ASSERT_TRUE(Auth(t.token));
  EXPECT_EQ(Scalar(sql), std::to_string(kStartMs));
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(Auth(t.token));
  EXPECT_EQ(Scalar(sql), std::to_string(kStartMs + 60'000));
  Result<std::vector<TokenRecord>> all = store_->List("shop");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].last_used_at_ms, kStartMs + 60'000);
}

TEST_P(TokensTest, ARevokedTokenNoLongerAuthenticates) {
  NewToken t = MustCreate("shop", "ci", TokenRole::kTester);
  ASSERT_TRUE(Auth(t.token));
  clock_.Advance(std::chrono::seconds(7));
  Result<TokenRecord> revoked = store_->Revoke("shop", "ci", "bob");
  ASSERT_TRUE(revoked.ok()) << revoked.status().message();
  EXPECT_EQ(revoked->id, t.record.id);
  EXPECT_EQ(revoked->revoked_at_ms, kStartMs + 7000);
  EXPECT_FALSE(Auth(t.token));
  Result<std::vector<TokenRecord>> all = store_->List("shop");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].revoked_at_ms, kStartMs + 7000);
  EXPECT_EQ(TokenRecordJson((*all)[0])["active"], false);
}

TEST_P(TokensTest, RevokingAMissingOrRevokedTokenIsNotFound) {
  MustCreate("shop", "ci", TokenRole::kTester);
  ASSERT_TRUE(store_->Revoke("shop", "ci", "bob").ok());
  for (auto [project, name] : {std::pair{"shop", "ci"}, std::pair{"shop", "nobody"}, std::pair{"other", "ci"}}) {
    Result<TokenRecord> r = store_->Revoke(project, name, "bob");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
    EXPECT_EQ(r.status().message(), std::string("no active token '") + name + "' in project '" + project + "'");
  }
}

TEST_P(TokensTest, ANameIsUniquePerProjectAmongActiveTokens) {
  NewToken first = MustCreate("shop", "ci", TokenRole::kTester);
  Result<NewToken> again = store_->Create("shop", "ci", TokenRole::kViewer, "alice");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(again.status().message(),
            "name: project 'shop' already has an active token 'ci' (revoke it first, or choose another name)");
  MustCreate("billing", "ci", TokenRole::kTester);  // another project
  ASSERT_TRUE(store_->Revoke("shop", "ci", "alice").ok());
  NewToken replacement = MustCreate("shop", "ci", TokenRole::kTester);  // rotation: the name again
  EXPECT_NE(replacement.record.id, first.record.id);
  EXPECT_FALSE(Auth(first.token));
  EXPECT_TRUE(Auth(replacement.token));
}

TEST_P(TokensTest, BadNamesAndAnEmptyProjectAreRefusedNamingTheField) {
  struct Case {
    std::string project, name, message;
  };
  for (const Case& c : std::vector<Case>{
           {"shop", "", "name: a token needs a name"},
           {"shop", "with space", "name: 'with space' may hold only letters, digits, '.', '_' and '-'"},
           {"shop", std::string(65, 'a'), "name: '" + std::string(65, 'a') + "' is longer than 64 characters"},
           {"", "ci", "project: the project name is empty"},
       }) {
    Result<NewToken> t = store_->Create(c.project, c.name, TokenRole::kViewer, "alice");
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.status().message(), c.message);
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM api_token"), "0");
}

TEST_P(TokensTest, ListIsByProjectThenCreationAndNeverHoldsTheSecret) {
  MustCreate("shop", "b", TokenRole::kViewer);
  MustCreate("billing", "z", TokenRole::kAdmin);
  MustCreate("shop", "a", TokenRole::kTester);
  Result<std::vector<TokenRecord>> all = store_->List("");
  ASSERT_TRUE(all.ok());
  std::vector<std::string> names;
  for (const TokenRecord& r : *all)
    names.push_back(r.project + "/" + r.name + "/" + std::string(TokenRoleName(r.role)));
  EXPECT_EQ(names, (std::vector<std::string>{"billing/z/admin", "shop/b/viewer", "shop/a/tester"}));
  Result<std::vector<TokenRecord>> shop = store_->List("shop");
  ASSERT_TRUE(shop.ok());
  EXPECT_EQ(shop->size(), 2u);
  Result<std::vector<TokenRecord>> none = store_->List("nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(TokensTest, TheAuditLogSaysWhichTokenDidWhat) {
  NewToken admin = MustCreate("shop", "lead", TokenRole::kAdmin);
  std::optional<Principal> p = Auth(admin.token);
  ASSERT_TRUE(p);
  Result<NewToken> ci = store_->Create("shop", "ci", TokenRole::kTester, TokenActor(*p), p);
  ASSERT_TRUE(ci.ok()) << ci.status().message();
  EXPECT_EQ(ci->record.created_by, "token:lead");
  ASSERT_TRUE(store_->Revoke("shop", "ci", TokenActor(*p), p).ok());
  ASSERT_TRUE(store_->AuditTokenAction("shop", *p, "run_started", "{\"plan\":\"shop.jmx\"}", 0).ok());
  store_.reset();

  Result<ResultsStore> results = ResultsStore::Open(Db());
  ASSERT_TRUE(results.ok()) << results.status().message();
  Result<std::vector<AuditRecord>> log = results->AuditLog(0);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_EQ(log->size(), 4u);
  const std::string lead_id = std::to_string(admin.record.id), ci_id = std::to_string(ci->record.id);
  const AuditRecord& created_by_cli = (*log)[0];
  EXPECT_EQ(created_by_cli.who, "alice");
  EXPECT_EQ(created_by_cli.what, "token_created");
  EXPECT_EQ(created_by_cli.details, "{\"name\":\"lead\",\"role\":\"admin\",\"token_id\":" + lead_id + "}");
  EXPECT_FALSE(created_by_cli.token_id);
  EXPECT_EQ(created_by_cli.token_name, "");
  EXPECT_EQ(created_by_cli.at_ms, kStartMs);
  const AuditRecord& created = (*log)[1];
  EXPECT_EQ(created.who, "token:lead");
  EXPECT_EQ(created.what, "token_created");
  EXPECT_EQ(created.details, "{\"name\":\"ci\",\"role\":\"tester\",\"token_id\":" + ci_id + "}");
  EXPECT_EQ(created.token_id, admin.record.id);
  EXPECT_EQ(created.token_name, "lead");
  const AuditRecord& revoked = (*log)[2];
  EXPECT_EQ(revoked.what, "token_revoked");
  EXPECT_EQ(revoked.token_name, "lead");
  EXPECT_EQ(revoked.details, "{\"name\":\"ci\",\"role\":\"tester\",\"token_id\":" + ci_id + "}");
  const AuditRecord& action = (*log)[3];
  EXPECT_EQ(action.who, "token:lead");
  EXPECT_EQ(action.what, "run_started");
  EXPECT_EQ(action.details, "{\"plan\":\"shop.jmx\"}");
  EXPECT_EQ(action.token_id, admin.record.id);
  EXPECT_EQ(action.token_name, "lead");
  EXPECT_FALSE(action.execution_id);
  EXPECT_EQ(Scalar("SELECT count(DISTINCT project_id) FROM audit_log"), "1");
  EXPECT_EQ(Scalar("SELECT min(project_id) FROM audit_log"), Scalar("SELECT id FROM project WHERE name = 'shop'"));
}

TEST_P(TokensTest, AnActionOnARunIsLoggedWithTheRun) {
  Result<ResultsStore> results = ResultsStore::Open(Db(), {.project = "shop"});
  ASSERT_TRUE(results.ok());
  ExecutionInfo info;
  info.plan_path = "shop.jmx";
  info.plan_name = "Shop";
  info.project = "shop";
  Result<int64_t> run = results->BeginExecution(info);
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_TRUE(results->Finish(ExecutionStatus::kPassed, kStartMs).ok());
  NewToken t = MustCreate("shop", "ci", TokenRole::kTester);
  std::optional<Principal> p = Auth(t.token);
  ASSERT_TRUE(p);
  ASSERT_TRUE(store_->AuditTokenAction("shop", *p, "run_stopped", "{}", *run).ok());
  Result<std::vector<AuditRecord>> log = results->AuditLog(*run);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);  // started, stopped (the store's), run_stopped (the token's)
  EXPECT_EQ((*log)[2].what, "run_stopped");
  EXPECT_EQ((*log)[2].execution_id, *run);
  EXPECT_EQ((*log)[2].token_id, t.record.id);
  EXPECT_FALSE((*log)[0].token_id);
}

INSTANTIATE_TEST_SUITE_P(Backends, TokensTest, ::testing::Values(test::StoreKind::kSqlite, test::StoreKind::kPostgres),
                         test::StoreKindName);

TEST(TokenStoreOpenTest, ListingNeverCreatesAStore) {
  TempDir dir;
  Result<TokenStore> store = TokenStore::Open(dir.File("missing.db"), /*must_exist=*/true);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), dir.File("missing.db") + ": no results store (run a plan first, or pass --db)");
  EXPECT_FALSE(std::filesystem::exists(dir.File("missing.db")));
}

TEST(TokenStoreOpenTest, AStoreFromBeforeTokensIsMigrated) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  {
    // A store as the version before tokens wrote it, with one audit row.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    Result<int> from = CreateOrMigrateSchema(raw, db, 1795705930000, /*to_version=*/4);
    ASSERT_TRUE(from.ok()) << from.status().message();
    ASSERT_EQ(sqlite3_exec(raw,
                           "INSERT INTO audit_log(at, who, what, project_id, details) "
                           "VALUES (1795705930000, 'alice', 'imported', 1, 'old row'); COMMIT",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  }

  Result<TokenStore> tokens = TokenStore::Open(db, /*must_exist=*/true);
  ASSERT_TRUE(tokens.ok()) << tokens.status().message();
  EXPECT_EQ(RawScalar(db, "SELECT version FROM schema_version"), std::to_string(ResultsStore::kSchemaVersion));
  Result<NewToken> t = tokens->Create("default", "ci", TokenRole::kTester, "alice");
  ASSERT_TRUE(t.ok()) << t.status().message();
  Result<std::vector<AuditRecord>> log = tokens->ProjectAuditLog("default", 10);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[1].details, "old row");
  EXPECT_FALSE((*log)[1].token_id);
  EXPECT_EQ((*log)[0].what, "token_created");
}

TEST(RoleTest, NamesRoundTrip) {
  for (TokenRole r : {TokenRole::kViewer, TokenRole::kTester, TokenRole::kAdmin})
    EXPECT_EQ(ParseTokenRole(TokenRoleName(r)), r);
  EXPECT_EQ(TokenRoleName(TokenRole::kTester), "tester");
  EXPECT_FALSE(ParseTokenRole("Admin"));
  EXPECT_FALSE(ParseTokenRole("owner"));
}

}  // namespace
}  // namespace barrage
