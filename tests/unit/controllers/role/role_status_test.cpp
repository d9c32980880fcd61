#include "controllers/role/role_status.h"

#include <gtest/gtest.h>

namespace tenantdb::controllers::role {
namespace {

namespace v1 = api::v1alpha1;
using std::chrono::seconds;

v1::Timestamp T(int s) { return v1::Timestamp{} + seconds(1'800'000'000 + s); }

v1::DatabaseRole Role(std::int64_t generation) {
  v1::DatabaseRole r;
  r.metadata.name = "app";
  r.metadata.ns = "shop";
  r.metadata.generation = generation;
  return r;
}

RoleOutcome Done() {
  return {.role_name = "shop_app",
          .secret_name = "app-credentials",
          .database_name = "shop",
          .server_name = "default",
          .privileges = "ReadOnly",
          .secret_written = true,
          .password_changed_at = T(0)};
}

TEST(ComputeRoleStatusTest, ReconciledIsReadyWithFacts) {
  const auto s = ComputeRoleStatus(Role(3), Done(), T(5));
  EXPECT_EQ(s.observed_generation, 3);
  const auto* ready = v1::FindStatusCondition(s.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kTrue);
  EXPECT_EQ(ready->reason, "Reconciled");
  EXPECT_NE(ready->message.find("app-credentials"), std::string::npos);
  EXPECT_EQ(s.role_name, "shop_app");
  EXPECT_EQ(s.secret_name, "app-credentials");
  EXPECT_EQ(s.active_login, "shop_app");
  // Where the role lives, for a finalizer that runs after the Database is gone.
  EXPECT_EQ(s.server, "default");
  EXPECT_EQ(s.database_name, "shop");
  EXPECT_EQ(s.password_changed_at, T(0));
  EXPECT_EQ(v1::FindStatusCondition(s.conditions, v1::kReconciling), nullptr);
}

TEST(ComputeRoleStatusTest, AlternatingUsersNamesTheActiveAndRetiringLogins) {
  RoleOutcome o = Done();
  o.active_login = "shop_app_b";
  o.retiring_logins = {"shop_app_a"};
  const auto s = ComputeRoleStatus(Role(1), o, T(0));
  EXPECT_EQ(s.active_login, "shop_app_b");
  EXPECT_EQ(s.role_name, "shop_app");
  const auto* ready = v1::FindStatusCondition(s.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kTrue);
  EXPECT_NE(ready->message.find("(login \"shop_app_b\")"), std::string::npos) << ready->message;
  EXPECT_NE(ready->message.find("previous login \"shop_app_a\" stays enabled"), std::string::npos)
      << ready->message;
  // Once the old login is disabled the message says so no more.
  o.retiring_logins.clear();
  const auto after = ComputeRoleStatus(Role(1), o, T(10));
  EXPECT_EQ(v1::FindStatusCondition(after.conditions, v1::kReady)->message.find("previous"),
            std::string::npos);
}

struct ReasonCase {
  std::string name;
  Error error;
  std::string reason;
  bool stalled;
};

class RoleReasonTest : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(RoleReasonTest, ErrorBecomesReadyFalseWithItsReason) {
  const auto& c = GetParam();
  RoleOutcome o = Done();
  o.error = c.error;
  o.secret_written = false;
  const auto s = ComputeRoleStatus(Role(1), o, T(0));
  const auto* ready = v1::FindStatusCondition(s.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(ready->reason, c.reason);
  EXPECT_TRUE(v1::IsKnownReason(ready->reason));
  EXPECT_EQ(ready->message, c.error.message);
  EXPECT_EQ(v1::IsStatusConditionTrue(s.conditions, v1::kStalled), c.stalled);
  EXPECT_EQ(v1::IsStatusConditionTrue(s.conditions, v1::kReconciling), !c.stalled);
  EXPECT_FALSE(s.secret_name.has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Reasons, RoleReasonTest,
    ::testing::Values(
        // Waiting for something that appears by itself is in progress (kstatus InProgress).
        ReasonCase{"DependencyNotReady", Error::Dependency("Database shop/db is not Ready yet."),
                   "DependencyNotReady", false},
        ReasonCase{
            "NamespaceNotAllowed",
            Error::Permission("namespace shop may not use server default.", "NamespaceNotAllowed"),
            "NamespaceNotAllowed", true},
        ReasonCase{"PasswordSecretNotFound",
                   Error::Dependency("Secret shop/pw does not exist.", "PasswordSecretNotFound"),
                   "PasswordSecretNotFound", false},
        ReasonCase{
            "ConflictingResource",
            Error::Dependency("Secret shop/app-credentials is not ours.", "ConflictingResource"),
            "ConflictingResource", true},
        ReasonCase{"InvalidSpec", Error::Invalid("unknown placeholder"), "InvalidSpec", true},
        ReasonCase{"ServerUnreachable", Error::Transient("connection refused"), "ServerUnreachable",
                   false},
        ReasonCase{"PermissionDenied", Error::Permission("permission denied"), "PermissionDenied",
                   true}),
    [](const auto& info) { return info.param.name; });

TEST(ComputeRoleStatusTest, MissingGrantTargetsAreNamed) {
  RoleOutcome o = Done();
  o.missing_targets = {"schema \"audit\"", "table \"public\".\"invoices\""};
  const auto s = ComputeRoleStatus(Role(1), o, T(0));
  const auto* ready = v1::FindStatusCondition(s.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(ready->reason, "GrantTargetMissing");
  EXPECT_NE(ready->message.find("schema \"audit\" and table \"public\".\"invoices\""),
            std::string::npos);
  EXPECT_EQ(s.secret_name, "app-credentials");  // the Secret was still written
}

TEST(ComputeRoleStatusTest, UnchangedOutcomeKeepsTheStatusEqual) {
  auto role = Role(2);
  role.status = ComputeRoleStatus(role, Done(), T(0));
  EXPECT_EQ(ComputeRoleStatus(role, Done(), T(60)), role.status);
}

TEST(ComputeRoleStatusTest, FactsSurviveAFailedVisit) {
  auto role = Role(2);
  role.status = ComputeRoleStatus(role, Done(), T(0));
  RoleOutcome failed;
  failed.error = Error::Transient("connection refused");
  const auto s = ComputeRoleStatus(role, failed, T(60));
  EXPECT_EQ(s.role_name, "shop_app");
  EXPECT_EQ(s.secret_name, "app-credentials");
  EXPECT_EQ(s.password_changed_at, T(0));
}

TEST(ComputeRoleStatusTest, WhereTheRoleLivesIsRecordedOnlyOnceTheTenancyCheckPassed) {
  auto refused = Done();
  refused.server_name.clear();  // the reconciler sets it after CheckTenancy
  refused.error = Error::Permission("no", "RoleNotAllowed");
  auto previous = Role(2);
  previous.status.server = "default";
  previous.status.database_name = "shop";
  const auto s = ComputeRoleStatus(previous, refused, T(5));
  EXPECT_EQ(s.server, "default");  // kept from the last good visit
  const auto fresh = ComputeRoleStatus(Role(1), refused, T(5));
  EXPECT_FALSE(fresh.server);
  EXPECT_FALSE(fresh.database_name);
}

}  // namespace
}  // namespace tenantdb::controllers::role
