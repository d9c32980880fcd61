#include "api/v1alpha1/conditions.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "api_test_util.h"
#include "common/error.h"

namespace tenantdb::api::v1alpha1 {
namespace {

const Timestamp kT0 = Timestamp{} + std::chrono::hours{24 * 365 * 56};
const Timestamp kT1 = kT0 + std::chrono::minutes{5};
const Timestamp kT2 = kT0 + std::chrono::minutes{10};

Condition MakeCondition(std::string_view type, ConditionStatus status, std::string_view reason,
                        std::string message, std::int64_t generation) {
  Condition c;
  c.type = std::string(type);
  c.status = status;
  c.reason = std::string(reason);
  c.message = std::move(message);
  c.observed_generation = generation;
  return c;
}

TEST(SetStatusConditionTest, AddsAMissingConditionStampedWithNow) {
  std::vector<Condition> conditions;
  EXPECT_TRUE(SetStatusCondition(
      conditions,
      MakeCondition(kReady, ConditionStatus::kUnknown, reason::kReconciling, "Working", 1), kT0));
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].type, "Ready");
  EXPECT_EQ(conditions[0].status, ConditionStatus::kUnknown);
  EXPECT_EQ(conditions[0].reason, "Reconciling");
  EXPECT_EQ(conditions[0].observed_generation, 1);
  EXPECT_EQ(conditions[0].last_transition_time, kT0);
}

TEST(SetStatusConditionTest, KeepsAnExplicitTransitionTimeWhenAdding) {
  std::vector<Condition> conditions;
  Condition c = MakeCondition(kReady, ConditionStatus::kTrue, reason::kReconciled, "", 1);
  c.last_transition_time = kT1;
  EXPECT_TRUE(SetStatusCondition(conditions, c, kT2));
  EXPECT_EQ(conditions[0].last_transition_time, kT1);
}

TEST(SetStatusConditionTest, SameConditionIsNoChange) {
  std::vector<Condition> conditions;
  const Condition c = MakeCondition(kReady, ConditionStatus::kTrue, reason::kReconciled, "ok", 2);
  ASSERT_TRUE(SetStatusCondition(conditions, c, kT0));
  const std::vector<Condition> before = conditions;
  EXPECT_FALSE(SetStatusCondition(conditions, c, kT1));
  EXPECT_EQ(conditions, before);
}

TEST(SetStatusConditionTest, ReasonOnlyChangeKeepsTransitionTime) {
  std::vector<Condition> conditions;
  ASSERT_TRUE(SetStatusCondition(
      conditions,
      MakeCondition(kReady, ConditionStatus::kFalse, reason::kServerUnreachable, "down", 1), kT0));
  EXPECT_TRUE(SetStatusCondition(
      conditions,
      MakeCondition(kReady, ConditionStatus::kFalse, reason::kPermissionDenied, "no grant", 1),
      kT1));
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].reason, "PermissionDenied");
  EXPECT_EQ(conditions[0].message, "no grant");
  EXPECT_EQ(conditions[0].last_transition_time, kT0);
}

TEST(SetStatusConditionTest, StatusFlipMovesTransitionTime) {
  std::vector<Condition> conditions;
  ASSERT_TRUE(SetStatusCondition(
      conditions,
      MakeCondition(kReady, ConditionStatus::kFalse, reason::kServerUnreachable, "down", 1), kT0));
  EXPECT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kReady, ConditionStatus::kTrue, reason::kReconciled, "", 1), kT1));
  EXPECT_EQ(conditions[0].status, ConditionStatus::kTrue);
  EXPECT_EQ(conditions[0].last_transition_time, kT1);
  // A later flip back moves it again.
  EXPECT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kReady, ConditionStatus::kFalse, reason::kInvalidSpec, "bad", 1),
      kT2));
  EXPECT_EQ(conditions[0].last_transition_time, kT2);
}

TEST(SetStatusConditionTest, ObservedGenerationIsUpdated) {
  std::vector<Condition> conditions;
  ASSERT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kReady, ConditionStatus::kTrue, reason::kReconciled, "", 1), kT0));
  EXPECT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kReady, ConditionStatus::kTrue, reason::kReconciled, "", 2), kT1));
  EXPECT_EQ(conditions[0].observed_generation, 2);
  EXPECT_EQ(conditions[0].last_transition_time, kT0);
}

TEST(SetStatusConditionTest, OtherTypesAreLeftAlone) {
  std::vector<Condition> conditions;
  ASSERT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kReady, ConditionStatus::kTrue, reason::kReconciled, "", 1), kT0));
  ASSERT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kReconciling, ConditionStatus::kTrue, reason::kReconciling, "", 1),
      kT1));
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[0].type, "Ready");
  EXPECT_EQ(conditions[1].type, "Reconciling");
}

TEST(SetStatusConditionTest, TruncatesLongMessagesOnACharacterBoundary) {
  std::vector<Condition> conditions;
  ASSERT_TRUE(SetStatusCondition(conditions,
                                 MakeCondition(kReady, ConditionStatus::kFalse,
                                               reason::kInvalidSpec, std::string(40000, 'x'), 1),
                                 kT0));
  EXPECT_EQ(conditions[0].message.size(), kMaxConditionMessageBytes);
  // Setting the same long message again is no change (it is compared after truncation).
  EXPECT_FALSE(SetStatusCondition(conditions,
                                  MakeCondition(kReady, ConditionStatus::kFalse,
                                                reason::kInvalidSpec, std::string(40000, 'x'), 1),
                                  kT1));

  // "é" is two bytes; one starting at byte 32767 must not be split.
  const std::string accented = std::string(32767, 'a') + "\xC3\xA9" + "tail";
  const std::string truncated = TruncateConditionMessage(accented);
  EXPECT_EQ(truncated, std::string(32767, 'a'));
  EXPECT_EQ(TruncateConditionMessage("short"), "short");
}

TEST(ConditionHelpersTest, FindRemoveAndIsTrue) {
  std::vector<Condition> conditions;
  ASSERT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kReady, ConditionStatus::kTrue, reason::kReconciled, "", 1), kT0));
  ASSERT_TRUE(SetStatusCondition(
      conditions, MakeCondition(kStalled, ConditionStatus::kFalse, reason::kReconciled, "", 1),
      kT0));
  ASSERT_NE(FindStatusCondition(conditions, kReady), nullptr);
  EXPECT_EQ(FindStatusCondition(conditions, kReady)->reason, "Reconciled");
  EXPECT_EQ(FindStatusCondition(conditions, kProgressing), nullptr);
  EXPECT_TRUE(IsStatusConditionTrue(conditions, kReady));
  EXPECT_FALSE(IsStatusConditionTrue(conditions, kStalled));
  EXPECT_TRUE(IsStatusConditionFalse(conditions, kStalled));
  EXPECT_FALSE(IsStatusConditionTrue(conditions, kFailed));
  EXPECT_FALSE(IsStatusConditionFalse(conditions, kFailed));
  EXPECT_TRUE(IsStatusConditionPresentAndEqual(conditions, kStalled, ConditionStatus::kFalse));

  EXPECT_TRUE(RemoveStatusCondition(conditions, kReady));
  EXPECT_FALSE(RemoveStatusCondition(conditions, kReady));
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].type, "Stalled");
}

TEST(ConditionJsonTest, RoundTripsMetav1Shape) {
  const Json j = Json::parse(R"({"type": "Ready", "status": "False", "observedGeneration": 7,
    "lastTransitionTime": "2026-01-02T03:04:05Z", "reason": "InvalidSpec",
    "message": "spec.name: \"postgres\" is a reserved database name"})");
  const auto c = FromJson<Condition>(j);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->status, ConditionStatus::kFalse);
  EXPECT_EQ(c->observed_generation, 7);
  EXPECT_EQ(FormatRfc3339(c->last_transition_time), "2026-01-02T03:04:05Z");
  EXPECT_EQ(ToJson(*c), j);

  const auto bad = FromJson<Condition>(Json::parse(R"({"type": "Ready", "status": "true"})"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "status: unsupported value \"true\": supported values: True, False, Unknown");
}

TEST(ConditionJsonTest, ZeroObservedGenerationIsOmitted) {
  Condition c = MakeCondition(kReady, ConditionStatus::kUnknown, reason::kReconciling, "", 0);
  c.last_transition_time = kT0;
  const Json j = ToJson(c);
  EXPECT_FALSE(j.contains("observedGeneration"));
  EXPECT_EQ(j.at("message"), "");
  EXPECT_EQ(*FromJson<Condition>(j), c);
}

TEST(ReasonsTest, VocabularyIsWellFormedAndUnique) {
  const std::regex pattern("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");
  std::set<std::string_view> seen;
  for (const std::string_view r : AllReasons()) {
    EXPECT_TRUE(std::regex_match(std::string(r), pattern)) << r;
    EXPECT_TRUE(seen.insert(r).second) << "duplicate reason " << r;
    EXPECT_TRUE(IsKnownReason(r));
  }
  for (const std::string_view t : AllConditionTypes()) {
    EXPECT_TRUE(std::regex_match(std::string(t), pattern)) << t;
  }
}

TEST(ReasonsTest, VocabularyIsExactlyTheReferenceList) {
  const std::vector<std::string_view> expected = {"Reconciled",
                                                  "Reconciling",
                                                  "InvalidSpec",
                                                  "ServerUnreachable",
                                                  "AuthenticationFailed",
                                                  "SecretNotFound",
                                                  "PermissionDenied",
                                                  "DependencyNotReady",
                                                  "ConflictingResource",
                                                  "Deleting",
                                                  "DeletionProtected",
                                                  "NamespaceNotAllowed",
                                                  "PasswordSecretNotFound",
                                                  "GrantTargetMissing",
                                                  "TemplateNotAllowed",
                                                  "ExtensionNotAllowed",
                                                  "RoleNotAllowed",
                                                  "AdoptionNotAllowed",
                                                  "PasswordSecretNotAllowed",
                                                  "JobPending",
                                                  "JobRunning",
                                                  "JobSucceeded",
                                                  "JobFailed",
                                                  "BackoffLimitExceeded",
                                                  "CronJobReady",
                                                  "LastBackupSucceeded",
                                                  "LastBackupFailed",
                                                  "NoBackupYet"};
  const auto all = AllReasons();
  EXPECT_EQ(std::vector<std::string_view>(all.begin(), all.end()), expected);
  EXPECT_FALSE(IsKnownReason("Succeeded"));
}

TEST(ReasonsTest, ErrorDefaultsUseKnownReasons) {
  for (const Error& e :
       {Error::Transient("m"), Error::Conflict("m"), Error::Permission("m"), Error::Dependency("m"),
        Error::Invalid("m"), Error::NotFound("m"), Error::Internal("m")}) {
    EXPECT_TRUE(IsKnownReason(e.reason)) << e.reason;
  }
}

TEST(ConditionTypesTest, Names) {
  EXPECT_EQ(kReady, "Ready");
  EXPECT_EQ(kReconciling, "Reconciling");
  EXPECT_EQ(kStalled, "Stalled");
  EXPECT_EQ(kProgressing, "Progressing");
  EXPECT_EQ(kFailed, "Failed");
  EXPECT_EQ(kLastBackupSucceeded, "LastBackupSucceeded");
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
