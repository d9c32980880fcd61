#include "sql/actions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sql/sql_error.h"

namespace tenantdb::sql {
namespace {

constexpr char kVerifier[] =
    "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$c3RvcmVkc3RvcmVkc3RvcmVk=:c2VydmVyc2VydmVyc2VydmVy=";

struct RenderCase {
  SqlAction action;
  std::string text;
  std::string redacted;  // empty: same as text
};

std::vector<RenderCase> RenderCases() {
  const std::string v = kVerifier;
  return {
      // roles
      {CreateRole{.role = "app"}, R"(CREATE ROLE "app" NOLOGIN CONNECTION LIMIT -1)", ""},
      {CreateRole{.role = "App\"x",
                  .login = true,
                  .connection_limit = 10,
                  .valid_until = "2030-01-01T00:00:00Z",
                  .password_verifier = v},
       R"(CREATE ROLE "App""x" LOGIN CONNECTION LIMIT 10 VALID UNTIL '2030-01-01T00:00:00Z' )"
       "PASSWORD '" +
           v + "'",
       R"(CREATE ROLE "App""x" LOGIN CONNECTION LIMIT 10 VALID UNTIL '2030-01-01T00:00:00Z' )"
       "PASSWORD '***'"},
      {AlterRole{.role = "app"}, R"(ALTER ROLE "app")", ""},
      {AlterRole{.role = "app",
                 .login = false,
                 .connection_limit = 3,
                 .valid_until = "infinity",
                 .password_verifier = v},
       R"(ALTER ROLE "app" NOLOGIN CONNECTION LIMIT 3 VALID UNTIL 'infinity' PASSWORD ')" + v + "'",
       R"(ALTER ROLE "app" NOLOGIN CONNECTION LIMIT 3 VALID UNTIL 'infinity' PASSWORD '***')"},
      {DropRole{.role = "app"}, R"(DROP ROLE IF EXISTS "app")", ""},
      {ReassignOwned{.database = "shop", .role = "old", .new_owner = "new"},
       R"(REASSIGN OWNED BY "old" TO "new")", ""},
      {DropOwned{.database = "shop", .role = "old"}, R"(DROP OWNED BY "old")", ""},
      {GrantMembership{.role = "readers", .member = "app"}, R"(GRANT "readers" TO "app")", ""},
      {RevokeMembership{.role = "readers", .member = "app"}, R"(REVOKE "readers" FROM "app")", ""},
      {SetRoleConfig{.role = "migrator", .parameter = "role", .value = "shop_owner"},
       R"(ALTER ROLE "migrator" SET "role" = 'shop_owner')", ""},
      {SetRoleConfig{
           .role = "migrator", .database = "shop", .parameter = "search_path", .value = "it's\\"},
       R"(ALTER ROLE "migrator" IN DATABASE "shop" SET "search_path" = E'it''s\\')", ""},
      {SetRoleConfig{.role = "migrator", .database = "shop", .parameter = "role"},
       R"(ALTER ROLE "migrator" IN DATABASE "shop" RESET "role")", ""},
      // databases
      {CreateDatabase{.name = "shop", .owner = "shop_owner"},
       R"(CREATE DATABASE "shop" OWNER "shop_owner" ENCODING 'UTF8' TEMPLATE "template1")"
       " CONNECTION LIMIT -1",
       ""},
      {CreateDatabase{.name = "Shop",
                      .owner = "o",
                      .encoding = "LATIN1",
                      .locale = "C",
                      .template_name = "template0",
                      .connection_limit = 20},
       R"(CREATE DATABASE "Shop" OWNER "o" ENCODING 'LATIN1' LOCALE 'C' TEMPLATE "template0")"
       " CONNECTION LIMIT 20",
       ""},
      {CreateDatabase{.name = "shop", .owner = "o", .allow_connections = false},
       R"(CREATE DATABASE "shop" OWNER "o" ENCODING 'UTF8' TEMPLATE "template1")"
       " CONNECTION LIMIT -1 ALLOW_CONNECTIONS false",
       ""},
      {AlterDatabaseOwner{.name = "shop", .owner = "o2"}, R"(ALTER DATABASE "shop" OWNER TO "o2")",
       ""},
      {AlterDatabaseConnectionLimit{.name = "shop", .connection_limit = 7},
       R"(ALTER DATABASE "shop" WITH CONNECTION LIMIT 7)", ""},
      {CommentOnDatabase{.name = "shop", .comment = "managed-by=tenantdb; it's"},
       R"(COMMENT ON DATABASE "shop" IS 'managed-by=tenantdb; it''s')", ""},
      {CommentOnRole{.role = "shop_app", .comment = "tenantdb:shop/DatabaseRole/app; it's"},
       R"(COMMENT ON ROLE "shop_app" IS 'tenantdb:shop/DatabaseRole/app; it''s')", ""},
      {AlterDatabaseAllowConnections{.name = "shop", .allow = true},
       R"(ALTER DATABASE "shop" WITH ALLOW_CONNECTIONS true)", ""},
      {AlterDatabaseAllowConnections{.name = "shop", .allow = false},
       R"(ALTER DATABASE "shop" WITH ALLOW_CONNECTIONS false)", ""},
      {DropDatabase{.name = "shop"}, R"(DROP DATABASE IF EXISTS "shop" WITH (FORCE))", ""},
      {DropDatabase{.name = "shop", .force = false}, R"(DROP DATABASE IF EXISTS "shop")", ""},
      {CreateExtension{.database = "shop", .name = "pgcrypto"},
       R"(CREATE EXTENSION IF NOT EXISTS "pgcrypto")", ""},
      {CreateExtension{.database = "shop", .name = "citext", .schema = "ext", .version = "1.6"},
       R"(CREATE EXTENSION IF NOT EXISTS "citext" SCHEMA "ext" VERSION '1.6')", ""},
      {UpdateExtension{.database = "shop", .name = "citext", .version = "1.6"},
       R"(ALTER EXTENSION "citext" UPDATE TO '1.6')", ""},
      {DropExtension{.database = "shop", .name = "citext"},
       R"(DROP EXTENSION IF EXISTS "citext" RESTRICT)", ""},
      {CreateSchema{.database = "shop", .name = "app", .owner = "o"},
       R"(CREATE SCHEMA IF NOT EXISTS "app" AUTHORIZATION "o")", ""},
      {AlterSchemaOwner{.database = "shop", .name = "app", .owner = "o2"},
       R"(ALTER SCHEMA "app" OWNER TO "o2")", ""},
      {DropSchema{.database = "shop", .name = "app"}, R"(DROP SCHEMA IF EXISTS "app" RESTRICT)",
       ""},
      // privileges
      {GrantPrivileges{.database = "shop",
                       .target = PrivilegeTarget::kDatabase,
                       .privileges = {"connect", "Temp"},
                       .grantee = "app"},
       R"(GRANT CONNECT, TEMPORARY ON DATABASE "shop" TO "app")", ""},
      {RevokePrivileges{.database = "shop",
                        .target = PrivilegeTarget::kDatabase,
                        .privileges = {"ALL"},
                        .grantee = "PUBLIC"},
       R"(REVOKE ALL ON DATABASE "shop" FROM PUBLIC)", ""},
      {GrantPrivileges{.database = "shop",
                       .target = PrivilegeTarget::kSchema,
                       .schema = "app",
                       .privileges = {"USAGE", "CREATE"},
                       .grantee = "public"},
       R"(GRANT USAGE, CREATE ON SCHEMA "app" TO "public")", ""},
      {GrantPrivileges{.database = "shop",
                       .target = PrivilegeTarget::kTable,
                       .schema = "app",
                       .object = "Orders",
                       .privileges = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE",
                                      "REFERENCES", "TRIGGER"},
                       .grantee = "app"},
       R"(GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE "app"."Orders" TO "app")",
       ""},
      {RevokePrivileges{.database = "shop",
                        .target = PrivilegeTarget::kSequence,
                        .schema = "app",
                        .object = "orders_id_seq",
                        .privileges = {"USAGE", "SELECT", "UPDATE"},
                        .grantee = "app"},
       R"(REVOKE USAGE, SELECT, UPDATE ON SEQUENCE "app"."orders_id_seq" FROM "app")", ""},
      {GrantPrivileges{.database = "shop",
                       .target = PrivilegeTarget::kAllTablesInSchema,
                       .schema = "app",
                       .privileges = {"SELECT"},
                       .grantee = "reader"},
       R"(GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO "reader")", ""},
      {RevokePrivileges{.database = "shop",
                        .target = PrivilegeTarget::kAllSequencesInSchema,
                        .schema = "app",
                        .privileges = {"ALL"},
                        .grantee = "reader"},
       R"(REVOKE ALL ON ALL SEQUENCES IN SCHEMA "app" FROM "reader")", ""},
      {AlterDefaultPrivileges{.database = "shop",
                              .for_role = "migrator",
                              .schema = "app",
                              .objects = DefaultPrivilegeObject::kTables,
                              .privileges = {"SELECT"},
                              .grantee = "reader"},
       R"(ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "app" GRANT SELECT ON TABLES TO "reader")",
       ""},
      {AlterDefaultPrivileges{.database = "shop",
                              .for_role = "migrator",
                              .objects = DefaultPrivilegeObject::kSequences,
                              .privileges = {"USAGE"},
                              .grantee = "PUBLIC",
                              .grant = false},
       R"(ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" REVOKE USAGE ON SEQUENCES FROM PUBLIC)", ""},
      {AlterDefaultPrivileges{.database = "shop",
                              .for_role = "m",
                              .objects = DefaultPrivilegeObject::kFunctions,
                              .privileges = {"execute"},
                              .grantee = "app"},
       R"(ALTER DEFAULT PRIVILEGES FOR ROLE "m" GRANT EXECUTE ON FUNCTIONS TO "app")", ""},
      {AlterDefaultPrivileges{.database = "shop",
                              .for_role = "m",
                              .objects = DefaultPrivilegeObject::kTypes,
                              .privileges = {"USAGE"},
                              .grantee = "app"},
       R"(ALTER DEFAULT PRIVILEGES FOR ROLE "m" GRANT USAGE ON TYPES TO "app")", ""},
  };
}

TEST(RenderTest, RendersEveryAlternativeToExactSql) {
  std::set<std::size_t> covered;
  for (const RenderCase& c : RenderCases()) {
    covered.insert(c.action.index());
    ASSERT_TRUE(ValidateAction(c.action).has_value())
        << ActionKind(c.action) << ": " << ValidateAction(c.action).error().message;
    const RenderedAction r = Render(c.action);
    EXPECT_EQ(r.statement.text, c.text) << ActionKind(c.action);
    EXPECT_EQ(r.redacted, c.redacted.empty() ? c.text : c.redacted) << ActionKind(c.action);
    EXPECT_TRUE(r.statement.params.empty());
    auto checked = RenderChecked(c.action);
    ASSERT_TRUE(checked.has_value());
    EXPECT_EQ(checked->statement.text, c.text);
  }
  EXPECT_EQ(covered.size(), std::variant_size_v<SqlAction>) << "an alternative has no case";
}

TEST(RenderTest, RedactedFormAndDescriptionNeverShowTheVerifier) {
  const std::vector<SqlAction> actions = {
      CreateRole{.role = "app", .login = true, .password_verifier = kVerifier},
      AlterRole{.role = "app", .password_verifier = kVerifier},
  };
  for (const SqlAction& a : actions) {
    const RenderedAction r = Render(a);
    EXPECT_NE(r.statement.text.find(kVerifier), std::string::npos);
    EXPECT_EQ(r.redacted.find("SCRAM"), std::string::npos) << r.redacted;
    EXPECT_NE(r.redacted.find("PASSWORD '***'"), std::string::npos) << r.redacted;
    EXPECT_EQ(Describe(a).find("SCRAM"), std::string::npos) << Describe(a);
  }
  EXPECT_EQ(Describe(actions[0]), R"(create role "app" with login and a password)");
  EXPECT_EQ(Describe(actions[1]), R"(alter role "app": new password)");
}

TEST(RenderTest, DescribeIsAShortSentence) {
  EXPECT_EQ(Describe(CreateDatabase{.name = "shop", .owner = "shop_owner"}),
            R"(create database "shop" owned by "shop_owner")");
  EXPECT_EQ(Describe(GrantPrivileges{.database = "shop",
                                     .target = PrivilegeTarget::kTable,
                                     .schema = "app",
                                     .object = "t",
                                     .privileges = {"select", "bogus'); --"},
                                     .grantee = "PUBLIC"}),
            R"(grant SELECT, 'bogus''); --' on table "app"."t" in database "shop" to PUBLIC)");
  EXPECT_EQ(Describe(DropDatabase{.name = "shop"}), R"(force-drop database "shop")");
  // Every alternative has a description mentioning something.
  for (const RenderCase& c : RenderCases()) {
    EXPECT_FALSE(Describe(c.action).empty()) << ActionKind(c.action);
    EXPECT_EQ(Describe(c.action).find("SCRAM"), std::string::npos);
  }
}

struct InvalidCase {
  SqlAction action;
  std::string message_part;
};

TEST(ValidateActionTest, RefusesWhatQuotingCannotMakeSafe) {
  const std::vector<InvalidCase> cases = {
      {GrantPrivileges{.database = "d",
                       .target = PrivilegeTarget::kTable,
                       .schema = "s",
                       .object = "t",
                       .privileges = {"SELECT; DROP TABLE t"},
                       .grantee = "app"},
       "is not valid for a table"},
      {GrantPrivileges{.database = "d",
                       .target = PrivilegeTarget::kTable,
                       .schema = "s",
                       .object = "t",
                       .privileges = {"CONNECT"},
                       .grantee = "app"},
       "not valid for a table"},
      {RevokePrivileges{.database = "d",
                        .target = PrivilegeTarget::kDatabase,
                        .privileges = {"SELECT"},
                        .grantee = "app"},
       "not valid for a database"},
      {GrantPrivileges{.database = "d",
                       .target = PrivilegeTarget::kSchema,
                       .schema = "s",
                       .privileges = {},
                       .grantee = "app"},
       "no privileges"},
      {GrantPrivileges{.database = "d",
                       .target = PrivilegeTarget::kSchema,
                       .schema = "s",
                       .privileges = {"ALL", "USAGE"},
                       .grantee = "app"},
       "cannot be combined"},
      {GrantPrivileges{.database = "d",
                       .target = PrivilegeTarget::kTable,
                       .schema = "s",
                       .privileges = {"SELECT"},
                       .grantee = "app"},
       "object must not be empty"},
      {AlterDefaultPrivileges{.database = "d",
                              .for_role = "m",
                              .objects = DefaultPrivilegeObject::kTables,
                              .privileges = {"EXECUTE"},
                              .grantee = "app"},
       "not valid for default privileges on tables"},
      {CreateRole{.role = "app", .password_verifier = "hunter2"}, "not a SCRAM-SHA-256"},
      {AlterRole{.role = "app", .password_verifier = "md5abc"}, "not a SCRAM-SHA-256"},
      {CreateRole{.role = ""}, "role must not be empty"},
      {DropRole{.role = std::string("a\0b", 3)}, "NUL"},
      {CreateDatabase{.name = "d", .owner = "o", .connection_limit = -2}, "connection limit"},
      {UpdateExtension{.database = "d", .name = "e", .version = ""}, "version"},
  };
  for (const InvalidCase& c : cases) {
    const auto v = ValidateAction(c.action);
    ASSERT_FALSE(v.has_value()) << ActionKind(c.action) << " " << Describe(c.action);
    EXPECT_EQ(v.error().code, ErrorCode::kInvalid);
    EXPECT_TRUE(v.error().terminal);
    EXPECT_EQ(v.error().reason, "InvalidSpec");
    EXPECT_NE(v.error().message.find(c.message_part), std::string::npos) << v.error().message;
    EXPECT_EQ(v.error().message.find("hunter2"), std::string::npos);
    // No statement at all: nothing of the input is spliced anywhere.
    const RenderedAction r = Render(c.action);
    EXPECT_EQ(r.statement.text, "");
    EXPECT_EQ(r.redacted, "");
    auto checked = RenderChecked(c.action);
    ASSERT_FALSE(checked.has_value());
    EXPECT_EQ(checked.error().code, ErrorCode::kInvalid);
  }
}

TEST(ActionMetadataTest, TargetDatabaseKindAndTransactionNeeds) {
  EXPECT_EQ(TargetDatabase(CreateRole{.role = "r"}), std::nullopt);
  EXPECT_EQ(TargetDatabase(SetRoleConfig{.role = "r", .database = "d", .parameter = "p"}),
            std::nullopt);
  EXPECT_EQ(TargetDatabase(CreateDatabase{.name = "d", .owner = "o"}), std::nullopt);
  EXPECT_EQ(TargetDatabase(CommentOnDatabase{.name = "d"}), std::nullopt);
  EXPECT_EQ(TargetDatabase(GrantPrivileges{.database = "d", .target = PrivilegeTarget::kDatabase}),
            std::nullopt);
  EXPECT_EQ(TargetDatabase(GrantPrivileges{.database = "d", .target = PrivilegeTarget::kSchema}),
            "d");
  EXPECT_EQ(TargetDatabase(RevokePrivileges{.database = "d", .target = PrivilegeTarget::kTable}),
            "d");
  EXPECT_EQ(TargetDatabase(ReassignOwned{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(DropOwned{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(CreateExtension{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(UpdateExtension{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(DropExtension{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(CreateSchema{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(AlterSchemaOwner{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(DropSchema{.database = "d"}), "d");
  EXPECT_EQ(TargetDatabase(AlterDefaultPrivileges{.database = "d"}), "d");

  EXPECT_TRUE(MustRunOutsideTransaction(CreateDatabase{}));
  EXPECT_TRUE(MustRunOutsideTransaction(DropDatabase{}));
  EXPECT_FALSE(MustRunOutsideTransaction(AlterDatabaseOwner{}));
  EXPECT_FALSE(MustRunOutsideTransaction(CreateRole{}));

  EXPECT_EQ(ActionKind(CreateRole{}), "CreateRole");
  EXPECT_EQ(ActionKind(AlterDatabaseConnectionLimit{}), "AlterDatabaseConnectionLimit");
  EXPECT_EQ(ActionKind(AlterDefaultPrivileges{}), "AlterDefaultPrivileges");
  EXPECT_EQ(ActionKind(GrantPrivileges{}), "GrantPrivileges");
  EXPECT_EQ(ActionKind(DropSchema{}), "DropSchema");
  std::set<std::string_view> kinds;
  for (const RenderCase& c : RenderCases()) {
    kinds.insert(ActionKind(c.action));
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<SqlAction>);
}

// How executing an action can fail (sql_error.cpp): the additions to the STYLE.md R17 table.
TEST(SqlErrorClassificationTest, ActionFailuresMapToRetryClasses) {
  struct Case {
    const char* sqlstate;
    ErrorCode code;
    const char* reason;
  };
  const Case cases[] = {
      {"55006", ErrorCode::kConflict, "Reconciling"},         // DROP DATABASE with sessions
      {"57P01", ErrorCode::kTransient, "ServerUnreachable"},  // admin_shutdown
      {"53300", ErrorCode::kTransient, "ServerUnreachable"},  // too_many_connections
      {"42501", ErrorCode::kPermission, "PermissionDenied"},
      {"42P01", ErrorCode::kDependency, "GrantTargetMissing"},  // GRANT on a missing table
      {"3F000", ErrorCode::kDependency, "DependencyNotReady"},  // missing schema
      {"42704", ErrorCode::kDependency, "DependencyNotReady"},  // missing role
      {"42710", ErrorCode::kConflict, "Reconciling"},           // role created concurrently
      {"42P04", ErrorCode::kConflict, "Reconciling"},           // database created concurrently
      {"23505", ErrorCode::kConflict, "Reconciling"},
      {"2BP01", ErrorCode::kConflict, "ConflictingResource"},  // DROP ROLE that owns objects
      {"0LP01", ErrorCode::kInvalid, "InvalidSpec"},
      {"42601", ErrorCode::kInvalid, "InvalidSpec"},
      {"25001", ErrorCode::kInternal, "Reconciling"},  // CREATE DATABASE in a transaction
      {"XX000", ErrorCode::kTransient, "Reconciling"},
  };
  for (const Case& c : cases) {
    const Error e = ClassifySqlState(c.sqlstate, "m");
    EXPECT_EQ(e.code, c.code) << c.sqlstate;
    EXPECT_EQ(e.reason, c.reason) << c.sqlstate;
    EXPECT_EQ(e.terminal, c.code == ErrorCode::kInvalid) << c.sqlstate;
  }
}

}  // namespace
}  // namespace tenantdb::sql
