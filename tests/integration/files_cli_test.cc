// The files the commands read and write, as a careless operator names them: the real
// `barrage` and `barrage-worker` binaries given the results store as an output, a plan
// that is /dev/zero, a FIFO or 64 MiB of nothing, a directory as --thresholds, -q or
// --config, an empty file as --db, and a JTL with impossible values. Every case asserts
// the exit code, the exact message, and that nothing was touched. No case sends traffic:
// each is refused before any load (the plans point at 127.0.0.1:1).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/input_file.h"
#include "tests/controller/temp_dir.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A refusal takes milliseconds; the limit only bounds a hang (a FIFO read blocks forever).
constexpr milliseconds kTimeout{10'000};

const char kJtl[] =
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
    "sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
    "1795705931651,73,hello,200,OK,tg 1-2,text,true,,331,118,3,5,http://127.0.0.1:8080/hello.txt,72,0,1\n"
    "1795705931700,12,hello,200,OK,tg 1-1,text,true,,331,118,3,5,http://127.0.0.1:8080/hello.txt,11,0,1\n";

// One thread, one request to 127.0.0.1:1, reading users.csv.
const char kPlan[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
    "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n"
    "<CSVDataSet testclass=\"CSVDataSet\" testname=\"Users\" enabled=\"true\">\n"
    "<stringProp name=\"filename\">users.csv</stringProp>\n"
    "<stringProp name=\"variableNames\">user</stringProp>\n"
    "<stringProp name=\"delimiter\">,</stringProp>\n"
    "</CSVDataSet>\n<hashTree/>\n"
    "<ThreadGroup testclass=\"ThreadGroup\" testname=\"Users\" enabled=\"true\">\n"
    "<stringProp name=\"ThreadGroup.num_threads\">1</stringProp>\n"
    "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n"
    "<stringProp name=\"LoopController.loops\">1</stringProp>\n</elementProp>\n"
    "</ThreadGroup>\n<hashTree>\n"
    "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"Home\" enabled=\"true\">\n"
    "<stringProp name=\"HTTPSampler.domain\">127.0.0.1</stringProp>\n"
    "<stringProp name=\"HTTPSampler.port\">1</stringProp>\n"
    "<stringProp name=\"HTTPSampler.path\">/?u=${user}</stringProp>\n"
    "</HTTPSamplerProxy>\n<hashTree/>\n"
    "</hashTree>\n</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";

class FilesCliTest : public testing::Test {
 protected:
  test::ProcessResult Barrage(std::vector<std::string> args) {
    args.insert(args.begin(), BARRAGE_BINARY);
    return test::RunProcess(args, kTimeout);
  }

  // A store holding run 1 (two samples imported from a JTL).
  std::string MakeStore() {
    WriteWholeFile(dir_.File("in.jtl"), kJtl);
    test::ProcessResult r = Barrage({"import", dir_.File("in.jtl"), "--db", db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ReadWholeFile(db_);
  }

  // The plan, its data file, a property file and a thresholds file, all in dir_.
  void MakeRunInputs() {
    WriteWholeFile(plan_, kPlan);
    WriteWholeFile(csv_, "alice\nbob\n");
    WriteWholeFile(props_, "x=1\n");
    WriteWholeFile(thresholds_, "[[threshold]]\nexpr = \"error_rate<1\"\n");
  }

  std::string MakeFifo(const std::string& name) {
    const std::string path = dir_.File(name);
    EXPECT_EQ(mkfifo(path.c_str(), 0600), 0);
    return path;
  }

  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_.File(""))) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir dir_;
  const std::string db_ = dir_.File("r.db");
  const std::string plan_ = dir_.File("plan.jmx");
  const std::string csv_ = dir_.File("users.csv");
  const std::string props_ = dir_.File("user.properties");
  const std::string thresholds_ = dir_.File("thresholds.toml");
};

// --- item 2: outputs never destroy the store or an input ------------------------------

TEST_F(FilesCliTest, ExportOntoTheStoreIsRefusedAndTheStoreIsIntact) {
  const std::string before = MakeStore();
  test::ProcessResult r = Barrage({"export", "1", "--db", db_, "-o", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: cannot write the JTL to " + db_ + ": it is the results store (" + db_ + ")\n");
  EXPECT_EQ(ReadWholeFile(db_), before);
  test::ProcessResult runs = Barrage({"runs", "--db", db_});
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
}

TEST_F(FilesCliTest, ExportOntoTheStoresWalShmOrJournalIsRefused) {
  const std::string before = MakeStore();
  for (std::string suffix : {"-wal", "-shm", "-journal"}) {
    test::ProcessResult r = Barrage({"export", "1", "--db", db_, "-o", db_ + suffix});
    EXPECT_EQ(r.exit_code, 2) << suffix;
    EXPECT_NE(r.err.find("barrage: cannot write the JTL to " + db_ + suffix + ": it is the results store's "),
              std::string::npos)
        << r.err;
  }
  EXPECT_EQ(ReadWholeFile(db_), before);
  EXPECT_EQ(Barrage({"export", "1", "--db", db_, "-o", "-"}).out, kJtl);
}

TEST_F(FilesCliTest, ReportOntoTheStoreIsRefusedInEveryFormatAndUnderAnotherName) {
  const std::string before = MakeStore();
  fs::create_hard_link(db_, dir_.File("hard.csv"));
  fs::create_symlink(db_, dir_.File("soft.html"));
  for (std::string format : {"text", "csv", "json", "junit", "html"}) {
    for (const std::string& out : {db_, dir_.File("hard.csv"), dir_.File("soft.html")}) {
      test::ProcessResult r = Barrage({"report", "1", "--db", db_, "--format", format, "-o", out});
      EXPECT_EQ(r.exit_code, 2) << format << " " << out;
      EXPECT_EQ(r.err, "barrage: cannot write the report to " + out + ": it is the results store (" + db_ + ")\n");
    }
  }
  EXPECT_EQ(ReadWholeFile(db_), before);
  EXPECT_TRUE(fs::is_symlink(dir_.File("soft.html")));
}

TEST_F(FilesCliTest, ReportOntoItsThresholdsFileIsRefused) {
  MakeStore();
  WriteWholeFile(thresholds_, "[[threshold]]\nexpr = \"error_rate<1\"\n");
  test::ProcessResult r =
      Barrage({"report", "1", "--db", db_, "--thresholds", thresholds_, "--format", "junit", "-o", thresholds_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: cannot write the report to " + thresholds_ + ": it is the thresholds file (" +
                       thresholds_ + ")\n");
  EXPECT_EQ(ReadWholeFile(thresholds_), "[[threshold]]\nexpr = \"error_rate<1\"\n");
}

TEST_F(FilesCliTest, ExportAndReportRefuseThePlanAndTheJtlTheRunWasMadeFrom) {
  WriteWholeFile(dir_.File("in.jtl"), kJtl);
  WriteWholeFile(plan_, kPlan);
  ASSERT_EQ(Barrage({"import", dir_.File("in.jtl"), "--plan", plan_, "--db", db_}).exit_code, 0);
  test::ProcessResult e = Barrage({"export", "1", "--db", db_, "-o", dir_.File("in.jtl")});
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_EQ(e.err, "barrage: cannot write the JTL to " + dir_.File("in.jtl") +
                       ": it is the JTL run 1 was imported from (" + dir_.File("in.jtl") + ")\n");
  test::ProcessResult r = Barrage({"report", "1", "--db", db_, "--format", "html", "-o", plan_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: cannot write the report to " + plan_ + ": it is the plan of run 1 (" + plan_ + ")\n");
  EXPECT_EQ(ReadWholeFile(dir_.File("in.jtl")), kJtl);
  EXPECT_EQ(ReadWholeFile(plan_), kPlan);
}

TEST_F(FilesCliTest, ExportAndReportReplaceAnOldFileWholeAndLeaveNoTemporaryFile) {
  MakeStore();
  WriteWholeFile(dir_.File("out.jtl"), "old\n");
  WriteWholeFile(dir_.File("out.csv"), "old\n");
  test::ProcessResult e = Barrage({"export", "1", "--db", db_, "-o", dir_.File("out.jtl")});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(ReadWholeFile(dir_.File("out.jtl")), kJtl);
  test::ProcessResult r = Barrage({"report", "1", "--db", db_, "--format", "csv", "-o", dir_.File("out.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadWholeFile(dir_.File("out.csv")), Barrage({"report", "1", "--db", db_, "--format", "csv"}).out);
  EXPECT_EQ(Entries(), (std::vector<std::string>{"in.jtl", "out.csv", "out.jtl", "r.db"}));
}

// A write that fails half-way (a full filesystem: a 16 KiB tmpfs mounted in a user and
// mount namespace of the shell that runs barrage) leaves the previous file as it was.
TEST_F(FilesCliTest, ExportAndReportThatRunOutOfSpaceLeaveTheOldFileIntact) {
  const std::string unshare = "/usr/bin/unshare";
  if (!fs::exists(unshare) || test::RunProcess({unshare, "-rm", "/bin/true"}, kTimeout).exit_code != 0) {
    GTEST_SKIP() << "no user namespaces (unshare -rm) to mount a small tmpfs in";
  }
  std::string jtl = std::string(kJtl);
  for (int i = 0; i < 300; ++i) {  // ~30 KB of JTL, ~15 KB of HTML report
    jtl += std::to_string(1795705932000 + i) + ",7,row,200,OK,tg 1-1,text,true,,331,118,3,5,null,6,0,1\n";
  }
  WriteWholeFile(dir_.File("in.jtl"), jtl);
  ASSERT_EQ(Barrage({"import", dir_.File("in.jtl"), "--db", db_}).exit_code, 0);
  fs::create_directory(dir_.File("full"));
  const std::string full = dir_.File("full");
  const std::vector<std::vector<std::string>> commands = {{"export", "1", "-o", full + "/out"},
                                                          {"report", "1", "--format", "html", "-o", full + "/out"}};
  for (const std::vector<std::string>& args : commands) {
    const std::string script = R"(d=$1; shift
mount -t tmpfs -o size=16k tmpfs "$d" || exit 99
echo old > "$d/out"
"$@"
echo "exit $?"
cat "$d/out"
ls -a "$d")";
    std::vector<std::string> argv = {unshare, "-rm", "/bin/sh", "-c", script, "sh", full, BARRAGE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--db", db_});
    test::ProcessResult r = test::RunProcess(argv, kTimeout);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.out, "exit 1\nold\n.\n..\nout\n") << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  }
}

TEST_F(FilesCliTest, RunRefusesAJtlThatIsOneOfItsInputsOrTheStore) {
  MakeRunInputs();
  struct Case {
    std::string jtl, what;
  };
  const std::vector<Case> cases = {
      {plan_, "the plan (" + plan_ + ")"},
      {csv_, "a data file of the plan (" + csv_ + ")"},
      {props_, "a property file (" + props_ + ")"},
      {thresholds_, "the thresholds file (" + thresholds_ + ")"},
      {db_ + "-wal", "the results store's write-ahead log (" + db_ + "-wal)"},
  };
  for (const Case& c : cases) {
    const std::string before = ReadWholeFile(c.jtl);
    test::ProcessResult r =
        Barrage({"run", plan_, "-q", props_, "--thresholds", thresholds_, "--db", db_, "-l", c.jtl, "--quiet"});
    EXPECT_EQ(r.exit_code, 2) << c.jtl;
    EXPECT_EQ(r.err, "barrage: cannot write the JTL to " + c.jtl + ": it is " + c.what + "\n");
    EXPECT_EQ(ReadWholeFile(c.jtl), before) << c.jtl;
    EXPECT_FALSE(fs::exists(db_));
  }
  const std::string before = MakeStore();
  test::ProcessResult r = Barrage({"run", plan_, "--db", db_, "-l", db_, "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: cannot write the JTL to " + db_ + ": it is the results store (" + db_ + ")\n");
  EXPECT_EQ(ReadWholeFile(db_), before);
}

TEST_F(FilesCliTest, RunRefusesAStoreThatIsOneOfItsInputs) {
  MakeRunInputs();
  test::ProcessResult r = Barrage({"run", plan_, "--db", csv_, "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage: cannot write the results store to " + csv_ + ": it is a data file of the plan (" + csv_ + ")\n");
  EXPECT_EQ(ReadWholeFile(csv_), "alice\nbob\n");
}

TEST_F(FilesCliTest, ImportRefusesAStoreThatIsTheJtlBeingImported) {
  WriteWholeFile(dir_.File("in.jtl"), kJtl);
  test::ProcessResult r = Barrage({"import", dir_.File("in.jtl"), "--db", dir_.File("in.jtl")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: cannot write the results store to " + dir_.File("in.jtl") +
                       ": it is the JTL being imported (" + dir_.File("in.jtl") + ")\n");
  EXPECT_EQ(ReadWholeFile(dir_.File("in.jtl")), kJtl);
}

// --- items 4 and 10: every input is a regular file under a size limit -----------------

TEST_F(FilesCliTest, DevZeroPlanIsRefusedAtOnce) {
  test::ProcessResult r = Barrage({"run", "/dev/zero", "--db", db_});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: /dev/zero: not a regular file (a character device)\n");
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(FilesCliTest, FifoPlanIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = MakeFifo("plan.jmx");
  const auto start = steady_clock::now();
  test::ChildProcess child({BARRAGE_BINARY, "run", fifo, "--db", db_});
  test::ProcessResult r = child.Wait(kTimeout);  // killed by PID if it hangs
  ASSERT_FALSE(r.timed_out);
  EXPECT_LT(steady_clock::now() - start, milliseconds(5'000));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: " + fifo + ": not a regular file (a FIFO)\n");
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(FilesCliTest, PlanOverTheSizeLimitIsRefusedBeforeItIsRead) {
  WriteWholeFile(plan_, "");
  fs::resize_file(plan_, kMaxPlanBytes + 1);  // sparse: no 64 MiB written
  const std::vector<std::vector<std::string>> commands = {{"run", plan_, "--db", db_}, {"inspect", plan_}};
  for (const std::vector<std::string>& args : commands) {
    test::ProcessResult r = Barrage(args);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_EQ(r.err, "barrage: " + plan_ + ": 67108865 bytes, more than the 67108864-byte limit for a plan\n")
        << args[0];
  }
  EXPECT_FALSE(fs::exists(db_));
}

// The same four wrong files for every option that names an input.
struct WrongFile {
  std::string path;
  std::string error;  // after "PATH: "
};

class WrongInputTest : public FilesCliTest {
 protected:
  std::vector<WrongFile> WrongFiles() {
    fs::create_directory(dir_.File("dir"));
    const std::string fifo = MakeFifo("fifo");
    return {{dir_.File("dir"), "not a regular file (a directory)"},
            {"/dev/zero", "not a regular file (a character device)"},
            {fifo, "not a regular file (a FIFO)"},
            {dir_.File("missing"), "no such file"}};
  }
};

TEST_F(WrongInputTest, ThresholdsFileThatIsNotARegularFileIsAnError) {
  MakeRunInputs();
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = Barrage({"run", plan_, "--thresholds", f.path, "--db", db_, "--quiet"});
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage: " + f.path + ": " + f.error + "\n");
    EXPECT_FALSE(fs::exists(db_));
  }
}

TEST_F(WrongInputTest, ReportThresholdsFileThatIsNotARegularFileIsAnError) {
  MakeStore();
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = Barrage({"report", "1", "--thresholds", f.path, "--db", db_});
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage: " + f.path + ": " + f.error + "\n");
  }
}

TEST_F(WrongInputTest, PropertyFileThatIsNotARegularFileIsAnError) {
  MakeRunInputs();
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = Barrage({"run", plan_, "-q", f.path, "--db", db_, "--quiet"});
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage: " + f.path + ": " + f.error + "\n");
    EXPECT_FALSE(fs::exists(db_));
  }
}

TEST_F(WrongInputTest, PlanThatIsNotARegularFileIsAnError) {
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = Barrage({"run", f.path, "--db", db_});
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage: " + f.path + ": " + f.error + "\n");
    EXPECT_FALSE(fs::exists(db_));
  }
}

TEST_F(WrongInputTest, ControllerConfigThatIsNotARegularFileIsAnError) {
  MakeRunInputs();
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = Barrage({"run", plan_, "--workers", "1", "--config", f.path, "--db", db_});
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage: " + f.path + ": " + f.error + "\n");
    EXPECT_FALSE(fs::exists(db_));
  }
}

TEST_F(WrongInputTest, WorkerConfigThatIsNotARegularFileIsAnError) {
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = test::RunProcess({BARRAGE_WORKER_BINARY, "--config", f.path}, kTimeout);
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage-worker: " + f.path + ": " + f.error + "\n");
  }
}

TEST_F(WrongInputTest, JtlToImportThatIsNotARegularFileIsAnError) {
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = Barrage({"import", f.path, "--db", db_});
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage: " + f.path + ": " + f.error + "\n");
    EXPECT_FALSE(fs::exists(db_));
  }
}

TEST_F(WrongInputTest, PlanOfAnImportThatIsNotARegularFileIsAnError) {
  WriteWholeFile(dir_.File("in.jtl"), kJtl);
  for (const WrongFile& f : WrongFiles()) {
    test::ProcessResult r = Barrage({"import", dir_.File("in.jtl"), "--plan", f.path, "--db", db_});
    ASSERT_FALSE(r.timed_out) << f.path;
    EXPECT_EQ(r.exit_code, 2) << f.path;
    EXPECT_EQ(r.err, "barrage: " + f.path + ": " + f.error + "\n");
    EXPECT_FALSE(fs::exists(db_));
  }
}

// The plan is loaded (read once, parsed) before the store is opened: a malformed one leaves
// no store behind, like an unreadable one.
TEST_F(WrongInputTest, MalformedPlanOfAnImportLeavesNoStore) {
  WriteWholeFile(dir_.File("in.jtl"), kJtl);
  WriteWholeFile(dir_.File("broken.jmx"), "<jmeterTestPlan><unclosed");
  test::ProcessResult r = Barrage({"import", dir_.File("in.jtl"), "--plan", dir_.File("broken.jmx"), "--db", db_});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("barrage: " + dir_.File("broken.jmx") + ":", 0), 0u) << r.err;
  EXPECT_FALSE(fs::exists(db_));
}

// --- item 11: an empty --db is not a store; impossible JTL values are refused ------------

TEST_F(FilesCliTest, CommandsThatReadRunsRefuseAnEmptyFileAndLeaveItEmpty) {
  WriteWholeFile(db_, "");
  const std::vector<std::vector<std::string>> commands = {
      {"runs"}, {"report", "1"}, {"compare", "1", "2"}, {"export", "1", "-o", dir_.File("out.jtl")}, {"delete", "1"}};
  for (std::vector<std::string> args : commands) {
    args.insert(args.end(), {"--db", db_});
    test::ProcessResult r = Barrage(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.err, "barrage: " + db_ + ": not a Barrage results store (an empty file)\n") << args[0];
    EXPECT_EQ(fs::file_size(db_), 0u) << args[0];
    EXPECT_EQ(Entries(), std::vector<std::string>{"r.db"}) << args[0];  // no -wal, -shm, out.jtl
  }
}

TEST_F(FilesCliTest, ImportRefusesANegativeElapsedAndASuccessThatIsNeitherTrueNorFalse) {
  const std::string header = "timeStamp,elapsed,label,success\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1795705931651,-5,a,true\n", "elapsed is negative: '-5'"},
      {"1795705931651,5,a,maybe\n", "success is neither true nor false: 'maybe'"},
  };
  for (const auto& [row, error] : cases) {
    WriteWholeFile(dir_.File("bad.jtl"), header + "1795705931650,5,a,true\n" + row);
    test::ProcessResult r = Barrage({"import", dir_.File("bad.jtl"), "--db", db_});
    EXPECT_EQ(r.exit_code, 2) << row;
    EXPECT_EQ(r.err, "barrage: " + dir_.File("bad.jtl") + ":3: " + error + "\n");
    EXPECT_EQ(Barrage({"runs", "--db", db_}).out, "no runs in project 'default'\n");
  }
}

}  // namespace
}  // namespace barrage
