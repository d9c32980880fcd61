#include "api/v1alpha1/database_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_util.h"

namespace tenantdb::api::v1alpha1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::MessageAt;
using testing_util::Paths;

constexpr const char* kFullDatabase = R"({
  "apiVersion": "tenantdb.io/v1alpha1",
  "kind": "Database",
  "metadata": {
    "name": "orders", "namespace": "shop", "uid": "1111-2222", "resourceVersion": "42",
    "generation": 3, "labels": {"team": "shop"}, "annotations": {"note": "main db"},
    "finalizers": ["tenantdb.io/database"], "deletionTimestamp": "2026-01-03T00:00:00Z",
    "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "bundle", "uid": "u-1",
                         "controller": true, "blockOwnerDeletion": false}],
    "creationTimestamp": "2026-01-01T00:00:00Z"
  },
  "spec": {
    "serverRef": {"name": "main"},
    "name": "shop_orders",
    "owner": "shop_orders_admin",
    "encoding": "UTF8",
    "locale": "en_US.UTF-8",
    "template": "template0",
    "connectionLimit": 50,
    "extensions": [{"name": "uuid-ossp", "version": "1.1", "schema": "public", "ensure": "present"},
                   {"name": "postgis", "ensure": "absent"}],
    "schemas": [{"name": "app", "owner": "shop_app_owner", "ensure": "present"},
                {"name": "legacy", "ensure": "absent"}],
    "reclaimPolicy": "Delete",
    "adopt": true,
    "driftPolicy": "Detect",
    "deletionProtection": true
  },
  "status": {
    "observedGeneration": 3,
    "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 3,
                    "lastTransitionTime": "2026-01-02T03:04:05Z", "reason": "Reconciled",
                    "message": "Database is ready"}],
    "databaseName": "shop_orders",
    "owner": "shop_orders_admin",
    "drift": [{"field": "connectionLimit", "expected": "50", "actual": "10"}]
  }
})";

Database FullDatabase() {
  Database d;
  d.metadata.name = "orders";
  d.metadata.ns = "shop";
  d.metadata.uid = "1111-2222";
  d.metadata.resource_version = "42";
  d.metadata.generation = 3;
  d.metadata.labels = {{"team", "shop"}};
  d.metadata.annotations = {{"note", "main db"}};
  d.metadata.finalizers = {"tenantdb.io/database"};
  d.metadata.deletion_timestamp = *ParseRfc3339("2026-01-03T00:00:00Z");
  OwnerReference owner;
  owner.api_version = "v1";
  owner.kind = "ConfigMap";
  owner.name = "bundle";
  owner.uid = "u-1";
  owner.controller = true;
  owner.block_owner_deletion = false;
  d.metadata.owner_references = {owner};
  d.metadata.creation_timestamp = *ParseRfc3339("2026-01-01T00:00:00Z");

  LocalObjectReference server;
  server.name = "main";
  d.spec.server_ref = server;
  d.spec.name = "shop_orders";
  d.spec.owner = "shop_orders_admin";
  d.spec.encoding = "UTF8";
  d.spec.locale = "en_US.UTF-8";
  d.spec.template_name = "template0";
  d.spec.connection_limit = 50;
  DatabaseExtension uuid;
  uuid.name = "uuid-ossp";
  uuid.version = "1.1";
  uuid.schema = "public";
  uuid.ensure = Ensure::kPresent;
  DatabaseExtension postgis;
  postgis.name = "postgis";
  postgis.ensure = Ensure::kAbsent;
  d.spec.extensions = {uuid, postgis};
  DatabaseSchema app;
  app.name = "app";
  app.owner = "shop_app_owner";
  app.ensure = Ensure::kPresent;
  DatabaseSchema legacy;
  legacy.name = "legacy";
  legacy.ensure = Ensure::kAbsent;
  d.spec.schemas = {app, legacy};
  d.spec.reclaim_policy = ReclaimPolicy::kDelete;
  d.spec.adopt = true;
  d.spec.drift_policy = DriftPolicy::kDetect;
  d.spec.deletion_protection = true;

  d.status.observed_generation = 3;
  Condition ready;
  ready.type = "Ready";
  ready.status = ConditionStatus::kTrue;
  ready.observed_generation = 3;
  ready.last_transition_time = *ParseRfc3339("2026-01-02T03:04:05Z");
  ready.reason = "Reconciled";
  ready.message = "Database is ready";
  d.status.conditions = {ready};
  d.status.database_name = "shop_orders";
  d.status.owner = "shop_orders_admin";
  DriftEntry drift;
  drift.field = "connectionLimit";
  drift.expected = "50";
  drift.actual = "10";
  d.status.drift = {drift};
  return d;
}

Database NamedDatabase(std::string ns, std::string name) {
  Database d;
  d.metadata.ns = std::move(ns);
  d.metadata.name = std::move(name);
  return d;
}

TEST(DatabaseJsonTest, FullObjectRoundTrips) {
  const Json j = Json::parse(kFullDatabase);
  const auto parsed = FromJson<Database>(j);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, FullDatabase());
  EXPECT_EQ(ToJson(*parsed), j);
  EXPECT_EQ(*FromJson<Database>(ToJson(FullDatabase())), FullDatabase());
}

TEST(DatabaseJsonTest, EmptyObjectRoundTrips) {
  const Database empty;
  EXPECT_EQ(ToJson(empty), Json::parse(R"({"apiVersion": "tenantdb.io/v1alpha1",
    "kind": "Database", "metadata": {}, "spec": {}})"));
  EXPECT_EQ(*FromJson<Database>(ToJson(empty)), empty);
}

TEST(DatabaseJsonTest, EnumTypeErrors) {
  const auto bad = FromJson<Database>(
      Json::parse(R"({"spec": {"extensions": [{"name": "a"}, {"name": "b", "ensure": "gone"}]}})"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "spec.extensions[1].ensure: unsupported value \"gone\": supported values: present, "
            "absent");
  const auto policy = FromJson<Database>(Json::parse(R"({"spec": {"reclaimPolicy": "delete"}})"));
  ASSERT_FALSE(policy.has_value());
  EXPECT_THAT(policy.error().message, HasSubstr("spec.reclaimPolicy: unsupported value"));
}

TEST(DatabaseDefaultsTest, AppliesReferenceDefaults) {
  Database d = NamedDatabase("shop", "orders");
  DatabaseExtension ext;
  ext.name = "pgcrypto";
  d.spec.extensions = {ext};
  DatabaseSchema schema;
  schema.name = "app";
  d.spec.schemas = {schema};
  ApplyDefaults(d);
  ASSERT_TRUE(d.spec.server_ref.has_value());
  EXPECT_EQ(d.spec.server_ref->name, "default");
  EXPECT_EQ(d.spec.encoding, "UTF8");
  EXPECT_EQ(d.spec.template_name, "template1");
  EXPECT_EQ(d.spec.connection_limit, -1);
  EXPECT_EQ(d.spec.extensions[0].ensure, Ensure::kPresent);
  EXPECT_EQ(d.spec.schemas[0].ensure, Ensure::kPresent);
  EXPECT_EQ(d.spec.reclaim_policy, ReclaimPolicy::kRetain);
  EXPECT_EQ(d.spec.adopt, false);
  EXPECT_EQ(d.spec.drift_policy, DriftPolicy::kCorrect);
  EXPECT_EQ(d.spec.deletion_protection, false);
  // Computed and server-side values are not static defaults.
  EXPECT_FALSE(d.spec.name.has_value());
  EXPECT_FALSE(d.spec.owner.has_value());
  EXPECT_FALSE(d.spec.locale.has_value());
  EXPECT_FALSE(d.spec.schemas[0].owner.has_value());
  EXPECT_THAT(Validate(d), ElementsAre());
}

TEST(DatabaseDefaultsTest, KeepsSetValues) {
  Database d = FullDatabase();
  ApplyDefaults(d);
  EXPECT_EQ(d, FullDatabase());
  Database empty_server_ref = NamedDatabase("shop", "orders");
  empty_server_ref.spec.server_ref = LocalObjectReference{};
  ApplyDefaults(empty_server_ref);
  EXPECT_EQ(empty_server_ref.spec.server_ref->name, "default");
}

TEST(DatabaseValidateTest, FullObjectIsValid) {
  EXPECT_THAT(Validate(FullDatabase()), ElementsAre());
}

TEST(DatabaseValidateTest, NameRules) {
  Database d = NamedDatabase("shop", "orders");
  d.spec.name = "postgres";
  std::vector<FieldError> errors = Validate(d);
  EXPECT_THAT(Paths(errors), ElementsAre("spec.name"));
  EXPECT_THAT(MessageAt(errors, "spec.name"), HasSubstr("reserved"));
  for (const char* bad :
       {"template0", "template1", "Orders", "1orders", "or-ders", "", "\"quoted\""}) {
    d.spec.name = bad;
    EXPECT_THAT(Paths(Validate(d)), ElementsAre("spec.name")) << bad;
  }
  d.spec.name = std::string(64, 'a');
  errors = Validate(d);
  EXPECT_THAT(Paths(errors), ElementsAre("spec.name"));
  EXPECT_THAT(MessageAt(errors, "spec.name"), HasSubstr("63 bytes"));
  d.spec.name = std::string(63, 'a');
  EXPECT_THAT(Validate(d), ElementsAre());
  d.spec.name = "_orders_2";
  EXPECT_THAT(Validate(d), ElementsAre());
}

TEST(DatabaseValidateTest, OwnerIsANonReservedRole) {
  Database d = NamedDatabase("shop", "orders");
  d.spec.owner = "pg_write_all_data";
  EXPECT_THAT(Paths(Validate(d)), ElementsAre("spec.owner"));
  d.spec.owner = "public";
  EXPECT_THAT(Paths(Validate(d)), ElementsAre("spec.owner"));
  d.spec.owner = "Owner";
  EXPECT_THAT(Paths(Validate(d)), ElementsAre("spec.owner"));
  d.spec.owner = "postgres";  // a reserved database name, but a fine role name
  EXPECT_THAT(Validate(d), ElementsAre());
}

TEST(DatabaseValidateTest, PatternsAndRanges) {
  Database d = NamedDatabase("shop", "orders");
  LocalObjectReference server;
  server.name = "Main_Server";
  d.spec.server_ref = server;
  d.spec.encoding = "UTF-8";
  d.spec.locale = "en US";
  d.spec.template_name = "Template1";
  d.spec.connection_limit = -2;
  EXPECT_THAT(Paths(Validate(d)), ElementsAre("spec.serverRef.name", "spec.encoding", "spec.locale",
                                              "spec.template", "spec.connectionLimit"));
  d.spec.server_ref->name = "pg.main";
  d.spec.encoding = "LATIN1";
  d.spec.locale = "de_DE.utf8@euro";
  d.spec.template_name = "my_template";
  d.spec.connection_limit = -1;
  EXPECT_THAT(Validate(d), ElementsAre());
}

TEST(DatabaseValidateTest, ExtensionsAndSchemas) {
  Database d = NamedDatabase("shop", "orders");
  DatabaseExtension a;
  a.name = "uuid-ossp";
  DatabaseExtension dup = a;
  DatabaseExtension bad;
  bad.name = "PostGIS";
  bad.schema = "Ext";
  d.spec.extensions = {a, dup, bad};
  DatabaseSchema pg;
  pg.name = "pg_temp_x";
  DatabaseSchema info;
  info.name = "information_schema";
  DatabaseSchema app;
  app.name = "app";
  app.owner = "App";
  DatabaseSchema app_again;
  app_again.name = "app";
  d.spec.schemas = {pg, info, app, app_again};
  const std::vector<FieldError> errors = Validate(d);
  EXPECT_THAT(Paths(errors),
              ElementsAre("spec.extensions[1].name", "spec.extensions[2].name",
                          "spec.extensions[2].schema", "spec.schemas[0].name",
                          "spec.schemas[1].name", "spec.schemas[2].owner", "spec.schemas[3].name"));
  EXPECT_THAT(MessageAt(errors, "spec.extensions[1].name"), HasSubstr("duplicate"));
  EXPECT_THAT(MessageAt(errors, "spec.schemas[1].name"), HasSubstr("reserved"));
}

TEST(DatabaseValidateTest, ExtensionsNeverGoIntoPostgresqlsOwnSchemas) {
  for (const char* schema : {"pg_catalog", "pg_toast", "information_schema"}) {
    Database d = NamedDatabase("shop", "orders");
    DatabaseExtension e;
    e.name = "citext";
    e.schema = schema;
    d.spec.extensions = {e};
    const std::vector<FieldError> errors = Validate(d);
    EXPECT_THAT(Paths(errors), ElementsAre("spec.extensions[0].schema")) << schema;
    EXPECT_THAT(MessageAt(errors, "spec.extensions[0].schema"), HasSubstr("reserved"));
  }
  Database ok = NamedDatabase("shop", "orders");
  DatabaseExtension e;
  e.name = "citext";
  e.schema = "ext";
  ok.spec.extensions = {e};
  EXPECT_THAT(Validate(ok), ElementsAre());
}

TEST(DatabaseValidateTest, CrdLengthsAndSchemaOwners) {
  Database d = NamedDatabase("shop", "orders");
  d.spec.locale = std::string(129, 'C');
  d.spec.encoding = std::string(64, 'U');
  DatabaseExtension ext;
  ext.name = "pgcrypto";
  ext.version = "";
  d.spec.extensions = {ext};
  DatabaseSchema schema;
  schema.name = "app";
  schema.owner = "pg_database_owner";
  d.spec.schemas = {schema};
  EXPECT_THAT(Paths(Validate(d)),
              ElementsAre("spec.encoding", "spec.locale", "spec.extensions[0].version",
                          "spec.schemas[0].owner"));
  d.spec.schemas = std::vector<DatabaseSchema>(65, schema);
  EXPECT_THAT(Paths(Validate(d)), ::testing::Contains("spec.schemas"));
}

TEST(DatabaseValidateUpdateTest, ImmutableFields) {
  Database old_db = NamedDatabase("shop", "orders");
  ApplyDefaults(old_db);
  Database changed = old_db;
  EXPECT_THAT(ValidateUpdate(old_db, changed), ElementsAre());
  changed.spec.name = "shop_orders";   // added
  changed.spec.encoding = "LATIN1";    // changed
  changed.spec.template_name.reset();  // removed
  changed.spec.connection_limit = 10;  // mutable
  EXPECT_THAT(Paths(ValidateUpdate(old_db, changed)),
              ElementsAre("spec.name", "spec.encoding", "spec.template"));
  changed = old_db;
  changed.spec.locale = "C";
  EXPECT_THAT(Paths(ValidateUpdate(old_db, changed)), ElementsAre("spec.locale"));
}

TEST(EffectiveDatabaseNameTest, NamespaceUnderscoreName) {
  EXPECT_EQ(*EffectiveDatabaseName(NamedDatabase("shop", "orders")), "shop_orders");
  EXPECT_EQ(*EffectiveDatabaseName(NamedDatabase("team-a", "orders.v2-eu")), "team_a_orders_v2_eu");
}

TEST(EffectiveDatabaseNameTest, SpecNameWins) {
  Database d = NamedDatabase("shop", "orders");
  d.spec.name = "legacy_orders";
  EXPECT_EQ(*EffectiveDatabaseName(d), "legacy_orders");
}

TEST(EffectiveDatabaseNameTest, SixtyThreeBytesIsTheLimit) {
  // 30 + 1 + 32 = 63 bytes: fine.
  const Database at_limit = NamedDatabase(std::string(30, 'n'), std::string(32, 'm'));
  const Expected<std::string> ok = EffectiveDatabaseName(at_limit);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->size(), 63u);

  const Database over = NamedDatabase(std::string(30, 'n'), std::string(33, 'm'));
  const Expected<std::string> name = EffectiveDatabaseName(over);
  ASSERT_FALSE(name.has_value());
  EXPECT_EQ(name.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(name.error().reason, "InvalidSpec");
  EXPECT_TRUE(name.error().terminal);
  EXPECT_THAT(name.error().message, HasSubstr("64 bytes"));
  EXPECT_THAT(name.error().message, HasSubstr("63-byte"));
  EXPECT_THAT(name.error().message, HasSubstr("set spec.name"));
}

TEST(EffectiveDatabaseNameTest, NamespaceStartingWithADigitNeedsSpecName) {
  const Expected<std::string> name = EffectiveDatabaseName(NamedDatabase("1team", "orders"));
  ASSERT_FALSE(name.has_value());
  EXPECT_EQ(name.error().code, ErrorCode::kInvalid);
  EXPECT_THAT(name.error().message, HasSubstr("set spec.name"));
}

TEST(EffectiveOwnerTest, DefaultIsDatabaseNameUnderscoreOwner) {
  EXPECT_EQ(*EffectiveOwner(NamedDatabase("shop", "orders")), "shop_orders_owner");
  Database named = NamedDatabase("shop", "orders");
  named.spec.name = "orders";
  EXPECT_EQ(*EffectiveOwner(named), "orders_owner");
  named.spec.owner = "dba";
  EXPECT_EQ(*EffectiveOwner(named), "dba");
}

TEST(EffectiveOwnerTest, TooLongOwnerNeedsSpecOwner) {
  Database d = NamedDatabase("shop", "orders");
  d.spec.name = std::string(58, 'd');  // + "_owner" = 64 bytes
  const Expected<std::string> owner = EffectiveOwner(d);
  ASSERT_FALSE(owner.has_value());
  EXPECT_EQ(owner.error().code, ErrorCode::kInvalid);
  EXPECT_THAT(owner.error().message, HasSubstr("set spec.owner"));
  d.spec.name = std::string(57, 'd');
  EXPECT_EQ(EffectiveOwner(d)->size(), 63u);
}

TEST(EffectiveOwnerTest, PropagatesDatabaseNameFailure) {
  const Expected<std::string> owner =
      EffectiveOwner(NamedDatabase(std::string(40, 'n'), std::string(40, 'm')));
  ASSERT_FALSE(owner.has_value());
  EXPECT_THAT(owner.error().message, HasSubstr("set spec.name"));
}

TEST(EffectiveServerNameTest, DefaultsToDefault) {
  Database d = NamedDatabase("shop", "orders");
  EXPECT_EQ(EffectiveServerName(d), "default");
  d.spec.server_ref = LocalObjectReference{};
  EXPECT_EQ(EffectiveServerName(d), "default");
  d.spec.server_ref->name = "main";
  EXPECT_EQ(EffectiveServerName(d), "main");
}

TEST(EffectiveSchemaOwnerTest, DefaultsToDatabaseOwner) {
  Database d = NamedDatabase("shop", "orders");
  DatabaseSchema schema;
  schema.name = "app";
  EXPECT_EQ(*EffectiveSchemaOwner(d, schema), "shop_orders_owner");
  schema.owner = "app_owner";
  EXPECT_EQ(*EffectiveSchemaOwner(d, schema), "app_owner");
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
