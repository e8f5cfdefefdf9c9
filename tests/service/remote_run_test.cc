#include "service/remote_run.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace barrage
