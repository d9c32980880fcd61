#include "controllers/role/privileges.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tenantdb::controllers::role {
namespace {

namespace v1 = api::v1alpha1;
using sql::DefaultPrivilegeObject;
using sql::PrivilegeTarget;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr auto kTables = DefaultPrivilegeObject::kTables;
constexpr auto kSequences = DefaultPrivilegeObject::kSequences;

DatabaseObjects Objects() {
  return {{"public", {.tables = {"orders", "users"}, .sequences = {"orders_id_seq"}}},
          {"audit", {.tables = {"log"}, .sequences = {}}},
          {"empty", {}}};
}

PrivilegeInputs Inputs(v1::PrivilegePreset preset, std::vector<v1::Grant> grants = {}) {
  return {.database = "shop",
          .owner = "shop_owner",
          .preset = preset,
          .grants = std::move(grants),
          .preset_schemas = {"public"}};
}

PrivilegeKey Db(std::string p) { return {ObjectKind::kDatabase, "", "shop", std::move(p)}; }
PrivilegeKey Schema(std::string s, std::string p) {
  return {ObjectKind::kSchema, "", std::move(s), std::move(p)};
}
PrivilegeKey Table(std::string s, std::string t, std::string p) {
  return {ObjectKind::kTable, std::move(s), std::move(t), std::move(p)};
}
PrivilegeKey Seq(std::string s, std::string t, std::string p) {
  return {ObjectKind::kSequence, std::move(s), std::move(t), std::move(p)};
}
DefaultPrivilegeKey Default(std::string schema, DefaultPrivilegeObject o, std::string p) {
  return {"shop_owner", std::move(schema), o, std::move(p)};
}

DesiredPrivileges Desire(const PrivilegeInputs& in, const DatabaseObjects& objects = Objects()) {
  auto d = DesiredPrivilegesFor(in, objects);
  EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().message);
  return d ? *d : DesiredPrivileges{};
}

struct PresetCase {
  std::string name;
  v1::PrivilegePreset preset;
  PrivilegeSet privileges;
  DefaultPrivilegeSet defaults;
};

class PresetTest : public ::testing::TestWithParam<PresetCase> {};

TEST_P(PresetTest, ExpandsToConcreteGrantsAndDefaultPrivilegesForTheOwner) {
  const auto& c = GetParam();
  const auto d = Desire(Inputs(c.preset));
  EXPECT_EQ(d.privileges, c.privileges);
  EXPECT_EQ(d.default_privileges, c.defaults);
  EXPECT_THAT(d.missing_targets, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    Presets, PresetTest,
    ::testing::Values(
        PresetCase{"ReadOnly",
                   v1::PrivilegePreset::kReadOnly,
                   {Db("CONNECT"), Schema("public", "USAGE"), Table("public", "orders", "SELECT"),
                    Table("public", "users", "SELECT"), Seq("public", "orders_id_seq", "SELECT")},
                   {Default("public", kTables, "SELECT"), Default("public", kSequences, "SELECT")}},
        PresetCase{
            "ReadWrite",
            v1::PrivilegePreset::kReadWrite,
            {Db("CONNECT"), Schema("public", "USAGE"), Table("public", "orders", "SELECT"),
             Table("public", "orders", "INSERT"), Table("public", "orders", "UPDATE"),
             Table("public", "orders", "DELETE"), Table("public", "users", "SELECT"),
             Table("public", "users", "INSERT"), Table("public", "users", "UPDATE"),
             Table("public", "users", "DELETE"), Seq("public", "orders_id_seq", "USAGE"),
             Seq("public", "orders_id_seq", "SELECT"), Seq("public", "orders_id_seq", "UPDATE")},
            {Default("public", kTables, "SELECT"), Default("public", kTables, "INSERT"),
             Default("public", kTables, "UPDATE"), Default("public", kTables, "DELETE"),
             Default("public", kSequences, "USAGE"), Default("public", kSequences, "SELECT"),
             Default("public", kSequences, "UPDATE")}},
        PresetCase{"Owner", v1::PrivilegePreset::kOwner, {Db("CONNECT")}, {}},
        PresetCase{"None", v1::PrivilegePreset::kNone, {}, {}}),
    [](const auto& info) { return info.param.name; });

TEST(DesiredPrivilegesTest, PresetCoversTheDatabaseSchemasAndSkipsMissingOnes) {
  auto in = Inputs(v1::PrivilegePreset::kReadOnly);
  in.preset_schemas = {"public", "audit", "not_yet"};
  const auto d = Desire(in);
  EXPECT_TRUE(d.privileges.contains(Schema("audit", "USAGE")));
  EXPECT_TRUE(d.privileges.contains(Table("audit", "log", "SELECT")));
  EXPECT_TRUE(d.default_privileges.contains(Default("audit", kTables, "SELECT")));
  EXPECT_FALSE(d.privileges.contains(Schema("not_yet", "USAGE")));
  EXPECT_THAT(d.missing_targets, IsEmpty());
}

TEST(DesiredPrivilegesTest, ExplicitGrantsOnSchemaAllTablesAndOneTable) {
  const auto d = Desire(
      Inputs(v1::PrivilegePreset::kNone,
             {v1::Grant{.schema = "empty", .privileges = {v1::Privilege::kAll}},
              v1::Grant{.schema = "audit", .table = "*", .privileges = {v1::Privilege::kInsert}},
              v1::Grant{.schema = "public",
                        .table = "orders",
                        .privileges = {v1::Privilege::kTruncate, v1::Privilege::kTruncate}}}));
  EXPECT_EQ(d.privileges,
            (PrivilegeSet{Db("CONNECT"), Schema("empty", "USAGE"), Schema("empty", "CREATE"),
                          Table("audit", "log", "INSERT"), Table("public", "orders", "TRUNCATE")}));
  EXPECT_EQ(d.default_privileges, (DefaultPrivilegeSet{Default("audit", kTables, "INSERT")}));
}

TEST(DesiredPrivilegesTest, MissingGrantTargetsAreNamed) {
  const auto d = Desire(Inputs(
      v1::PrivilegePreset::kReadOnly,
      {v1::Grant{.schema = "nope", .privileges = {v1::Privilege::kUsage}},
       v1::Grant{.schema = "public", .table = "invoices", .privileges = {v1::Privilege::kSelect}},
       v1::Grant{.schema = "gone", .table = "*", .privileges = {v1::Privilege::kSelect}}}));
  EXPECT_THAT(d.missing_targets,
              ElementsAre("schema \"gone\"", "schema \"nope\"", "table \"public\".\"invoices\""));
  EXPECT_TRUE(d.privileges.contains(Table("public", "orders", "SELECT")));  // the rest stays
}

TEST(NormalizePrivilegesTest, ExpandsAllAndRefusesPrivilegesThatDoNotApply) {
  EXPECT_THAT(
      *NormalizePrivileges(ObjectKind::kTable, {v1::Privilege::kAll}),
      ElementsAre("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"));
  EXPECT_THAT(
      *NormalizePrivileges(ObjectKind::kSchema, {v1::Privilege::kCreate, v1::Privilege::kUsage}),
      ElementsAre("USAGE", "CREATE"));
  const auto bad = NormalizePrivileges(ObjectKind::kTable, {v1::Privilege::kUsage});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().reason, "InvalidSpec");
  EXPECT_NE(bad.error().message.find("USAGE"), std::string::npos);
  const auto grant = DesiredPrivilegesFor(
      Inputs(v1::PrivilegePreset::kNone,
             {v1::Grant{.schema = "public", .privileges = {v1::Privilege::kSelect}}}),
      Objects());
  ASSERT_FALSE(grant);
  EXPECT_EQ(grant.error().code, ErrorCode::kInvalid);
}

TEST(DiffPrivilegesTest, NothingToDoWhenInPlace) {
  const auto d = Desire(Inputs(v1::PrivilegePreset::kReadWrite));
  EXPECT_THAT(DiffPrivileges("shop", "app", d.privileges, d.privileges, Objects()), IsEmpty());
  EXPECT_THAT(DiffDefaultPrivileges("shop", "app", d.default_privileges, d.default_privileges),
              IsEmpty());
}

TEST(DiffPrivilegesTest, FreshRoleGetsSchemaWideGrants) {
  const auto d = Desire(Inputs(v1::PrivilegePreset::kReadOnly));
  EXPECT_THAT(
      DiffPrivileges("shop", "app", d.privileges, {}, Objects()),
      ElementsAre(sql::SqlAction{sql::GrantPrivileges{.database = "shop",
                                                      .target = PrivilegeTarget::kDatabase,
                                                      .object = "shop",
                                                      .privileges = {"CONNECT"},
                                                      .grantee = "app"}},
                  sql::SqlAction{sql::GrantPrivileges{.database = "shop",
                                                      .target = PrivilegeTarget::kSchema,
                                                      .schema = "public",
                                                      .privileges = {"USAGE"},
                                                      .grantee = "app"}},
                  sql::SqlAction{sql::GrantPrivileges{.database = "shop",
                                                      .target = PrivilegeTarget::kAllTablesInSchema,
                                                      .schema = "public",
                                                      .privileges = {"SELECT"},
                                                      .grantee = "app"}},
                  sql::SqlAction{sql::GrantPrivileges{.database = "shop",
                                                      .target = PrivilegeTarget::kSequence,
                                                      .schema = "public",
                                                      .object = "orders_id_seq",
                                                      .privileges = {"SELECT"},
                                                      .grantee = "app"}}));
}

TEST(DiffPrivilegesTest, RevokesWhatTheSpecNoLongerImplies) {
  // Was ReadWrite with TRUNCATE on orders; is ReadOnly now.
  auto observed = Desire(Inputs(v1::PrivilegePreset::kReadWrite)).privileges;
  observed.insert(Table("public", "orders", "TRUNCATE"));
  const auto d = Desire(Inputs(v1::PrivilegePreset::kReadOnly));
  EXPECT_THAT(
      DiffPrivileges("shop", "app", d.privileges, observed, Objects()),
      ElementsAre(sql::SqlAction{sql::RevokePrivileges{
                      .database = "shop",
                      .target = PrivilegeTarget::kTable,
                      .schema = "public",
                      .object = "orders",
                      .privileges = {"INSERT", "UPDATE", "DELETE", "TRUNCATE"},
                      .grantee = "app"}},
                  sql::SqlAction{sql::RevokePrivileges{.database = "shop",
                                                       .target = PrivilegeTarget::kTable,
                                                       .schema = "public",
                                                       .object = "users",
                                                       .privileges = {"INSERT", "UPDATE", "DELETE"},
                                                       .grantee = "app"}},
                  sql::SqlAction{sql::RevokePrivileges{.database = "shop",
                                                       .target = PrivilegeTarget::kSequence,
                                                       .schema = "public",
                                                       .object = "orders_id_seq",
                                                       .privileges = {"UPDATE", "USAGE"},
                                                       .grantee = "app"}}));
}

TEST(DiffPrivilegesTest, RemovedGrantOnAllTablesIsRevokedSchemaWide) {
  const PrivilegeSet observed = {Db("CONNECT"), Table("public", "orders", "DELETE"),
                                 Table("public", "users", "DELETE")};
  EXPECT_THAT(DiffPrivileges("shop", "app", {Db("CONNECT")}, observed, Objects()),
              ElementsAre(sql::SqlAction{
                  sql::RevokePrivileges{.database = "shop",
                                        .target = PrivilegeTarget::kAllTablesInSchema,
                                        .schema = "public",
                                        .privileges = {"DELETE"},
                                        .grantee = "app"}}));
}

TEST(DiffDefaultPrivilegesTest, GrantsMissingAndRevokesExtraForRoleOwner) {
  const DefaultPrivilegeSet desired = {Default("public", kTables, "SELECT")};
  const DefaultPrivilegeSet observed = {Default("public", kTables, "INSERT"),
                                        Default("public", kTables, "DELETE")};
  EXPECT_THAT(
      DiffDefaultPrivileges("shop", "app", desired, observed),
      ElementsAre(sql::SqlAction{sql::AlterDefaultPrivileges{.database = "shop",
                                                             .for_role = "shop_owner",
                                                             .schema = "public",
                                                             .objects = kTables,
                                                             .privileges = {"INSERT", "DELETE"},
                                                             .grantee = "app",
                                                             .grant = false}},
                  sql::SqlAction{sql::AlterDefaultPrivileges{.database = "shop",
                                                             .for_role = "shop_owner",
                                                             .schema = "public",
                                                             .objects = kTables,
                                                             .privileges = {"SELECT"},
                                                             .grantee = "app",
                                                             .grant = true}}));
}

TEST(FromObservedTest, ConvertsCatalogRows) {
  const std::vector<sql::ObservedPrivilege> rows = {{.kind = sql::ObservedObjectKind::kDatabase,
                                                     .object = "shop",
                                                     .grantee = "app",
                                                     .privilege = "CONNECT"},
                                                    {.kind = sql::ObservedObjectKind::kSchema,
                                                     .object = "public",
                                                     .grantee = "app",
                                                     .privilege = "USAGE"},
                                                    {.kind = sql::ObservedObjectKind::kTable,
                                                     .schema = "public",
                                                     .object = "orders",
                                                     .grantee = "app",
                                                     .privilege = "SELECT"},
                                                    {.kind = sql::ObservedObjectKind::kSequence,
                                                     .schema = "public",
                                                     .object = "s",
                                                     .grantee = "app",
                                                     .privilege = "USAGE"}};
  EXPECT_EQ(FromObserved(rows),
            (PrivilegeSet{Db("CONNECT"), Schema("public", "USAGE"),
                          Table("public", "orders", "SELECT"), Seq("public", "s", "USAGE")}));
  const std::vector<sql::ObservedDefaultPrivilege> defaults = {{.for_role = "shop_owner",
                                                                .schema = "public",
                                                                .objects = "tables",
                                                                .grantee = "app",
                                                                .privilege = "SELECT"},
                                                               {.for_role = "shop_owner",
                                                                .schema = std::nullopt,
                                                                .objects = "sequences",
                                                                .grantee = "app",
                                                                .privilege = "USAGE"}};
  EXPECT_EQ(FromObserved(defaults),
            (DefaultPrivilegeSet{Default("public", kTables, "SELECT"),
                                 {"shop_owner", std::nullopt, kSequences, "USAGE"}}));
}

}  // namespace
}  // namespace tenantdb::controllers::role
