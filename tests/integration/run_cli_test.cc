// `barrage run` as a user runs it: the real binary, started on plans the test writes, loading
// a FixtureServer in this process on 127.0.0.1. Each case asserts the exit code, the exact
// messages, and that the JTL (-l), the results store (--db) and the fixture's request count
// tell the same story.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/sample.h"
#include "controller/jtl_reader.h"
#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::ChildProcess;
using test::ProcessResult;
using test::RunProcess;
using test::SpawnOptions;

// Generous: a healthy run of any case here takes under 4 s; the limit only bounds a hang.
constexpr seconds kTimeout{20};

constexpr std::string_view kJtlHeader =
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
    "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect";

// The first signal's line with the default --stop-timeout (5 s).
constexpr std::string_view kGracefulStopMessage =
    "\nbarrage: stopping gracefully (Ctrl-C again to stop now; requests still in flight after 5 s are "
    "aborted)\n";

// What JMeter records for an HTTP request its stop interrupted (HC4's abort() closes the
// socket under the reading thread).
constexpr std::string_view kAbortedCode = "Non HTTP response code: java.net.SocketException";
constexpr std::string_view kAbortedMessage = "Non HTTP response message: Socket closed";

// --- plan building ---------------------------------------------------------------------

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>\n";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\" enabled=\"true\">\n" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}
// A Thread Group named "Users": its threads are "Users 1-1", "Users 1-2", ...
std::string Users(int threads, int loops, const std::string& children) {
  return El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", std::to_string(threads)) + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" "
                "elementType=\"LoopController\">\n" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>\n",
            children);
}
std::string Http(const std::string& name, const std::string& path) {
  return El("HTTPSamplerProxy", name, Str("HTTPSampler.path", path));
}
// An HTTP Request to `domain` (overriding the defaults' 127.0.0.1): "localhost" goes
// through libcurl, a literal address through the engine's own HTTP/1.1 path.
std::string HttpTo(const std::string& name, const std::string& domain, const std::string& path) {
  return El("HTTPSamplerProxy", name, Str("HTTPSampler.domain", domain) + Str("HTTPSampler.path", path));
}
// A Test Plan named "T" whose HTTP Request Defaults point at 127.0.0.1:`port` (a number or
// an expression such as ${__P(port,1)}).
std::string PlanXml(const std::string& port, const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
         El("ConfigTestElement", "defaults", Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", port)) +
         body + "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

// The plan most cases run: 2 threads x 3 loops x (Home, Hello) = 12 samples.
std::string TwelveSamplePlan(const std::string& port) {
  return PlanXml(port, Users(2, 3, Http("Home", "/") + Http("Hello", "/hello.txt")));
}

// --- reading results -----------------------------------------------------------------

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

std::vector<Sample> JtlSamples(const fs::path& path) {
  Result<std::vector<Sample>> samples = ReadJtlFile(path.string());
  if (!samples.ok()) {
    ADD_FAILURE() << samples.status().message();
    return {};
  }
  return std::move(samples).value();
}

// Thread name -> the labels its samples carry, in recording order (the order between
// threads is the scheduler's; within a thread it is the plan's).
std::map<std::string, std::vector<std::string>> LabelsByThread(const std::vector<Sample>& samples) {
  std::map<std::string, std::vector<std::string>> by_thread;
  for (const Sample& s : samples) by_thread[s.thread_name].push_back(s.label);
  return by_thread;
}

struct StoreContents {
  std::vector<ExecutionRecord> executions;
  std::vector<Sample> samples;  // of the first execution
  int64_t counted = -1;         // CountSamples of the first execution
};

StoreContents ReadStore(const fs::path& db) {
  StoreContents contents;
  if (!fs::exists(db)) {
    ADD_FAILURE() << db << " does not exist";
    return contents;
  }
  Result<ResultsStore> store = ResultsStore::Open(db.string());
  if (!store.ok()) {
    ADD_FAILURE() << store.status().message();
    return contents;
  }
  Result<std::vector<ExecutionRecord>> executions = store->ListExecutions();
  if (!executions.ok()) {
    ADD_FAILURE() << executions.status().message();
    return contents;
  }
  contents.executions = std::move(executions).value();
  if (contents.executions.empty()) return contents;
  const int64_t id = contents.executions.front().id;
  Result<int64_t> counted = store->CountSamples(id);
  if (counted.ok()) contents.counted = *counted;
  Status read = store->ForEachSample(id, [&](const Sample& s) { contents.samples.push_back(s); });
  EXPECT_TRUE(read.ok()) << read.message();
  EXPECT_TRUE(store->Close().ok());
  return contents;
}

// "barrage: run ID STATUS: N samples, 0 errors, JTL J, store DB": the last stdout line.
std::string FinalLine(int64_t id, std::string_view status, int64_t samples, const std::string& jtl,
                      const std::string& db, int64_t errors = 0) {
  return "barrage: run " + std::to_string(id) + " " + std::string(status) + ": " + std::to_string(samples) +
         " samples, " + std::to_string(errors) + " errors, JTL " + jtl + ", store " + db;
}

// The sample of a request a stop aborted.
void ExpectAborted(const Sample& s, const std::string& label, const std::string& url) {
  SCOPED_TRACE(s.thread_name + " " + s.label);
  EXPECT_EQ(s.label, label);
  EXPECT_EQ(s.response_code, kAbortedCode);
  EXPECT_EQ(s.response_message, kAbortedMessage);
  EXPECT_FALSE(s.success);
  EXPECT_EQ(s.url, url);
}

// The count in a "summary + ..." / "summary = ..." line.
int64_t SummaryCount(const std::string& line) { return std::stoll(Fields(line).at(2)); }

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-run-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    port_ = std::to_string(server_->port());
    jtl_ = (dir_ / "out.jtl").string();
    db_ = (dir_ / "results.db").string();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Writes `content` to a file in the test's directory and returns its path.
  std::string Write(const std::string& name, std::string_view content) {
    fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    EXPECT_TRUE(out.good()) << path;
    return path.string();
  }

  static std::vector<std::string> Barrage(std::vector<std::string> args) {
    args.insert(args.begin(), BARRAGE_BINARY);
    return args;
  }

  // Pumps the child's output until `condition` holds; false when the child exits first or
  // `limit` passes (polling the condition every 10 ms, the child's output waking it sooner).
  static bool WaitUntil(ChildProcess& child, const std::function<bool()>& condition,
                        milliseconds limit = milliseconds(10'000)) {
    const steady_clock::time_point deadline = steady_clock::now() + limit;
    while (!condition()) {
      if (steady_clock::now() >= deadline) return false;
      if (!child.Pump(milliseconds(10))) return condition();
    }
    return true;
  }

  // The 12-sample run (TwelveSamplePlan) as it must always end: `r` is its process result,
  // `jtl` and `db` the files it wrote, `jtl_arg`/`db_arg` how the command line named them.
  void ExpectTwelveSampleRun(const ProcessResult& r, const fs::path& jtl, const fs::path& db,
                             const std::string& plan_arg, const std::string& jtl_arg, const std::string& db_arg) {
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");

    const std::map<std::string, std::vector<std::string>> expected_labels = {
        {"Users 1-1", {"Home", "Hello", "Home", "Hello", "Home", "Hello"}},
        {"Users 1-2", {"Home", "Hello", "Home", "Hello", "Home", "Hello"}},
    };
    const std::string base = server_->base_url();

    std::vector<std::string> jtl_lines = Lines(ReadFile(jtl));
    ASSERT_EQ(jtl_lines.size(), 13u) << ReadFile(jtl);
    EXPECT_EQ(jtl_lines[0], kJtlHeader);
    std::vector<Sample> rows = JtlSamples(jtl);
    ASSERT_EQ(rows.size(), 12u);
    EXPECT_EQ(LabelsByThread(rows), expected_labels);
    for (const Sample& s : rows) {
      SCOPED_TRACE(s.thread_name + " " + s.label);
      EXPECT_EQ(s.response_code, "200");
      EXPECT_EQ(s.response_message, "OK");
      EXPECT_TRUE(s.success);
      EXPECT_EQ(s.failure_message, "");
      EXPECT_EQ(s.data_type, "text");
      EXPECT_EQ(s.url, base + (s.label == "Home" ? "/" : "/hello.txt"));
    }

    StoreContents store = ReadStore(db);
    ASSERT_EQ(store.executions.size(), 1u);
    const ExecutionRecord& execution = store.executions[0];
    EXPECT_EQ(execution.id, 1);
    EXPECT_EQ(ExecutionStatusName(execution.status), "passed");
    EXPECT_EQ(execution.plan_path, plan_arg);
    EXPECT_EQ(execution.plan_name, "T");
    EXPECT_TRUE(execution.ended_at_ms.has_value());
    EXPECT_EQ(store.counted, 12);
    EXPECT_EQ(LabelsByThread(store.samples), expected_labels);

    // stdout: "started", the summariser's total, then the Aggregate Report and the verdict.
    std::vector<std::string> out = Lines(r.out);
    ASSERT_GE(out.size(), 6u) << r.out;
    EXPECT_EQ(out.front(), "barrage: run 1 of " + plan_arg + " started");
    EXPECT_EQ(out.back(), FinalLine(1, "passed", 12, jtl_arg, db_arg));
    auto header = std::find_if(out.begin(), out.end(), [](const std::string& l) { return l.rfind("Label ", 0) == 0; });
    ASSERT_NE(header, out.end()) << r.out;
    EXPECT_EQ(Fields(*header).at(1), "#");  // "# Samples"
    std::vector<std::pair<std::string, std::string>> table;
    for (auto it = header + 1; it + 1 != out.end(); ++it) {
      std::vector<std::string> f = Fields(*it);
      table.emplace_back(f.at(0), f.at(1));
    }
    EXPECT_EQ(table, (std::vector<std::pair<std::string, std::string>>{{"Home", "6"}, {"Hello", "6"}, {"TOTAL", "12"}}))
        << r.out;

    EXPECT_EQ(server_->requests(), 12u);
    EXPECT_EQ(server_->requests("/"), 6u);
    EXPECT_EQ(server_->requests("/hello.txt"), 6u);
  }

  fs::path dir_;
  std::unique_ptr<fixture::FixtureServer> server_;
  std::string port_;
  std::string jtl_;
  std::string db_;
};

// --- a plan that runs to its end ---------------------------------------------------------

TEST_F(RunCliTest, TwoThreadsThreeLoopsTwoSamplersWriteTwelveSamplesEverywhere) {
  std::string plan = Write("plan.jmx", TwelveSamplePlan(port_));
  ProcessResult r = RunProcess(Barrage({"run", plan, "-l", jtl_, "--db", db_}), kTimeout);
  ExpectTwelveSampleRun(r, jtl_, db_, plan, jtl_, db_);
}

TEST_F(RunCliTest, JMeterNonGuiSpellingRunsTheSamePlan) {
  Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  // As in a JMeter working directory: relative names, the store at its default place.
  ProcessResult r = RunProcess(Barrage({"-n", "-t", "plan.jmx", "-l", "out.jtl", "-Jport=" + port_}), kTimeout,
                               SpawnOptions{.cwd = dir_.string()});
  ExpectTwelveSampleRun(r, dir_ / "out.jtl", dir_ / "barrage.db", "plan.jmx", "out.jtl", "barrage.db");
}

// Regression: long options took their own name's tail as the value (the plan was "testfile").
TEST_F(RunCliTest, JMeterLongOptionsTakeTheNextArgument) {
  Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  ProcessResult r =
      RunProcess(Barrage({"--nongui", "--testfile", "plan.jmx", "--logfile", "out.jtl", "-Jport=" + port_}), kTimeout,
                 SpawnOptions{.cwd = dir_.string()});
  ExpectTwelveSampleRun(r, dir_ / "out.jtl", dir_ / "barrage.db", "plan.jmx", "out.jtl", "barrage.db");
}

TEST_F(RunCliTest, PropertyFileSetsProperties) {
  std::string plan = Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  std::string properties = Write("run.properties", "# the fixture\nport=" + port_ + "\n");
  ProcessResult r = RunProcess(Barrage({"run", plan, "-q", properties, "-l", jtl_, "--db", db_}), kTimeout);
  ExpectTwelveSampleRun(r, jtl_, db_, plan, jtl_, db_);
}

TEST_F(RunCliTest, CommandLinePropertyOverridesThePropertyFile) {
  std::string plan = Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  std::string properties = Write("run.properties", "port=1\n");  // nothing listens there
  ProcessResult r =
      RunProcess(Barrage({"run", plan, "-q", properties, "-J", "port=" + port_, "-l", jtl_, "--db", db_}), kTimeout);
  ExpectTwelveSampleRun(r, jtl_, db_, plan, jtl_, db_);
}

// Each -J takes one value, so options may come before the plan as well as after it.
TEST_F(RunCliTest, PropertyBeforeThePlanTakesOneValue) {
  std::string plan = Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  ProcessResult r = RunProcess(Barrage({"run", "-J", "port=" + port_, plan, "-l", jtl_, "--db", db_}), kTimeout);
  ExpectTwelveSampleRun(r, jtl_, db_, plan, jtl_, db_);
}

// JMeter's properties have the system properties (-D) as defaults: __P sees them, -J wins.
TEST_F(RunCliTest, SystemPropertyIsAPropertyDefault) {
  Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  ProcessResult r = RunProcess(Barrage({"-n", "-t", "plan.jmx", "-l", "out.jtl", "-Dport=" + port_}), kTimeout,
                               SpawnOptions{.cwd = dir_.string()});
  ExpectTwelveSampleRun(r, dir_ / "out.jtl", dir_ / "barrage.db", "plan.jmx", "out.jtl", "barrage.db");
}

TEST_F(RunCliTest, CommandLinePropertyOverridesASystemProperty) {
  std::string plan = Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  ProcessResult r =
      RunProcess(Barrage({"run", plan, "-J", "port=" + port_, "-D", "port=1", "-l", jtl_, "--db", db_}), kTimeout);
  ExpectTwelveSampleRun(r, jtl_, db_, plan, jtl_, db_);
}

TEST_F(RunCliTest, MissingKeystoreStopsTheRunNamingTheProperty) {
  std::string plan = Write("plan.jmx", TwelveSamplePlan(port_));
  ProcessResult r = RunProcess(Barrage({"-n", "-t", "plan.jmx", "-l", "out.jtl", "-Djavax.net.ssl.keyStore=none.p12"}),
                               kTimeout, SpawnOptions{.cwd = dir_.string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("keystore none.p12 (javax.net.ssl.keyStore): "), std::string::npos) << r.err;
  EXPECT_EQ(server_->requests(), 0u);
}

TEST_F(RunCliTest, PropertyWithoutEqualsSignIsAUsageErrorNamingIt) {
  Write("plan.jmx", TwelveSamplePlan("${__P(port,1)}"));
  struct Case {
    std::string spelling;
    std::vector<std::string> args;
  };
  const Case cases[] = {
      {"barrage run", {"run", "plan.jmx", "-J", "port", "-l", "out.jtl", "--db", "results.db"}},
      {"JMeter's", {"-n", "-t", "plan.jmx", "-Jport", "-l", "out.jtl"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spelling);
    ProcessResult r = RunProcess(Barrage(c.args), kTimeout, SpawnOptions{.cwd = dir_.string()});
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "barrage: -Jport: expected name=value\n");
  }
  // Rejected before anything ran or was written.
  EXPECT_EQ(server_->requests(), 0u);
  EXPECT_FALSE(fs::exists(dir_ / "out.jtl"));
  EXPECT_FALSE(fs::exists(dir_ / "results.db"));
  EXPECT_FALSE(fs::exists(dir_ / "barrage.db"));
}

// --- plans that cannot run ---------------------------------------------------------------

std::string PlanWithJdbcSampler(const std::string& port) {
  return PlanXml(
      port,
      Users(1, 1, Http("Home", "/") + El("JDBCSampler", "Query", Str("dataSource", "db") + Str("query", "select 1"))));
}

// 1 + the number of newlines before the first `needle`.
int LineOf(const std::string& text, std::string_view needle) {
  size_t pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

TEST_F(RunCliTest, UnsupportedElementIsAPlanErrorAndNothingRuns) {
  std::string xml = PlanWithJdbcSampler(port_);
  std::string plan = Write("plan.jmx", xml);
  ProcessResult r = RunProcess(Barrage({"run", plan, "-l", jtl_, "--db", db_}), kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, plan + ":" + std::to_string(LineOf(xml, "<JDBCSampler")) +
                       ": unsupported: JDBCSampler 'Query'\n"
                       "barrage: " +
                       plan +
                       ": the plan cannot run (pass --skip-unsupported to run without the "
                       "unsupported elements)\n");
  EXPECT_FALSE(fs::exists(jtl_));
  EXPECT_FALSE(fs::exists(db_));
  EXPECT_EQ(server_->requests(), 0u);
}

TEST_F(RunCliTest, SkipUnsupportedRunsThePlanWithoutTheElement) {
  std::string plan = Write("plan.jmx", PlanWithJdbcSampler(port_));
  ProcessResult r = RunProcess(Barrage({"run", plan, "--skip-unsupported", "-l", jtl_, "--db", db_}), kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "barrage: skipping 1 unsupported element(s)\n");
  std::vector<Sample> rows = JtlSamples(jtl_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].label, "Home");
  EXPECT_EQ(rows[0].thread_name, "Users 1-1");
  EXPECT_EQ(rows[0].response_code, "200");
  EXPECT_TRUE(rows[0].success);
  StoreContents store = ReadStore(db_);
  ASSERT_EQ(store.executions.size(), 1u);
  EXPECT_EQ(ExecutionStatusName(store.executions[0].status), "passed");
  EXPECT_EQ(store.counted, 1);
  EXPECT_EQ(Lines(r.out).back(), FinalLine(1, "passed", 1, jtl_, db_));
  EXPECT_EQ(server_->requests(), 1u);
}

TEST_F(RunCliTest, MissingCsvDataSetFileIsAPlanErrorNamingTheFile) {
  std::string xml = PlanXml(port_, El("CSVDataSet", "Accounts",
                                      Str("filename", "accounts.csv") + Str("variableNames", "user") +
                                          Str("delimiter", ",") + Str("fileEncoding", "UTF-8")) +
                                       Users(1, 1, Http("Home", "/?user=${user}")));
  std::string plan = Write("plan.jmx", xml);
  ProcessResult r = RunProcess(Barrage({"run", plan, "-l", jtl_, "--db", db_}), kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + plan + ": CSV Data Set 'Accounts' (line " +
                       std::to_string(LineOf(xml, "<CSVDataSet")) + "): " + (dir_ / "accounts.csv").string() +
                       ": no such file\n");
  EXPECT_EQ(server_->requests(), 0u);
  // Checked before anything is recorded: no JTL, no execution in the store.
  EXPECT_FALSE(fs::exists(jtl_));
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(RunCliTest, MissingPlanFileIsAUsageError) {
  std::string plan = (dir_ / "no-such-plan.jmx").string();
  ProcessResult r = RunProcess(Barrage({"run", plan, "-l", jtl_, "--db", db_}), kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + plan + ": no such file\n");
  EXPECT_FALSE(fs::exists(jtl_));
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(RunCliTest, UnreadableXmlIsAUsageErrorAtItsLine) {
  std::string plan = Write("plan.jmx",
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n"
                           "  <hashTree>\n"
                           "    <TestPlan testclass=\"TestPlan\" testname=\"unterminated>\n"
                           "    </TestPlan>\n"
                           "    <hashTree/>\n"
                           "  </hashTree>\n"
                           "</jmeterTestPlan>\n");
  ProcessResult r = RunProcess(Barrage({"run", plan, "-l", jtl_, "--db", db_}), kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + plan + ":4: invalid XML: XML_ERROR_PARSING_ATTRIBUTE: XMLElement name=TestPlan\n");
  EXPECT_FALSE(fs::exists(jtl_));
  EXPECT_FALSE(fs::exists(db_));
}

// --- stopping an endless plan ------------------------------------------------------------

// The three records of one run agree: JTL rows, samples in the store, requests served.
// Returns the JTL's row count.
size_t ExpectJtlStoreAndServerAgree(const fs::path& jtl, const fs::path& db, const fixture::FixtureServer& server,
                                    std::string_view status) {
  std::vector<Sample> rows = JtlSamples(jtl);
  StoreContents store = ReadStore(db);
  EXPECT_EQ(store.executions.size(), 1u);
  if (!store.executions.empty()) {
    EXPECT_EQ(ExecutionStatusName(store.executions[0].status), status);
  }
  EXPECT_EQ(static_cast<int64_t>(rows.size()), store.counted);
  EXPECT_EQ(store.samples.size(), rows.size());
  EXPECT_EQ(server.requests(), rows.size());
  return rows.size();
}

TEST_F(RunCliTest, DurationStopsAnEndlessPlanAfterOneSecondKeepingEverySample) {
  std::string plan = Write("plan.jmx", PlanXml(port_, Users(2, -1, Http("Hello", "/hello.txt"))));
  const steady_clock::time_point start = steady_clock::now();
  ProcessResult r = RunProcess(Barrage({"run", plan, "--duration", "1", "--quiet", "-l", jtl_, "--db", db_}), kTimeout);
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_GE(took.count(), 1000);
  EXPECT_LT(took.count(), 4000);
  size_t samples = ExpectJtlStoreAndServerAgree(jtl_, db_, *server_, "passed");
  EXPECT_GT(samples, 0u);
  EXPECT_EQ(Lines(r.out).back(), FinalLine(1, "passed", static_cast<int64_t>(samples), jtl_, db_));
}

TEST_F(RunCliTest, OneSigintStopsGracefullyAndKeepsEverySample) {
  // 200 ms requests: when the signal arrives, one is in flight on each thread.
  std::string plan = Write("plan.jmx", PlanXml(port_, Users(2, -1, Http("Slow", "/delay/200"))));
  ChildProcess child(Barrage({"run", plan, "--quiet", "-l", jtl_, "--db", db_}));
  ASSERT_TRUE(child.running());
  // The third request has just reached the server: both threads are in the middle of one.
  ASSERT_TRUE(WaitUntil(child, [&] { return server_->requests() >= 3; })) << "served " << server_->requests() << "\n"
                                                                          << child.err();
  const steady_clock::time_point signalled = steady_clock::now();
  ASSERT_TRUE(child.Signal(SIGINT));
  ProcessResult r = child.Wait(kTimeout);
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - signalled);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, kGracefulStopMessage);
  EXPECT_LT(took.count(), 3000);  // the in-flight requests need 200 ms
  size_t samples = ExpectJtlStoreAndServerAgree(jtl_, db_, *server_, "aborted");
  EXPECT_GE(samples, 3u);
  EXPECT_EQ(server_->requests("/delay/200"), samples);
  EXPECT_EQ(Lines(r.out).back(), FinalLine(1, "aborted", static_cast<int64_t>(samples), jtl_, db_));
}

TEST_F(RunCliTest, SecondSigintAbortsInFlightRequestsAndKeepsEverySample) {
  // Each thread records a Hello, then waits on a 10 s request: a graceful stop would wait
  // for it (up to --stop-timeout); stopping now aborts it and records it as an error.
  std::string plan =
      Write("plan.jmx", PlanXml(port_, Users(2, 1, Http("Hello", "/hello.txt") + Http("Slow", "/delay/10000"))));
  ChildProcess child(Barrage({"run", plan, "--quiet", "-l", jtl_, "--db", db_}));
  ASSERT_TRUE(child.running());
  ASSERT_TRUE(WaitUntil(child, [&] { return server_->requests("/delay/10000") >= 2; }))
      << "served " << server_->requests() << "\n"
      << child.err();
  const steady_clock::time_point signalled = steady_clock::now();
  ASSERT_TRUE(child.Signal(SIGINT));
  // Signals of one kind do not queue: the second must come after the first was handled.
  ASSERT_TRUE(WaitUntil(child, [&] { return child.err().find("stopping gracefully") != std::string::npos; }))
      << child.err();
  ASSERT_TRUE(child.Signal(SIGINT));
  ProcessResult r = child.Wait(kTimeout);
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - signalled);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, std::string(kGracefulStopMessage) +
                       "barrage: stopping now\n"
                       "barrage: 2 request(s) in flight aborted, recorded as errors\n");
  EXPECT_LT(took.count(), 3000);  // not the 5 s of the graceful bound, not the 10 s requests
  // Every request is a sample, in the JTL and in the store alike: the Hellos recorded
  // before the stop, the aborted requests as errors.
  size_t samples = ExpectJtlStoreAndServerAgree(jtl_, db_, *server_, "aborted");
  EXPECT_EQ(samples, 4u);
  const std::map<std::string, std::vector<std::string>> expected_labels = {{"Users 1-1", {"Hello", "Slow"}},
                                                                           {"Users 1-2", {"Hello", "Slow"}}};
  EXPECT_EQ(LabelsByThread(JtlSamples(jtl_)), expected_labels);
  EXPECT_EQ(LabelsByThread(ReadStore(db_).samples), expected_labels);
  for (const Sample& s : ReadStore(db_).samples) {
    if (s.label == "Hello") {
      EXPECT_TRUE(s.success);
    } else {
      ExpectAborted(s, "Slow", server_->base_url() + "/delay/10000");
    }
  }
  EXPECT_EQ(Lines(r.out).back(), FinalLine(1, "aborted", 4, jtl_, db_, 2));
}

// --- trickling targets: every stop bounds the requests in flight ---------------------

struct TrickleCase {
  std::string what;
  std::string domain;  // 127.0.0.1: the engine's own HTTP/1.1 path; localhost: libcurl
  std::string path;
};

const TrickleCase kTrickleCases[] = {
    {"headers at 1 byte/s, own HTTP path", "127.0.0.1", "/trickle/headers"},
    {"body at 1 byte/s, own HTTP path", "127.0.0.1", "/trickle/body"},
    {"endless body, libcurl", "localhost", "/trickle/endless"},
    {"headers at 1 byte/s, libcurl", "localhost", "/trickle/headers"},
};

TEST_F(RunCliTest, DurationAbortsTricklingRequestsAtTheStopTimeoutAndRecordsThem) {
  for (const TrickleCase& c : kTrickleCases) {
    SCOPED_TRACE(c.what);
    server_->ResetStats();
    fs::remove(jtl_);
    fs::remove(db_);
    std::string plan = Write("plan.jmx", PlanXml(port_, Users(1, -1, HttpTo("Slow", c.domain, c.path))));
    const steady_clock::time_point start = steady_clock::now();
    ProcessResult r = RunProcess(
        Barrage({"run", plan, "--duration", "1", "--stop-timeout", "1", "--quiet", "-l", jtl_, "--db", db_}), kTimeout);
    const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err,
              "barrage: the graceful stop took longer than 1 s: stopped now\n"
              "barrage: 1 request(s) in flight aborted, recorded as errors\n");
    // --duration 1, then 1 s of graceful stop; 1 s of slack for start-up and the report.
    EXPECT_GE(took.count(), 2000);
    EXPECT_LT(took.count(), 3000);
    EXPECT_EQ(ExpectJtlStoreAndServerAgree(jtl_, db_, *server_, "passed"), 1u);
    std::vector<Sample> rows = JtlSamples(jtl_);
    ASSERT_EQ(rows.size(), 1u);
    ExpectAborted(rows[0], "Slow", "http://" + c.domain + ":" + port_ + c.path);
    // Aborted 2 s after the run began; the request began a few ms after the run (ms in the JTL).
    EXPECT_GE(rows[0].elapsed_us, 1'900'000);
    EXPECT_LE(rows[0].elapsed_us, 2'500'000);
    EXPECT_EQ(Lines(r.out).back(), FinalLine(1, "passed", 1, jtl_, db_, 1));
  }
}

TEST_F(RunCliTest, OneSigtermStopsATricklingRunWithinTheStopTimeout) {
  for (const std::string domain : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(domain);
    server_->ResetStats();
    fs::remove(jtl_);
    fs::remove(db_);
    std::string plan =
        Write("plan.jmx",
              PlanXml(port_, Users(1, -1, Http("Hello", "/hello.txt") + HttpTo("Slow", domain, "/trickle/body"))));
    ChildProcess child(Barrage({"run", plan, "--stop-timeout", "1", "--quiet", "-l", jtl_, "--db", db_}));
    ASSERT_TRUE(child.running());
    ASSERT_TRUE(WaitUntil(child, [&] { return server_->requests("/trickle/body") >= 1; }))
        << "served " << server_->requests() << "\n"
        << child.err();
    const steady_clock::time_point signalled = steady_clock::now();
    ASSERT_TRUE(child.Signal(SIGTERM));
    ProcessResult r = child.Wait(kTimeout);
    const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - signalled);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.term_signal, 0);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err,
              "\nbarrage: stopping gracefully (Ctrl-C again to stop now; requests still in flight after 1 s "
              "are aborted)\n"
              "barrage: the graceful stop took longer than 1 s: stopped now\n"
              "barrage: 1 request(s) in flight aborted, recorded as errors\n");
    EXPECT_GE(took.count(), 1000);
    EXPECT_LT(took.count(), 2000);
    EXPECT_EQ(ExpectJtlStoreAndServerAgree(jtl_, db_, *server_, "aborted"), 2u);
    std::vector<Sample> rows = JtlSamples(jtl_);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].label, "Hello");
    EXPECT_TRUE(rows[0].success);
    ExpectAborted(rows[1], "Slow", "http://" + domain + ":" + port_ + "/trickle/body");
    EXPECT_EQ(Lines(r.out).back(), FinalLine(1, "aborted", 2, jtl_, db_, 1));
  }
}

// --- signals before the run -----------------------------------------------------------

// A FIFO or device as the plan is refused before it is read (files_cli_test); what can
// still block a run before it starts is the store's write lock, held by another process
// (it waits up to the store's lock timeout, 30 s). A signal then ends the command at once.
TEST_F(RunCliTest, SigtermWhileWaitingForTheStoresWriteLockEndsTheCommandAtOnce) {
  std::string plan = Write("plan.jmx", PlanXml(port_, Users(1, 1, Http("Hello", "/hello.txt"))));
  ProcessResult first = RunProcess(Barrage({"run", plan, "--quiet", "--db", db_}), kTimeout);
  ASSERT_EQ(first.exit_code, 0) << first.err;

  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &holder), SQLITE_OK);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> close_holder(holder, sqlite3_close);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(holder);

  ChildProcess child(Barrage({"run", plan, "--quiet", "--db", db_}));
  ASSERT_TRUE(child.running());
  // Once the command has the store open it is past its first step (the signal watcher)
  // and about to wait for the write lock.
  const fs::path canonical_db = fs::canonical(db_);
  auto has_store_open = [&] {
    std::error_code ec;
    for (const fs::directory_entry& fd : fs::directory_iterator("/proc/" + std::to_string(child.pid()) + "/fd", ec)) {
      std::error_code link_ec;
      if (fs::read_symlink(fd.path(), link_ec) == canonical_db) return true;
    }
    return false;
  };
  ASSERT_TRUE(WaitUntil(child, has_store_open)) << child.err();
  const steady_clock::time_point signalled = steady_clock::now();
  ASSERT_TRUE(child.Signal(SIGTERM));
  ProcessResult r = child.Wait(milliseconds(2000));
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - signalled);
  ASSERT_FALSE(r.timed_out) << "still waiting 2 s after SIGTERM";
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "\nbarrage: interrupted by SIGTERM before the run started\n");
  EXPECT_LT(took.count(), 1000);
  ASSERT_EQ(sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);

  // Nothing was recorded: the store still holds the first run only.
  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<std::vector<ExecutionRecord>> runs = store->ListExecutions();
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  EXPECT_EQ(runs->size(), 1u);
  EXPECT_TRUE(store->Close().ok());
}

// --- the live summary --------------------------------------------------------------------

TEST_F(RunCliTest, SummaryIntervalPrintsLiveLinesAndOneTotal) {
  // 25 x 120 ms: about 3 s, so at least one interval ends during the run.
  std::string plan = Write("plan.jmx", PlanXml(port_, Users(1, 25, Http("Slow", "/delay/120"))));
  ProcessResult r = RunProcess(Barrage({"run", plan, "--summary-interval", "1", "-l", jtl_, "--db", db_}), kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> plus;
  std::vector<std::string> total;
  for (const std::string& line : Lines(r.out)) {
    if (line.rfind("summary + ", 0) == 0) plus.push_back(line);
    if (line.rfind("summary = ", 0) == 0) total.push_back(line);
  }
  ASSERT_GE(plus.size(), 1u) << r.out;
  ASSERT_EQ(total.size(), 1u) << r.out;
  EXPECT_EQ(SummaryCount(total[0]), 25) << total[0];
  int64_t plus_sum = 0;
  for (const std::string& line : plus) plus_sum += SummaryCount(line);
  EXPECT_EQ(plus_sum, 25) << r.out;
  EXPECT_EQ(JtlSamples(jtl_).size(), 25u);
  EXPECT_EQ(server_->requests(), 25u);
}

}  // namespace
}  // namespace barrage
