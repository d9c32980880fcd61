#include "controllers/server/server_connection.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tenantdb::controllers {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// The CA bundle of a DatabaseServer: one file per server, replaced atomically (a new inode by
// rename, so a worker that opened the old one keeps reading it whole) and only when it changed.
TEST(WriteCaFileTest, OneFilePerServerReplacedAtomicallyOnlyWhenChanged) {
  char tmpl[] = "/tmp/tenantdb-ca-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/ca";
  const auto a = WriteCaFile(dir, "main", "PEM-1");
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(*a, dir + "/main-ca.crt");
  EXPECT_EQ(Read(*a), "PEM-1");
  const ino_t first = Inode(*a);
  // Unchanged: not rewritten.
  ASSERT_TRUE(WriteCaFile(dir, "main", "PEM-1").has_value());
  EXPECT_EQ(Inode(*a), first);
  // Changed: a new file renamed over the old one.
  ASSERT_TRUE(WriteCaFile(dir, "main", "PEM-2").has_value());
  EXPECT_EQ(Read(*a), "PEM-2");
  EXPECT_NE(Inode(*a), first);
  // Another server: its own file.
  const auto b = WriteCaFile(dir, "rack", "PEM-3");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(Read(*a), "PEM-2");
  EXPECT_EQ(Read(*b), "PEM-3");
  // No temporary file is left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
  }
  EXPECT_EQ(files, 2);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace tenantdb::controllers
