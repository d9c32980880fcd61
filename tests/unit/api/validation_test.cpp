#include "api/v1alpha1/validation.h"

#include <gtest/gtest.h>

namespace tenantdb::api::v1alpha1 {
namespace {

TEST(IdentifierTest, PatternAndLength) {
  EXPECT_TRUE(IsIdentifier("orders"));
  EXPECT_TRUE(IsIdentifier("_x1"));
  EXPECT_TRUE(IsIdentifier(std::string(63, 'a')));
  EXPECT_FALSE(IsIdentifier(std::string(64, 'a')));
  EXPECT_FALSE(IsIdentifier(""));
  EXPECT_FALSE(IsIdentifier("1abc"));
  EXPECT_FALSE(IsIdentifier("Abc"));
  EXPECT_FALSE(IsIdentifier("a-b"));
  EXPECT_FALSE(IsIdentifier("a b"));
  EXPECT_FALSE(IsIdentifier("caf\xC3\xA9"));
}

TEST(IdentifierTest, ReservedNames) {
  EXPECT_TRUE(IsReservedDatabaseName("postgres"));
  EXPECT_TRUE(IsReservedDatabaseName("template0"));
  EXPECT_TRUE(IsReservedDatabaseName("template1"));
  EXPECT_FALSE(IsReservedDatabaseName("template2"));
  EXPECT_TRUE(IsReservedRoleName("pg_monitor"));
  EXPECT_TRUE(IsReservedRoleName("public"));
  EXPECT_FALSE(IsReservedRoleName("pgadmin"));
  EXPECT_TRUE(IsReservedSchemaName("pg_catalog"));
  EXPECT_TRUE(IsReservedSchemaName("information_schema"));
  EXPECT_FALSE(IsReservedSchemaName("public"));
}

TEST(DnsNameTest, LabelsAndSubdomains) {
  EXPECT_TRUE(IsDnsLabel("shop"));
  EXPECT_TRUE(IsDnsLabel("1team"));
  EXPECT_TRUE(IsDnsLabel("a-b"));
  EXPECT_FALSE(IsDnsLabel("a.b"));
  EXPECT_FALSE(IsDnsLabel("-a"));
  EXPECT_FALSE(IsDnsLabel("a-"));
  EXPECT_FALSE(IsDnsLabel("A"));
  EXPECT_FALSE(IsDnsLabel(std::string(64, 'a')));
  EXPECT_TRUE(IsDnsSubdomain("orders.v2-eu"));
  EXPECT_FALSE(IsDnsSubdomain("orders..v2"));
  EXPECT_FALSE(IsDnsSubdomain(".orders"));
  EXPECT_FALSE(IsDnsSubdomain("orders_v2"));
  EXPECT_TRUE(IsDnsSubdomain(std::string(253, 'a')));
  EXPECT_FALSE(IsDnsSubdomain(std::string(254, 'a')));
}

TEST(FieldErrorTest, FormatsForAConditionMessage) {
  EXPECT_EQ(FormatFieldErrors(
                {{"spec.port", "must be between 1 and 65535, is 0"}, {"spec.host", "required"}}),
            "spec.port: must be between 1 and 65535, is 0; spec.host: required");
  EXPECT_EQ(FormatFieldErrors({}), "");
}

TEST(Utf8LengthTest, CountsCodePoints) {
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("caf\xC3\xA9"), 4u);
  EXPECT_EQ(Utf8Length(""), 0u);
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
