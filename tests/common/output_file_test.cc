#include "common/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

// The directory's entries, to see that no temporary file is left behind.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(SameFileTest, SameInodeUnderDifferentNames) {
  TempDir dir;
  WriteWholeFile(dir.File("d.db"), "x");
  fs::create_hard_link(dir.File("d.db"), dir.File("hard"));
  fs::create_symlink(dir.File("d.db"), dir.File("soft"));
  EXPECT_TRUE(SameFile(dir.File("d.db"), dir.File("d.db")));
  EXPECT_TRUE(SameFile(dir.File("hard"), dir.File("d.db")));
  EXPECT_TRUE(SameFile(dir.File("soft"), dir.File("d.db")));
  EXPECT_TRUE(SameFile(dir.File("./d.db"), dir.File("d.db")));
}

TEST(SameFileTest, DifferentFilesAndMissingFiles) {
  TempDir dir;
  WriteWholeFile(dir.File("a"), "x");
  WriteWholeFile(dir.File("b"), "x");
  EXPECT_FALSE(SameFile(dir.File("a"), dir.File("b")));
  EXPECT_FALSE(SameFile(dir.File("a"), dir.File("missing")));
  // A file that does not exist yet is the same as its own path.
  EXPECT_TRUE(SameFile(dir.File("d.db-wal"), dir.File("./d.db-wal")));
}

TEST(RefuseOverwriteTest, NamesBothFiles) {
  TempDir dir;
  WriteWholeFile(dir.File("d.db"), "x");
  fs::create_symlink(dir.File("d.db"), dir.File("link.csv"));
  Status s = RefuseOverwrite(dir.File("link.csv"), "the report", ResultsStoreFiles(dir.File("d.db")));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "cannot write the report to " + dir.File("link.csv") + ": it is the results store (" +
                             dir.File("d.db") + ")");
}

TEST(RefuseOverwriteTest, StoreSideFilesAreProtectedEvenBeforeTheyExist) {
  TempDir dir;
  WriteWholeFile(dir.File("d.db"), "x");
  Status s = RefuseOverwrite(dir.File("d.db-wal"), "the JTL", ResultsStoreFiles(dir.File("d.db")));
  EXPECT_EQ(s.message(), "cannot write the JTL to " + dir.File("d.db-wal") +
                             ": it is the results store's write-ahead log (" + dir.File("d.db-wal") + ")");
  EXPECT_FALSE(RefuseOverwrite(dir.File("d.db-shm"), "x", ResultsStoreFiles(dir.File("d.db"))).ok());
  EXPECT_FALSE(RefuseOverwrite(dir.File("d.db-journal"), "x", ResultsStoreFiles(dir.File("d.db"))).ok());
  EXPECT_TRUE(RefuseOverwrite(dir.File("out.csv"), "x", ResultsStoreFiles(dir.File("d.db"))).ok());
}

TEST(AtomicFileWriterTest, CommitReplacesTheFileAndLeavesNothingElse) {
  TempDir dir;
  WriteWholeFile(dir.File("out.csv"), "old contents");
  Result<AtomicFileWriter> w = AtomicFileWriter::Create(dir.File("out.csv"));
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_NE(w->write_path(), dir.File("out.csv"));
  EXPECT_EQ(fs::path(w->write_path()).parent_path(), fs::path(dir.File("out.csv")).parent_path());
  ASSERT_TRUE(w->Write("new").ok());
  EXPECT_EQ(ReadWholeFile(dir.File("out.csv")), "old contents");  // untouched until Commit
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(ReadWholeFile(dir.File("out.csv")), "new");
  EXPECT_EQ(Entries(dir.File("")), std::vector<std::string>{"out.csv"});
}

TEST(AtomicFileWriterTest, WithoutCommitTheOldFileStaysAndTheTemporaryGoes) {
  TempDir dir;
  WriteWholeFile(dir.File("out.csv"), "old contents");
  {
    Result<AtomicFileWriter> w = AtomicFileWriter::Create(dir.File("out.csv"));
    ASSERT_TRUE(w.ok()) << w.status().message();
    ASSERT_TRUE(w->Write("half of the new").ok());
  }
  EXPECT_EQ(ReadWholeFile(dir.File("out.csv")), "old contents");
  EXPECT_EQ(Entries(dir.File("")), std::vector<std::string>{"out.csv"});
}

TEST(AtomicFileWriterTest, NewFileGetsTheUmaskModeAndAReplacedOneKeepsItsMode) {
  TempDir dir;
  const mode_t old_mask = umask(022);
  Result<AtomicFileWriter> w = AtomicFileWriter::Create(dir.File("new"));
  ASSERT_TRUE(w.ok() && w->Commit().ok());
  umask(old_mask);
  EXPECT_EQ(fs::status(dir.File("new")).permissions(), fs::perms(0644));

  WriteWholeFile(dir.File("kept"), "x");
  fs::permissions(dir.File("kept"), fs::perms(0600));
  Result<AtomicFileWriter> k = AtomicFileWriter::Create(dir.File("kept"));
  ASSERT_TRUE(k.ok() && k->Write("y").ok() && k->Commit().ok());
  EXPECT_EQ(fs::status(dir.File("kept")).permissions(), fs::perms(0600));
}

TEST(AtomicFileWriterTest, SymbolicLinkKeepsPointingAtTheReplacedTarget) {
  TempDir dir;
  WriteWholeFile(dir.File("target"), "old");
  fs::create_symlink(dir.File("target"), dir.File("link"));
  Result<AtomicFileWriter> w = AtomicFileWriter::Create(dir.File("link"));
  ASSERT_TRUE(w.ok() && w->Write("new").ok() && w->Commit().ok());
  EXPECT_TRUE(fs::is_symlink(dir.File("link")));
  EXPECT_EQ(ReadWholeFile(dir.File("target")), "new");
}

TEST(AtomicFileWriterTest, DeviceIsWrittenDirectly) {
  Result<AtomicFileWriter> w = AtomicFileWriter::Create("/dev/null");
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->write_path(), "/dev/null");
  EXPECT_TRUE(w->Write("discarded").ok());
  EXPECT_TRUE(w->Commit().ok());
  struct stat st;
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(AtomicFileWriterTest, DevStdoutStyleNameOfAFileIsAppendedToNotReplaced) {
  TempDir dir;
  WriteWholeFile(dir.File("log"), "first\n");
  const int fd = open(dir.File("log").c_str(), O_WRONLY | O_APPEND);  // as the shell's >>
  ASSERT_GE(fd, 0);
  struct stat before;
  ASSERT_EQ(fstat(fd, &before), 0);
  Result<AtomicFileWriter> w = AtomicFileWriter::Create("/proc/self/fd/" + std::to_string(fd));
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_TRUE(w->Write("second\n").ok());
  ASSERT_TRUE(w->Commit().ok());
  close(fd);
  EXPECT_EQ(ReadWholeFile(dir.File("log")), "first\nsecond\n");
  struct stat after;
  ASSERT_EQ(stat(dir.File("log").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(Entries(dir.File("")), std::vector<std::string>{"log"});
}

TEST(AtomicFileWriterTest, DirectoryAndMissingDirectoryAreErrors) {
  TempDir dir;
  Result<AtomicFileWriter> d = AtomicFileWriter::Create(dir.File(""));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), dir.File("") + ": is a directory");
  Result<AtomicFileWriter> m = AtomicFileWriter::Create(dir.File("no/such/out.csv"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "cannot create a file beside " + dir.File("no/such/out.csv") + ": No such file or directory");
}

}  // namespace
}  // namespace barrage
