#include "controllers/common/readiness.h"

#include <utility>

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

Readiness Readiness::Ready(std::string reason, std::string message) {
  return {State::kReady, std::move(reason), std::move(message)};
}
Readiness Readiness::InProgress(std::string reason, std::string message) {
  return {State::kInProgress, std::move(reason), std::move(message)};
}
Readiness Readiness::Stalled(std::string reason, std::string message) {
  return {State::kStalled, std::move(reason), std::move(message)};
}

Readiness Readiness::FromError(const Error& error) {
  const std::string reason =
      error.reason.empty() ? std::string(v1::reason::kReconciling) : error.reason;
  // Waiting for something that appears by itself (a server back up, a Database applied later by
  // the same GitOps sync, a Secret created next) is work under way, not stuck: kstatus must say
  // InProgress, not Failed. Only what needs a person's change is Stalled.
  // A resource held by someone else is stuck until a person resolves it, whatever the class.
  if (reason == v1::reason::kConflictingResource) {
    return Stalled(reason, error.message);
  }
  if (error.code == ErrorCode::kTransient || error.code == ErrorCode::kConflict ||
      error.code == ErrorCode::kDependency || error.code == ErrorCode::kNotFound) {
    return InProgress(reason, error.message);
  }
  return Stalled(reason, error.message);
}

bool ApplyReadiness(std::vector<v1::Condition>& conditions, std::int64_t generation,
                    const Readiness& r, v1::Timestamp now) {
  bool changed = false;
  auto set = [&](std::string_view type, v1::ConditionStatus status) {
    changed |= v1::SetStatusCondition(conditions,
                                      v1::Condition{.type = std::string(type),
                                                    .status = status,
                                                    .observed_generation = generation,
                                                    .reason = r.reason,
                                                    .message = r.message},
                                      now);
  };
  switch (r.state) {
    case Readiness::State::kReady:
      set(v1::kReady, v1::ConditionStatus::kTrue);
      changed |= v1::RemoveStatusCondition(conditions, v1::kReconciling);
      changed |= v1::RemoveStatusCondition(conditions, v1::kStalled);
      break;
    case Readiness::State::kInProgress:
      set(v1::kReady, v1::ConditionStatus::kFalse);
      set(v1::kReconciling, v1::ConditionStatus::kTrue);
      changed |= v1::RemoveStatusCondition(conditions, v1::kStalled);
      break;
    case Readiness::State::kStalled:
      set(v1::kReady, v1::ConditionStatus::kFalse);
      set(v1::kStalled, v1::ConditionStatus::kTrue);
      changed |= v1::RemoveStatusCondition(conditions, v1::kReconciling);
      break;
  }
  return changed;
}

}  // namespace tenantdb::controllers
