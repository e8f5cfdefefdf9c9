#include "common/variables.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

namespace barrage {
namespace {

// Writes `contents` to a fresh file under the test temp dir and returns its path.
std::string WriteFile(const std::string& name, const std::string& contents) {
  std::string path = testing::TempDir() + "/variables_test_" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string PropOrMissing(const Properties& p, std::string_view name) {
  std::optional<std::string> v = p.Get(name);
  return v ? *v : "<missing>";
}

// ---------------------------------------------------------------------------------------
// Variables

TEST(VariablesTest, MissingVariableIsNull) {
  Variables v;
  EXPECT_EQ(v.Get("nope"), nullptr);
}

TEST(VariablesTest, PutThenGet) {
  Variables v;
  v.Put("user", "alice");
  ASSERT_NE(v.Get("user"), nullptr);
  EXPECT_EQ(*v.Get("user"), "alice");
}

TEST(VariablesTest, PutReplacesTheValue) {
  Variables v;
  v.Put("n", "1");
  v.Put("n", "2");
  EXPECT_EQ(*v.Get("n"), "2");
  EXPECT_EQ(v.size(), 1u);
}

TEST(VariablesTest, EmptyValueIsSetNotMissing) {
  Variables v;
  v.Put("empty", "");
  ASSERT_NE(v.Get("empty"), nullptr);
  EXPECT_EQ(*v.Get("empty"), "");
}

TEST(VariablesTest, RemoveUnsetsAndIgnoresMissing) {
  Variables v;
  v.Put("a", "1");
  v.Remove("a");
  v.Remove("never-set");
  EXPECT_EQ(v.Get("a"), nullptr);
  EXPECT_EQ(v.size(), 0u);
}

TEST(VariablesTest, ClearRemovesEverything) {
  Variables v;
  v.Put("a", "1");
  v.Put("b", "2");
  v.Clear();
  EXPECT_EQ(v.size(), 0u);
  EXPECT_EQ(v.Get("b"), nullptr);
}

TEST(VariablesTest, SortedListsByName) {
  Variables v;
  v.Put("b", "2");
  v.Put("A", "0");
  v.Put("a", "1");
  std::map<std::string, std::string> expected = {{"A", "0"}, {"a", "1"}, {"b", "2"}};
  EXPECT_EQ(v.Sorted(), expected);
}

// ---------------------------------------------------------------------------------------
// Properties

TEST(PropertiesTest, MissingPropertyIsNullopt) {
  Properties p;
  EXPECT_FALSE(p.Get("nope").has_value());
}

TEST(PropertiesTest, SetThenGetAndReplace) {
  Properties p;
  p.Set("threads", "10");
  EXPECT_EQ(PropOrMissing(p, "threads"), "10");
  p.Set("threads", "20");
  EXPECT_EQ(PropOrMissing(p, "threads"), "20");
}

TEST(PropertiesTest, SnapshotIsSortedCopy) {
  Properties p;
  p.Set("z", "26");
  p.Set("a", "1");
  std::map<std::string, std::string> expected = {{"a", "1"}, {"z", "26"}};
  EXPECT_EQ(p.Snapshot(), expected);
}

TEST(PropertiesTest, ConcurrentSetAndGetSeeWholeValues) {
  Properties p;
  p.Set("k", "aaaa");
  std::vector<std::thread> threads;
  std::atomic<int> torn{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (t % 2 == 0) {
          p.Set("k", i % 2 ? "aaaa" : "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
          p.Set("k" + std::to_string(t * 10000 + i), "x");
        } else {
          std::string v = *p.Get("k");
          if (v != "aaaa" && v != "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") ++torn;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(p.Snapshot().size(), 1u + 2 * 2000);
}

// ---------------------------------------------------------------------------------------
// Properties::LoadFile: java.util.Properties syntax (expected values checked with Java 17).

class LoadFileTest : public testing::Test {
 protected:
  void Load(const std::string& contents) {
    Status s = p.LoadFile(WriteFile(test_info_name(), contents));
    EXPECT_TRUE(s.ok()) << s.message();
  }
  static std::string test_info_name() { return testing::UnitTest::GetInstance()->current_test_info()->name(); }
  Properties p;
};

TEST_F(LoadFileTest, EqualsColonAndBlankSeparateKeyAndValue) {
  Load("a=1\n  b : 2\nc   3\n");
  EXPECT_EQ(PropOrMissing(p, "a"), "1");
  EXPECT_EQ(PropOrMissing(p, "b"), "2");
  EXPECT_EQ(PropOrMissing(p, "c"), "3");
}

TEST_F(LoadFileTest, KeyWithoutValueIsEmpty) {
  Load("d\ne=\n");
  EXPECT_EQ(PropOrMissing(p, "d"), "");
  EXPECT_EQ(PropOrMissing(p, "e"), "");
}

TEST_F(LoadFileTest, HashAndBangLinesAreComments) {
  Load("# a=1\n   ! b=2\nc=3 # not a comment\n");
  EXPECT_EQ(p.Snapshot(), (std::map<std::string, std::string>{{"c", "3 # not a comment"}}));
}

TEST_F(LoadFileTest, CommentEndingInBackslashDoesNotContinue) {
  Load("# comment \\\nf=after comment\n");
  EXPECT_EQ(PropOrMissing(p, "f"), "after comment");
}

TEST_F(LoadFileTest, BackslashContinuesAndSkipsLeadingBlanksOfNextLine) {
  Load("g = x \\\n    y\\\n\tz\n");
  EXPECT_EQ(PropOrMissing(p, "g"), "x yz");
}

TEST_F(LoadFileTest, ContinuationLineStartingWithHashIsValue) {
  Load("t = \\\n# not comment\n");
  EXPECT_EQ(PropOrMissing(p, "t"), "# not comment");
}

TEST_F(LoadFileTest, EmptyLineEndsContinuation) {
  Load("u=end\\\n\nv=after blank\n");
  EXPECT_EQ(PropOrMissing(p, "u"), "end");
  EXPECT_EQ(PropOrMissing(p, "v"), "after blank");
}

TEST_F(LoadFileTest, DoubleBackslashAtEndIsALiteralBackslash) {
  Load("h=one\\\\\nnext=1\n");
  EXPECT_EQ(PropOrMissing(p, "h"), "one\\");
  EXPECT_EQ(PropOrMissing(p, "next"), "1");
}

TEST_F(LoadFileTest, EscapesAndUnicodeBecomeUtf8) {
  Load("i=\\t\\n\\u00e9\\uD83D\\uDE00\\q\n");
  EXPECT_EQ(PropOrMissing(p, "i"), "\t\n\xC3\xA9\xF0\x9F\x98\x80q");
}

TEST_F(LoadFileTest, EscapedSeparatorsBelongToTheKey) {
  Load("j\\=k=v\nl\\ m=n\n");
  EXPECT_EQ(PropOrMissing(p, "j=k"), "v");
  EXPECT_EQ(PropOrMissing(p, "l m"), "n");
}

TEST_F(LoadFileTest, OnlyTheFirstSeparatorSplits) {
  Load("o=p=q\nr:=s\n");
  EXPECT_EQ(PropOrMissing(p, "o"), "p=q");
  EXPECT_EQ(PropOrMissing(p, "r"), "=s");
}

TEST_F(LoadFileTest, TrailingBlanksOfValueAreKept) {
  Load("w =  lead\\ space \n");
  EXPECT_EQ(PropOrMissing(p, "w"), "lead space ");
}

TEST_F(LoadFileTest, CrLfAndCrEndLines) {
  Load("crlf=1\r\ncr=2\rlast=3");
  EXPECT_EQ(PropOrMissing(p, "crlf"), "1");
  EXPECT_EQ(PropOrMissing(p, "cr"), "2");
  EXPECT_EQ(PropOrMissing(p, "last"), "3");
}

TEST_F(LoadFileTest, TrailingBackslashAtEndOfFileIsDropped) {
  Load("k=v\\");
  EXPECT_EQ(PropOrMissing(p, "k"), "v");
}

TEST_F(LoadFileTest, Utf8BytesPassThrough) {
  Load("name=caf\xC3\xA9\n");
  EXPECT_EQ(PropOrMissing(p, "name"), "caf\xC3\xA9");
}

TEST_F(LoadFileTest, LaterLinesAndFilesOverrideEarlierValues) {
  p.Set("a", "old");
  p.Set("keep", "1");
  ASSERT_TRUE(p.LoadFile(WriteFile("override", "a=first\na=second\n")).ok());
  EXPECT_EQ(PropOrMissing(p, "a"), "second");
  EXPECT_EQ(PropOrMissing(p, "keep"), "1");
}

TEST(LoadFileErrorTest, MalformedUnicodeEscapeNamesFileAndLine) {
  std::string path = WriteFile("malformed", "ok=1\n\n# c\nbad=x\\u12G4\n");
  Properties p;
  Status s = p.LoadFile(path);
  EXPECT_EQ(s.code(), Status::Code::kParseError);
  EXPECT_EQ(s.message(), path + ":4: malformed \\uXXXX escape \"\\u12G4\"");
}

TEST(LoadFileErrorTest, TruncatedUnicodeEscapeOnContinuationLineNamesThatLine) {
  std::string path = WriteFile("truncated", "a=b\\\n  c\\u12\n");
  Properties p;
  Status s = p.LoadFile(path);
  EXPECT_EQ(s.message(), path + ":2: malformed \\uXXXX escape \"\\u12\"");
}

TEST(LoadFileErrorTest, FileWithErrorChangesNothing) {
  Properties p;
  p.Set("a", "before");
  EXPECT_FALSE(p.LoadFile(WriteFile("atomic", "a=after\nb=\\u\n")).ok());
  EXPECT_EQ(PropOrMissing(p, "a"), "before");
  EXPECT_EQ(PropOrMissing(p, "b"), "<missing>");
}

TEST(LoadFileErrorTest, MissingFileIsNotFoundNamingIt) {
  Properties p;
  Status s = p.LoadFile("/nonexistent/dir/user.properties");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "/nonexistent/dir/user.properties: no such file");
}

TEST(LoadFileErrorTest, DirectoryAndDeviceAreNotPropertyFiles) {
  Properties p;
  EXPECT_EQ(p.LoadFile("/tmp").message(), "/tmp: not a regular file (a directory)");
  EXPECT_EQ(p.LoadFile("/dev/zero").message(), "/dev/zero: not a regular file (a character device)");
  EXPECT_TRUE(p.Snapshot().empty());
}

}  // namespace
}  // namespace barrage
