#pragma once

// Helpers shared by the tests/unit/api tests.

#include <ostream>
#include <string>
#include <vector>

#include "api/v1alpha1/backup_schedule_types.h"
#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/meta.h"
#include "api/v1alpha1/migration_types.h"
#include "api/v1alpha1/validation.h"

namespace tenantdb::api::v1alpha1 {

// gtest printers: FieldErrors as "path: message", API types as their JSON.
inline void PrintTo(const FieldError& e, std::ostream* os) { *os << e.path << ": " << e.message; }

#define TENANTDB_API_PRINT_AS_JSON(Type) \
  inline void PrintTo(const Type& value, std::ostream* os) { *os << Encode(value).dump(); }
TENANTDB_API_PRINT_AS_JSON(ObjectMeta)
TENANTDB_API_PRINT_AS_JSON(LabelSelector)
TENANTDB_API_PRINT_AS_JSON(Condition)
TENANTDB_API_PRINT_AS_JSON(DatabaseServer)
TENANTDB_API_PRINT_AS_JSON(DatabaseServerSpec)
TENANTDB_API_PRINT_AS_JSON(Database)
TENANTDB_API_PRINT_AS_JSON(DatabaseSpec)
TENANTDB_API_PRINT_AS_JSON(DatabaseRole)
TENANTDB_API_PRINT_AS_JSON(DatabaseRoleSpec)
TENANTDB_API_PRINT_AS_JSON(Migration)
TENANTDB_API_PRINT_AS_JSON(MigrationSpec)
TENANTDB_API_PRINT_AS_JSON(BackupSchedule)
TENANTDB_API_PRINT_AS_JSON(BackupScheduleSpec)
#undef TENANTDB_API_PRINT_AS_JSON

namespace testing_util {

inline std::vector<std::string> Paths(const std::vector<FieldError>& errors) {
  std::vector<std::string> paths;
  for (const FieldError& e : errors) {
    paths.push_back(e.path);
  }
  return paths;
}

// The message of the first error at `path`, or "" when there is none.
inline std::string MessageAt(const std::vector<FieldError>& errors, const std::string& path) {
  for (const FieldError& e : errors) {
    if (e.path == path) {
      return e.message;
    }
  }
  return "";
}

}  // namespace testing_util
}  // namespace tenantdb::api::v1alpha1
