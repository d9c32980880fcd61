#include "app/cli.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace tenantdb::app {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Cli(std::vector<const char*> args) {
  args.insert(args.begin(), "tenantdb");
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

TEST(CliTest, VersionPrintsVersion) {
  const CliRun r = Cli({"version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out.rfind("tenantdb ", 0), 0u);
}

TEST(CliTest, HelpExitsZeroAndListsSubcommands) {
  const CliRun r = Cli({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("version"), std::string::npos);
}

TEST(CliTest, UnknownSubcommandIsUsageError) {
  const CliRun r = Cli({"frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos);
}

TEST(CliTest, UnknownFlagIsUsageError) {
  const CliRun r = Cli({"version", "--bogus"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos);
}

TEST(CliTest, NoSubcommandIsUsageError) { EXPECT_EQ(Cli({}).code, kExitUsage); }

}  // namespace
}  // namespace tenantdb::app
