#pragma once

// metav1.Condition, the apimachinery helpers (SetStatusCondition & co.) and tenantdb's closed
// vocabulary of condition types and reasons (STYLE.md R14-R15, docs/api-reference.md).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/time.h"

namespace tenantdb::api::v1alpha1 {

// Condition types.
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kReconciling = "Reconciling";  // kstatus: work under way
inline constexpr std::string_view kStalled = "Stalled";          // kstatus: stuck until changed
inline constexpr std::string_view kProgressing = "Progressing";  // Migration
inline constexpr std::string_view kFailed = "Failed";            // Migration
inline constexpr std::string_view kLastBackupSucceeded = "LastBackupSucceeded";  // BackupSchedule

// Condition reasons: the closed vocabulary of docs/api-reference.md. Several reasons share their
// spelling with a condition type (Reconciling, LastBackupSucceeded), hence the namespace:
// reason::kReconciling is the reason, kReconciling the type.
namespace reason {
inline constexpr std::string_view kReconciled = "Reconciled";
inline constexpr std::string_view kReconciling = "Reconciling";
inline constexpr std::string_view kInvalidSpec = "InvalidSpec";
inline constexpr std::string_view kServerUnreachable = "ServerUnreachable";
inline constexpr std::string_view kAuthenticationFailed = "AuthenticationFailed";
inline constexpr std::string_view kSecretNotFound = "SecretNotFound";
inline constexpr std::string_view kPermissionDenied = "PermissionDenied";
inline constexpr std::string_view kDependencyNotReady = "DependencyNotReady";
inline constexpr std::string_view kConflictingResource = "ConflictingResource";
inline constexpr std::string_view kDeleting = "Deleting";
inline constexpr std::string_view kDeletionProtected = "DeletionProtected";
inline constexpr std::string_view kNamespaceNotAllowed = "NamespaceNotAllowed";
inline constexpr std::string_view kPasswordSecretNotFound = "PasswordSecretNotFound";
inline constexpr std::string_view kGrantTargetMissing = "GrantTargetMissing";
// What the DatabaseServer does not let tenants use (DESIGN.md "Security model").
inline constexpr std::string_view kTemplateNotAllowed = "TemplateNotAllowed";
inline constexpr std::string_view kExtensionNotAllowed = "ExtensionNotAllowed";
inline constexpr std::string_view kRoleNotAllowed = "RoleNotAllowed";
inline constexpr std::string_view kAdoptionNotAllowed = "AdoptionNotAllowed";
inline constexpr std::string_view kPasswordSecretNotAllowed = "PasswordSecretNotAllowed";
inline constexpr std::string_view kJobPending = "JobPending";
inline constexpr std::string_view kJobRunning = "JobRunning";
inline constexpr std::string_view kJobSucceeded = "JobSucceeded";
inline constexpr std::string_view kJobFailed = "JobFailed";
inline constexpr std::string_view kBackoffLimitExceeded = "BackoffLimitExceeded";
inline constexpr std::string_view kCronJobReady = "CronJobReady";
inline constexpr std::string_view kLastBackupSucceeded = "LastBackupSucceeded";
inline constexpr std::string_view kLastBackupFailed = "LastBackupFailed";
inline constexpr std::string_view kNoBackupYet = "NoBackupYet";
}  // namespace reason

// Every reason above, in the order of the reference.
std::span<const std::string_view> AllReasons();
bool IsKnownReason(std::string_view reason);

// Every condition type above.
std::span<const std::string_view> AllConditionTypes();

enum class ConditionStatus { kTrue, kFalse, kUnknown };
template <>
struct EnumTraits<ConditionStatus> {
  static constexpr std::array<std::pair<ConditionStatus, std::string_view>, 3> kNames = {{
      {ConditionStatus::kTrue, "True"},
      {ConditionStatus::kFalse, "False"},
      {ConditionStatus::kUnknown, "Unknown"},
  }};
};

// metav1.Condition. A default Timestamp (the epoch) in last_transition_time means "unset".
struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::kUnknown;
  std::int64_t observed_generation = 0;
  Timestamp last_transition_time{};
  std::string reason;
  std::string message;
  bool operator==(const Condition&) const = default;
};

Expected<void> Decode(const Json& j, const std::string& path, Condition& out);
Json Encode(const Condition& value);

// metav1.Condition's message limit.
inline constexpr std::size_t kMaxConditionMessageBytes = 32768;

// Cuts `message` to at most kMaxConditionMessageBytes bytes without splitting a UTF-8 sequence.
std::string TruncateConditionMessage(std::string message);

// apimachinery meta.SetStatusCondition: adds the condition when its type is missing (with
// lastTransitionTime = new_condition's, or `now` if unset); otherwise updates status (changing
// lastTransitionTime only when status changes), reason, message and observedGeneration.
// The message is truncated first. Returns true when anything changed.
bool SetStatusCondition(std::vector<Condition>& conditions, Condition new_condition, Timestamp now);

// nullptr when no condition of that type exists.
const Condition* FindStatusCondition(const std::vector<Condition>& conditions,
                                     std::string_view type);
Condition* FindStatusCondition(std::vector<Condition>& conditions, std::string_view type);

// Returns true when a condition was removed.
bool RemoveStatusCondition(std::vector<Condition>& conditions, std::string_view type);

bool IsStatusConditionTrue(const std::vector<Condition>& conditions, std::string_view type);
bool IsStatusConditionFalse(const std::vector<Condition>& conditions, std::string_view type);
bool IsStatusConditionPresentAndEqual(const std::vector<Condition>& conditions,
                                      std::string_view type, ConditionStatus status);

}  // namespace tenantdb::api::v1alpha1
