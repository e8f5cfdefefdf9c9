// `barrage serve --db postgresql://...` end to end on a real PostgreSQL server
// (postgres_fixture.h, postgresql-15): a token made with `barrage token create` on the same
// URL, a plan uploaded and run locally through the API, its run and report read back. The
// same steps on a fresh SQLite store give the same answers; the report of the PostgreSQL run
// is byte for byte the report SQLite gives for the same samples.

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/jmx_xml.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/integration/process_util.h"
#include "tests/integration/serve_fixture.h"

namespace barrage {
namespace {

using test::El;
using test::ProcessResult;
using test::RunProcess;
using test::Str;

// 2 users x 5 loops of GET /hello.txt on 127.0.0.1:${__P(port)}.
std::string Plan() {
  const std::string http = El("HTTPSamplerProxy", "hello",
                              Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", "${__P(port)}") +
                                  Str("HTTPSampler.path", "/hello.txt") + Str("HTTPSampler.method", "GET"));
  const std::string group = El("ThreadGroup", "users",
                               Str("ThreadGroup.num_threads", "2") + Str("ThreadGroup.ramp_time", "0") +
                                   "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                                   Str("LoopController.loops", "5") + "</elementProp>",
                               http);
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Hello\"/>\n"
         "<hashTree>\n" +
         group + "</hashTree></hashTree></jmeterTestPlan>\n";
}

// What one backend's service answered.
struct Answers {
  nlohmann::json upload;  // POST .../plans, without its time
  nlohmann::json ticket;  // POST .../runs
  nlohmann::json run;     // GET /runs/1 once ended, without its times (START.* too) and report_url
  std::string report_csv;
  nlohmann::json tokens;  // `barrage token list --format json`, without times and created_by
};

class PostgresServeTest : public test::ServeFixture {
 protected:
  void SetUp() override {
    ServeFixture::SetUp();
    if (HasFatalFailure()) return;
    std::string why;
    pg_ = test::PostgresServer::Start(&why);
    POSTGRES_FIXTURE_REQUIRE(pg_, why);
  }
  void TearDown() override {
    ServeFixture::TearDown();  // the service first: it holds connections to the server
    pg_.reset();
  }

  httplib::Result Post(const std::string& path, const std::string& token, const nlohmann::json& body) {
    return client_->Post(path, Auth(token), body.dump(), "application/json");
  }

  // GET /api/v1/runs/ID until the run has ended; its JSON (null on timeout).
  nlohmann::json WaitForEnd(const std::string& token, int64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      httplib::Result r = client_->Get("/api/v1/runs/" + std::to_string(id), Auth(token));
      if (r && r->status == 200) {
        nlohmann::json run = nlohmann::json::parse(r->body);
        if (run["status"] != "queued" && run["status"] != "running") return run;
      }
      serve_->Pump(std::chrono::milliseconds(50));
    }
    return nullptr;
  }

  // The steps on the store db_: serve it (uploads in `data_dir`), make a token, upload the
  // plan, run it, wait for its end, read the run and its report; stop the service.
  Answers Steps(const std::string& data_dir) {
    Answers a;
    StartService({"--config", Write("serve.toml", "[server]\ndata_dir = \"" + data_dir + "\"\n")});
    const std::string tester = Token("shop", "tester", "ci");
    httplib::MultipartFormDataItems items = {{"plan", Plan(), "hello.jmx", "application/xml"}};
    httplib::Result up = client_->Post("/api/v1/projects/shop/plans", Auth(tester), items);
    EXPECT_TRUE(up && up->status == 201) << (up ? up->body : "no answer");
    if (up) a.upload = nlohmann::json::parse(up->body, nullptr, false);
    if (a.upload.is_object()) a.upload.erase("created_at_ms");
    httplib::Result started = Post("/api/v1/projects/shop/runs", tester,
                                   {{"plan", "hello.jmx"}, {"properties", {{"port", target_->port()}}}});
    EXPECT_TRUE(started && started->status == 201) << (started ? started->body : "no answer");
    if (started) a.ticket = nlohmann::json::parse(started->body, nullptr, false);
    a.run = WaitForEnd(tester, 1);
    EXPECT_FALSE(a.run.is_null()) << serve_->out() << serve_->err();
    if (a.run.is_object()) {
      for (const char* key : {"started_at_ms", "ended_at_ms", "report_url"}) a.run.erase(key);
      for (const char* key : {"START.HMS", "START.MS", "START.YMD", "TESTSTART.MS"}) a.run["properties"].erase(key);
    }
    httplib::Result report = client_->Get("/api/v1/runs/1/report?format=csv", Auth(tester));
    EXPECT_TRUE(report && report->status == 200) << (report ? report->body : "no answer");
    if (report) a.report_csv = report->body;
    ProcessResult list =
        RunProcess({BARRAGE_BINARY, "token", "list", "--db", db_, "--project", "shop", "--format", "json"}, kTimeout);
    EXPECT_EQ(list.exit_code, 0) << list.err;
    a.tokens = nlohmann::json::parse(list.out, nullptr, false);
    if (a.tokens.is_array()) {
      for (auto& t : a.tokens) {
        for (const char* key : {"created_at_ms", "last_used_at_ms", "created_by"}) t.erase(key);
      }
    }
    StopService();
    return a;
  }

  std::unique_ptr<test::PostgresServer> pg_;
};

TEST_F(PostgresServeTest, ARunThroughTheApiOnPostgresAnswersAsOnSqlite) {
  const std::string sqlite = db_;
  db_ = pg_->CreateDatabase("serve");
  ASSERT_FALSE(db_.empty());
  const Answers pg = Steps((dir_ / "pg-files").string());
  if (HasFailure()) return;
  const std::string pg_url = db_;
  db_ = sqlite;
  const Answers lite = Steps((dir_ / "sqlite-files").string());

  EXPECT_EQ(pg.upload["name"], "hello.jmx");
  EXPECT_EQ(pg.upload["version"], 1);
  EXPECT_EQ(pg.upload, lite.upload);
  EXPECT_EQ(pg.ticket["id"], 1);
  EXPECT_EQ(pg.ticket, lite.ticket);
  EXPECT_EQ(pg.run["status"], "passed");
  EXPECT_EQ(pg.run["samples"], 10);
  EXPECT_EQ(pg.run["errors"], 0);
  EXPECT_EQ(pg.run["triggered_by"], "token:ci");
  EXPECT_EQ(pg.run, lite.run);
  ASSERT_TRUE(pg.tokens.is_array());
  ASSERT_EQ(pg.tokens.size(), 1u);
  EXPECT_EQ(pg.tokens[0]["id"], 1);
  EXPECT_EQ(pg.tokens[0]["name"], "ci");
  EXPECT_EQ(pg.tokens, lite.tokens);
  // Latencies differ between two runs: the same samples give the same report. The PostgreSQL
  // run's JTL imported into the SQLite store as run 2 is reported byte for byte alike.
  EXPECT_NE(pg.report_csv.find("hello,10,"), std::string::npos) << pg.report_csv;
  const std::string jtl = (dir_ / "pg-run.jtl").string();
  ProcessResult exported =
      RunProcess({BARRAGE_BINARY, "export", "1", "--db", pg_url, "--project", "shop", "-o", jtl}, kTimeout);
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  ProcessResult imported = RunProcess({BARRAGE_BINARY, "import", jtl, "--db", sqlite, "--project", "shop"}, kTimeout);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.out, "2\n");
  StartService(
      {"--config", Write("serve.toml", "[server]\ndata_dir = \"" + (dir_ / "sqlite-files").string() + "\"\n")});
  const std::string viewer = Token("shop", "viewer", "dash");
  httplib::Result report = client_->Get("/api/v1/runs/2/report?format=csv", Auth(viewer));
  ASSERT_TRUE(report);
  EXPECT_EQ(report->status, 200);
  EXPECT_EQ(report->body, pg.report_csv);
  StopService();
}

TEST(PostgresServeConfigTest, AStoreOnPostgresNeedsADataDirAndNamesItWithoutThePassword) {
  ProcessResult r =
      RunProcess({BARRAGE_BINARY, "serve", "--db", "postgresql://u:pw@127.0.0.1:1/x", "--listen", "127.0.0.1:0"},
                 std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage: barrage serve: a PostgreSQL store (postgresql://u:***@127.0.0.1:1/x) needs server.data_dir in "
            "the --config file: the folder that keeps uploaded plans, their data files and the runs' folders\n");
}

}  // namespace
}  // namespace barrage
