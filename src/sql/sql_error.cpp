#include "sql/sql_error.h"

#include <utility>

namespace tenantdb::sql {

// STYLE.md R17, most specific first. Additions to the R17 table, each for a reason:
//  - 28P01/28000 (authentication): kPermission, reason AuthenticationFailed.
//  - 42P01 undefined_table, 3F000 invalid_schema_name: like 42704 a referenced object that is
//    missing (GRANT on a table a migration has not created yet): kDependency, reason
//    GrantTargetMissing for tables, DependencyNotReady for schemas.
//  - 42710 duplicate_object, 42P04 duplicate_database, 23505 unique_violation: two actors (e.g.
//    two briefly overlapping leaders, R12) created the same object; re-observe and re-plan:
//    kConflict, not a terminal InvalidSpec as "other class 42" would say.
//  - 2BP01 dependent_objects_still_exist (DROP ROLE/SCHEMA/EXTENSION while something depends on
//    it): kConflict, reason ConflictingResource.
//  - 0LP01 invalid_grant_operation, 0A000 feature_not_supported: kInvalid.
//  - class 25 (invalid transaction state, e.g. CREATE DATABASE in a transaction block): a bug
//    in tenantdb: kInternal.
Error ClassifySqlState(std::string_view s, std::string message) {
  const std::string_view cls = s.substr(0, 2);
  if (s == "28P01" || s == "28000") {
    return Error::Permission(std::move(message), "AuthenticationFailed");
  }
  if (cls == "08" || s == "57P01" || s == "57P02" || s == "57P03" || cls == "53") {
    return Error::Transient(std::move(message), "ServerUnreachable");
  }
  if (s == "40001" || s == "40P01" || s == "55006" || s == "55P03") {
    return Error::Conflict(std::move(message), "Reconciling");
  }
  if (s == "42710" || s == "42P04" || s == "23505") {
    return Error::Conflict(std::move(message), "Reconciling");
  }
  if (s == "2BP01") {
    return Error::Conflict(std::move(message), "ConflictingResource");
  }
  if (s == "42501") {
    return Error::Permission(std::move(message), "PermissionDenied");
  }
  if (s == "42P01") {
    return Error::Dependency(std::move(message), "GrantTargetMissing");
  }
  if (s == "3D000" || s == "42704" || s == "3F000") {
    return Error::Dependency(std::move(message), "DependencyNotReady");
  }
  if (cls == "42" || cls == "22" || s == "0LP01" || s == "0A000") {
    return Error::Invalid(std::move(message), "InvalidSpec");
  }
  if (cls == "25") {
    return Error::Internal(std::move(message), "Reconciling");
  }
  return Error::Transient(std::move(message), "Reconciling");
}

}  // namespace tenantdb::sql
