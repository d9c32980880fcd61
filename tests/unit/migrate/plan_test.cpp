#include "migrate/plan.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantdb::migrate {
namespace {

Script Make(const std::string& name, const std::string& content = "SELECT 1;\n") {
  auto s = MakeScript(name, content);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? *s : Script{};
}

std::vector<Script> Sorted(std::vector<Script> s) { return *SortAndCheck(std::move(s)); }

AppliedMigration Row(int rank, const Script& s, bool success = true) {
  return AppliedMigration{
      .installed_rank = rank,
      .version = s.versioned() ? std::optional(s.name.version->Text()) : std::nullopt,
      .description = s.name.description,
      .type = "SQL",
      .script = s.file_name,
      .checksum = s.checksum,
      .installed_on = "2026-12-01 10:00:00",
      .success = success};
}

std::vector<std::string> Pending(const Info& info) {
  std::vector<std::string> out;
  for (const Script* s : info.pending) {
    out.push_back(s->file_name);
  }
  return out;
}

TEST(ComputeInfoTest, PendingInVersionOrderThenRepeatables) {
  const auto files =
      Sorted({Make("V1.10__c.sql"), Make("V1.9__b.sql"), Make("R__view.sql"), Make("V1__a.sql")});
  const std::vector<AppliedMigration> history = {Row(1, files[0])};
  auto info = ComputeInfo(files, history, {});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->current->Text(), "1");
  EXPECT_EQ(Pending(*info),
            (std::vector<std::string>{"V1.9__b.sql", "V1.10__c.sql", "R__view.sql"}));
  EXPECT_TRUE(Validate(*info, true).empty());
  EXPECT_EQ(Validate(*info, false).size(), 3U);  // `validate` reports pending files
}

TEST(ComputeInfoTest, RepeatableRerunsOnlyWhenItsChecksumChanged) {
  const auto before = Sorted({Make("R__view.sql", "CREATE VIEW v AS SELECT 1;\n")});
  const std::vector<AppliedMigration> history = {Row(1, before[0])};
  auto same = ComputeInfo(before, history, {});
  EXPECT_TRUE(same->pending.empty());
  EXPECT_EQ(same->entries[0].state, State::kSuccess);

  const auto after = Sorted({Make("R__view.sql", "CREATE VIEW v AS SELECT 2;\n")});
  auto changed = ComputeInfo(after, history, {});
  EXPECT_EQ(Pending(*changed), (std::vector<std::string>{"R__view.sql"}));
  EXPECT_EQ(changed->entries[0].state, State::kOutdated);
  EXPECT_EQ(StateName(changed->entries[0].state), "Outdated");
  EXPECT_TRUE(Validate(*changed, true).empty());  // migrate re-runs it

  // After the re-run the older row is superseded.
  const std::vector<AppliedMigration> twice = {history[0], Row(2, after[0])};
  auto rerun = ComputeInfo(after, twice, {});
  EXPECT_EQ(rerun->entries[0].state, State::kSuperseded);
  EXPECT_EQ(rerun->entries[1].state, State::kSuccess);
  EXPECT_TRUE(rerun->pending.empty());
}

TEST(ComputeInfoTest, ChangedChecksumOfAnAppliedVersionIsRefusedNamingTheFile) {
  const auto applied = Sorted({Make("V1__a.sql", "SELECT 1;\n")});
  const auto edited = Sorted({Make("V1__a.sql", "SELECT 2;\n")});
  const std::vector<AppliedMigration> history = {Row(1, applied[0])};
  auto info = ComputeInfo(edited, history, {});
  const auto problems = Validate(*info, true);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("V1__a.sql"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("changed since it was applied"), std::string::npos) << problems[0];
}

TEST(ComputeInfoTest, AppliedFileGoneIsRefused) {
  const auto files = Sorted({Make("V1__a.sql"), Make("V2__b.sql")});
  const std::vector<Script> left = {files[1]};
  const std::vector<AppliedMigration> history = {Row(1, files[0]), Row(2, files[1])};
  auto info = ComputeInfo(left, history, {});
  EXPECT_EQ(info->entries[0].state, State::kMissing);
  const auto problems = Validate(*info, true);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("V1__a.sql"), std::string::npos) << problems[0];
}

TEST(ComputeInfoTest, NewerAppliedVersionIsFutureAndAccepted) {
  const auto files = Sorted({Make("V1__a.sql"), Make("V2__b.sql")});
  const std::vector<Script> left = {files[0]};
  const std::vector<AppliedMigration> history = {Row(1, files[0]), Row(2, files[1])};
  auto info = ComputeInfo(left, history, {});
  EXPECT_EQ(info->entries[1].state, State::kFuture);
  EXPECT_TRUE(Validate(*info, true).empty());
}

TEST(ComputeInfoTest, OutOfOrderIsIgnoredAndRefusedUnlessAllowed) {
  const auto files = Sorted({Make("V1__a.sql"), Make("V1.5__late.sql"), Make("V2__b.sql")});
  const std::vector<AppliedMigration> history = {Row(1, files[0]), Row(2, files[2])};
  auto strict = ComputeInfo(files, history, {});
  EXPECT_TRUE(strict->pending.empty());
  ASSERT_EQ(strict->ignored.size(), 1U);
  const auto problems = Validate(*strict, true);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("V1.5__late.sql"), std::string::npos);
  EXPECT_NE(problems[0].find("--out-of-order"), std::string::npos);

  auto allowed = ComputeInfo(files, history, {.out_of_order = true});
  EXPECT_EQ(Pending(*allowed), (std::vector<std::string>{"V1.5__late.sql"}));
  EXPECT_TRUE(Validate(*allowed, true).empty());
  const std::vector<AppliedMigration> later = {history[0], history[1], Row(3, files[1])};
  auto after = ComputeInfo(files, later, {});
  EXPECT_EQ(after->entries[2].state, State::kOutOfOrder);
}

TEST(ComputeInfoTest, FailedRowBlocks) {
  const auto files = Sorted({Make("V1__a.sql")});
  const std::vector<AppliedMigration> history = {Row(1, files[0], false)};
  auto info = ComputeInfo(files, history, {});
  EXPECT_TRUE(info->has_failed);
  EXPECT_EQ(info->entries[0].state, State::kFailed);
  const auto problems = Validate(*info, true);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("repair"), std::string::npos);
}

TEST(ComputeInfoTest, BaselineHidesOlderFiles) {
  const auto files = Sorted({Make("V1__a.sql"), Make("V2__b.sql"), Make("V3__c.sql")});
  const AppliedMigration baseline{.installed_rank = 1,
                                  .version = "2",
                                  .description = "<< Flyway Baseline >>",
                                  .type = "BASELINE",
                                  .script = "<< Flyway Baseline >>"};
  const std::vector<AppliedMigration> history = {baseline};
  auto info = ComputeInfo(files, history, {});
  EXPECT_EQ(Pending(*info), (std::vector<std::string>{"V3__c.sql"}));
  EXPECT_EQ(info->entries[0].state, State::kBaseline);
  EXPECT_EQ(info->entries[0].script->file_name, "V2__b.sql");  // the baseline's own version
  EXPECT_EQ(info->entries[1].state, State::kBelowBaseline);
  EXPECT_EQ(info->entries[2].state, State::kPending);
  EXPECT_TRUE(Validate(*info, true).empty());
}

}  // namespace
}  // namespace tenantdb::migrate
