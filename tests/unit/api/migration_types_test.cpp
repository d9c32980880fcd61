#include "api/v1alpha1/migration_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_util.h"

namespace tenantdb::api::v1alpha1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::MessageAt;
using testing_util::Paths;

constexpr const char* kFullMigration = R"({
  "apiVersion": "tenantdb.io/v1alpha1",
  "kind": "Migration",
  "metadata": {"name": "orders-schema", "namespace": "shop", "generation": 1},
  "spec": {
    "databaseRef": {"name": "orders"},
    "source": {"configMapRef": {"name": "orders-migrations"}},
    "table": "schema_history",
    "baselineVersion": "1.2.0",
    "baselineOnMigrate": true,
    "outOfOrder": true,
    "validateOnMigrate": false,
    "placeholders": {"schema": "app", "env.name": "prod"},
    "serviceAccountName": "migrator",
    "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule",
                     "tolerationSeconds": 60}],
    "backoffLimit": 2,
    "activeDeadlineSeconds": 1200
  },
  "status": {
    "observedGeneration": 1,
    "conditions": [{"type": "Failed", "status": "True", "observedGeneration": 1,
                    "lastTransitionTime": "2026-01-02T03:04:05Z", "reason": "JobFailed",
                    "message": "V3__add_index.sql failed"}],
    "lastAppliedVersion": "2",
    "pendingMigrations": ["V3__add_index.sql", "V4__drop_column.sql"],
    "jobName": "orders-schema-7f3a2c",
    "failure": {"file": "V3__add_index.sql", "message": "ERROR: relation \"orderz\" does not exist"}
  }
})";

Migration FullMigration() {
  Migration m;
  m.metadata.name = "orders-schema";
  m.metadata.ns = "shop";
  m.metadata.generation = 1;
  m.spec.database_ref.name = "orders";
  m.spec.source.config_map_ref.name = "orders-migrations";
  m.spec.table = "schema_history";
  m.spec.baseline_version = "1.2.0";
  m.spec.baseline_on_migrate = true;
  m.spec.out_of_order = true;
  m.spec.validate_on_migrate = false;
  m.spec.placeholders = {{"schema", "app"}, {"env.name", "prod"}};
  m.spec.service_account_name = "migrator";
  ResourceRequirements resources;
  resources.limits = {{"cpu", Quantity{"500m"}}, {"memory", Quantity{"256Mi"}}};
  resources.requests = {{"cpu", Quantity{"100m"}}};
  m.spec.resources = resources;
  Toleration toleration;
  toleration.key = "dedicated";
  toleration.op = TolerationOperator::kEqual;
  toleration.value = "db";
  toleration.effect = TaintEffect::kNoSchedule;
  toleration.toleration_seconds = 60;
  m.spec.tolerations = {toleration};
  m.spec.backoff_limit = 2;
  m.spec.active_deadline_seconds = 1200;
  m.status.observed_generation = 1;
  Condition failed;
  failed.type = "Failed";
  failed.status = ConditionStatus::kTrue;
  failed.observed_generation = 1;
  failed.last_transition_time = *ParseRfc3339("2026-01-02T03:04:05Z");
  failed.reason = "JobFailed";
  failed.message = "V3__add_index.sql failed";
  m.status.conditions = {failed};
  m.status.last_applied_version = "2";
  m.status.pending_migrations = {"V3__add_index.sql", "V4__drop_column.sql"};
  m.status.job_name = "orders-schema-7f3a2c";
  MigrationFailure failure;
  failure.file = "V3__add_index.sql";
  failure.message = "ERROR: relation \"orderz\" does not exist";
  m.status.failure = failure;
  return m;
}

Migration MinimalMigration() {
  Migration m;
  m.metadata.name = "orders-schema";
  m.metadata.ns = "shop";
  m.spec.database_ref.name = "orders";
  m.spec.source.config_map_ref.name = "orders-migrations";
  return m;
}

TEST(MigrationJsonTest, FullObjectRoundTrips) {
  const Json j = Json::parse(kFullMigration);
  const auto parsed = FromJson<Migration>(j);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, FullMigration());
  EXPECT_EQ(ToJson(*parsed), j);
  EXPECT_EQ(*FromJson<Migration>(ToJson(FullMigration())), FullMigration());
}

TEST(MigrationJsonTest, NumericQuantitiesBecomeStrings) {
  const auto m =
      FromJson<Migration>(Json::parse(R"({"spec": {"resources": {"limits": {"cpu": 2}}}})"));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->spec.resources->limits.at("cpu").value, "2");
  const auto bad =
      FromJson<Migration>(Json::parse(R"({"spec": {"resources": {"limits": {"cpu": true}}}})"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "spec.resources.limits[cpu]: expected quantity (string or integer)");
  const auto fraction =
      FromJson<Migration>(Json::parse(R"({"spec": {"resources": {"limits": {"cpu": 0.5}}}})"));
  ASSERT_FALSE(fraction.has_value());
  const auto effect = FromJson<Migration>(
      Json::parse(R"({"spec": {"tolerations": [{"key": "a", "effect": "NoExec"}]}})"));
  ASSERT_FALSE(effect.has_value());
  EXPECT_THAT(effect.error().message,
              HasSubstr("spec.tolerations[0].effect: unsupported value \"NoExec\""));
}

TEST(MigrationDefaultsTest, AppliesReferenceDefaults) {
  Migration m = MinimalMigration();
  ApplyDefaults(m);
  EXPECT_EQ(m.spec.table, "flyway_schema_history");
  EXPECT_EQ(m.spec.baseline_version, "1");
  EXPECT_EQ(m.spec.baseline_on_migrate, false);
  EXPECT_EQ(m.spec.out_of_order, false);
  EXPECT_EQ(m.spec.validate_on_migrate, true);
  EXPECT_EQ(m.spec.backoff_limit, 0);
  EXPECT_EQ(m.spec.active_deadline_seconds, 600);
  EXPECT_FALSE(m.spec.service_account_name.has_value());
  EXPECT_FALSE(m.spec.resources.has_value());
  EXPECT_THAT(Validate(m), ElementsAre());
  Migration full = FullMigration();
  ApplyDefaults(full);
  EXPECT_EQ(full, FullMigration());
}

TEST(MigrationValidateTest, FullObjectIsValid) {
  EXPECT_THAT(Validate(FullMigration()), ElementsAre());
}

TEST(MigrationValidateTest, RequiredReferences) {
  EXPECT_THAT(Paths(Validate(Migration{})),
              ElementsAre("spec.databaseRef.name", "spec.source.configMapRef.name"));
}

TEST(MigrationValidateTest, PatternsAndRanges) {
  Migration m = MinimalMigration();
  m.spec.table = "Schema-History";
  m.spec.baseline_version = "1.x";
  m.spec.placeholders = {{"ok_key", "v"}, {"bad key", "v"}};
  m.spec.service_account_name = "Migrator";
  m.spec.backoff_limit = 11;
  m.spec.active_deadline_seconds = 0;
  const std::vector<FieldError> errors = Validate(m);
  EXPECT_THAT(Paths(errors), ElementsAre("spec.table", "spec.baselineVersion",
                                         "spec.placeholders[bad key]", "spec.serviceAccountName",
                                         "spec.backoffLimit", "spec.activeDeadlineSeconds"));
  EXPECT_THAT(MessageAt(errors, "spec.backoffLimit"), HasSubstr("between 0 and 10"));
}

TEST(MigrationValidateTest, BaselineVersions) {
  Migration m = MinimalMigration();
  for (const char* good : {"1", "0", "1.2", "2024.01.15.3"}) {
    m.spec.baseline_version = good;
    EXPECT_THAT(Validate(m), ElementsAre()) << good;
  }
  for (const char* bad : {"", "v1", "1.", ".1", "1..2", "1-2", "1_2"}) {
    m.spec.baseline_version = bad;
    EXPECT_THAT(Paths(Validate(m)), ElementsAre("spec.baselineVersion")) << bad;
  }
}

TEST(MigrationValidateTest, ReferencesAreObjectNames) {
  Migration m = MinimalMigration();
  m.spec.database_ref.name = "Orders";
  m.spec.source.config_map_ref.name = "orders_migrations";
  EXPECT_THAT(Paths(Validate(m)),
              ElementsAre("spec.databaseRef.name", "spec.source.configMapRef.name"));
}

TEST(MigrationValidateTest, Quantities) {
  for (const char* good :
       {"1", "500m", "0.5", ".5", "1.", "256Mi", "1G", "+1k", "1e3", "1E-2", "2Ei", "100n", "5u"}) {
    EXPECT_TRUE(IsQuantity(good)) << good;
  }
  for (const char* bad : {"", "m", "1.5.5", "1Gb", "1 G", "one", "1e", "1mi", "--1", "."}) {
    EXPECT_FALSE(IsQuantity(bad)) << bad;
  }
  Migration m = MinimalMigration();
  ResourceRequirements resources;
  resources.limits = {{"cpu", Quantity{"half"}}, {"memory", Quantity{"256Mi"}}};
  resources.requests = {{"memory", Quantity{"1GB"}}};
  m.spec.resources = resources;
  EXPECT_THAT(Paths(Validate(m)),
              ElementsAre("spec.resources.limits[cpu]", "spec.resources.requests[memory]"));
}

TEST(MigrationValidateTest, TolerationRules) {
  Migration m = MinimalMigration();
  Toleration exists_with_value;
  exists_with_value.key = "dedicated";
  exists_with_value.op = TolerationOperator::kExists;
  exists_with_value.value = "db";
  Toleration no_key;
  no_key.op = TolerationOperator::kEqual;
  Toleration match_all;
  match_all.op = TolerationOperator::kExists;
  Toleration equal;
  equal.key = "dedicated";
  equal.value = "db";
  m.spec.tolerations = {exists_with_value, no_key, match_all, equal};
  EXPECT_THAT(Paths(Validate(m)),
              ElementsAre("spec.tolerations[0].value", "spec.tolerations[1].operator"));
}

TEST(MigrationValidateTest, BackoffLimitBounds) {
  Migration m = MinimalMigration();
  m.spec.backoff_limit = -1;
  EXPECT_THAT(Paths(Validate(m)), ElementsAre("spec.backoffLimit"));
  m.spec.backoff_limit = 10;
  m.spec.active_deadline_seconds = 1;
  EXPECT_THAT(Validate(m), ElementsAre());
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
