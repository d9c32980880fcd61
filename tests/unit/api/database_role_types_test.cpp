#include "api/v1alpha1/database_role_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_util.h"

namespace tenantdb::api::v1alpha1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::MessageAt;
using testing_util::Paths;

constexpr const char* kFullRole = R"({
  "apiVersion": "tenantdb.io/v1alpha1",
  "kind": "DatabaseRole",
  "metadata": {"name": "orders-api", "namespace": "shop", "generation": 5},
  "spec": {
    "databaseRef": {"name": "orders"},
    "roleName": "shop_orders_api",
    "login": true,
    "connectionLimit": 20,
    "validUntil": "2027-01-01T00:00:00Z",
    "inRoles": ["reporting", "pg_monitor"],
    "privileges": "ReadWrite",
    "grants": [{"schema": "audit", "privileges": ["USAGE"]},
               {"schema": "public", "table": "*", "privileges": ["SELECT", "INSERT", "ALL"]}],
    "passwordSecretRef": {"name": "orders-api-password", "key": "pw"},
    "secretName": "orders-api-db",
    "secretTemplate": {"DSN": "{{ .uri }}&max_conns=20", "KC_DB_URL": "jdbc:postgresql://{{ .host }}:{{ .port }}/{{ .dbname }}"},
    "passwordRotation": {"every": "720h", "strategy": "AlternatingUsers"},
    "reclaimPolicy": "Retain",
    "adopt": true
  },
  "status": {
    "observedGeneration": 5,
    "conditions": [{"type": "Ready", "status": "False", "observedGeneration": 5,
                    "lastTransitionTime": "2026-01-02T03:04:05Z",
                    "reason": "PasswordSecretNotFound",
                    "message": "Secret shop/orders-api-password not found"}],
    "roleName": "shop_orders_api",
    "secretName": "orders-api-db",
    "activeLogin": "shop_orders_api_b",
    "passwordChangedAt": "2026-01-02T00:00:00Z"
  }
})";

DatabaseRole FullRole() {
  DatabaseRole r;
  r.metadata.name = "orders-api";
  r.metadata.ns = "shop";
  r.metadata.generation = 5;
  r.spec.database_ref.name = "orders";
  r.spec.role_name = "shop_orders_api";
  r.spec.login = true;
  r.spec.connection_limit = 20;
  r.spec.valid_until = "2027-01-01T00:00:00Z";
  r.spec.in_roles = {"reporting", "pg_monitor"};
  r.spec.privileges = PrivilegePreset::kReadWrite;
  Grant audit;
  audit.schema = "audit";
  audit.privileges = {Privilege::kUsage};
  Grant tables;
  tables.schema = "public";
  tables.table = "*";
  tables.privileges = {Privilege::kSelect, Privilege::kInsert, Privilege::kAll};
  r.spec.grants = {audit, tables};
  SecretKeySelector password;
  password.name = "orders-api-password";
  password.key = "pw";
  r.spec.password_secret_ref = password;
  r.spec.secret_name = "orders-api-db";
  r.spec.secret_template = {
      {"DSN", "{{ .uri }}&max_conns=20"},
      {"KC_DB_URL", "jdbc:postgresql://{{ .host }}:{{ .port }}/{{ .dbname }}"}};
  PasswordRotation rotation;
  rotation.every = "720h";
  rotation.strategy = RotationStrategy::kAlternatingUsers;
  r.spec.password_rotation = rotation;
  r.spec.reclaim_policy = ReclaimPolicy::kRetain;
  r.spec.adopt = true;
  r.status.observed_generation = 5;
  Condition ready;
  ready.type = "Ready";
  ready.status = ConditionStatus::kFalse;
  ready.observed_generation = 5;
  ready.last_transition_time = *ParseRfc3339("2026-01-02T03:04:05Z");
  ready.reason = "PasswordSecretNotFound";
  ready.message = "Secret shop/orders-api-password not found";
  r.status.conditions = {ready};
  r.status.role_name = "shop_orders_api";
  r.status.secret_name = "orders-api-db";
  r.status.active_login = "shop_orders_api_b";
  r.status.password_changed_at = *ParseRfc3339("2026-01-02T00:00:00Z");
  return r;
}

DatabaseRole MinimalRole() {
  DatabaseRole r;
  r.metadata.name = "orders-api";
  r.metadata.ns = "shop";
  r.spec.database_ref.name = "orders";
  return r;
}

TEST(DatabaseRoleJsonTest, FullObjectRoundTrips) {
  const Json j = Json::parse(kFullRole);
  const auto parsed = FromJson<DatabaseRole>(j);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, FullRole());
  EXPECT_EQ(ToJson(*parsed), j);
  EXPECT_EQ(*FromJson<DatabaseRole>(ToJson(FullRole())), FullRole());
}

TEST(DatabaseRoleJsonTest, UnknownPrivilegeIsATypeErrorAtItsPath) {
  const auto r = FromJson<DatabaseRole>(Json::parse(R"({"spec": {"grants": [
    {"schema": "a", "privileges": ["SELECT"]}, {"schema": "b", "privileges": ["DROP"]}]}})"));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message,
              HasSubstr("spec.grants[1].privileges[0]: unsupported value \"DROP\""));
  const auto lower = FromJson<DatabaseRole>(
      Json::parse(R"({"spec": {"grants": [{"schema": "a", "privileges": ["select"]}]}})"));
  ASSERT_FALSE(lower.has_value());
  EXPECT_THAT(lower.error().message, HasSubstr("spec.grants[0].privileges[0]"));
  const auto preset = FromJson<DatabaseRole>(Json::parse(R"({"spec": {"privileges": "Admin"}})"));
  ASSERT_FALSE(preset.has_value());
  EXPECT_EQ(preset.error().message,
            "spec.privileges: unsupported value \"Admin\": supported values: ReadOnly, "
            "ReadWrite, Owner, None");
}

TEST(DatabaseRoleDefaultsTest, AppliesReferenceDefaults) {
  DatabaseRole r = MinimalRole();
  SecretKeySelector password;
  password.name = "pw";
  r.spec.password_secret_ref = password;
  ApplyDefaults(r);
  EXPECT_EQ(r.spec.login, true);
  EXPECT_EQ(r.spec.connection_limit, -1);
  EXPECT_EQ(r.spec.privileges, PrivilegePreset::kReadOnly);
  EXPECT_EQ(r.spec.password_secret_ref->key, "password");
  EXPECT_EQ(r.spec.reclaim_policy, ReclaimPolicy::kDelete);
  EXPECT_FALSE(r.spec.role_name.has_value());
  EXPECT_FALSE(r.spec.secret_name.has_value());
  EXPECT_FALSE(r.spec.password_rotation.has_value());
  EXPECT_THAT(Validate(r), ElementsAre());

  DatabaseRole rotating = MinimalRole();
  PasswordRotation rotation;
  rotation.every = "720h";
  rotating.spec.password_rotation = rotation;
  ApplyDefaults(rotating);
  EXPECT_EQ(rotating.spec.password_rotation->strategy, RotationStrategy::kInPlace);
  EXPECT_FALSE(rotating.spec.password_secret_ref.has_value());

  DatabaseRole full = FullRole();
  ApplyDefaults(full);
  EXPECT_EQ(full, FullRole());
}

TEST(DatabaseRoleValidateTest, RequiredDatabaseRef) {
  DatabaseRole r;
  EXPECT_THAT(Paths(Validate(r)), ElementsAre("spec.databaseRef.name"));
}

TEST(DatabaseRoleValidateTest, RoleNameRules) {
  DatabaseRole r = MinimalRole();
  for (const char* bad : {"pg_monitor", "public", "App", "1app", "app-1", ""}) {
    r.spec.role_name = bad;
    EXPECT_THAT(Paths(Validate(r)), ElementsAre("spec.roleName")) << bad;
  }
  r.spec.role_name = std::string(64, 'r');
  EXPECT_THAT(MessageAt(Validate(r), "spec.roleName"), HasSubstr("63 bytes"));
  r.spec.role_name = "app_pg_reader";
  EXPECT_THAT(Validate(r), ElementsAre());
}

TEST(DatabaseRoleValidateTest, GrantRules) {
  DatabaseRole r = MinimalRole();
  Grant ok;
  ok.schema = "public";
  ok.table = "*";
  ok.privileges = {Privilege::kSelect};
  Grant bad;
  bad.schema = "Public";
  bad.table = "Orders";
  bad.privileges = {Privilege::kSelect, Privilege::kInsert, Privilege::kSelect};
  Grant empty;
  empty.schema = "app";
  r.spec.grants = {ok, bad, empty};
  const std::vector<FieldError> errors = Validate(r);
  EXPECT_THAT(Paths(errors),
              ElementsAre("spec.grants[1].schema", "spec.grants[1].table",
                          "spec.grants[1].privileges[2]", "spec.grants[2].privileges"));
  EXPECT_THAT(MessageAt(errors, "spec.grants[1].privileges[2]"), HasSubstr("duplicate"));
  EXPECT_THAT(MessageAt(errors, "spec.grants[2].privileges"), HasSubstr("at least one"));
}

TEST(DatabaseRoleValidateTest, ScalarRules) {
  DatabaseRole r = MinimalRole();
  r.spec.connection_limit = -2;
  r.spec.valid_until = "next year";
  r.spec.in_roles = {"readers", "Writers", "readers"};
  r.spec.secret_name = "Orders_Creds";
  EXPECT_THAT(Paths(Validate(r)),
              ElementsAre("spec.connectionLimit", "spec.validUntil", "spec.inRoles[1]",
                          "spec.inRoles[2]", "spec.secretName"));
  r.spec.connection_limit = -1;
  r.spec.valid_until = "2026-12-31T23:59:59+01:00";
  r.spec.in_roles = {"readers", "pg_read_all_data"};
  r.spec.secret_name = "orders.creds";
  EXPECT_THAT(Validate(r), ElementsAre());
}

TEST(DatabaseRoleValidateTest, PasswordSecretRefNeedsAName) {
  DatabaseRole r = MinimalRole();
  r.spec.password_secret_ref = SecretKeySelector{};
  EXPECT_THAT(Paths(Validate(r)), ElementsAre("spec.passwordSecretRef.name"));
}

TEST(DatabaseRoleValidateTest, PasswordRotationRules) {
  DatabaseRole r = MinimalRole();
  PasswordRotation rotation;
  rotation.every = "30m";
  r.spec.password_rotation = rotation;
  EXPECT_THAT(Paths(Validate(r)), ElementsAre("spec.passwordRotation.every"));
  EXPECT_THAT(MessageAt(Validate(r), "spec.passwordRotation.every"), HasSubstr("at least 1h"));
  for (const char* bad : {"30d", "1h30", "", "1.5h"}) {
    r.spec.password_rotation->every = bad;
    EXPECT_THAT(Paths(Validate(r)), ElementsAre("spec.passwordRotation.every")) << bad;
  }
  for (const char* good : {"1h", "60m", "3600s", "720h", "1h30m"}) {
    r.spec.password_rotation->every = good;
    EXPECT_THAT(Validate(r), ElementsAre()) << good;
  }
  SecretKeySelector password;
  password.name = "pw";
  r.spec.password_secret_ref = password;
  const std::vector<FieldError> errors = Validate(r);
  EXPECT_THAT(Paths(errors), ElementsAre("spec.passwordRotation"));
  EXPECT_THAT(MessageAt(errors, "spec.passwordRotation"), HasSubstr("passwordSecretRef"));
}

TEST(DatabaseRoleValidateTest, SecretTemplatePlaceholders) {
  DatabaseRole r = MinimalRole();
  r.spec.secret_template = {
      {"DSN", "{{ .uri }}&max_conns=20"},
      {"KC_DB_URL", "jdbc:postgresql://{{.host}}:{{ .port }}/{{ .dbname }}?sslmode={{ .sslmode }}"},
      {"creds", "{{ .username }}:{{ .password }}"},
      {"plain", "no placeholders } at all {"},
  };
  EXPECT_THAT(Validate(r), ElementsAre());

  r.spec.secret_template = {
      {"A", "{{ .foo }}"},
      {"B", "{{ .username }} {{ .Password }}"},
      {"C", "{{ upper .username }}"},
      {"D", "{{ .uri "},
      {"bad key", "x"},
      {"E", "{{ . }}"},
  };
  const std::vector<FieldError> errors = Validate(r);
  EXPECT_THAT(Paths(errors), ElementsAre("spec.secretTemplate[A]", "spec.secretTemplate[B]",
                                         "spec.secretTemplate[C]", "spec.secretTemplate[D]",
                                         "spec.secretTemplate[E]", "spec.secretTemplate[bad key]"));
  EXPECT_THAT(MessageAt(errors, "spec.secretTemplate[A]"), HasSubstr("{{ .foo }}"));
  EXPECT_THAT(MessageAt(errors, "spec.secretTemplate[B]"), HasSubstr("{{ .Password }}"));
  EXPECT_THAT(MessageAt(errors, "spec.secretTemplate[C]"), HasSubstr("{{ upper .username }}"));
  EXPECT_THAT(MessageAt(errors, "spec.secretTemplate[D]"), HasSubstr("unterminated"));
}

TEST(DatabaseRoleValidateTest, ReferencesFollowTheCrd) {
  DatabaseRole r = MinimalRole();
  r.spec.database_ref.name = "Shop_DB";
  SecretKeySelector password;
  password.name = "pw";
  password.key = "pass word";
  r.spec.password_secret_ref = password;
  EXPECT_THAT(Paths(Validate(r)),
              ElementsAre("spec.databaseRef.name", "spec.passwordSecretRef.key"));
}

TEST(DatabaseRoleValidateTest, SecretTemplateLimits) {
  DatabaseRole r = MinimalRole();
  r.spec.secret_template = {{"TABS", "{{\t.uri\t}}"}, {"LONG", std::string(4097, 'x')}};
  EXPECT_THAT(Paths(Validate(r)),
              ElementsAre("spec.secretTemplate[LONG]", "spec.secretTemplate[TABS]"));
  r.spec.secret_template.clear();
  for (int i = 0; i < 33; ++i) {
    r.spec.secret_template["K" + std::to_string(i)] = "v";
  }
  EXPECT_THAT(Paths(Validate(r)), ElementsAre("spec.secretTemplate"));
}

TEST(DatabaseRoleValidateUpdateTest, RoleNameIsImmutable) {
  DatabaseRole old_role = MinimalRole();
  DatabaseRole role = old_role;
  role.spec.login = false;
  EXPECT_THAT(ValidateUpdate(old_role, role), ElementsAre());
  role.spec.role_name = "app";
  EXPECT_THAT(Paths(ValidateUpdate(old_role, role)), ElementsAre("spec.roleName"));
  old_role.spec.role_name = "app";
  role.spec.role_name.reset();
  EXPECT_THAT(Paths(ValidateUpdate(old_role, role)), ElementsAre("spec.roleName"));
}

TEST(EffectiveRoleNameTest, NamespaceUnderscoreName) {
  EXPECT_EQ(*EffectiveRoleName(MinimalRole()), "shop_orders_api");
  DatabaseRole r = MinimalRole();
  r.metadata.name = "reports.v2";
  EXPECT_EQ(*EffectiveRoleName(r), "shop_reports_v2");
  r.spec.role_name = "reporter";
  EXPECT_EQ(*EffectiveRoleName(r), "reporter");
}

TEST(EffectiveRoleNameTest, SixtyThreeByteLimit) {
  DatabaseRole r = MinimalRole();
  r.metadata.ns = std::string(20, 'n');
  r.metadata.name = std::string(42, 'm');
  EXPECT_EQ(EffectiveRoleName(r)->size(), 63u);
  r.metadata.name = std::string(43, 'm');
  const Expected<std::string> name = EffectiveRoleName(r);
  ASSERT_FALSE(name.has_value());
  EXPECT_EQ(name.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(name.error().reason, "InvalidSpec");
  EXPECT_THAT(name.error().message, HasSubstr("set spec.roleName"));
}

TEST(EffectiveRoleNameTest, ReservedComputedNameIsRefused) {
  DatabaseRole r = MinimalRole();
  r.metadata.ns = "pg";
  const Expected<std::string> name = EffectiveRoleName(r);
  ASSERT_FALSE(name.has_value());
  EXPECT_THAT(name.error().message, HasSubstr("set spec.roleName"));
}

TEST(EffectiveSecretNameTest, NameDashCredentials) {
  EXPECT_EQ(*EffectiveSecretName(MinimalRole()), "orders-api-credentials");
  DatabaseRole r = MinimalRole();
  r.spec.secret_name = "orders-db";
  EXPECT_EQ(*EffectiveSecretName(r), "orders-db");
  r.spec.secret_name.reset();
  r.metadata.name = std::string(242, 'a');  // + "-credentials" = 254 bytes
  const Expected<std::string> too_long = EffectiveSecretName(r);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_THAT(too_long.error().message, HasSubstr("set spec.secretName"));
  r.metadata.name = std::string(241, 'a');
  EXPECT_EQ(EffectiveSecretName(r)->size(), 253u);
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
