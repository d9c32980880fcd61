// The Migration's Job: what runs, as whom, with what it may touch; the deterministic name; what a
// finished Job and its termination message tell.
#include "controllers/migration/migration_job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tenantdb::controllers::migration {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;

v1::Migration Orders() {
  v1::Migration m;
  m.metadata.name = "orders-schema";
  m.metadata.ns = "team-a";
  m.metadata.uid = "uid-1";
  m.spec.database_ref.name = "orders";
  m.spec.source.config_map_ref.name = "orders-migrations";
  m.spec.placeholders = {{"owner", "orders_owner"}};
  v1::ApplyDefaults(m);
  return m;
}

JobInputs Inputs() {
  return {.files = {{"V1__init.sql", "CREATE TABLE t (id int);"}},
          .credentials_secret = "orders-owner-credentials",
          .image = "ghcr.io/tenantdb/tenantdb:0.1.0"};
}

TEST(MigrationJobTest, RunsTheEngineAsTheOwnerWithoutCopyingItsSecret) {
  const auto m = Orders();
  const std::string hash = ContentHash(m, Inputs());
  const json job = DesiredJob(m, Inputs(), hash);

  EXPECT_EQ(job["metadata"]["name"], JobName("orders-schema", hash));
  EXPECT_EQ(job["metadata"]["namespace"], "team-a");
  EXPECT_EQ(job["metadata"]["annotations"][std::string(kContentHashAnnotation)], hash);
  EXPECT_EQ(job["metadata"]["labels"][std::string(kMigrationLabel)], "orders-schema");
  const json& owner = job["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "Migration");
  EXPECT_EQ(owner["uid"], "uid-1");
  EXPECT_EQ(owner["controller"], true);
  EXPECT_EQ(job["spec"]["backoffLimit"], 0) << "a failed migration needs a person";
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 600);

  const json& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "ghcr.io/tenantdb/tenantdb:0.1.0");
  EXPECT_EQ(c["command"], json::array({"tenantdb"}));
  const auto args = c["args"].get<std::vector<std::string>>();
  EXPECT_EQ(std::vector<std::string>(args.begin(), args.begin() + 2),
            (std::vector<std::string>{"migrate", "migrate"}));
  EXPECT_NE(std::find(args.begin(), args.end(), "owner=orders_owner"), args.end());
  EXPECT_EQ(c["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["volumeMounts"][0]["readOnly"], true);
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"], "orders-migrations");
  for (const auto& env : c["env"]) {
    ASSERT_TRUE(env.contains("valueFrom")) << env.dump() << ": credentials only by reference";
    EXPECT_EQ(env["valueFrom"]["secretKeyRef"]["name"], "orders-owner-credentials");
  }
  EXPECT_EQ(job.dump().find("CREATE TABLE"), std::string::npos) << "files are mounted, not inlined";
}

TEST(MigrationJobTest, TheHashChangesWithWhatTheJobDoesAndOnlyThen) {
  const auto m = Orders();
  const std::string hash = ContentHash(m, Inputs());
  EXPECT_EQ(ContentHash(m, Inputs()), hash);

  JobInputs changed_file = Inputs();
  changed_file.files["V2__more.sql"] = "ALTER TABLE t ADD COLUMN x int;";
  EXPECT_NE(ContentHash(m, changed_file), hash);

  auto out_of_order = m;
  out_of_order.spec.out_of_order = true;
  EXPECT_NE(ContentHash(out_of_order, Inputs()), hash);

  auto relabelled = m;
  relabelled.metadata.labels["team"] = "a";  // metadata does not change the work
  EXPECT_EQ(ContentHash(relabelled, Inputs()), hash);
}

TEST(MigrationJobTest, JobNamesAreDnsLabelsOfBoundedLength) {
  const std::string hash(64, 'a');
  EXPECT_EQ(JobName("orders", hash), "orders-aaaaaaaaaaaaaaa");
  const std::string name = JobName(std::string(40, 'x') + "-------" + std::string(20, 'y'), hash);
  EXPECT_LE(name.size(), 63u);
  EXPECT_EQ(name.find("--"), std::string::npos) << name;
}

TEST(MigrationJobTest, ReadsAFinishedJob) {
  const json done = {
      {"metadata",
       {{"name", "j"},
        {"annotations", {{std::string(kContentHashAnnotation), "h"}}},
        {"ownerReferences", {{{"kind", "Migration"}, {"uid", "uid-1"}, {"controller", true}}}}}},
      {"status", {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}};
  const ObservedJob ok = ReadJob(done);
  EXPECT_EQ(ok.phase, JobPhase::kSucceeded);
  EXPECT_EQ(ok.content_hash, "h");
  EXPECT_EQ(ok.owner, "uid-1");

  const json failed = {{"metadata", {{"name", "j"}}},
                       {"status",
                        {{"conditions",
                          {{{"type", "Failed"},
                            {"status", "True"},
                            {"reason", "BackoffLimitExceeded"},
                            {"message", "Job has reached the specified backoff limit"}}}}}}};
  const ObservedJob bad = ReadJob(failed);
  EXPECT_EQ(bad.phase, JobPhase::kFailed);
  EXPECT_EQ(bad.failed_reason, "BackoffLimitExceeded");
  EXPECT_FALSE(bad.owner.has_value()) << "not owned by a Migration";

  EXPECT_EQ(ReadJob({{"metadata", {{"name", "j"}}}}).phase, JobPhase::kRunning);
}

TEST(MigrationJobTest, ParsesTheEngineSummaryAndRefusesLogTails) {
  const auto s = ParseSummary(
      R"({"command":"migrate","success":false,"applied":["3"],"lastAppliedVersion":"3",)"
      R"("pending":["4","5"],"failure":{"file":"V4__x.sql","message":"relation \"t\" does not exist","sqlstate":"42P01","line":3}})");
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->success);
  EXPECT_EQ(s->last_applied_version, "3");
  EXPECT_EQ(s->pending, (std::vector<std::string>{"4", "5"}));
  ASSERT_TRUE(s->failure.has_value());
  EXPECT_EQ(s->failure->file, "V4__x.sql");
  EXPECT_NE(s->failure->message.find("42P01"), std::string::npos);

  EXPECT_FALSE(ParseSummary("panic: something\nstack...").has_value());
  EXPECT_FALSE(ParseSummary(R"({"unrelated":true})").has_value());
}

}  // namespace
}  // namespace tenantdb::controllers::migration
