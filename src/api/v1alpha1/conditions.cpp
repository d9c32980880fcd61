#include "api/v1alpha1/conditions.h"

#include <algorithm>
#include <array>
#include <utility>

namespace tenantdb::api::v1alpha1 {
namespace {

constexpr std::array<std::string_view, 28> kAllReasons = {
    reason::kReconciled,
    reason::kReconciling,
    reason::kInvalidSpec,
    reason::kServerUnreachable,
    reason::kAuthenticationFailed,
    reason::kSecretNotFound,
    reason::kPermissionDenied,
    reason::kDependencyNotReady,
    reason::kConflictingResource,
    reason::kDeleting,
    reason::kDeletionProtected,
    reason::kNamespaceNotAllowed,
    reason::kPasswordSecretNotFound,
    reason::kGrantTargetMissing,
    reason::kTemplateNotAllowed,
    reason::kExtensionNotAllowed,
    reason::kRoleNotAllowed,
    reason::kAdoptionNotAllowed,
    reason::kPasswordSecretNotAllowed,
    reason::kJobPending,
    reason::kJobRunning,
    reason::kJobSucceeded,
    reason::kJobFailed,
    reason::kBackoffLimitExceeded,
    reason::kCronJobReady,
    reason::kLastBackupSucceeded,
    reason::kLastBackupFailed,
    reason::kNoBackupYet,
};

constexpr std::array<std::string_view, 6> kAllConditionTypes = {
    kReady, kReconciling, kStalled, kProgressing, kFailed, kLastBackupSucceeded,
};

}  // namespace

std::span<const std::string_view> AllReasons() { return kAllReasons; }

bool IsKnownReason(std::string_view reason) {
  return std::find(kAllReasons.begin(), kAllReasons.end(), reason) != kAllReasons.end();
}

std::span<const std::string_view> AllConditionTypes() { return kAllConditionTypes; }

Expected<void> Decode(const Json& j, const std::string& path, Condition& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "type", out.type));
  TENANTDB_TRY_VOID(DecodeField(j, path, "status", out.status));
  TENANTDB_TRY_VOID(DecodeField(j, path, "observedGeneration", out.observed_generation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "lastTransitionTime", out.last_transition_time));
  TENANTDB_TRY_VOID(DecodeField(j, path, "reason", out.reason));
  TENANTDB_TRY_VOID(DecodeField(j, path, "message", out.message));
  return {};
}

Json Encode(const Condition& value) {
  Json j = Json::object();
  EncodeField(j, "type", value.type);
  EncodeField(j, "status", value.status);
  EncodeFieldOmitEmpty(j, "observedGeneration", value.observed_generation);
  EncodeField(j, "lastTransitionTime", value.last_transition_time);
  EncodeField(j, "reason", value.reason);
  EncodeField(j, "message", value.message);
  return j;
}

std::string TruncateConditionMessage(std::string message) {
  if (message.size() <= kMaxConditionMessageBytes) {
    return message;
  }
  std::size_t cut = kMaxConditionMessageBytes;
  // Back up to the first byte of the UTF-8 sequence the cut would split.
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  message.resize(cut);
  return message;
}

bool SetStatusCondition(std::vector<Condition>& conditions, Condition new_condition,
                        Timestamp now) {
  new_condition.message = TruncateConditionMessage(std::move(new_condition.message));
  Condition* existing = FindStatusCondition(conditions, new_condition.type);
  if (existing == nullptr) {
    if (new_condition.last_transition_time == Timestamp{}) {
      new_condition.last_transition_time = now;
    }
    conditions.push_back(std::move(new_condition));
    return true;
  }
  bool changed = false;
  if (existing->status != new_condition.status) {
    existing->status = new_condition.status;
    existing->last_transition_time = new_condition.last_transition_time != Timestamp{}
                                         ? new_condition.last_transition_time
                                         : now;
    changed = true;
  }
  if (existing->reason != new_condition.reason) {
    existing->reason = std::move(new_condition.reason);
    changed = true;
  }
  if (existing->message != new_condition.message) {
    existing->message = std::move(new_condition.message);
    changed = true;
  }
  if (existing->observed_generation != new_condition.observed_generation) {
    existing->observed_generation = new_condition.observed_generation;
    changed = true;
  }
  return changed;
}

const Condition* FindStatusCondition(const std::vector<Condition>& conditions,
                                     std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) {
      return &c;
    }
  }
  return nullptr;
}

Condition* FindStatusCondition(std::vector<Condition>& conditions, std::string_view type) {
  for (Condition& c : conditions) {
    if (c.type == type) {
      return &c;
    }
  }
  return nullptr;
}

bool RemoveStatusCondition(std::vector<Condition>& conditions, std::string_view type) {
  const auto removed =
      std::erase_if(conditions, [&](const Condition& c) { return c.type == type; });
  return removed > 0;
}

bool IsStatusConditionTrue(const std::vector<Condition>& conditions, std::string_view type) {
  return IsStatusConditionPresentAndEqual(conditions, type, ConditionStatus::kTrue);
}

bool IsStatusConditionFalse(const std::vector<Condition>& conditions, std::string_view type) {
  return IsStatusConditionPresentAndEqual(conditions, type, ConditionStatus::kFalse);
}

bool IsStatusConditionPresentAndEqual(const std::vector<Condition>& conditions,
                                      std::string_view type, ConditionStatus status) {
  const Condition* c = FindStatusCondition(conditions, type);
  return c != nullptr && c->status == status;
}

}  // namespace tenantdb::api::v1alpha1
