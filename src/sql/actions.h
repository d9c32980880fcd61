#pragma once

// Plans are data (STYLE.md R3): every change tenantdb makes to a PostgreSQL server is one of the
// SqlAction alternatives below. Planners (controllers/*/..._plan.cpp) produce them; Render() turns
// one into SQL text; Describe() into a short sentence for logs and Events. All of it is pure.
// Identifiers go through QuoteIdent and literals through QuoteLiteral (sql/quoting.h), nowhere
// else.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/expected.h"
#include "sql/sql_executor.h"

namespace tenantdb::sql {

// --- roles -------------------------------------------------------------------------------------

// CREATE ROLE <role> [LOGIN|NOLOGIN] CONNECTION LIMIT n [VALID UNTIL 'x'] [PASSWORD '<verifier>'].
// password_verifier is a SCRAM-SHA-256 verifier computed client-side, never a clear password.
struct CreateRole {
  std::string role;
  bool login = false;
  std::int32_t connection_limit = -1;
  std::optional<std::string> valid_until;  // RFC 3339 / PostgreSQL timestamp; absent: none
  std::optional<std::string> password_verifier;
  bool operator==(const CreateRole&) const = default;
};

// ALTER ROLE <role> with only the fields that are set.
struct AlterRole {
  std::string role;
  std::optional<bool> login;
  std::optional<std::int32_t> connection_limit;
  std::optional<std::string> valid_until;  // "infinity" clears an expiry
  std::optional<std::string> password_verifier;
  bool operator==(const AlterRole&) const = default;
};

// DROP ROLE IF EXISTS <role>.
struct DropRole {
  std::string role;
  bool operator==(const DropRole&) const = default;
};

// In `database`: REASSIGN OWNED BY <role> TO <new_owner>.
struct ReassignOwned {
  std::string database;
  std::string role;
  std::string new_owner;
  bool operator==(const ReassignOwned&) const = default;
};

// In `database`: DROP OWNED BY <role> (also revokes its privileges there).
struct DropOwned {
  std::string database;
  std::string role;
  bool operator==(const DropOwned&) const = default;
};

// COMMENT ON ROLE <role> IS '<comment>' (tenantdb's ownership marker).
struct CommentOnRole {
  std::string role;
  std::string comment;
  bool operator==(const CommentOnRole&) const = default;
};

// GRANT <role> TO <member>.
struct GrantMembership {
  std::string role;
  std::string member;
  bool operator==(const GrantMembership&) const = default;
};

// REVOKE <role> FROM <member>.
struct RevokeMembership {
  std::string role;
  std::string member;
  bool operator==(const RevokeMembership&) const = default;
};

// ALTER ROLE <role> [IN DATABASE <database>] SET <parameter> = '<value>', or RESET <parameter>
// when value is absent. Used for the Owner preset: SET role = '<owner>' so that objects a
// migrator creates belong to the database owner.
struct SetRoleConfig {
  std::string role;
  std::optional<std::string> database;
  std::string parameter;
  std::optional<std::string> value;
  bool operator==(const SetRoleConfig&) const = default;
};

// --- databases ---------------------------------------------------------------------------------

// CREATE DATABASE <name> OWNER <owner> ENCODING '<e>' [LOCALE '<l>'] TEMPLATE <t>
// CONNECTION LIMIT n [ALLOW_CONNECTIONS false]. Runs outside a transaction block. tenantdb creates
// databases closed (allow_connections false) and opens them once the marker is written and PUBLIC
// revoked, so a crash in between never leaves an unmarked database PUBLIC can connect to.
struct CreateDatabase {
  std::string name;
  std::string owner;
  std::string encoding = "UTF8";
  std::optional<std::string> locale;
  std::string template_name = "template1";
  std::int32_t connection_limit = -1;
  bool allow_connections = true;
  bool operator==(const CreateDatabase&) const = default;
};

// ALTER DATABASE <name> ALLOW_CONNECTIONS true|false.
struct AlterDatabaseAllowConnections {
  std::string name;
  bool allow = true;
  bool operator==(const AlterDatabaseAllowConnections&) const = default;
};

// ALTER DATABASE <name> OWNER TO <owner>.
struct AlterDatabaseOwner {
  std::string name;
  std::string owner;
  bool operator==(const AlterDatabaseOwner&) const = default;
};

// ALTER DATABASE <name> CONNECTION LIMIT n.
struct AlterDatabaseConnectionLimit {
  std::string name;
  std::int32_t connection_limit = -1;
  bool operator==(const AlterDatabaseConnectionLimit&) const = default;
};

// COMMENT ON DATABASE <name> IS '<comment>' (tenantdb's ownership marker).
struct CommentOnDatabase {
  std::string name;
  std::string comment;
  bool operator==(const CommentOnDatabase&) const = default;
};

// DROP DATABASE IF EXISTS <name> [WITH (FORCE)]. Runs outside a transaction block.
struct DropDatabase {
  std::string name;
  bool force = true;
  bool operator==(const DropDatabase&) const = default;
};

// In `database`: CREATE EXTENSION IF NOT EXISTS <name> [SCHEMA <s>] [VERSION '<v>'].
struct CreateExtension {
  std::string database;
  std::string name;
  std::optional<std::string> schema;
  std::optional<std::string> version;
  bool operator==(const CreateExtension&) const = default;
};

// In `database`: ALTER EXTENSION <name> UPDATE TO '<version>'.
struct UpdateExtension {
  std::string database;
  std::string name;
  std::string version;
  bool operator==(const UpdateExtension&) const = default;
};

// In `database`: DROP EXTENSION IF EXISTS <name> (RESTRICT: never cascades).
struct DropExtension {
  std::string database;
  std::string name;
  bool operator==(const DropExtension&) const = default;
};

// In `database`: CREATE SCHEMA IF NOT EXISTS <name> AUTHORIZATION <owner>.
struct CreateSchema {
  std::string database;
  std::string name;
  std::string owner;
  bool operator==(const CreateSchema&) const = default;
};

// In `database`: ALTER SCHEMA <name> OWNER TO <owner>.
struct AlterSchemaOwner {
  std::string database;
  std::string name;
  std::string owner;
  bool operator==(const AlterSchemaOwner&) const = default;
};

// In `database`: DROP SCHEMA IF EXISTS <name> (RESTRICT: fails while it holds objects).
struct DropSchema {
  std::string database;
  std::string name;
  bool operator==(const DropSchema&) const = default;
};

// --- privileges --------------------------------------------------------------------------------

// What a GRANT/REVOKE is on.
enum class PrivilegeTarget {
  kDatabase,              // ON DATABASE <database>
  kSchema,                // ON SCHEMA <schema>
  kTable,                 // ON TABLE <schema>.<object>
  kSequence,              // ON SEQUENCE <schema>.<object>
  kAllTablesInSchema,     // ON ALL TABLES IN SCHEMA <schema>
  kAllSequencesInSchema,  // ON ALL SEQUENCES IN SCHEMA <schema>
};

// In `database`: GRANT <privileges> ON <target> TO <grantee> (grantee "PUBLIC" is the keyword,
// not a role). privileges are SQL keywords: SELECT, INSERT, UPDATE, DELETE, TRUNCATE,
// REFERENCES, TRIGGER, USAGE, CREATE, CONNECT, TEMPORARY, EXECUTE, ALL (case-insensitive; TEMP
// is accepted for TEMPORARY). Only the keywords valid for the target are accepted (see
// ValidateAction); the rendered text carries tenantdb's own upper-case constant, never the input.
struct GrantPrivileges {
  std::string database;
  PrivilegeTarget target = PrivilegeTarget::kDatabase;
  std::string schema;  // kSchema, kTable, kSequence, kAll*InSchema
  std::string object;  // kTable, kSequence
  std::vector<std::string> privileges;
  std::string grantee;
  bool operator==(const GrantPrivileges&) const = default;
};

// In `database`: REVOKE <privileges> ON <target> FROM <grantee>. Same fields as GrantPrivileges.
struct RevokePrivileges {
  std::string database;
  PrivilegeTarget target = PrivilegeTarget::kDatabase;
  std::string schema;
  std::string object;
  std::vector<std::string> privileges;
  std::string grantee;
  bool operator==(const RevokePrivileges&) const = default;
};

// Object kinds of ALTER DEFAULT PRIVILEGES.
enum class DefaultPrivilegeObject { kTables, kSequences, kFunctions, kTypes };

// In `database`: ALTER DEFAULT PRIVILEGES FOR ROLE <for_role> [IN SCHEMA <schema>]
// GRANT <privileges> ON <objects> TO <grantee> (or REVOKE ... FROM when grant is false).
// Without FOR ROLE it would only cover objects created by the role running it (PITFALLS.md).
struct AlterDefaultPrivileges {
  std::string database;
  std::string for_role;
  std::optional<std::string> schema;
  DefaultPrivilegeObject objects = DefaultPrivilegeObject::kTables;
  std::vector<std::string> privileges;
  std::string grantee;
  bool grant = true;
  bool operator==(const AlterDefaultPrivileges&) const = default;
};

using SqlAction =
    std::variant<CreateRole, AlterRole, DropRole, ReassignOwned, DropOwned, GrantMembership,
                 RevokeMembership, SetRoleConfig, CreateDatabase, AlterDatabaseOwner,
                 AlterDatabaseConnectionLimit, CommentOnDatabase, DropDatabase, CreateExtension,
                 UpdateExtension, DropExtension, CreateSchema, AlterSchemaOwner, DropSchema,
                 GrantPrivileges, RevokePrivileges, AlterDefaultPrivileges, CommentOnRole,
                 AlterDatabaseAllowConnections>;

// A rendered action: the statement to send and the form to log (password verifiers replaced by
// '***'). `text` of a statement with a verifier must never be logged.
struct RenderedAction {
  Statement statement;
  std::string redacted;
};

// Checks what quoting cannot make safe or meaningful. An action is invalid when:
//  - a privilege is not one of the keywords above, is not valid for the target object kind
//    (e.g. CONNECT on a table, EXECUTE outside default privileges on functions), the list is
//    empty, or ALL is combined with other keywords;
//  - a name that the statement needs is empty or contains a NUL byte;
//  - a password_verifier is not a SCRAM-SHA-256 verifier (so a clear password can never reach
//    the server or its log by mistake);
//  - a connection limit is below -1, or valid_until / version / encoding is empty when present.
// Error::Invalid (terminal, reason InvalidSpec) naming the offending field, never its secret.
Expected<void> ValidateAction(const SqlAction& action);

// Pure rendering. Identifiers quoted with QuoteIdent, literals with QuoteLiteral.
// Precondition: ValidateAction(action) succeeded. Render of an invalid action splices nothing:
// it returns an empty statement (text "" and redacted ""), which PqxxExecutor refuses with
// Error::Invalid rather than sending. Callers should use RenderChecked (or ValidateAction first).
RenderedAction Render(const SqlAction& action);

// ValidateAction + Render: the statement, or the validation error and no statement.
Expected<RenderedAction> RenderChecked(const SqlAction& action);

// A short sentence for logs and Events, e.g. `create database "shop" owned by "shop_owner"`.
// Never contains a verifier.
std::string Describe(const SqlAction& action);

// The database a session must be connected to for this action; std::nullopt when any session on
// the server will do (roles, memberships, role settings, CREATE/ALTER/DROP DATABASE, COMMENT ON
// DATABASE, and GRANT/REVOKE ... ON DATABASE, whose ACL lives in the shared catalog).
std::optional<std::string> TargetDatabase(const SqlAction& action);

// True for CREATE DATABASE and DROP DATABASE, which cannot run inside a transaction block.
bool MustRunOutsideTransaction(const SqlAction& action);

// The statement's kind for the `tenantdb_sql_statements_total{kind=...}` metric, e.g.
// "CreateRole".
std::string_view ActionKind(const SqlAction& action);

}  // namespace tenantdb::sql
