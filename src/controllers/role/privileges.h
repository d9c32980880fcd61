#pragma once

// The privilege-set model of a DatabaseRole (pure): presets and spec.grants[] become a set of
// concrete privileges (one privilege on one object) plus default privileges FOR ROLE <owner>;
// what the server holds for the role becomes the same kind of set; the difference becomes
// GRANT/REVOKE actions. Everything the spec no longer implies is revoked (PITFALLS.md,
// crossplane-contrib/provider-sql#465).

#include <compare>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/v1alpha1/database_role_types.h"
#include "common/expected.h"
#include "sql/actions.h"
#include "sql/catalog.h"

namespace tenantdb::controllers::role {

// What a privilege is on.
enum class ObjectKind { kDatabase, kSchema, kTable, kSequence };

// One privilege (SQL keyword, upper case) on one object. `schema` is empty for kDatabase and
// kSchema; `object` is the database name, the schema name, or the relation name.
struct PrivilegeKey {
  ObjectKind kind = ObjectKind::kTable;
  std::string schema;
  std::string object;
  std::string privilege;
  auto operator<=>(const PrivilegeKey&) const = default;
};
using PrivilegeSet = std::set<PrivilegeKey>;

// One default privilege: objects of `objects` created by `for_role` [in `schema`] grant
// `privilege` to the role.
struct DefaultPrivilegeKey {
  std::string for_role;
  std::optional<std::string> schema;
  sql::DefaultPrivilegeObject objects = sql::DefaultPrivilegeObject::kTables;
  std::string privilege;
  auto operator<=>(const DefaultPrivilegeKey&) const = default;
};
using DefaultPrivilegeSet = std::set<DefaultPrivilegeKey>;

// The relations of one schema of the role's database (as observed).
struct SchemaObjects {
  std::set<std::string> tables;     // tables, views, materialized views, foreign/partitioned
  std::set<std::string> sequences;  // sequences
  bool operator==(const SchemaObjects&) const = default;
};
// Schemas of the role's database (pg_* and information_schema excluded) with their relations.
using DatabaseObjects = std::map<std::string, SchemaObjects>;

// Everything the privilege model needs to know about the desired state.
struct PrivilegeInputs {
  std::string database;  // the PostgreSQL database name
  std::string owner;     // the database owner role (FOR ROLE of default privileges)
  api::v1alpha1::PrivilegePreset preset = api::v1alpha1::PrivilegePreset::kReadOnly;
  std::vector<api::v1alpha1::Grant> grants;
  // Schemas the ReadOnly/ReadWrite presets cover: public plus the Database's spec.schemas.
  std::vector<std::string> preset_schemas;
};

struct DesiredPrivileges {
  PrivilegeSet privileges;
  DefaultPrivilegeSet default_privileges;
  // Targets of spec.grants[] that do not exist, e.g. `table "public"."orders"`, sorted.
  std::vector<std::string> missing_targets;
};

// Privileges valid on a kind of object, in canonical order (the order GRANT lists them in).
const std::vector<std::string>& ApplicablePrivileges(ObjectKind kind);

// spec.grants[].privileges[] for a grant on `kind` (kSchema or kTable): ALL expanded to every
// privilege applicable to the kind, deduplicated, canonical order. kInvalid (InvalidSpec) naming
// the privilege when one does not apply to the kind (e.g. USAGE on a table, SELECT on a schema).
Expected<std::vector<std::string>> NormalizePrivileges(
    ObjectKind kind, const std::vector<api::v1alpha1::Privilege>& privileges);

// The concrete privileges the spec implies, given what exists in the database:
//  - ReadOnly: CONNECT; USAGE on each preset schema; SELECT on its tables and sequences; default
//    privileges FOR ROLE owner IN SCHEMA: tables SELECT, sequences SELECT.
//  - ReadWrite: ReadOnly + INSERT, UPDATE, DELETE on tables, USAGE, SELECT, UPDATE on sequences,
//    with matching default privileges.
//  - Owner: CONNECT (the rest comes from membership in the owner role, see role_plan.h).
//  - None: nothing; CONNECT only when spec.grants[] is not empty (a grant is useless without it).
//  - spec.grants[]: no table: the privileges on the schema; table "*": on every table of the
//    schema plus default privileges FOR ROLE owner IN SCHEMA for future tables; a table: on it.
// A preset schema that does not exist (yet) is skipped; a missing target of spec.grants[] is
// listed in missing_targets. kInvalid when a grant names a privilege that does not apply.
Expected<DesiredPrivileges> DesiredPrivilegesFor(const PrivilegeInputs& inputs,
                                                 const DatabaseObjects& objects);

// The observed privileges / default privileges of the role, in the model's form.
PrivilegeSet FromObserved(const std::vector<sql::ObservedPrivilege>& observed);
DefaultPrivilegeSet FromObserved(const std::vector<sql::ObservedDefaultPrivilege>& observed);

// REVOKE what is held but not desired, then GRANT what is desired but not held; one action per
// object (a whole schema's tables or sequences collapse into ON ALL TABLES/SEQUENCES IN SCHEMA
// when they all need the same change). Empty when everything is in place.
std::vector<sql::SqlAction> DiffPrivileges(const std::string& database, const std::string& grantee,
                                           const PrivilegeSet& desired,
                                           const PrivilegeSet& observed,
                                           const DatabaseObjects& objects);
std::vector<sql::SqlAction> DiffDefaultPrivileges(const std::string& database,
                                                  const std::string& grantee,
                                                  const DefaultPrivilegeSet& desired,
                                                  const DefaultPrivilegeSet& observed);

}  // namespace tenantdb::controllers::role
