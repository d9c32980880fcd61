// The test PostgreSQL of scripts/testenv: the operator's admin role connects through libpqxx
// (the product's SQL adapter) and is not a superuser; the server hashes with SCRAM-SHA-256.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "sql/pqxx_executor.h"

namespace tenantdb::sql {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: run under scripts/testenv (a missing server fails)";
    return "";
  }
  return v;
}

ConnectionParams AdminParams() {
  ConnectionParams p;
  p.host = Env("PGHOST");
  p.port = std::stoi(Env("PGPORT"));
  p.user = Env("TENANTDB_PG_ADMIN_USER");
  p.password = Env("TENANTDB_PG_ADMIN_PASSWORD");
  p.sslmode = "disable";
  return p;
}

TEST(PgAdminTest, AdminRoleConnectsAndIsNotSuperuser) {
  PqxxConnector connector;
  auto exec = connector.Connect(AdminParams());
  ASSERT_TRUE(exec.has_value()) << exec.error().message;
  auto rows =
      (*exec)->Query({"SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, "
                      "current_setting('server_version_num')"
                      " FROM pg_roles WHERE rolname = current_user",
                      {}});
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  const Row& r = rows->front();
  EXPECT_EQ(r[0], "f") << "the operator's admin role must not be a superuser";
  EXPECT_EQ(r[1], "t");
  EXPECT_EQ(r[2], "t");
  EXPECT_EQ(r[3], "t");
  EXPECT_GE(std::stoi(*r[4]), 150000);
}

TEST(PgAdminTest, ServerStoresScramVerifiersAndLogsStatements) {
  PqxxConnector connector;
  ConnectionParams p = AdminParams();
  p.user = Env("PGUSER");
  p.password = Env("PGPASSWORD");
  auto exec = connector.Connect(p);
  ASSERT_TRUE(exec.has_value()) << exec.error().message;
  auto rows =
      (*exec)->Query({"SELECT current_setting('password_encryption'), "
                      "current_setting('log_statement'), "
                      "(SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = $1)",
                      {Env("TENANTDB_PG_ADMIN_USER")}});
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_EQ((*rows)[0][0], "scram-sha-256");
  EXPECT_EQ((*rows)[0][1], "all");
  EXPECT_EQ((*rows)[0][2], "SCRAM-SHA-256$");
}

TEST(PgAdminTest, WrongPasswordIsAnAuthenticationFailure) {
  PqxxConnector connector;
  ConnectionParams p = AdminParams();
  p.password = "definitely-wrong";
  auto exec = connector.Connect(p);
  ASSERT_FALSE(exec.has_value());
  EXPECT_EQ(exec.error().code, ErrorCode::kPermission);
  EXPECT_EQ(exec.error().reason, "AuthenticationFailed");
  EXPECT_EQ(exec.error().message.find("definitely-wrong"), std::string::npos);
}

TEST(PgAdminTest, ClosedPortIsServerUnreachable) {
  PqxxConnector connector;
  ConnectionParams p = AdminParams();
  p.port = 1;  // nothing listens on port 1 of loopback
  auto exec = connector.Connect(p);
  ASSERT_FALSE(exec.has_value());
  EXPECT_EQ(exec.error().code, ErrorCode::kTransient);
  EXPECT_EQ(exec.error().reason, "ServerUnreachable");
}

}  // namespace
}  // namespace tenantdb::sql
