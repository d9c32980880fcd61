// The one report step: status written only when it changed, one Event per Ready transition, and
// the one rule for how a visit ends.
#include "controllers/common/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/fake_kube_api.h"
#include "kube/gvr.h"

namespace tenantdb::controllers {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;

struct Sent {
  std::string type;
  std::string reason;
};

v1::Condition Ready(v1::ConditionStatus status, std::string reason) {
  v1::Condition c;
  c.type = std::string(v1::kReady);
  c.status = status;
  c.reason = std::move(reason);
  c.message = "m";
  return c;
}

class ReportTest : public ::testing::Test {
 protected:
  EventSink Sink() {
    return [this](const json&, std::string_view type, std::string_view reason, const std::string&) {
      sent.push_back({std::string(type), std::string(reason)});
    };
  }
  std::vector<Sent> sent;
  const json object = {{"kind", "Database"}, {"metadata", {{"name", "a"}, {"namespace", "t"}}}};
};

TEST_F(ReportTest, ReadyTransitionSendsOneEventWhenStatusOrReasonChanges) {
  const std::vector<v1::Condition> none;
  const std::vector<v1::Condition> ready = {Ready(v1::ConditionStatus::kTrue, "Reconciled")};
  const std::vector<v1::Condition> down = {Ready(v1::ConditionStatus::kFalse, "ServerUnreachable")};
  const std::vector<v1::Condition> denied = {
      Ready(v1::ConditionStatus::kFalse, "PermissionDenied")};

  EXPECT_TRUE(EmitReadyTransition(Sink(), object, none, ready));
  EXPECT_FALSE(EmitReadyTransition(Sink(), object, ready, ready));
  EXPECT_TRUE(EmitReadyTransition(Sink(), object, ready, down));
  EXPECT_FALSE(EmitReadyTransition(Sink(), object, down, down));
  EXPECT_TRUE(EmitReadyTransition(Sink(), object, down, denied));
  EXPECT_FALSE(EmitReadyTransition(Sink(), object, ready, none));
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].type, "Normal");
  EXPECT_EQ(sent[1].type, "Warning");
  EXPECT_EQ(sent[1].reason, "ServerUnreachable");
  EXPECT_EQ(sent[2].reason, "PermissionDenied");
}

TEST_F(ReportTest, WritesOnlyAChangedStatusAndTellsTheTransitionOnce) {
  fakes::FakeKubeApi kube;
  kube.Seed(kube::DatabasesGvr(),
            {{"metadata", {{"name", "a"}, {"namespace", "t"}}}, {"spec", json::object()}});
  const std::vector<v1::Condition> before;
  const std::vector<v1::Condition> after = {Ready(v1::ConditionStatus::kTrue, "Reconciled")};
  const json desired = {{"observedGeneration", 1}};

  auto first =
      ReportStatus(kube, Sink(), object,
                   {kube::DatabasesGvr(), "t", "a", json::object(), desired, before, after});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(*first);
  EXPECT_EQ(kube.Object(kube::DatabasesGvr(), "t", "a")->at("status"), desired);

  const int patches = kube.Calls("patch");
  auto again = ReportStatus(kube, Sink(), object,
                            {kube::DatabasesGvr(), "t", "a", desired, desired, after, after});
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
  EXPECT_EQ(kube.Calls("patch"), patches);
  EXPECT_EQ(sent.size(), 1u);
}

TEST_F(ReportTest, AFailedWriteSendsNoEvent) {
  fakes::FakeKubeApi kube;  // the object does not exist: the patch fails
  const std::vector<v1::Condition> before;
  const std::vector<v1::Condition> after = {Ready(v1::ConditionStatus::kTrue, "Reconciled")};
  auto written = ReportStatus(
      kube, Sink(), object,
      {kube::DatabasesGvr(), "t", "a", json::object(), {{"observedGeneration", 1}}, before, after});
  EXPECT_FALSE(written.has_value());
  EXPECT_TRUE(sent.empty());
}

TEST(FinishTest, BlockedAndReconciledVisitsRequeueErrorsAreReturned) {
  auto reconciled = Finish({.requeue = std::chrono::seconds(30)});
  ASSERT_TRUE(reconciled.has_value());
  EXPECT_EQ(reconciled->requeue_after, std::chrono::milliseconds(30'000));

  auto blocked = Finish({.error = Error::Dependency("Database t/a does not exist"),
                         .blocked = true,
                         .requeue = std::chrono::seconds(600)});
  ASSERT_TRUE(blocked.has_value()) << "a blocked visit is not retried with backoff";
  EXPECT_EQ(blocked->requeue_after, std::chrono::milliseconds(600'000));

  auto failed = Finish({.error = Error::Transient("connection refused")});
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kTransient);
}

}  // namespace
}  // namespace tenantdb::controllers
