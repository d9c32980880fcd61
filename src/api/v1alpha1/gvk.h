#pragma once

// Group, version, kind and resource names of tenantdb's five kinds.

#include <string_view>

namespace tenantdb::api::v1alpha1 {

inline constexpr std::string_view kGroup = "tenantdb.io";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "tenantdb.io/v1alpha1";  // group/version

struct GroupVersionKind {
  std::string_view group;
  std::string_view version;
  std::string_view kind;
  std::string_view plural;      // the resource in URLs: /apis/tenantdb.io/v1alpha1/<plural>
  std::string_view short_name;  // kubectl short name
  bool namespaced;
};

inline constexpr GroupVersionKind kDatabaseServerGvk = {
    kGroup, kVersion, "DatabaseServer", "databaseservers", "dbserver", false};
inline constexpr GroupVersionKind kDatabaseGvk = {kGroup,      kVersion, "Database",
                                                  "databases", "pgdb",   true};
inline constexpr GroupVersionKind kDatabaseRoleGvk = {kGroup,          kVersion, "DatabaseRole",
                                                      "databaseroles", "dbrole", true};
inline constexpr GroupVersionKind kMigrationGvk = {kGroup,       kVersion,      "Migration",
                                                   "migrations", "dbmigration", true};
inline constexpr GroupVersionKind kBackupScheduleGvk = {
    kGroup, kVersion, "BackupSchedule", "backupschedules", "dbbackup", true};

}  // namespace tenantdb::api::v1alpha1
