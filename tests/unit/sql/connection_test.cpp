#include "sql/connection.h"

#include <gtest/gtest.h>

#include "sql/sql_error.h"

namespace tenantdb::sql {
namespace {

TEST(ConninfoTest, QuotesEveryValueSoNothingCanBeInjected) {
  ConnectionParams p;
  p.host = "db.example";
  p.port = 6543;
  p.user = "admin";
  p.password = "it's a \\ secret' dbname='other";
  p.dbname = "app";
  p.sslmode = "require";
  EXPECT_EQ(ToConninfo(p),
            "host='db.example' port='6543' user='admin' "
            "password='it\\'s a \\\\ secret\\' dbname=\\'other' dbname='app' sslmode='require' "
            "application_name='tenantdb' connect_timeout='10' "
            "options='-csearch_path=pg_catalog'");
}

TEST(ConninfoTest, SearchPathIsPinnedUnlessAskedOtherwise) {
  ConnectionParams p;
  p.host = "h";
  EXPECT_NE(ToConninfo(p).find("options='-csearch_path=pg_catalog'"), std::string::npos);
  p.pin_search_path = false;
  EXPECT_EQ(ToConninfo(p).find("options="), std::string::npos);
}

TEST(ConninfoTest, DescriptionForLogsHasNoPassword) {
  ConnectionParams p;
  p.host = "h";
  p.user = "u";
  p.password = "hunter2";
  EXPECT_EQ(DescribeForLog(p).find("hunter2"), std::string::npos);
  EXPECT_EQ(DescribeForLog(p).find("password"), std::string::npos);
}

TEST(ClassifySqlStateTest, MapsClassesToRetryBehaviour) {
  EXPECT_EQ(ClassifySqlState("08006", "x").code, ErrorCode::kTransient);
  EXPECT_EQ(ClassifySqlState("57P03", "x").reason, "ServerUnreachable");
  EXPECT_EQ(ClassifySqlState("40P01", "x").code, ErrorCode::kConflict);
  EXPECT_EQ(ClassifySqlState("55006", "x").code, ErrorCode::kConflict);
  EXPECT_EQ(ClassifySqlState("42501", "x").code, ErrorCode::kPermission);
  EXPECT_EQ(ClassifySqlState("28P01", "x").reason, "AuthenticationFailed");
  EXPECT_EQ(ClassifySqlState("3D000", "x").code, ErrorCode::kDependency);
  EXPECT_EQ(ClassifySqlState("42601", "x").code, ErrorCode::kInvalid);
  EXPECT_TRUE(ClassifySqlState("22023", "x").terminal);
}

}  // namespace
}  // namespace tenantdb::sql
