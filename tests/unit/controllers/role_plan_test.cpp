#include "controllers/role/role_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tenantdb::controllers::role {
namespace {

namespace v1 = api::v1alpha1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Fixture builders.
DesiredRole Role(v1::PrivilegePreset preset = v1::PrivilegePreset::kNone) {
  return {.role = "shop_app",
          .database = "shop",
          .owner = "shop_owner",
          .login = true,
          .connection_limit = -1,
          .preset = preset,
          .preset_schemas = {"public"}};
}

sql::ObservedRole Existing() { return {.name = "shop_app", .login = true, .connection_limit = -1}; }

ObservedState Observed(std::optional<sql::ObservedRole> role = Existing()) {
  ObservedState o;
  o.role = std::move(role);
  o.objects = {{"public", {.tables = {"orders"}, .sequences = {}}}};
  return o;
}

// The observed state after a plan for `d` was applied (privileges as the catalog reports them).
ObservedState InPlace(const DesiredRole& d) {
  ObservedState o = Observed();
  const auto desired = DesiredPrivilegesFor({.database = d.database,
                                             .owner = d.owner,
                                             .preset = d.preset,
                                             .grants = d.grants,
                                             .preset_schemas = d.preset_schemas},
                                            o.objects);
  for (const auto& k : desired->privileges) {
    const auto kind = k.kind == ObjectKind::kDatabase ? sql::ObservedObjectKind::kDatabase
                      : k.kind == ObjectKind::kSchema ? sql::ObservedObjectKind::kSchema
                      : k.kind == ObjectKind::kTable  ? sql::ObservedObjectKind::kTable
                                                      : sql::ObservedObjectKind::kSequence;
    o.privileges.push_back({kind, k.schema, k.object, d.role, k.privilege});
  }
  for (const auto& k : desired->default_privileges) {
    o.default_privileges.push_back(
        {k.for_role, k.schema,
         k.objects == sql::DefaultPrivilegeObject::kTables ? "tables" : "sequences", d.role,
         k.privilege});
  }
  o.role->member_of = d.in_roles;
  if (d.preset == v1::PrivilegePreset::kOwner) {
    o.role->member_of.push_back(d.owner);
    o.role->settings.push_back({d.database, "role=" + d.owner});
  }
  o.managed_memberships = {o.role->member_of.begin(), o.role->member_of.end()};
  return o;
}

std::vector<sql::SqlAction> Actions(const DesiredRole& d, const ObservedState& o) {
  auto plan = PlanRole(d, o);
  EXPECT_TRUE(plan.has_value());
  return plan ? plan->actions : std::vector<sql::SqlAction>{};
}

TEST(PlanRoleTest, NewRoleIsCreatedWithVerifierMembershipsAndGrants) {
  auto d = Role(v1::PrivilegePreset::kReadOnly);
  d.in_roles = {"readers"};
  d.valid_until = "2030-01-01T00:00:00Z";
  d.password_verifier = "SCRAM-SHA-256$4096:salt$key:server";
  const auto plan = *PlanRole(d, Observed(std::nullopt));
  ASSERT_GE(plan.actions.size(), 3U);
  const sql::SqlAction create =
      sql::CreateRole{.role = "shop_app",
                      .login = true,
                      .connection_limit = -1,
                      .valid_until = "2030-01-01T00:00:00Z",
                      .password_verifier = "SCRAM-SHA-256$4096:salt$key:server"};
  EXPECT_EQ(plan.actions[0], create);
  const sql::SqlAction member = sql::GrantMembership{.role = "readers", .member = "shop_app"};
  EXPECT_EQ(plan.actions[1], member);
  EXPECT_TRUE(plan.sets_password);
  EXPECT_THAT(plan.managed_memberships, ElementsAre("readers"));
  // The ReadOnly grants follow, default privileges FOR ROLE the owner last.
  const sql::SqlAction defaults =
      sql::AlterDefaultPrivileges{.database = "shop",
                                  .for_role = "shop_owner",
                                  .schema = "public",
                                  .objects = sql::DefaultPrivilegeObject::kSequences,
                                  .privileges = {"SELECT"},
                                  .grantee = "shop_app",
                                  .grant = true};
  EXPECT_EQ(plan.actions.back(), defaults);
}

TEST(PlanRoleTest, NoOpWhenEverythingIsInPlace) {
  for (const auto preset : {v1::PrivilegePreset::kReadOnly, v1::PrivilegePreset::kReadWrite,
                            v1::PrivilegePreset::kOwner, v1::PrivilegePreset::kNone}) {
    auto d = Role(preset);
    d.in_roles = {"readers"};
    EXPECT_THAT(Actions(d, InPlace(d)), IsEmpty()) << v1::ToString(preset);
  }
}

struct AttributeCase {
  std::string name;
  sql::ObservedRole observed;
  DesiredRole desired;
  std::vector<sql::SqlAction> actions;
};

class AttributeTest : public ::testing::TestWithParam<AttributeCase> {};

TEST_P(AttributeTest, AltersOnlyWhatDiffers) {
  const auto& c = GetParam();
  EXPECT_EQ(Actions(c.desired, Observed(c.observed)), c.actions);
}

AttributeCase Case(std::string name, std::function<void(sql::ObservedRole&)> observe,
                   std::function<void(DesiredRole&)> desire, std::vector<sql::SqlAction> actions) {
  AttributeCase c{std::move(name), Existing(), Role(), std::move(actions)};
  observe(c.observed);
  desire(c.desired);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Attributes, AttributeTest,
    ::testing::Values(
        Case(
            "LoginRemoved", [](auto&) {}, [](auto& d) { d.login = false; },
            {sql::AlterRole{.role = "shop_app", .login = false}}),
        Case(
            "ConnectionLimit", [](auto&) {}, [](auto& d) { d.connection_limit = 10; },
            {sql::AlterRole{.role = "shop_app", .connection_limit = 10}}),
        Case(
            "ValidUntilSameInstantInPostgresFormat",
            [](auto& o) { o.valid_until = "2030-01-01 01:00:00+01"; },
            [](auto& d) { d.valid_until = "2030-01-01T00:00:00Z"; }, {}),
        Case(
            "ValidUntilChanged", [](auto& o) { o.valid_until = "2030-01-01 00:00:00+00"; },
            [](auto& d) { d.valid_until = "2031-01-01T00:00:00Z"; },
            {sql::AlterRole{.role = "shop_app", .valid_until = "2031-01-01T00:00:00Z"}}),
        Case(
            "ValidUntilRemovedBecomesInfinity",
            [](auto& o) { o.valid_until = "2030-01-01 00:00:00+00"; }, [](auto&) {},
            {sql::AlterRole{.role = "shop_app", .valid_until = "infinity"}}),
        Case(
            "ValidUntilInfinityAndUnsetAreTheSame", [](auto& o) { o.valid_until = "infinity"; },
            [](auto&) {}, {}),
        Case(
            "PasswordChangedOnly", [](auto&) {},
            [](auto& d) { d.password_verifier = "SCRAM-SHA-256$v"; },
            {sql::AlterRole{.role = "shop_app", .password_verifier = "SCRAM-SHA-256$v"}})),
    [](const auto& info) { return info.param.name; });

TEST(PlanRoleTest, MembershipsGrantNewAndRevokeOnlyManagedOnes) {
  auto d = Role();
  d.in_roles = {"readers", "writers"};
  auto o = Observed();
  // "auditors" was granted by tenantdb (recorded) and left the spec; "monitoring" was granted
  // by a DBA and is not tenantdb's to revoke.
  o.role->member_of = {"auditors", "monitoring", "readers"};
  o.managed_memberships = {"auditors", "readers"};
  const auto plan = *PlanRole(d, o);
  EXPECT_THAT(
      plan.actions,
      ElementsAre(sql::SqlAction{sql::RevokeMembership{.role = "auditors", .member = "shop_app"}},
                  sql::SqlAction{sql::GrantMembership{.role = "writers", .member = "shop_app"}}));
  EXPECT_THAT(plan.managed_memberships, ElementsAre("readers", "writers"));
}

TEST(PlanRoleTest, OwnerPresetJoinsTheOwnerRoleAndActsAsIt) {
  const auto d = Role(v1::PrivilegePreset::kOwner);
  const auto plan = *PlanRole(d, Observed());
  EXPECT_THAT(
      plan.actions,
      ElementsAre(
          sql::SqlAction{sql::GrantMembership{.role = "shop_owner", .member = "shop_app"}},
          sql::SqlAction{sql::SetRoleConfig{
              .role = "shop_app", .database = "shop", .parameter = "role", .value = "shop_owner"}},
          sql::SqlAction{sql::GrantPrivileges{.database = "shop",
                                              .target = sql::PrivilegeTarget::kDatabase,
                                              .object = "shop",
                                              .privileges = {"CONNECT"},
                                              .grantee = "shop_app"}}));
  EXPECT_THAT(plan.managed_memberships, ElementsAre("shop_owner"));
}

TEST(PlanRoleTest, LeavingOwnerPresetRevokesOwnerMembershipAndResetsRole) {
  const auto o = InPlace(Role(v1::PrivilegePreset::kOwner));
  auto d = Role(v1::PrivilegePreset::kNone);
  auto o2 = o;
  o2.managed_memberships.clear();  // even when not recorded: the owner role is always managed
  EXPECT_THAT(
      Actions(d, o2),
      ElementsAre(
          sql::SqlAction{sql::RevokeMembership{.role = "shop_owner", .member = "shop_app"}},
          sql::SqlAction{sql::SetRoleConfig{
              .role = "shop_app", .database = "shop", .parameter = "role", .value = std::nullopt}},
          sql::SqlAction{sql::RevokePrivileges{.database = "shop",
                                               .target = sql::PrivilegeTarget::kDatabase,
                                               .object = "shop",
                                               .privileges = {"CONNECT"},
                                               .grantee = "shop_app"}}));
}

TEST(PlanRoleTest, RemovedGrantIsRevoked) {
  auto d = Role(v1::PrivilegePreset::kReadOnly);
  d.grants = {
      v1::Grant{.schema = "public", .table = "orders", .privileges = {v1::Privilege::kDelete}}};
  const auto o = InPlace(d);
  d.grants.clear();
  EXPECT_THAT(
      Actions(d, o),
      ElementsAre(sql::SqlAction{sql::RevokePrivileges{.database = "shop",
                                                       .target = sql::PrivilegeTarget::kTable,
                                                       .schema = "public",
                                                       .object = "orders",
                                                       .privileges = {"DELETE"},
                                                       .grantee = "shop_app"}}));
}

TEST(PlanRoleTest, MissingTargetsAreReportedNotPlanned) {
  auto d = Role(v1::PrivilegePreset::kNone);
  d.grants = {
      v1::Grant{.schema = "public", .table = "invoices", .privileges = {v1::Privilege::kSelect}}};
  const auto plan = *PlanRole(d, InPlace(Role(v1::PrivilegePreset::kNone)));
  EXPECT_THAT(plan.missing_targets, ElementsAre("table \"public\".\"invoices\""));
}

struct PasswordCase {
  std::string name;
  bool role_exists;
  std::optional<std::string> recorded;
  bool needed;
};

class PasswordChangeTest : public ::testing::TestWithParam<PasswordCase> {};

TEST_P(PasswordChangeTest, DetectsAChangeFromTheRecordedHash) {
  const auto& c = GetParam();
  EXPECT_EQ(PasswordChangeNeeded(c.role_exists, "abc123", c.recorded), c.needed);
}

INSTANTIATE_TEST_SUITE_P(Password, PasswordChangeTest,
                         ::testing::Values(PasswordCase{"NewRole", false, std::nullopt, true},
                                           PasswordCase{"NewRoleSameHash", false, "abc123", true},
                                           PasswordCase{"NothingRecorded", true, std::nullopt,
                                                        true},
                                           PasswordCase{"Changed", true, "def456", true},
                                           PasswordCase{"Unchanged", true, "abc123", false}),
                         [](const auto& info) { return info.param.name; });

TEST(DecideRotationTest, DueWhenTheIntervalHasPassedOrTheAgeIsUnknown) {
  using std::chrono::hours;
  const auto now = std::chrono::system_clock::time_point{} + hours(1000);
  EXPECT_EQ(DecideRotation(hours(720), std::nullopt, now),
            (RotationDecision{.rotate_now = true, .next_rotation = now + hours(720)}));
  EXPECT_EQ(DecideRotation(hours(720), now - hours(720), now),
            (RotationDecision{.rotate_now = true, .next_rotation = now + hours(720)}));
  EXPECT_EQ(DecideRotation(hours(720), now - hours(700), now),
            (RotationDecision{.rotate_now = false, .next_rotation = now + hours(20)}));
}

TEST(PlanRoleDeletionTest, ReassignsAndDropsOwnedThenDropsTheRole) {
  EXPECT_THAT(PlanRoleDeletion("shop_app", "shop", "shop_owner", "tenantdb_admin"),
              ElementsAre(sql::SqlAction{sql::GrantMembership{.role = "shop_app",
                                                              .member = "tenantdb_admin"}},
                          sql::SqlAction{sql::ReassignOwned{
                              .database = "shop", .role = "shop_app", .new_owner = "shop_owner"}},
                          sql::SqlAction{sql::DropOwned{.database = "shop", .role = "shop_app"}},
                          sql::SqlAction{sql::DropRole{.role = "shop_app"}}));
  EXPECT_THAT(PlanRoleDeletion("shop_app", "", "shop_owner", "tenantdb_admin"),
              ElementsAre(sql::SqlAction{sql::DropRole{.role = "shop_app"}}));
}

}  // namespace
}  // namespace tenantdb::controllers::role
