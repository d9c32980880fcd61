#include "controllers/server/server_status.h"

#include <gtest/gtest.h>

#include "controllers/common/readiness.h"

namespace tenantdb::controllers::server {
namespace {

namespace v1 = api::v1alpha1;
using std::chrono::seconds;

v1::Timestamp T(int s) { return v1::Timestamp{} + seconds(1'800'000'000 + s); }

v1::DatabaseServer Server(std::int64_t generation) {
  v1::DatabaseServer s;
  s.metadata.name = "default";
  s.metadata.generation = generation;
  s.spec.host = "db";
  return s;
}

ObservedServerState Connected(bool superuser = false) {
  return {.error = std::nullopt,
          .server_version = "15.18",
          .admin_is_superuser = superuser,
          .endpoint = "db:5432",
          .admin_user = "tenantdb_admin",
          .databases = 3};
}

TEST(ComputeServerStatusTest, ConnectedIsReadyWithVersion) {
  const auto status = ComputeServerStatus(Server(2), Connected(), T(0));
  EXPECT_EQ(status.observed_generation, 2);
  ASSERT_TRUE(v1::IsStatusConditionTrue(status.conditions, v1::kReady));
  const auto* ready = v1::FindStatusCondition(status.conditions, v1::kReady);
  EXPECT_EQ(ready->reason, "Reconciled");
  EXPECT_EQ(ready->observed_generation, 2);
  EXPECT_EQ(status.server_version, "15.18");
  EXPECT_EQ(status.databases, 3);
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kStalled), nullptr);
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kReconciling), nullptr);
  EXPECT_EQ(ready->message.find("superuser"), std::string::npos);
}

TEST(ComputeServerStatusTest, SuperuserAdminIsReadyWithAWarning) {
  const auto status = ComputeServerStatus(Server(1), Connected(true), T(0));
  const auto* ready = v1::FindStatusCondition(status.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kTrue);
  EXPECT_NE(ready->message.find("is a superuser"), std::string::npos);
}

TEST(ComputeServerStatusTest, UnreachableIsReconcilingAndAuthFailureIsStalled) {
  ObservedServerState down;
  down.error = Error::Transient("cannot connect to db:5432: connection refused");
  auto status = ComputeServerStatus(Server(1), down, T(0));
  EXPECT_TRUE(v1::IsStatusConditionFalse(status.conditions, v1::kReady));
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kReady)->reason, "ServerUnreachable");
  EXPECT_TRUE(v1::IsStatusConditionTrue(status.conditions, v1::kReconciling));

  ObservedServerState auth;
  auth.error = Error::Permission("password authentication failed", "AuthenticationFailed");
  v1::DatabaseServer s = Server(1);
  s.status = status;
  status = ComputeServerStatus(s, auth, T(10));
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kReady)->reason, "AuthenticationFailed");
  EXPECT_TRUE(v1::IsStatusConditionTrue(status.conditions, v1::kStalled));
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kReconciling), nullptr);
  // Ready stayed False: its transition time is the first failure's.
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kReady)->last_transition_time, T(0));
}

TEST(ComputeServerStatusTest, RecoveryFlipsReadyAndKeepsNoStaleConditions) {
  ObservedServerState down;
  down.error = Error::Transient("connection refused");
  v1::DatabaseServer s = Server(1);
  s.status = ComputeServerStatus(s, down, T(0));
  const auto status = ComputeServerStatus(s, Connected(), T(30));
  EXPECT_TRUE(v1::IsStatusConditionTrue(status.conditions, v1::kReady));
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kReady)->last_transition_time, T(30));
  EXPECT_EQ(status.conditions.size(), 1u);
}

TEST(ComputeServerStatusTest, SameObservationTwiceChangesNothing) {
  v1::DatabaseServer s = Server(1);
  s.status = ComputeServerStatus(s, Connected(), T(0));
  EXPECT_EQ(ComputeServerStatus(s, Connected(), T(100)), s.status);
}

TEST(ReadinessTest, ErrorsMapToInProgressOrStalled) {
  EXPECT_EQ(Readiness::FromError(Error::Transient("x")).state, Readiness::State::kInProgress);
  EXPECT_EQ(Readiness::FromError(Error::Conflict("x")).state, Readiness::State::kInProgress);
  EXPECT_EQ(Readiness::FromError(Error::Invalid("x")).state, Readiness::State::kStalled);
  EXPECT_EQ(Readiness::FromError(Error::Permission("x")).state, Readiness::State::kStalled);
  // Waiting for a dependency is work under way (kstatus InProgress), not stuck.
  EXPECT_EQ(Readiness::FromError(Error::Dependency("x")).state, Readiness::State::kInProgress);
  EXPECT_EQ(Readiness::FromError(Error::NotFound("x")).state, Readiness::State::kInProgress);
  EXPECT_EQ(Readiness::FromError(Error::Permission("x")).reason, "PermissionDenied");
  EXPECT_EQ(Readiness::FromError(Error::Dependency("x", "SecretNotFound")).reason,
            "SecretNotFound");
}

TEST(ExplainConnectErrorTest, SaysWhatToCheckForALoginRefusedOrAServerUnreachable) {
  v1::DatabaseServer s = Server(1);
  s.spec.admin_credentials_secret_ref.ns = "tenantdb-system";
  s.spec.admin_credentials_secret_ref.name = "admin";
  ObservedServerState observed = Connected();
  const Error auth = ExplainConnectError(
      s, observed, Error::Permission("password authentication failed", "AuthenticationFailed"));
  EXPECT_EQ(auth.reason, "AuthenticationFailed");
  EXPECT_EQ(auth.message,
            "PostgreSQL at db:5432 refused the login of \"tenantdb_admin\": check the password in "
            "Secret tenantdb-system/admin. (password authentication failed)");
  const Error down = ExplainConnectError(s, observed, Error::Transient("connection refused"));
  EXPECT_EQ(down.code, ErrorCode::kTransient);
  EXPECT_EQ(down.message.rfind("Cannot reach PostgreSQL at db:5432: check spec.host", 0), 0u);
  EXPECT_EQ(ExplainConnectError(s, observed, Error::Internal("x")).message, "x");
}

TEST(WarnsSuperuserTest, OnlyWhenReadyTurnsTrueWithASuperuserAdmin) {
  v1::DatabaseServer s = Server(1);
  const auto ready = ComputeServerStatus(s, Connected(true), T(0)).conditions;
  EXPECT_TRUE(WarnsSuperuser({}, ready, Connected(true)));
  EXPECT_FALSE(WarnsSuperuser(ready, ready, Connected(true)));
  EXPECT_FALSE(WarnsSuperuser({}, ready, Connected(false)));
}

}  // namespace
}  // namespace tenantdb::controllers::server
