// CSV Data Set: the expected variables come from JMeter (CSVDataSet, FileServer,
// CSVSaveService) and were checked against real JMeter 2.13 runs where the behaviour is
// the same in 5.6 (blank lines, short lines, quoting errors, share modes).
#include "worker/csv_data.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace barrage {
namespace {

namespace fs = std::filesystem;

class CsvDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "csv_data_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    run_.base_dir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream out(fs::path(dir_) / name, std::ios::binary);
    out << bytes;
  }

  // A CSV Data Set as the compiler builds it (delimiter "\t" already a tab).
  std::unique_ptr<CsvDataSet> Node(const std::string& file, const std::string& names) {
    auto n = std::make_unique<CsvDataSet>(ElementKind::kCsvDataSet);
    n->name = "data";
    n->line = 7;
    n->filename = Value::Of(file);
    n->variable_names = Value::Of(names);
    n->share_mode_text = "shareMode.all";
    return n;
  }

  ThreadContext& NewUser() {
    users_.push_back(std::make_unique<User>());
    users_.back()->ctx.run = &run_;
    return users_.back()->ctx;
  }
  CsvUserState& StateOf(ThreadContext& ctx) {
    for (auto& u : users_) {
      if (&u->ctx == &ctx) return u->state;
    }
    ADD_FAILURE() << "unknown user";
    return users_.front()->state;
  }

  // Runs one iteration for `ctx` and returns the variables joined with '|' ("-" = unset).
  std::string Next(CsvRegistry& reg, const CsvDataSet& node, ThreadContext& ctx, const std::vector<std::string>& names,
                   int group = 1) {
    CsvResult r = reg.Next(node, ctx, StateOf(ctx), group);
    EXPECT_EQ(r.outcome, CsvOutcome::kOk) << r.message;
    return Vars(ctx, names);
  }
  static std::string Vars(ThreadContext& ctx, const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
      if (&n != &names.front()) out += '|';
      const std::string* v = ctx.vars.Get(n);
      out += v ? *v : "-";
    }
    return out;
  }

  struct User {
    ThreadContext ctx;
    CsvUserState state;
  };
  std::string dir_;
  RunContext run_;
  std::vector<std::unique_ptr<User>> users_;
};

// ---------------------------------------------------------------------------------------
// Splitting and parsing.

TEST(CsvSplitLineTest, SplitsOnTheWholeDelimiterKeepingEmptyFields) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SplitCsvLine("a,b", ","), (V{"a", "b"}));
  EXPECT_EQ(SplitCsvLine("a,,b", ","), (V{"a", "", "b"}));
  EXPECT_EQ(SplitCsvLine(",b", ","), (V{"", "b"}));
  EXPECT_EQ(SplitCsvLine("a,", ","), (V{"a", ""}));
  EXPECT_EQ(SplitCsvLine(",", ","), (V{"", ""}));
  EXPECT_EQ(SplitCsvLine("\"a,b\"", ","), (V{"\"a", "b\""}));  // no quoting without quotedData
}

TEST(CsvSplitLineTest, EmptyLineHasNoFields) { EXPECT_TRUE(SplitCsvLine("", ",").empty()); }

TEST(CsvSplitLineTest, MultiCharacterDelimiterIsOneUnit) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SplitCsvLine("a::b::c", "::"), (V{"a", "b", "c"}));
  EXPECT_EQ(SplitCsvLine("a::", "::"), (V{"a", ""}));
  EXPECT_EQ(SplitCsvLine("a:b", "::"), (V{"a:b"}));
  EXPECT_EQ(SplitCsvLine("a:::b", "::"), (V{"a", ":b"}));
}

std::vector<std::string> ReadAll(std::string_view text, std::string_view delim,
                                 std::vector<std::string>* errors = nullptr) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (true) {
    CsvRecord r = ReadQuotedCsvRecord(text, &pos, delim);
    if (!r.error.empty()) {
      if (errors) errors->push_back(r.error);
      records.push_back("ERROR");
      continue;
    }
    if (r.fields.empty()) break;
    std::string joined;
    for (size_t i = 0; i < r.fields.size(); ++i) joined += (i ? "|" : "") + r.fields[i];
    records.push_back(joined);
  }
  return records;
}

TEST(CsvQuotedRecordTest, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  using V = std::vector<std::string>;
  EXPECT_EQ(ReadAll("\"a,1\",\"b\"\"q\"\n\"multi\nline\",z\n", ","), (V{"a,1|b\"q", "multi\nline|z"}));
  EXPECT_EQ(ReadAll("\"x\r\ny\",z\r\nnext\r\n", ","), (V{"x\r\ny|z", "next"}));
}

TEST(CsvQuotedRecordTest, LineEndingsAndEmptyFields) {
  using V = std::vector<std::string>;
  EXPECT_EQ(ReadAll("a,b\r\nc\rd\n", ","), (V{"a|b", "c", "d"}));
  EXPECT_EQ(ReadAll("a,\n,b\n", ","), (V{"a|", "|b"}));
  EXPECT_EQ(ReadAll("a,", ","), (V{"a|"}));                  // at end of text
  EXPECT_EQ(ReadAll("last", ","), (V{"last"}));              // no final line break
  EXPECT_EQ(ReadAll("\n\"\"\n\"\"", ","), (V{"", "", ""}));  // blank and quoted-empty lines
  EXPECT_TRUE(ReadAll("", ",").empty());
}

TEST(CsvQuotedRecordTest, QuoteInPlainFieldIsAnErrorAndReadingResumesAfterIt) {
  std::vector<std::string> errors;
  EXPECT_EQ(ReadAll("ab\"c,d\nx,y\n", ",", &errors), (std::vector<std::string>{"ERROR", "c|d", "x|y"}));
  EXPECT_EQ(errors, (std::vector<std::string>{"Cannot have quote-char in plain field:[ab\"]"}));
}

TEST(CsvQuotedRecordTest, LoneQuoteInQuotedFieldIsAnError) {
  std::string text = "\"ab\"c,d\n";
  size_t pos = 0;
  CsvRecord r = ReadQuotedCsvRecord(text, &pos, ",");
  EXPECT_TRUE(r.fields.empty());
  EXPECT_EQ(r.error, "Cannot have single quote-char in quoted field:[ab\"]");
  EXPECT_EQ(pos, 5u);  // just after the 'c'
}

TEST(CsvQuotedRecordTest, MissingClosingQuoteAtEndIsAnError) {
  std::string text = "\"unterminated\n";
  size_t pos = 0;
  CsvRecord r = ReadQuotedCsvRecord(text, &pos, ",");
  EXPECT_EQ(r.error, "Missing trailing quote-char in quoted field:[\"unterminated\n]");
  EXPECT_EQ(pos, text.size());
}

TEST(CsvQuotedRecordTest, NonAsciiDelimiter) {
  EXPECT_EQ(ReadAll("a\xC2\xA7\"b\xC2\xA7\"\xC2\xA7\xC3\xA7\n", "\xC2\xA7"),
            (std::vector<std::string>{"a|b\xC2\xA7|\xC3\xA7"}));
}

TEST(CsvHeaderTest, SplitsQuoteAwareOnTheFirstDelimiterCharacterAndTrims) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*SplitCsvHeader("A|B|C|\"D|1\"", "|"), (V{"A", "B", "C", "D|1"}));
  EXPECT_EQ(*SplitCsvHeader(" id , name ", ","), (V{"id", "name"}));
  EXPECT_EQ(*SplitCsvHeader("a::b", "::"), (V{"a", "", "b"}));
}

TEST(CsvHeaderTest, QuoteAfterBlankIsAnError) {
  Result<std::vector<std::string>> r = SplitCsvHeader(" \"H 1\"|h2", "|");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Cannot have quote-char in plain field:[ \"]");
}

// ---------------------------------------------------------------------------------------
// Encodings.

TEST(CsvDecodeTest, Utf8ByteOrderMarkIsDropped) {
  EXPECT_EQ(*DecodeCsvText("\xEF\xBB\xBFid\n", "", "f.csv"), "id\n");
  EXPECT_EQ(*DecodeCsvText("\xEF\xBB\xBFid\n", "UTF-8", "f.csv"), "id\n");
}

TEST(CsvDecodeTest, Latin1AndWindows1252BecomeUtf8) {
  EXPECT_EQ(*DecodeCsvText("\xE7"
                           "1",
                           "ISO-8859-1", "f.csv"),
            "\xC3\xA7"
            "1");
  EXPECT_EQ(*DecodeCsvText("\xE7", "latin1", "f.csv"), "\xC3\xA7");
  EXPECT_EQ(*DecodeCsvText("\x80", "windows-1252", "f.csv"), "\xE2\x82\xAC");
  EXPECT_EQ(*DecodeCsvText("\x80", "iso-8859-1", "f.csv"), "\xC2\x80");
}

TEST(CsvDecodeTest, Utf16WithAndWithoutName) {
  EXPECT_EQ(*DecodeCsvText(std::string("a\0,\0\xE7\0", 6), "UTF-16LE", "f.csv"), "a,\xC3\xA7");
  EXPECT_EQ(*DecodeCsvText(std::string("\xFE\xFF\0a", 4), "UTF-16", "f.csv"), "a");
  // No encoding named: the byte order mark chooses UTF-16.
  EXPECT_EQ(*DecodeCsvText(std::string("\xFF\xFE"
                                       "a\0",
                                       4),
                           "", "f.csv"),
            "a");
}

TEST(CsvDecodeTest, InvalidBytesNameTheFileAndOffset) {
  Result<std::string> r = DecodeCsvText("ok\n\xE7x", "", "users.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kParseError);
  EXPECT_EQ(r.status().message(),
            "users.csv: not valid UTF-8 at byte 3; set the CSV Data Set's file encoding to the "
            "file's own");
  EXPECT_FALSE(DecodeCsvText("\xC0\xAF", "UTF-8", "f").ok());  // overlong
  EXPECT_FALSE(DecodeCsvText("\xE9", "US-ASCII", "f").ok());
}

TEST(CsvDecodeTest, UnknownEncodingIsInvalidArgument) {
  Result<std::string> r = DecodeCsvText("a", "EBCDIC-FOO", "f.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "f.csv: unknown file encoding 'EBCDIC-FOO'");
}

// ---------------------------------------------------------------------------------------
// Reading per iteration.

TEST_F(CsvDataTest, NamedVariablesTakeLinesInOrderAndRecycle) {
  Write("d.csv", "a1,b1\na2,b2\n");
  auto node = Node("d.csv", "a,b");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  ASSERT_TRUE(reg.Prepare(*node, u).ok());
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "a1|b1");
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "a2|b2");
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "a1|b1");
}

TEST_F(CsvDataTest, EmptyNamesTakeTheHeaderLineWhichRecyclingSkips) {
  Write("h.csv", "h1,h2\nv1,v2\nv3,v4\n");
  auto node = Node("h.csv", "");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"h1", "h2"}), "v1|v2");
  EXPECT_EQ(Next(reg, *node, u, {"h1", "h2"}), "v3|v4");
  EXPECT_EQ(Next(reg, *node, u, {"h1", "h2"}), "v1|v2");
  EXPECT_EQ(Next(reg, *node, u, {"h1", "h2"}), "v3|v4");
}

TEST_F(CsvDataTest, HeaderWithQuotedNameAndOtherDelimiter) {
  Write("h.csv", "A|B|\"D|1\"\na1|b1|d1\n");
  auto node = Node("h.csv", "");
  node->delimiter = "|";
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"A", "B", "D|1"}), "a1|b1|d1");
}

TEST_F(CsvDataTest, IgnoreFirstLineSkipsItOnEveryPass) {
  Write("d.csv", "name\nx\ny\n");
  auto node = Node("d.csv", "v");
  node->ignore_first_line = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "x");
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "y");
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "x");
}

TEST_F(CsvDataTest, EndOfFileWithoutRecycleSetsEofOnEveryLaterIteration) {
  Write("d.csv", "a1,b1\n");
  auto node = Node("d.csv", "a,b");
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "a1|b1");
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "<EOF>|<EOF>");
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "<EOF>|<EOF>");
}

TEST_F(CsvDataTest, EofValueComesFromTheCsvdatasetEofstringProperty) {
  Write("d.csv", "");
  run_.properties.Set("csvdataset.eofstring", "END");
  auto node = Node("d.csv", "a");
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"a"}), "END");
}

TEST_F(CsvDataTest, StopThreadAtEndOfFileLeavesVariablesAndSaysWhy) {
  Write("s.csv", "s1\ns2\n");
  auto node = Node("s.csv", "s");
  node->recycle = false;
  node->stop_thread = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"s"}), "s1");
  EXPECT_EQ(Next(reg, *node, u, {"s"}), "s2");
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kStopThread);
  EXPECT_EQ(r.message,
            "End of file:s.csv detected for CSV DataSet:data configured with stopThread:true, "
            "recycle:false");
  EXPECT_EQ(Vars(u, {"s"}), "s2");
}

TEST_F(CsvDataTest, RecycleWinsOverStopThread) {
  Write("s.csv", "s1\n");
  auto node = Node("s.csv", "s");
  node->stop_thread = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"s"}), "s1");
  EXPECT_EQ(Next(reg, *node, u, {"s"}), "s1");
}

TEST_F(CsvDataTest, BlankLineCountsAsEndOfFileForThatIterationOnly) {
  // JMeter 2.13: a1|b1, <EOF>|<EOF>, a3|b3, <EOF>|<EOF>, <EOF>|<EOF>.
  Write("b.csv", "a1,b1\n\na3,b3\n");
  auto node = Node("b.csv", "a,b");
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "a1|b1");
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "<EOF>|<EOF>");
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "a3|b3");
  EXPECT_EQ(Next(reg, *node, u, {"a", "b"}), "<EOF>|<EOF>");
}

TEST_F(CsvDataTest, BlankLineStopsTheUserWhenStopThreadIsSet) {
  Write("b.csv", "a1\n\na3\n");
  auto node = Node("b.csv", "a");
  node->recycle = true;
  node->stop_thread = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"a"}), "a1");
  EXPECT_EQ(reg.Next(*node, u, StateOf(u), 1).outcome, CsvOutcome::kStopThread);
}

TEST_F(CsvDataTest, ShortLineKeepsEarlierValuesAndExtraValuesAreIgnored) {
  // JMeter 2.13: x1|y1|z1, x2|y1|z1, x3|y3|z3, <EOF>...
  Write("f.csv", "x1,y1,z1\nx2\nx3,y3,z3,extra\n");
  auto node = Node("f.csv", "x,y,z");
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"x", "y", "z"}), "x1|y1|z1");
  EXPECT_EQ(Next(reg, *node, u, {"x", "y", "z"}), "x2|y1|z1");
  EXPECT_EQ(Next(reg, *node, u, {"x", "y", "z"}), "x3|y3|z3");
  EXPECT_EQ(Next(reg, *node, u, {"x", "y", "z"}), "<EOF>|<EOF>|<EOF>");
}

TEST_F(CsvDataTest, TrailingDelimiterGivesAnEmptyValue) {
  Write("t.csv", "a,\n,b\n,\n");
  auto node = Node("t.csv", "t1,t2");
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"t1", "t2"}), "a|");
  EXPECT_EQ(Next(reg, *node, u, {"t1", "t2"}), "|b");
  EXPECT_EQ(Next(reg, *node, u, {"t1", "t2"}), "|");
  EXPECT_EQ(Next(reg, *node, u, {"t1", "t2"}), "<EOF>|<EOF>");
}

TEST_F(CsvDataTest, CrLfAndLoneCrEndLines) {
  Write("c.csv", "r1\r\nr2\rr3\n");
  auto node = Node("c.csv", "r");
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"r"}), "r1");
  EXPECT_EQ(Next(reg, *node, u, {"r"}), "r2");
  EXPECT_EQ(Next(reg, *node, u, {"r"}), "r3");
  EXPECT_EQ(Next(reg, *node, u, {"r"}), "<EOF>");
}

TEST_F(CsvDataTest, MultiCharacterDelimiterWithoutQuoting) {
  Write("m.csv", "a::b::c\nd::e\n");
  auto node = Node("m.csv", "m1,m2,m3");
  node->delimiter = "::";
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"m1", "m2", "m3"}), "a|b|c");
  EXPECT_EQ(Next(reg, *node, u, {"m1", "m2", "m3"}), "d|e|c");
}

TEST_F(CsvDataTest, TabAndEmptyDelimiters) {
  Write("t.csv", "a\tb,c\n");
  auto tab = Node("t.csv", "x,y");
  tab->delimiter = "\t";
  auto empty = Node("t.csv", "p,q");
  empty->delimiter = "";
  empty->share_mode_text = "own";  // a reader of its own
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *tab, u, {"x", "y"}), "a|b,c");
  EXPECT_EQ(Next(reg, *empty, u, {"p", "q"}), "a\tb|c");  // empty means ","
}

TEST_F(CsvDataTest, QuotedDataKeepsDelimitersQuotesAndLineBreaksInFields) {
  // JMeter 2.13: a,1|b"q, multi\nline|z, <EOF>|<EOF>.
  Write("q.csv", "\"a,1\",\"b\"\"q\"\n\"multi\nline\",z\n");
  auto node = Node("q.csv", "p,q");
  node->quoted_data = true;
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"p", "q"}), "a,1|b\"q");
  EXPECT_EQ(Next(reg, *node, u, {"p", "q"}), "multi\nline|z");
  EXPECT_EQ(Next(reg, *node, u, {"p", "q"}), "<EOF>|<EOF>");
}

TEST_F(CsvDataTest, QuotedDataBlankLinesSetTheFirstVariableToEmpty) {
  // JMeter 2.13: q1|${qc}, |${qc}, |${qc}, q4|${qc}, <EOF>|<EOF>.
  Write("q.csv", "q1\n\n\"\"\nq4");
  auto node = Node("q.csv", "qb,qc");
  node->quoted_data = true;
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"qb", "qc"}), "q1|-");
  EXPECT_EQ(Next(reg, *node, u, {"qb", "qc"}), "|-");
  EXPECT_EQ(Next(reg, *node, u, {"qb", "qc"}), "|-");
  EXPECT_EQ(Next(reg, *node, u, {"qb", "qc"}), "q4|-");
  EXPECT_EQ(Next(reg, *node, u, {"qb", "qc"}), "<EOF>|<EOF>");
}

TEST_F(CsvDataTest, QuotedDataErrorCountsAsEndOfFileAndReadingResumes) {
  // JMeter 2.13: <EOF>|<EOF> (error logged), c|d, x|y, <EOF>|<EOF>.
  Write("e.csv", "ab\"c,d\nx,y\n");
  auto node = Node("e.csv", "p,q");
  node->quoted_data = true;
  node->recycle = false;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kOk);
  EXPECT_EQ(r.message, "CSV Data Set 'data' (line 7): e.csv: Cannot have quote-char in plain field:[ab\"]");
  EXPECT_EQ(Vars(u, {"p", "q"}), "<EOF>|<EOF>");
  EXPECT_EQ(Next(reg, *node, u, {"p", "q"}), "c|d");
  EXPECT_EQ(Next(reg, *node, u, {"p", "q"}), "x|y");
  EXPECT_EQ(Next(reg, *node, u, {"p", "q"}), "<EOF>|<EOF>");
}

TEST_F(CsvDataTest, QuotedDataErrorWithStopThreadStopsTheUser) {
  Write("e.csv", "\"open\n");
  auto node = Node("e.csv", "p");
  node->quoted_data = true;
  node->stop_thread = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kStopThread);
  EXPECT_NE(r.message.find("Missing trailing quote-char"), std::string::npos) << r.message;
}

TEST_F(CsvDataTest, QuotedDataRecyclesPastTheHeader) {
  Write("q.csv", "id;note\n1;\"x;y\"\n2;z\n");
  auto node = Node("q.csv", "");
  node->delimiter = ";";
  node->quoted_data = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"id", "note"}), "1|x;y");
  EXPECT_EQ(Next(reg, *node, u, {"id", "note"}), "2|z");
  EXPECT_EQ(Next(reg, *node, u, {"id", "note"}), "1|x;y");
}

TEST_F(CsvDataTest, QuotedDataUsesTheFirstCharacterOfTheDelimiter) {
  Write("q.csv", "a:\"b\":c\n");
  auto node = Node("q.csv", "x,y,z");
  node->delimiter = ":-";
  node->quoted_data = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"x", "y", "z"}), "a|b|c");
}

TEST_F(CsvDataTest, VariableNamesAreTrimmedAndEmptyEntriesDropped) {
  Write("d.csv", "1,2,3\n");
  auto node = Node("d.csv", " a ,, b ,c");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"a", "b", "c"}), "1|2|3");
}

TEST_F(CsvDataTest, ByteOrderMarkIsNotPartOfTheFirstName) {
  Write("bom.csv", "\xEF\xBB\xBFid,name\n1,x\n");
  auto node = Node("bom.csv", "");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"id", "name"}), "1|x");
}

TEST_F(CsvDataTest, Latin1FileIsReadInItsEncoding) {
  Write("l.csv",
        "fran\xE7"
        "ais\n");
  auto node = Node("l.csv", "w");
  node->file_encoding = "ISO-8859-1";
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  ASSERT_TRUE(reg.Prepare(*node, u).ok());
  EXPECT_EQ(Next(reg, *node, u, {"w"}),
            "fran\xC3\xA7"
            "ais");
}

TEST_F(CsvDataTest, FileNameIsTrimmedAndAbsoluteNamesWork) {
  Write("d.csv", "v\n");
  auto trimmed = Node("  d.csv ", "a");
  auto absolute = Node((fs::path(dir_) / "d.csv").string(), "b");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_TRUE(reg.Prepare(*trimmed, u).ok());
  EXPECT_TRUE(reg.Prepare(*absolute, u).ok());
  EXPECT_EQ(Next(reg, *trimmed, u, {"a"}), "v");
  EXPECT_EQ(Next(reg, *absolute, u, {"b"}), "v");
}

TEST_F(CsvDataTest, FileNameFromVariablesIsResolvedPerUserAtFirstIteration) {
  Write("u1.csv", "one\n");
  Write("u2.csv", "two\n");
  auto node = Node("${file}", "v");
  CsvRegistry reg(run_);
  ThreadContext& prep = NewUser();
  EXPECT_TRUE(reg.Prepare(*node, prep).ok());  // unresolved: left to run time
  ThreadContext& a = NewUser();
  a.vars.Put("file", "u1.csv");
  ThreadContext& b = NewUser();
  b.vars.Put("file", "u2.csv");
  EXPECT_EQ(Next(reg, *node, a, {"v"}), "one");
  EXPECT_EQ(Next(reg, *node, b, {"v"}), "two");
}

// ---------------------------------------------------------------------------------------
// Sharing.

TEST_F(CsvDataTest, AllThreadsShareOneReaderAcrossUsersAndGroups) {
  Write("l.csv", "l1\nl2\nl3\nl4\n");
  auto node = Node("l.csv", "v");
  CsvRegistry reg(run_);
  ThreadContext& a = NewUser();
  ThreadContext& b = NewUser();
  EXPECT_EQ(Next(reg, *node, a, {"v"}, 1), "l1");
  EXPECT_EQ(Next(reg, *node, b, {"v"}, 2), "l2");
  EXPECT_EQ(Next(reg, *node, a, {"v"}, 1), "l3");
  EXPECT_EQ(Next(reg, *node, b, {"v"}, 2), "l4");
}

TEST_F(CsvDataTest, ElementsOnTheSameFileShareItsReader) {
  Write("l.csv", "l1\nl2\nl3\n");
  auto first = Node("l.csv", "x");
  auto second = Node("l.csv", "y");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *first, u, {"x"}), "l1");
  EXPECT_EQ(Next(reg, *second, u, {"y"}), "l2");
  EXPECT_EQ(Next(reg, *first, u, {"x"}), "l3");
}

TEST_F(CsvDataTest, CurrentThreadGroupSharesWithinAGroupOnly) {
  // JMeter 2.13 with two serialized groups: g1 l1 l2, g2 l1 l2.
  Write("l.csv", "l1\nl2\nl3\n");
  auto node = Node("l.csv", "v");
  node->share_mode = CsvDataSet::ShareMode::kGroup;
  node->share_mode_text = "shareMode.group";
  CsvRegistry reg(run_);
  ThreadContext& g1a = NewUser();
  ThreadContext& g1b = NewUser();
  ThreadContext& g2a = NewUser();
  EXPECT_EQ(Next(reg, *node, g1a, {"v"}, 1), "l1");
  EXPECT_EQ(Next(reg, *node, g1b, {"v"}, 1), "l2");
  EXPECT_EQ(Next(reg, *node, g2a, {"v"}, 2), "l1");
  EXPECT_EQ(Next(reg, *node, g1a, {"v"}, 1), "l3");
}

TEST_F(CsvDataTest, CurrentThreadGivesEachUserItsOwnReader) {
  Write("l.csv", "l1\nl2\n");
  auto node = Node("l.csv", "v");
  node->share_mode = CsvDataSet::ShareMode::kThread;
  node->share_mode_text = "shareMode.thread";
  auto same_file = Node("l.csv", "w");
  same_file->share_mode = CsvDataSet::ShareMode::kThread;
  same_file->share_mode_text = "shareMode.thread";
  CsvRegistry reg(run_);
  ThreadContext& a = NewUser();
  ThreadContext& b = NewUser();
  EXPECT_EQ(Next(reg, *node, a, {"v"}), "l1");
  EXPECT_EQ(Next(reg, *node, b, {"v"}), "l1");
  EXPECT_EQ(Next(reg, *node, a, {"v"}), "l2");
  // Within one user, elements on the same file share the user's reader, as in JMeter.
  EXPECT_EQ(Next(reg, *same_file, a, {"w"}), "l1");
  EXPECT_EQ(Next(reg, *node, b, {"v"}), "l2");
}

TEST_F(CsvDataTest, CustomShareKeyIsAReaderOfItsOwnSharedByThatKey) {
  // JMeter's TestCVSDataSet.testShareMode: two "abc" elements share; "all" is separate.
  Write("l.csv", "a1\na2\na3\na4\n");
  auto plain = Node("l.csv", "a");
  auto key1 = Node("l.csv", "a");
  key1->share_mode_text = "abc";
  auto key2 = Node("l.csv", "a");
  key2->share_mode_text = "abc";
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  ThreadContext& other = NewUser();
  EXPECT_EQ(Next(reg, *key1, u, {"a"}), "a1");
  EXPECT_EQ(Next(reg, *key1, u, {"a"}), "a2");
  EXPECT_EQ(Next(reg, *key2, other, {"a"}), "a3");
  EXPECT_EQ(Next(reg, *plain, u, {"a"}), "a1");
  EXPECT_EQ(Next(reg, *key1, u, {"a"}), "a4");
}

TEST_F(CsvDataTest, SharedReaderHandsOutEveryLineExactlyOnceUnderConcurrency) {
  constexpr int kLines = 5000, kThreads = 8;
  std::string data;
  for (int i = 0; i < kLines; ++i) data += "line" + std::to_string(i) + "\n";
  Write("big.csv", data);
  auto node = Node("big.csv", "v");
  node->recycle = false;
  CsvRegistry reg(run_);
  std::vector<std::vector<std::string>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadContext ctx;
      ctx.run = &run_;
      CsvUserState state;
      while (true) {
        reg.Next(*node, ctx, state, 1);
        const std::string v = *ctx.vars.Get("v");
        if (v == "<EOF>") break;
        seen[t].push_back(v);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, int> count;
  for (const auto& s : seen) {
    for (const auto& v : s) ++count[v];
  }
  EXPECT_EQ(count.size(), static_cast<size_t>(kLines));
  for (const auto& [line, n] : count) EXPECT_EQ(n, 1) << line;
}

TEST_F(CsvDataTest, RecyclingSharedReaderHandsOutEveryLineEquallyUnderConcurrency) {
  constexpr int kLines = 100, kThreads = 8, kPerThread = 500;  // 4000 reads = 40 passes
  std::string data = "header\n";
  for (int i = 0; i < kLines; ++i) data += std::to_string(i) + "\n";
  Write("r.csv", data);
  auto node = Node("r.csv", "v");
  node->ignore_first_line = true;
  CsvRegistry reg(run_);
  std::vector<std::map<std::string, int>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadContext ctx;
      ctx.run = &run_;
      CsvUserState state;
      for (int i = 0; i < kPerThread; ++i) {
        reg.Next(*node, ctx, state, 1);
        ++seen[t][*ctx.vars.Get("v")];
      }
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, int> count;
  for (const auto& s : seen) {
    for (const auto& [v, n] : s) count[v] += n;
  }
  EXPECT_EQ(count.size(), static_cast<size_t>(kLines));
  for (const auto& [line, n] : count) EXPECT_EQ(n, kThreads * kPerThread / kLines) << line;
}

// ---------------------------------------------------------------------------------------
// Errors.

TEST_F(CsvDataTest, PrepareReportsAMissingFileWithElementAndPath) {
  auto node = Node("missing.csv", "a");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  Status s = reg.Prepare(*node, u);
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(),
            "CSV Data Set 'data' (line 7): " + (fs::path(dir_) / "missing.csv").string() + ": no such file");
}

TEST_F(CsvDataTest, PrepareReportsADirectory) {
  fs::create_directory(fs::path(dir_) / "sub");
  auto node = Node("sub", "a");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  Status s = reg.Prepare(*node, u);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not a regular file"), std::string::npos) << s.message();
}

TEST_F(CsvDataTest, PrepareReportsAFifoWithoutWaitingForAWriter) {
  const std::string fifo = (fs::path(dir_) / "pipe.csv").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto node = Node("pipe.csv", "a");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  Status s = reg.Prepare(*node, u);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "CSV Data Set 'data' (line 7): " + fifo + ": not a regular file (a FIFO)");
}

// JMeter 2.13 (checked): no file name is not refused; each read fails (the plan's folder is
// a directory) and counts as the end of file.
TEST_F(CsvDataTest, EmptyFileNameReadsTheEndOfFileEveryIteration) {
  auto node = Node("  ", "a,b");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_TRUE(reg.Prepare(*node, u).ok());
  for (int i = 0; i < 2; ++i) {
    CsvResult r = reg.Next(*node, u, StateOf(u), 1);
    EXPECT_EQ(r.outcome, CsvOutcome::kOk);
    EXPECT_EQ(r.message, "CSV Data Set 'data' (line 7): no file name: read as the end of file");
    EXPECT_EQ(Vars(u, {"a", "b"}), "<EOF>|<EOF>");
  }
}

TEST_F(CsvDataTest, EmptyFileNameWithStopThreadStopsTheUser) {
  auto node = Node("", "a");
  node->stop_thread = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kStopThread);
  EXPECT_EQ(r.message,
            "CSV Data Set 'data' (line 7): no file name: read as the end of file; End of file: detected for CSV "
            "DataSet:data configured with stopThread:true, recycle:true");
}

// JMeter 2.13: "Test failed! java.lang.IllegalArgumentException: Could not read file header line".
TEST_F(CsvDataTest, EmptyFileNameWithNamesFromTheFileFailsTheUser) {
  auto node = Node("", "");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_TRUE(reg.Prepare(*node, u).ok());
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kFailed);
  EXPECT_EQ(r.message, "CSV Data Set 'data' (line 7): no file name: could not read the header line");
}

TEST_F(CsvDataTest, PrepareReportsAnUnknownEncoding) {
  Write("d.csv", "a\n");
  auto node = Node("d.csv", "a");
  node->file_encoding = "KOI9";
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  Status s = reg.Prepare(*node, u);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "CSV Data Set 'data' (line 7): d.csv: unknown file encoding 'KOI9'");
}

TEST_F(CsvDataTest, PrepareReportsBytesInvalidInTheEncoding) {
  Write("d.csv", "caf\xE9\n");
  auto node = Node("d.csv", "a");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  Status s = reg.Prepare(*node, u);
  EXPECT_EQ(s.code(), Status::Code::kParseError);
  EXPECT_NE(s.message().find("not valid UTF-8 at byte 3"), std::string::npos) << s.message();
}

TEST_F(CsvDataTest, PrepareReportsAnEmptyFileWhoseFirstLineShouldHoldNames) {
  Write("e.csv", "");
  auto names_from_file = Node("e.csv", "");
  auto ignore_first = Node("e.csv", "a");
  ignore_first->ignore_first_line = true;
  auto plain = Node("e.csv", "a");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(reg.Prepare(*names_from_file, u).message(),
            "CSV Data Set 'data' (line 7): e.csv is empty; its first line should hold the "
            "variable names");
  EXPECT_FALSE(reg.Prepare(*ignore_first, u).ok());
  EXPECT_TRUE(reg.Prepare(*plain, u).ok());  // reads <EOF> every iteration, as in JMeter
}

TEST_F(CsvDataTest, PrepareReportsAMalformedHeader) {
  Write("h.csv", "a,b\"c\n1,2\n");
  auto node = Node("h.csv", "");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  Status s = reg.Prepare(*node, u);
  EXPECT_EQ(s.code(), Status::Code::kParseError);
  EXPECT_EQ(s.message(),
            "CSV Data Set 'data' (line 7): h.csv: cannot split the header line: Cannot have "
            "quote-char in plain field:[b\"]");
}

TEST_F(CsvDataTest, PrepareRefusesFilesOverTheSizeLimit) {
  Write("d.csv", "0123456789abcdef\n");
  auto node = Node("d.csv", "a");
  CsvRegistry reg(run_);
  reg.set_max_file_bytes(10);
  ThreadContext& u = NewUser();
  Status s = reg.Prepare(*node, u);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("17 bytes, more than the 10-byte limit"), std::string::npos) << s.message();
}

TEST_F(CsvDataTest, NextFailsWhenTheFileCannotBeReadAtRunTime) {
  auto node = Node("${file}", "v");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  u.vars.Put("file", "nope.csv");
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kFailed);
  EXPECT_NE(r.message.find("nope.csv: no such file"), std::string::npos) << r.message;
}

TEST_F(CsvDataTest, NextFailsWhenTheHeaderCannotBeSplit) {
  Write("h.csv", "a\"b\n1\n");
  auto node = Node("h.csv", "");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kFailed);
  EXPECT_NE(r.message.find("could not split the header line of h.csv"), std::string::npos) << r.message;
}

// ---------------------------------------------------------------------------------------
// --split-data.

std::string Rows(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) s += "r" + std::to_string(i) + "\n";
  return s;
}

TEST(CsvSplitDataTest, ContiguousBlocksWithTheHeaderInEveryShare) {
  const std::string file = "id\n" + Rows(0, 10);
  CsvSplitOptions o;
  o.has_header = true;
  Result<CsvShare> a = SplitCsvData(file, o, 3, 0);
  Result<CsvShare> b = SplitCsvData(file, o, 3, 1);
  Result<CsvShare> c = SplitCsvData(file, o, 3, 2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->data, "id\n" + Rows(0, 4));
  EXPECT_EQ(b->data, "id\n" + Rows(4, 7));
  EXPECT_EQ(c->data, "id\n" + Rows(7, 10));
  EXPECT_EQ(a->rows, 4u);
  EXPECT_EQ(c->rows, 3u);
  EXPECT_EQ(a->total_rows, 10u);
}

TEST(CsvSplitDataTest, WithoutHeaderEveryLineIsARow) {
  CsvSplitOptions o;
  Result<CsvShare> s = SplitCsvData("a\nb\r\nc", o, 2, 1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->data, "c");
  EXPECT_EQ(SplitCsvData("a\nb\r\nc", o, 2, 0)->data, "a\nb\r\n");
}

TEST(CsvSplitDataTest, QuotedRecordsAreNeverCutAcrossLines) {
  CsvSplitOptions o;
  o.quoted_data = true;
  const std::string file = "\"x\ny\",1\n\"z\",2\n";
  EXPECT_EQ(SplitCsvData(file, o, 2, 0)->data, "\"x\ny\",1\n");
  EXPECT_EQ(SplitCsvData(file, o, 2, 1)->data, "\"z\",2\n");
}

TEST(CsvSplitDataTest, ByteOrderMarkAndEncodingAreKept) {
  CsvSplitOptions o;
  o.has_header = true;
  o.encoding = "ISO-8859-1";
  const std::string file =
      "\xEF\xBB\xBFn\n\xE7"
      "a\n\xE7"
      "b\n";
  EXPECT_EQ(SplitCsvData(file, o, 2, 1)->data,
            "\xEF\xBB\xBFn\n\xE7"
            "b\n");
}

TEST(CsvSplitDataTest, MoreWorkersThanRowsLeavesSomeSharesEmpty) {
  CsvSplitOptions o;
  o.has_header = true;
  Result<CsvShare> s = SplitCsvData("h\nr\n", o, 3, 2);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->data, "h\n");
  EXPECT_EQ(s->rows, 0u);
  EXPECT_EQ(s->total_rows, 1u);
}

TEST(CsvSplitDataTest, RefusesUtf16AndBadIndexes) {
  CsvSplitOptions o;
  o.encoding = "UTF-16";
  EXPECT_EQ(SplitCsvData("", o, 2, 0).status().code(), Status::Code::kUnsupported);
  o.encoding = "";
  EXPECT_EQ(SplitCsvData("a\n", o, 2, 2).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(SplitCsvData("a\n", o, 0, 0).status().code(), Status::Code::kInvalidArgument);
}

TEST(CsvSplitDataTest, OptionsFollowTheElement) {
  CsvDataSet node(ElementKind::kCsvDataSet);
  node.variable_names = Value::Of("a,b");
  node.delimiter = ";";
  node.quoted_data = true;
  CsvSplitOptions o = CsvSplitOptions::For(node);
  EXPECT_FALSE(o.has_header);
  EXPECT_EQ(o.delimiter, ";");
  EXPECT_TRUE(o.quoted_data);
  node.variable_names = Value::Of("");
  EXPECT_TRUE(CsvSplitOptions::For(node).has_header);
}

// ---------------------------------------------------------------------------------------
// Random CSV Data Set (com.blazemeter.jmeter.RandomCSVDataSetConfig, issue 10): the plugin's
// RandomCSVDataSetConfig and RandomCSVReader.

// As plan_compiler_data.cc builds it.
std::unique_ptr<CsvDataSet> RandomCsvNode(const std::string& file, const std::string& names, bool random_order,
                                          bool rewind, bool independent) {
  auto n = std::make_unique<CsvDataSet>(ElementKind::kRandomCsvDataSet);
  n->name = "random";
  n->line = 9;
  n->filename = Value::Of(file);
  n->variable_names = Value::Of(names);
  n->file_encoding = "UTF-8";
  n->quoted_data = true;
  n->random_order = random_order;
  n->recycle = rewind;
  n->stop_thread = !rewind;
  n->share_mode = independent ? CsvDataSet::ShareMode::kThread : CsvDataSet::ShareMode::kAll;
  n->share_mode_text = independent ? "shareMode.thread" : "shareMode.all";
  return n;
}

TEST_F(CsvDataTest, RandomCsvInOrderTakesHeaderNamesQuotedFieldsAndStopsAtTheEnd) {
  Write("r.csv", "id,name\n1,a\n2,\"b,\nc\"\n");
  auto node = RandomCsvNode("r.csv", "", false, false, false);
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  ASSERT_TRUE(reg.Prepare(*node, u).ok());
  EXPECT_EQ(Next(reg, *node, u, {"id", "name"}), "1|a");
  EXPECT_EQ(Next(reg, *node, u, {"id", "name"}), "2|b,\nc");
  CsvResult r = reg.Next(*node, u, StateOf(u), 1);
  EXPECT_EQ(r.outcome, CsvOutcome::kStopThread);
  EXPECT_EQ(r.message, "Random CSV Data Set 'random' (line 9): r.csv: All records in the CSV file have been passed.");
  EXPECT_EQ(Vars(u, {"id", "name"}), "2|b,\nc");
  // The list is shared: another user finds it passed too.
  ThreadContext& other = NewUser();
  EXPECT_EQ(reg.Next(*node, other, StateOf(other), 1).outcome, CsvOutcome::kStopThread);
}

TEST_F(CsvDataTest, RandomCsvRewindStartsAgainAfterTheHeader) {
  Write("r.csv", "v\nx\ny\n");
  auto node = RandomCsvNode("r.csv", "", false, true, false);
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "x");
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "y");
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "x");
}

TEST_F(CsvDataTest, RandomCsvWithNamesReadsTheFirstLineUnlessIgnored) {
  Write("r.csv", "first\nsecond\n");
  auto kept = RandomCsvNode("r.csv", "v", false, true, false);
  auto ignored = RandomCsvNode("r.csv", "v", false, true, false);
  ignored->ignore_first_line = true;
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *kept, u, {"v"}), "first");
  EXPECT_EQ(Next(reg, *ignored, u, {"v"}), "second");
  EXPECT_EQ(Next(reg, *ignored, u, {"v"}), "second");
}

TEST_F(CsvDataTest, RandomCsvSharedListHandsEachRecordToOneUser) {
  Write("r.csv", "1\n2\n3\n");
  auto node = RandomCsvNode("r.csv", "v", false, false, false);
  CsvRegistry reg(run_);
  ThreadContext& a = NewUser();
  ThreadContext& b = NewUser();
  EXPECT_EQ(Next(reg, *node, a, {"v"}), "1");
  EXPECT_EQ(Next(reg, *node, b, {"v"}), "2");
  EXPECT_EQ(Next(reg, *node, a, {"v"}), "3");
  EXPECT_EQ(reg.Next(*node, b, StateOf(b), 1).outcome, CsvOutcome::kStopThread);
}

TEST_F(CsvDataTest, RandomCsvIndependentListPerThreadGivesEveryUserTheWholeFile) {
  Write("r.csv", "1\n2\n");
  auto node = RandomCsvNode("r.csv", "v", false, false, true);
  CsvRegistry reg(run_);
  ThreadContext& a = NewUser();
  ThreadContext& b = NewUser();
  EXPECT_EQ(Next(reg, *node, a, {"v"}), "1");
  EXPECT_EQ(Next(reg, *node, b, {"v"}), "1");
  EXPECT_EQ(Next(reg, *node, a, {"v"}), "2");
  EXPECT_EQ(Next(reg, *node, b, {"v"}), "2");
  EXPECT_EQ(reg.Next(*node, a, StateOf(a), 1).outcome, CsvOutcome::kStopThread);
}

TEST_F(CsvDataTest, RandomCsvListIsNotSharedWithACsvDataSetOfTheSameFile) {
  Write("r.csv", "1\n2\n");
  auto random = RandomCsvNode("r.csv", "v", false, true, false);
  auto plain = Node("r.csv", "w");
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *random, u, {"v"}), "1");
  EXPECT_EQ(Next(reg, *plain, u, {"w"}), "1");
  EXPECT_EQ(Next(reg, *random, u, {"v"}), "2");
}

// A blank line is a record of one empty value (CSVSaveService.csvReadFile), not the end.
TEST_F(CsvDataTest, RandomCsvBlankLineIsAnEmptyValue) {
  Write("r.csv", "1\n\n3\n");
  auto node = RandomCsvNode("r.csv", "v,w", false, false, false);
  CsvRegistry reg(run_);
  ThreadContext& u = NewUser();
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "1");
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "");
  EXPECT_EQ(Next(reg, *node, u, {"v"}), "3");
}

// Each round hands out every record once, in an order drawn from the seeded generator.
TEST_F(CsvDataTest, RandomCsvRandomOrderIsAPermutationPerRound) {
  Write("r.csv", "a\nb\nc\nd\n");
  auto node = RandomCsvNode("r.csv", "v", true, true, false);
  CsvRegistry reg(run_);
  reg.set_random_seed(42);
  ThreadContext& u = NewUser();
  std::vector<std::string> seen;
  for (int i = 0; i < 8; ++i) seen.push_back(Next(reg, *node, u, {"v"}));
  EXPECT_EQ(seen, (std::vector<std::string>{"c", "d", "a", "b", "d", "b", "a", "c"}));
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> one(seen.begin() + 4 * round, seen.begin() + 4 * round + 4);
    std::sort(one.begin(), one.end());
    EXPECT_EQ(one, (std::vector<std::string>{"a", "b", "c", "d"})) << "round " << round;
  }
}

TEST_F(CsvDataTest, RandomCsvRandomOrderWithoutRewindStopsAfterEveryRecord) {
  Write("r.csv", "a\nb\nc\n");
  auto node = RandomCsvNode("r.csv", "v", true, false, false);
  CsvRegistry reg(run_);
  reg.set_random_seed(7);
  ThreadContext& u = NewUser();
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) seen.push_back(Next(reg, *node, u, {"v"}));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reg.Next(*node, u, StateOf(u), 1).outcome, CsvOutcome::kStopThread);
}

}  // namespace
}  // namespace barrage
