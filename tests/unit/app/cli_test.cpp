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

namespace tenantdb::app {
namespace {

struct RunCapture {
  int code = -1;
  RunOptions options;
  std::string err;
};

RunCapture CliRunCapture(std::vector<const char*> args) {
  args.insert(args.begin(), "tenantdb");
  std::ostringstream out;
  std::ostringstream err;
  RunCapture capture;
  capture.code =
      RunCli(static_cast<int>(args.size()), args.data(), out, err, [&capture](const RunOptions& o) {
        capture.options = o;
        return 0;
      });
  capture.err = err.str();
  return capture;
}

TEST(CliRunTest, FlagsReachTheRunOptions) {
  const auto r =
      CliRunCapture({"run", "--workers", "2", "--resync-period", "1m30s", "--leader-elect=false",
                     "--watch-namespaces", "a, b", "--metrics-bind-address", "127.0.0.1:0",
                     "--log-format", "json", "--log-level", "debug"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.options.workers, 2);
  EXPECT_EQ(r.options.resync_period, std::chrono::seconds(90));
  EXPECT_FALSE(r.options.leader_elect);
  EXPECT_EQ(r.options.watch_namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.options.metrics_bind_address, "127.0.0.1:0");
  EXPECT_EQ(r.options.log_format, LogFormat::kJson);
  EXPECT_EQ(r.options.log_level, "debug");
}

TEST(CliRunTest, DefaultsMatchTheIssue) {
  const auto r = CliRunCapture({"run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.options.workers, 4);
  EXPECT_EQ(r.options.resync_period, std::chrono::minutes(10));
  EXPECT_EQ(r.options.max_backoff, std::chrono::minutes(5));
  EXPECT_TRUE(r.options.leader_elect);
}

TEST(CliRunTest, BadValuesAreUsageErrorsNamingTheFlag) {
  auto r = CliRunCapture({"run", "--resync-period", "ten minutes"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--resync-period"), std::string::npos);
  r = CliRunCapture({"run", "--workers", "0"});
  EXPECT_EQ(r.code, kExitUsage);
  r = CliRunCapture({"run", "--log-level", "loud"});
  EXPECT_EQ(r.code, kExitUsage);
  r = CliRunCapture({"run", "--config", "/nonexistent/tenantdb.yaml"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("/nonexistent/tenantdb.yaml"), std::string::npos);
}

}  // namespace
}  // namespace tenantdb::app
