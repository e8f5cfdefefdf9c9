#include "service/remote_run.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using json = nlohmann::json;
using Event = SseParser::Event;

// --- RemoteRunBody ------------------------------------------------------------------------------

TEST(RemoteRunBodyTest, APlanAloneIsItsNameAndVersion) {
  RemoteRunOptions o;
  EXPECT_EQ(RemoteRunBody(o, "shop.jmx", 3, {}), json::parse(R"({"plan": "shop.jmx", "version": 3})"));
}

TEST(RemoteRunBodyTest, EachRunOptionGivenIsItsField) {
  RemoteRunOptions o;
  o.run.properties = {"users=50", "host=shop.local", "users=60", "empty="};
  o.run.duration_s = 600;
  o.run.cluster.workers = 2;
  o.run.cluster.share = "total";
  o.queue = false;
  EXPECT_EQ(RemoteRunBody(o, "shop.jmx", 1, {"login: p(99)<800", "p(95)<500"}), json::parse(R"({
      "plan": "shop.jmx", "version": 1, "properties": {"users": "60", "host": "shop.local", "empty": ""},
      "duration": 600, "thresholds": ["login: p(99)<800", "p(95)<500"], "workers": 2, "share": "total",
      "queue": false})"));
}

TEST(RemoteRunBodyTest, NamedWorkersAreWorkerNames) {
  RemoteRunOptions o;
  o.run.cluster.worker_names = {"lg-01", "lg-02"};
  EXPECT_EQ(RemoteRunBody(o, "shop.jmx", 2, {}),
            json::parse(R"({"plan": "shop.jmx", "version": 2, "worker_names": ["lg-01", "lg-02"]})"));
}

// --- DataFileUploadName ------------------------------------------------------------------------

TEST(DataFileUploadNameTest, APathInsideThePlansFolderIsNormalized) {
  EXPECT_EQ(DataFileUploadName("users.csv").value(), "users.csv");
  EXPECT_EQ(DataFileUploadName("./data/users.csv").value(), "data/users.csv");
  EXPECT_EQ(DataFileUploadName("data/../ids.csv").value(), "ids.csv");
}

TEST(DataFileUploadNameTest, AFileOutsideThePlansFolderIsRefusedByName) {
  for (const std::string name : {"../users.csv", "/srv/data/users.csv", "data/../../users.csv", "."}) {
    Result<std::string> r = DataFileUploadName(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "data file '" + name +
                                        "' is outside the plan's folder: the service puts a plan's data files next "
                                        "to it, so name it by a path inside the plan's folder");
  }
}

// --- ExitCodeOfRunStatus --------------------------------------------------------------------------

TEST(ExitCodeOfRunStatusTest, PassedIs0FailedIs99AnythingElseIs1) {
  EXPECT_EQ(ExitCodeOfRunStatus("passed"), 0);
  EXPECT_EQ(ExitCodeOfRunStatus("failed"), 99);
  for (const char* s : {"partial", "aborted", "errored", "running", ""}) EXPECT_EQ(ExitCodeOfRunStatus(s), 1) << s;
}

// --- SseParser --------------------------------------------------------------------------------------

TEST(SseParserTest, EventsArriveWhenTheirBlankLineDoes) {
  SseParser p;
  EXPECT_EQ(p.Feed("event: output\ndata: {\"lines\":"), std::vector<Event>{});
  EXPECT_EQ(p.Feed("[\"a\"]}\n"), std::vector<Event>{});
  EXPECT_EQ(p.Feed("\nevent: end\r\ndata: {}\r\n\r\nevent: su"),
            (std::vector<Event>{{"output", "{\"lines\":[\"a\"]}"}, {"end", "{}"}}));
  EXPECT_EQ(p.Feed("mmary\ndata: 1\n\n"), (std::vector<Event>{{"summary", "1"}}));
}

TEST(SseParserTest, CommentsAndEventsWithoutDataAreSkippedDataLinesAreJoined) {
  SseParser p;
  EXPECT_EQ(p.Feed(":\n\nevent: lonely\n\ndata:one\ndata: two\n\n"), (std::vector<Event>{{"message", "one\ntwo"}}));
}

// --- OutputLineFilter ----------------------------------------------------------------------------

TEST(OutputLineFilterTest, AStreamOpenedAgainPrintsOnlyTheLinesNotPrintedYet) {
  OutputLineFilter f;
  std::vector<bool> printed;
  f.NewStream();
  for (int i = 0; i < 3; ++i) printed.push_back(f.Add());
  f.NewStream();  // dropped after 3 lines; the next stream sends them again, then 2 more
  for (int i = 0; i < 5; ++i) printed.push_back(f.Add());
  f.NewStream();  // dropped before it sent as many as were printed
  for (int i = 0; i < 2; ++i) printed.push_back(f.Add());
  EXPECT_EQ(printed, (std::vector<bool>{true, true, true, false, false, false, true, true, false, false}));
}

// --- RunOnServer's checks before any request ------------------------------------------------------

TEST(RunOnServerTest, AServerThatIsNotAnHttpUrlIsAUsageError) {
  RemoteRunOptions o;
  o.server = "bastion:8470";
  o.run.plan_path = "shop.jmx";
  std::ostringstream out, err;
  EXPECT_EQ(RunOnServer(o, out, err), 2);
  EXPECT_EQ(err.str(), "barrage: --server 'bastion:8470': expected http://HOST:PORT or https://HOST:PORT\n");
  EXPECT_EQ(out.str(), "");
}

TEST(RunOnServerTest, ABadThresholdIsTheUsageErrorALocalRunPrints) {
  RemoteRunOptions o;
  o.server = "http://127.0.0.1:1";
  o.run.plan_path = "shop.jmx";
  o.run.thresholds = {"p(95)<<500"};
  std::ostringstream local_err;
  int code = 0;
  EXPECT_EQ(PrepareRun(o.run, ReadPlanFile, local_err, &code), nullptr);
  std::ostringstream out, err;
  EXPECT_EQ(RunOnServer(o, out, err), 2);
  EXPECT_EQ(err.str(), local_err.str());
  EXPECT_NE(err.str(), "");
}

// --- RunOnServer against a fake service --------------------------------------------------------

// One user, one GET of 127.0.0.1:1 (never sent: the fake service only answers the API).
constexpr char kPlan[] = R"(<jmeterTestPlan version="1.2"><hashTree>
<TestPlan testclass="TestPlan" testname="One"/><hashTree>
<ThreadGroup testclass="ThreadGroup" testname="users" enabled="true">
<stringProp name="ThreadGroup.num_threads">1</stringProp>
<elementProp name="ThreadGroup.main_controller" elementType="LoopController">
<stringProp name="LoopController.loops">1</stringProp></elementProp></ThreadGroup>
<hashTree><HTTPSamplerProxy testclass="HTTPSamplerProxy" testname="get" enabled="true">
<stringProp name="HTTPSampler.domain">127.0.0.1</stringProp><stringProp name="HTTPSampler.port">1</stringProp>
<stringProp name="HTTPSampler.path">/</stringProp><stringProp name="HTTPSampler.method">GET</stringProp>
</HTTPSamplerProxy><hashTree/></hashTree></hashTree></hashTree></jmeterTestPlan>
)";

std::string OutputEvent(const std::vector<std::string>& lines) {
  return "event: output\ndata: " + json({{"id", 7}, {"lines", lines}}).dump() + "\n\n";
}

// The API as `barrage serve` answers it for run 7, whose events stream drops after its
// first two lines; the next stream sends every line from the first, then `end`.
class FakeService {
 public:
  FakeService() {
    server_.Post("/api/v1/projects/shop/plans", [this](const httplib::Request& req, httplib::Response& res) {
      Note(req);
      res.status = 201;
      res.set_content(R"({"name": "one.jmx", "version": 4, "created": true})", "application/json");
    });
    server_.Post("/api/v1/projects/shop/runs", [this](const httplib::Request& req, httplib::Response& res) {
      Note(req);
      std::lock_guard lock(mu_);
      run_body_ = req.body;
      res.status = 201;
      res.set_content(R"({"id": 7, "status": "queued", "queue_position": 2})", "application/json");
    });
    server_.Get("/api/v1/runs/7/events", [this](const httplib::Request& req, httplib::Response& res) {
      Note(req);
      int stream = 0;
      {
        std::lock_guard lock(mu_);
        stream = ++streams_;
      }
      std::string body = "event: queued\ndata: {\"id\": 7, \"queue_position\": 1}\n\n:\n\n" +
                         OutputEvent({"summary +      1 in 00:00:01", "summary =      1 in 00:00:01"});
      if (stream > 1) {
        body += OutputEvent({"summary =      2 in 00:00:02", "barrage: run 7 failed"}) +
                "event: end\ndata: {\"id\": 7, \"status\": \"failed\", \"report_url\": \"R\"}\n\n";
      }
      res.set_content(body, "text/event-stream");
    });
    server_.Get("/api/v1/runs/7/verdict", [this](const httplib::Request& req, httplib::Response& res) {
      Note(req);
      res.set_content(R"({"passed": false, "status": "failed", "thresholds": []})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("fake service: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeService() {
    server_.stop();
    thread_.join();
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string RunBody() {
    std::lock_guard lock(mu_);
    return run_body_;
  }

 private:
  void Note(const httplib::Request& req) {
    std::lock_guard lock(mu_);
    requests_.push_back(req.method + " " + req.path + " " + req.get_header_value("Authorization"));
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::string run_body_;
  int streams_ = 0;
};

TEST(RunOnServerTest, ADroppedStreamIsOpenedAgainAndEachLineIsPrintedOnce) {
  TempDir dir;
  std::ofstream(dir.File("one.jmx")) << kPlan;
  FakeService service;
  RemoteRunOptions o;
  o.server = service.Url() + "/";
  o.token = "secret";
  o.run.plan_path = dir.File("one.jmx");
  o.run.project = "shop";
  o.run.thresholds = {"max<0"};
  o.reconnect_backoff = std::chrono::milliseconds(1);
  std::ostringstream out, err;
  EXPECT_EQ(RunOnServer(o, out, err), 99) << err.str();
  EXPECT_EQ(out.str(),
            "summary +      1 in 00:00:01\nsummary =      1 in 00:00:01\nsummary =      2 in 00:00:02\n"
            "barrage: run 7 failed\n");
  EXPECT_EQ(err.str(),
            "barrage: plan one.jmx version 4 in project shop (new, 0 data file(s))\n"
            "barrage: run 7 on " +
                service.Url() +
                " (queued, position 2)\n"
                "barrage: run 7 queued, position 1\n"
                "barrage: the events stream of run 7 dropped (closed): reconnecting\n"
                "barrage: run 7 on " +
                service.Url() + " failed; report R\n");
  EXPECT_EQ(json::parse(service.RunBody()),
            json::parse(R"({"plan": "one.jmx", "version": 4, "thresholds": ["max<0"]})"));
  EXPECT_EQ(service.Requests(),
            (std::vector<std::string>{
                "POST /api/v1/projects/shop/plans Bearer secret", "POST /api/v1/projects/shop/runs Bearer secret",
                "GET /api/v1/runs/7/events Bearer secret", "GET /api/v1/runs/7/events Bearer secret",
                "GET /api/v1/runs/7/verdict Bearer secret"}));
}

}  // namespace
}  // namespace barrage
