#include "controllers/role/role_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tenantdb::controllers::role {
namespace {

namespace v1 = api::v1alpha1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kMarker[] = "tenantdb:shop/DatabaseRole/app";

// Fixture builders.
DesiredRole Role(v1::PrivilegePreset preset = v1::PrivilegePreset::kNone) {
  return {.role = "shop_app",
          .marker = kMarker,
          .database = "shop",
          .owner = "shop_owner",
          .login = true,
          .connection_limit = -1,
          .preset = preset,
          .preset_schemas = {"public"}};
}

sql::ObservedRole Existing() {
  return {.name = "shop_app", .login = true, .connection_limit = -1, .comment = kMarker};
}

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
  // The marker in the same plan (the reconciler runs the role's actions in one transaction).
  const sql::SqlAction marker = sql::CommentOnRole{.role = "shop_app", .comment = kMarker};
  EXPECT_EQ(plan.actions[1], marker);
  const sql::SqlAction member = sql::GrantMembership{.role = "readers", .member = "shop_app"};
  EXPECT_EQ(plan.actions[2], member);
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

// --- AlternatingUsers ----------------------------------------------------------------------------

TEST(AlternatingLoginsTest, NamesAndTheirLimit) {
  EXPECT_EQ(*AlternatingLogins("shop_app"),
            (std::pair<std::string, std::string>{"shop_app_a", "shop_app_b"}));
  EXPECT_TRUE(AlternatingLogins(std::string(61, 'r')).has_value());  // 63 bytes with "_a"
  const auto too_long = AlternatingLogins(std::string(62, 'r'));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(too_long.error().reason, "InvalidSpec");
  EXPECT_THAT(too_long.error().message, ::testing::HasSubstr("spec.roleName"));
}

// Observed login roles for DecideLogins: the group "app" and its logins "app_a"/"app_b".
ObservedLogin Login(bool login, int sessions = 0, bool member = true) {
  sql::ObservedRole r{.name = "", .login = login};
  if (member) {
    r.member_of = {"app"};
  }
  return {.role = r, .sessions = sessions};
}
ObservedLogin Group(bool login, int sessions = 0) {
  return {.role = sql::ObservedRole{.name = "app", .login = login}, .sessions = sessions};
}

struct LoginCase {
  std::string name;
  v1::RotationStrategy strategy;
  std::optional<std::string> active;  // the Secret's login
  bool due;
  std::map<std::string, ObservedLogin> observed;
  LoginDecision want;
};

class DecideLoginsTest : public ::testing::TestWithParam<LoginCase> {};

TEST_P(DecideLoginsTest, Decides) {
  const auto& c = GetParam();
  const auto got = DecideLogins({.strategy = c.strategy,
                                 .role = "app",
                                 .active = c.active,
                                 .rotation_due = c.due,
                                 .observed = c.observed});
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->active, c.want.active);
  EXPECT_EQ(got->new_password, c.want.new_password);
  EXPECT_EQ(got->rotation_postponed, c.want.rotation_postponed);
  EXPECT_EQ(got->retiring, c.want.retiring);
  EXPECT_EQ(got->disable, c.want.disable);
  EXPECT_EQ(got->drop, c.want.drop);
}

constexpr auto kAlt = v1::RotationStrategy::kAlternatingUsers;
constexpr auto kInPlace = v1::RotationStrategy::kInPlace;

INSTANTIATE_TEST_SUITE_P(
    States, DecideLoginsTest,
    ::testing::Values(
        // First creation: nothing exists; the group is created NOLOGIN by PlanRole.
        LoginCase{"FirstCreation",
                  kAlt,
                  std::nullopt,
                  false,
                  {},
                  {.active = "app_a", .new_password = true}},
        LoginCase{"FirstCreationGroupExistsNoLogin",
                  kAlt,
                  std::nullopt,
                  false,
                  {{"app", Group(false)}},
                  {.active = "app_a", .new_password = true}},
        // Steady state: the Secret's login stays, the other one is NOLOGIN.
        LoginCase{"SteadyNotDue",
                  kAlt,
                  "app_a",
                  false,
                  {{"app", Group(false)}, {"app_a", Login(true)}, {"app_b", Login(false)}},
                  {.active = "app_a"}},
        // Due: the other login gets the new password; the old one is kept even when it is busy
        // (and even when idle: its holders get a resync period to reconnect).
        LoginCase{"DueOldLoginBusy",
                  kAlt,
                  "app_a",
                  true,
                  {{"app", Group(false)}, {"app_a", Login(true, 3)}, {"app_b", Login(false)}},
                  {.active = "app_b", .new_password = true, .retiring = {"app_a"}}},
        LoginCase{"DueFirstRotationCreatesB",
                  kAlt,
                  "app_a",
                  true,
                  {{"app", Group(false)}, {"app_a", Login(true)}},
                  {.active = "app_b", .new_password = true, .retiring = {"app_a"}}},
        LoginCase{"DueBackToA",
                  kAlt,
                  "app_b",
                  true,
                  {{"app", Group(false)}, {"app_a", Login(false)}, {"app_b", Login(true, 1)}},
                  {.active = "app_a", .new_password = true, .retiring = {"app_b"}}},
        // After the flip: the old login is kept while busy, disabled once idle.
        LoginCase{"OldLoginBusy",
                  kAlt,
                  "app_b",
                  false,
                  {{"app", Group(false)}, {"app_a", Login(true, 2)}, {"app_b", Login(true)}},
                  {.active = "app_b", .retiring = {"app_a"}}},
        LoginCase{"OldLoginIdle",
                  kAlt,
                  "app_b",
                  false,
                  {{"app", Group(false)}, {"app_a", Login(true, 0)}, {"app_b", Login(true)}},
                  {.active = "app_b", .disable = {"app_a"}}},
        // Due again while the previous login is still in use: wait.
        LoginCase{"DueButOtherStillBusy",
                  kAlt,
                  "app_b",
                  true,
                  {{"app", Group(false)}, {"app_a", Login(true, 1)}, {"app_b", Login(true)}},
                  {.active = "app_b", .rotation_postponed = true, .retiring = {"app_a"}}},
        // A crash after the flip's ALTER ROLE, before the Secret write: the target is enabled,
        // nobody can use it, so the flip is simply done again.
        LoginCase{"DueAfterCrashBeforeSecret",
                  kAlt,
                  "app_a",
                  true,
                  {{"app", Group(false)}, {"app_a", Login(true)}, {"app_b", Login(true)}},
                  {.active = "app_b", .new_password = true, .retiring = {"app_a"}}},
        // A lost Secret: a login still in use is not reused.
        LoginCase{"LostSecretALoginBusy",
                  kAlt,
                  std::nullopt,
                  false,
                  {{"app", Group(false)}, {"app_a", Login(true, 4)}, {"app_b", Login(false)}},
                  {.active = "app_b", .new_password = true, .retiring = {"app_a"}}},
        // InPlace -> AlternatingUsers: the role itself retires like a login.
        LoginCase{"SwitchFromInPlace",
                  kAlt,
                  "app",
                  false,
                  {{"app", Group(true)}},
                  {.active = "app_a", .new_password = true, .retiring = {"app"}}},
        LoginCase{"SwitchFromInPlaceRoleBusy",
                  kAlt,
                  "app_a",
                  false,
                  {{"app", Group(true, 5)}, {"app_a", Login(true)}},
                  {.active = "app_a", .retiring = {"app"}}},
        LoginCase{"SwitchFromInPlaceRoleIdle",
                  kAlt,
                  "app_a",
                  false,
                  {{"app", Group(true, 0)}, {"app_a", Login(true)}},
                  {.active = "app_a", .disable = {"app"}}},
        // AlternatingUsers -> InPlace: the role logs in again; the logins retire, are disabled,
        // then dropped.
        LoginCase{
            "SwitchToInPlace",
            kInPlace,
            "app_a",
            false,
            {{"app", Group(false)}, {"app_a", Login(true, 2)}, {"app_b", Login(false)}},
            {.active = "app", .new_password = true, .retiring = {"app_a"}, .drop = {"app_b"}}},
        LoginCase{"SwitchToInPlaceLoginIdle",
                  kInPlace,
                  "app",
                  false,
                  {{"app", Group(true)}, {"app_a", Login(true, 0)}},
                  {.active = "app", .disable = {"app_a"}}},
        LoginCase{"SwitchToInPlaceLoginDisabledIdle",
                  kInPlace,
                  "app",
                  false,
                  {{"app", Group(true)}, {"app_a", Login(false, 0)}},
                  {.active = "app", .drop = {"app_a"}}},
        LoginCase{"SwitchToInPlaceLoginDisabledButBusy",
                  kInPlace,
                  "app",
                  false,
                  {{"app", Group(true)}, {"app_a", Login(false, 1)}},
                  {.active = "app"}},
        // InPlace as before: a new password when there is none or it is due.
        LoginCase{"InPlaceFirst",
                  kInPlace,
                  std::nullopt,
                  false,
                  {},
                  {.active = "app", .new_password = true}},
        LoginCase{
            "InPlaceSteady", kInPlace, "app", false, {{"app", Group(true)}}, {.active = "app"}},
        LoginCase{"InPlaceDue",
                  kInPlace,
                  "app",
                  true,
                  {{"app", Group(true)}},
                  {.active = "app", .new_password = true}},
        // InPlace never touches an app_a that is not a member of the role.
        LoginCase{"InPlaceForeignLoginIgnored",
                  kInPlace,
                  "app",
                  false,
                  {{"app", Group(true)}, {"app_a", Login(false, 0, /*member=*/false)}},
                  {.active = "app"}}),
    [](const auto& info) { return info.param.name; });

TEST(DecideLoginsTest, AForeignLoginRoleIsAConflict) {
  const auto got = DecideLogins({.strategy = kAlt,
                                 .role = "app",
                                 .active = std::nullopt,
                                 .observed = {{"app_b", Login(true, 0, /*member=*/false)}}});
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().reason, "ConflictingResource");
  EXPECT_THAT(got.error().message, ::testing::HasSubstr("\"app_b\""));
}

TEST(DecideLoginsTest, RoleNameTooLongForLogins) {
  const std::string name(62, 'r');
  const auto alt = DecideLogins({.strategy = kAlt, .role = name});
  ASSERT_FALSE(alt.has_value());
  EXPECT_EQ(alt.error().reason, "InvalidSpec");
  // InPlace does not need the logins.
  const auto in_place = DecideLogins({.strategy = kInPlace, .role = name, .active = name});
  ASSERT_TRUE(in_place.has_value());
  EXPECT_EQ(in_place->active, name);
}

DesiredLogin LoginOf(std::string name) {
  return {.login = std::move(name),
          .marker = kMarker,
          .group = "shop_app",
          .database = "shop",
          .owner = "shop_owner"};
}

TEST(PlanLoginTest, ANewLoginIsCreatedWithItsMembershipInOneTransaction) {
  auto d = LoginOf("shop_app_a");
  d.password_verifier = "SCRAM-SHA-256$4096:salt$key:server";
  d.connection_limit = 5;
  using T = std::vector<sql::SqlAction>;
  EXPECT_THAT(PlanLogin(d, std::nullopt),
              ElementsAre(T{sql::CreateRole{.role = "shop_app_a",
                                            .login = true,
                                            .connection_limit = 5,
                                            .password_verifier = d.password_verifier},
                            sql::CommentOnRole{.role = "shop_app_a", .comment = kMarker},
                            sql::GrantMembership{.role = "shop_app", .member = "shop_app_a"}}));
}

TEST(PlanLoginTest, OwnerPresetLoginsActAsTheOwner) {
  auto d = LoginOf("shop_app_a");
  d.owner_preset = true;
  using T = std::vector<sql::SqlAction>;
  const auto plan = PlanLogin(d, std::nullopt);
  ASSERT_EQ(plan.size(), 2U);
  EXPECT_EQ(
      plan[1],
      (T{sql::SetRoleConfig{
          .role = "shop_app_a", .database = "shop", .parameter = "role", .value = "shop_owner"}}));
  // In place: nothing to do; leaving the preset resets it.
  sql::ObservedRole observed{.name = "shop_app_a", .login = true, .member_of = {"shop_app"}};
  observed.settings = {{"shop", "role=shop_owner"}};
  EXPECT_THAT(PlanLogin(d, observed), IsEmpty());
  d.owner_preset = false;
  EXPECT_THAT(
      PlanLogin(d, observed),
      ElementsAre(T{sql::SetRoleConfig{
          .role = "shop_app_a", .database = "shop", .parameter = "role", .value = std::nullopt}}));
}

TEST(PlanLoginTest, EnablesWithTheVerifierAndDisablesWithNoLogin) {
  using T = std::vector<sql::SqlAction>;
  const sql::ObservedRole disabled{.name = "shop_app_b", .login = false, .member_of = {"shop_app"}};
  auto d = LoginOf("shop_app_b");
  d.password_verifier = "SCRAM-SHA-256$4096:salt$key:server";
  EXPECT_THAT(PlanLogin(d, disabled),
              ElementsAre(T{sql::AlterRole{
                  .role = "shop_app_b", .login = true, .password_verifier = d.password_verifier}}));
  sql::ObservedRole enabled = disabled;
  enabled.login = true;
  auto off = LoginOf("shop_app_b");
  off.enabled = false;
  EXPECT_THAT(PlanLogin(off, enabled),
              ElementsAre(T{sql::AlterRole{.role = "shop_app_b", .login = false}}));
  EXPECT_THAT(PlanLogin(off, disabled), IsEmpty());
  // A lost membership is granted back.
  sql::ObservedRole lonely = disabled;
  lonely.member_of.clear();
  EXPECT_THAT(PlanLogin(off, lonely),
              ElementsAre(T{sql::GrantMembership{.role = "shop_app", .member = "shop_app_b"}}));
}

TEST(PlanDeletionWithLoginsTest, DropsTheLoginsThenTheRole) {
  const std::map<std::string, sql::ObservedRole> observed = {
      {"app", {.name = "app", .comment = kMarker, .members = {"app_a", "app_b", "admin"}}},
      {"app_a", {.name = "app_a", .comment = kMarker, .member_of = {"app"}}},
      {"app_b", {.name = "app_b", .comment = kMarker, .member_of = {"app"}, .members = {"admin"}}}};
  EXPECT_THAT(PlanDeletionWithLogins("app", kMarker, observed, "shop", "shop_owner", "admin"),
              ElementsAre(sql::SqlAction{sql::GrantMembership{.role = "app_a", .member = "admin"}},
                          sql::SqlAction{sql::ReassignOwned{
                              .database = "shop", .role = "app_a", .new_owner = "shop_owner"}},
                          sql::SqlAction{sql::DropOwned{.database = "shop", .role = "app_a"}},
                          sql::SqlAction{sql::DropRole{.role = "app_a"}},
                          // admin already a member of app_b and app: no grant
                          sql::SqlAction{sql::ReassignOwned{
                              .database = "shop", .role = "app_b", .new_owner = "shop_owner"}},
                          sql::SqlAction{sql::DropOwned{.database = "shop", .role = "app_b"}},
                          sql::SqlAction{sql::DropRole{.role = "app_b"}},
                          sql::SqlAction{sql::ReassignOwned{
                              .database = "shop", .role = "app", .new_owner = "shop_owner"}},
                          sql::SqlAction{sql::DropOwned{.database = "shop", .role = "app"}},
                          sql::SqlAction{sql::DropRole{.role = "app"}}));
}

TEST(PlanDeletionWithLoginsTest, LeavesForeignLoginsAndNothingWithoutTheRole) {
  const std::map<std::string, sql::ObservedRole> observed = {
      {"app", {.name = "app", .comment = kMarker}},
      {"app_a", {.name = "app_a", .comment = kMarker, .member_of = {"other"}}},
      {"app_b", {.name = "app_b", .member_of = {"app"}}}};  // a member, but unmarked
  EXPECT_THAT(PlanDeletionWithLogins("app", kMarker, observed, "", "shop_owner", "admin"),
              ElementsAre(sql::SqlAction{sql::DropRole{.role = "app"}}));
  EXPECT_THAT(
      PlanDeletionWithLogins(
          "app", kMarker, {{"app_a", {.name = "app_a", .comment = kMarker, .member_of = {"app"}}}},
          "shop", "shop_owner", "admin"),
      IsEmpty());
}

TEST(PlanDeletionWithLoginsTest, ARoleWithoutThisObjectsMarkerIsNeverDropped) {
  // Another team's role (its marker), the admin or a role made by hand (none): nothing at all.
  for (const std::optional<std::string>& comment :
       {std::optional<std::string>("tenantdb:team-b/DatabaseRole/app"),
        std::optional<std::string>(), std::optional<std::string>("owned by the DBA")}) {
    const std::map<std::string, sql::ObservedRole> observed = {
        {"app", {.name = "app", .comment = comment}},
        {"app_a", {.name = "app_a", .comment = kMarker, .member_of = {"app"}}}};
    EXPECT_THAT(PlanDeletionWithLogins("app", kMarker, observed, "shop", "shop_owner", "admin"),
                IsEmpty());
  }
}

TEST(PlanRoleTest, AnAdoptedRoleGetsTheMarker) {
  auto d = Role(v1::PrivilegePreset::kNone);
  auto existing = Existing();
  existing.comment.reset();
  const auto actions = Actions(d, Observed(existing));
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions[0], sql::SqlAction(sql::CommentOnRole{.role = "shop_app", .comment = kMarker}));
}

// --- tenant isolation ---

constexpr char kDbMarker[] = "tenantdb:shop/Database/orders";

TenancyInputs Tenancy() {
  TenancyInputs in{.ns = "shop",
                   .database = "shop_orders",
                   .database_marker = kDbMarker,
                   .role_marker = kMarker,
                   .admin = "tenantdb_admin"};
  in.observed_database = sql::ObservedDatabase{.name = "shop_orders", .comment = kDbMarker};
  in.owner_role = sql::ObservedRole{.name = "shop_orders_owner", .comment = kDbMarker};
  return in;
}

TEST(CheckRoleTenancyTest, OurRoleOrNoneOnOurDatabaseIsFine) {
  auto in = Tenancy();
  EXPECT_FALSE(CheckRoleTenancy(in));
  in.role = sql::ObservedRole{.name = "shop_app", .comment = kMarker};
  EXPECT_FALSE(CheckRoleTenancy(in));
}

TEST(CheckRoleTenancyTest, TakingOverAnExistingRoleByNameIsRefused) {
  // Another team's login or owner role (their markers), the admin role, a role made by hand, or
  // the other half of a default-name collision: ConflictingResource, without naming the owner.
  for (const auto& [name, comment] :
       std::vector<std::pair<std::string, std::optional<std::string>>>{
           {"teamb_app", "tenantdb:team-b/DatabaseRole/app"},
           {"teamb_owner", "tenantdb:team-b/Database/orders"},
           {"iso_t_a_app", "tenantdb:iso-t-a/DatabaseRole/app"},
           {"tenantdb_admin", std::nullopt},
           {"legacy", std::string("made by the DBA")}}) {
    SCOPED_TRACE(name);
    auto in = Tenancy();
    in.role = sql::ObservedRole{.name = name, .comment = comment};
    const auto refusal = CheckRoleTenancy(in);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->reason, "ConflictingResource");
    EXPECT_EQ(refusal->message.find("team-b"), std::string::npos) << refusal->message;
    EXPECT_EQ(refusal->message.find("iso-t-a"), std::string::npos) << refusal->message;
  }
}

TEST(CheckRoleTenancyTest, AdoptionIsExplicitGatedAndNeverOfAPrivilegedRole) {
  auto in = Tenancy();
  in.role = sql::ObservedRole{.name = "legacy_app"};
  in.adopt = true;
  auto refusal = CheckRoleTenancy(in);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, "AdoptionNotAllowed");
  in.server.allow_adoption = true;
  EXPECT_FALSE(CheckRoleTenancy(in));
  in.role->create_role = true;
  EXPECT_TRUE(CheckRoleTenancy(in));
  in.role = sql::ObservedRole{.name = "tenantdb_admin"};
  EXPECT_TRUE(CheckRoleTenancy(in));
  // Another object's role is never adopted.
  in.role = sql::ObservedRole{.name = "teamb_app", .comment = "tenantdb:team-b/DatabaseRole/app"};
  EXPECT_EQ(CheckRoleTenancy(in)->reason, "ConflictingResource");
}

TEST(CheckRoleTenancyTest, ADatabaseOrOwnerWithoutTheDatabasesMarkerGrantsNothing) {
  for (int which = 0; which < 4; ++which) {
    SCOPED_TRACE(which);
    auto in = Tenancy();
    switch (which) {
      case 0:
        in.observed_database->comment = "tenantdb:team-b/Database/orders";
        break;
      case 1:
        in.observed_database.reset();
        break;
      case 2:
        in.owner_role->comment = "tenantdb:team-b/Database/orders";
        break;
      default:
        in.owner_role->comment.reset();
        break;
    }
    const auto refusal = CheckRoleTenancy(in);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->reason, "ConflictingResource");
  }
}

TEST(CheckRoleTenancyTest, InRolesOnlyThisNamespacesAndTheServersGrantableRoles) {
  auto in = Tenancy();
  in.server.grantable_roles = std::vector<std::string>{"pg_read_all_stats"};
  in.in_roles["shop_readers"] =
      sql::ObservedRole{.name = "shop_readers", .comment = "tenantdb:shop/DatabaseRole/readers"};
  in.in_roles["pg_read_all_stats"] = sql::ObservedRole{.name = "pg_read_all_stats"};
  EXPECT_FALSE(CheckRoleTenancy(in));
  for (const auto& bad : std::vector<sql::ObservedRole>{
           {.name = "teamb_owner", .comment = "tenantdb:team-b/Database/orders"},
           {.name = "tenantdb_admin"},
           {.name = "pg_execute_server_program"},
           {.name = "pg_write_server_files"},
           {.name = "dba", .superuser = true}}) {
    SCOPED_TRACE(bad.name);
    auto attempt = in;
    attempt.in_roles[bad.name] = bad;
    const auto refusal = CheckRoleTenancy(attempt);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->reason, "RoleNotAllowed");
    EXPECT_EQ(refusal->message.find("team-b"), std::string::npos) << refusal->message;
  }
}

}  // namespace
}  // namespace tenantdb::controllers::role
