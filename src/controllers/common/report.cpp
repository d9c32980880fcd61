#include "controllers/common/report.h"

#include "controllers/common/status_writer.h"

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

bool EmitReadyTransition(const EventSink& events, const nlohmann::json& event_object,
                         const std::vector<v1::Condition>& before,
                         const std::vector<v1::Condition>& after) {
  const v1::Condition* was = v1::FindStatusCondition(before, v1::kReady);
  const v1::Condition* now = v1::FindStatusCondition(after, v1::kReady);
  if (now == nullptr || !events) {
    return false;
  }
  if (was != nullptr && was->status == now->status && was->reason == now->reason) {
    return false;
  }
  events(event_object, now->status == v1::ConditionStatus::kTrue ? "Normal" : "Warning",
         now->reason, now->message);
  return true;
}

Expected<bool> ReportStatus(kube::KubeApi& kube, const EventSink& events,
                            const nlohmann::json& event_object, const StatusReport& report) {
  TENANTDB_TRY(const bool written, WriteStatusIfChanged(kube, report.gvr, report.ns, report.name,
                                                        report.current, report.desired));
  if (written) {
    EmitReadyTransition(events, event_object, report.conditions_before, report.conditions_after);
  }
  return written;
}

Expected<runtime::Result> Finish(const VisitEnd& end) {
  if (end.error && !end.blocked) {
    return *end.error;
  }
  return runtime::Result{.requeue_after = std::chrono::milliseconds(end.requeue)};
}

}  // namespace tenantdb::controllers
