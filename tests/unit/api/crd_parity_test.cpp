// The objects of tests/e2e/invalid/ (which the CRDs refuse at admission) must be refused by the
// C++ side too, naming the same field: FromJson for enum violations (the C++ types cannot hold an
// unknown enum value), Validate/ValidateUpdate for the rest. Transcribed from the YAML files.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_util.h"

namespace tenantdb::api::v1alpha1 {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Runs Validate on the decoded object (after the API server's defaulting) and returns every
// error as "path: message".
template <class T>
std::string Refusal(const char* json) {
  Expected<T> object = FromJson<T>(Json::parse(json));
  if (!object) {
    return object.error().message;
  }
  ApplyDefaults(*object);
  return FormatFieldErrors(Validate(*object));
}

TEST(CrdParityTest, DatabaseReservedName) {
  EXPECT_THAT(Refusal<Database>(R"({"kind": "Database",
    "metadata": {"name": "reserved-name", "namespace": "e2e-invalid"},
    "spec": {"name": "postgres"}})"),
              StartsWith("spec.name: "));
}

TEST(CrdParityTest, DatabaseName64Bytes) {
  EXPECT_THAT(Refusal<Database>(R"({"metadata": {"name": "name-64-bytes"},
    "spec": {"name": "a123456789012345678901234567890123456789012345678901234567890123"}})"),
              StartsWith("spec.name: "));
}

TEST(CrdParityTest, DatabaseBadEnum) {
  EXPECT_THAT(Refusal<Database>(R"({"spec": {"reclaimPolicy": "Destroy"}})"),
              StartsWith("spec.reclaimPolicy: unsupported value"));
}

TEST(CrdParityTest, DatabaseBadPattern) {
  EXPECT_THAT(Refusal<Database>(R"({"spec": {"name": "shop\"; DROP DATABASE postgres; --"}})"),
              StartsWith("spec.name: "));
}

TEST(CrdParityTest, DatabaseSchemaPgPrefix) {
  EXPECT_THAT(Refusal<Database>(R"({"spec": {"schemas": [{"name": "pg_mine"}]}})"),
              StartsWith("spec.schemas[0].name: "));
}

TEST(CrdParityTest, RolePgPrefixAndPublic) {
  EXPECT_THAT(Refusal<DatabaseRole>(
                  R"({"spec": {"databaseRef": {"name": "shop"}, "roleName": "pg_admin"}})"),
              StartsWith("spec.roleName: "));
  EXPECT_THAT(
      Refusal<DatabaseRole>(R"({"spec": {"databaseRef": {"name": "shop"}, "roleName": "public"}})"),
      StartsWith("spec.roleName: "));
}

TEST(CrdParityTest, RoleMissingDatabaseRef) {
  EXPECT_THAT(Refusal<DatabaseRole>(R"({"spec": {"privileges": "ReadOnly"}})"),
              StartsWith("spec.databaseRef"));
}

TEST(CrdParityTest, RoleRotationWithPasswordSecret) {
  EXPECT_THAT(Refusal<DatabaseRole>(R"({"spec": {"databaseRef": {"name": "shop"},
    "passwordSecretRef": {"name": "my-password"}, "passwordRotation": {"every": "720h"}}})"),
              StartsWith("spec.passwordRotation: "));
}

TEST(CrdParityTest, RoleRotationTooOften) {
  EXPECT_THAT(Refusal<DatabaseRole>(R"({"spec": {"databaseRef": {"name": "shop"},
    "passwordRotation": {"every": "30m"}}})"),
              StartsWith("spec.passwordRotation.every: "));
}

TEST(CrdParityTest, RoleSecretTemplateUnknownPlaceholder) {
  const std::string refusal = Refusal<DatabaseRole>(R"({"spec": {"databaseRef": {"name": "shop"},
    "secretTemplate": {"DSN": "{{ .uri }}&token={{ .secret }}"}}})");
  EXPECT_THAT(refusal, StartsWith("spec.secretTemplate[DSN]: "));
  EXPECT_THAT(refusal, HasSubstr("{{ .secret }}"));
}

TEST(CrdParityTest, MigrationMissingSource) {
  EXPECT_THAT(Refusal<Migration>(R"({"spec": {"databaseRef": {"name": "shop"}}})"),
              StartsWith("spec.source"));
}

TEST(CrdParityTest, BackupBadCompression) {
  EXPECT_THAT(Refusal<BackupSchedule>(R"({"spec": {"databaseRef": {"name": "shop"},
    "schedule": "@daily", "compression": 12,
    "storage": {"persistentVolumeClaim": {"claimName": "backups"}}}})"),
              StartsWith("spec.compression: "));
}

TEST(CrdParityTest, BackupBadSchedule) {
  EXPECT_THAT(Refusal<BackupSchedule>(R"({"spec": {"databaseRef": {"name": "shop"},
    "schedule": "every day at 3",
    "storage": {"persistentVolumeClaim": {"claimName": "backups"}}}})"),
              StartsWith("spec.schedule: "));
}

TEST(CrdParityTest, ServerVerifyFullWithoutCa) {
  EXPECT_THAT(
      Refusal<DatabaseServer>(R"({"metadata": {"name": "e2e-invalid-verify-full-without-ca"},
    "spec": {"host": "db.example.com", "sslMode": "verify-full",
             "adminCredentialsSecretRef": {"namespace": "tenantdb-system", "name": "tenantdb-admin"}}})"),
      StartsWith("spec.sslRootCertSecretRef: "));
}

TEST(CrdParityTest, DatabaseNameIsImmutable) {
  Database v1 = *FromJson<Database>(Json::parse(R"({"spec": {"name": "immutable_v1"}})"));
  Database v2 = *FromJson<Database>(Json::parse(R"({"spec": {"name": "immutable_v2"}})"));
  ApplyDefaults(v1);
  ApplyDefaults(v2);
  EXPECT_THAT(FormatFieldErrors(ValidateUpdate(v1, v2)), StartsWith("spec.name: "));
}

TEST(CrdParityTest, ValidObjectsPass) {
  EXPECT_EQ(Refusal<Database>(R"({"metadata": {"name": "shop", "namespace": "quickstart"},
    "spec": {}})"),
            "");
  EXPECT_EQ(Refusal<DatabaseRole>(R"({"spec": {"databaseRef": {"name": "shop"},
    "privileges": "ReadWrite"}})"),
            "");
  EXPECT_EQ(Refusal<Migration>(R"({"spec": {"databaseRef": {"name": "shop"},
    "source": {"configMapRef": {"name": "shop-migrations"}}}})"),
            "");
  EXPECT_EQ(Refusal<BackupSchedule>(R"({"spec": {"databaseRef": {"name": "shop"},
    "schedule": "0 3 * * *", "storage": {"persistentVolumeClaim": {"claimName": "backups"}}}})"),
            "");
  EXPECT_EQ(Refusal<DatabaseServer>(R"({"spec": {"host": "127.0.0.1",
    "adminCredentialsSecretRef": {"namespace": "tenantdb-system", "name": "admin"}}})"),
            "");
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
