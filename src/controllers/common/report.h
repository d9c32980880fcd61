#pragma once

// The "report" step of every controller (src/controllers/README.md): the status computed by the
// pure planner is written only when it changed, one Event tells each Ready transition, and one
// rule decides how a visit ends (VisitEnd).

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/object_refs.h"
#include "common/expected.h"
#include "controllers/common/event_sink.h"
#include "controllers/common/readiness.h"
#include "kube/gvr.h"
#include "kube/kube_api.h"
#include "runtime/reconciler.h"

namespace tenantdb::controllers {

// One Event when Ready's status or reason differs between `before` and `after` (Normal when it is
// now True, Warning otherwise); none when `after` has no Ready condition. Returns true when sent.
bool EmitReadyTransition(const EventSink& events, const nlohmann::json& event_object,
                         const std::vector<api::v1alpha1::Condition>& before,
                         const std::vector<api::v1alpha1::Condition>& after);

struct StatusReport {
  const kube::Gvr& gvr;
  std::string ns;  // "" for cluster-scoped kinds
  std::string name;
  nlohmann::json current;  // Encode(the status the cache holds)
  nlohmann::json desired;  // Encode(the status this visit computed)
  const std::vector<api::v1alpha1::Condition>& conditions_before;
  const std::vector<api::v1alpha1::Condition>& conditions_after;
};

// Writes report.desired through /status when it differs from report.current, then
// EmitReadyTransition when it wrote. Returns whether it wrote.
Expected<bool> ReportStatus(kube::KubeApi& kube, const EventSink& events,
                            const nlohmann::json& event_object, const StatusReport& report);

// ReportStatus for a typed object (Kind::kGvk, metadata, status) and the status this visit
// computed for it: compared and written in their encoded form, the Event about the object.
template <class Object, class Status>
Expected<bool> ReportStatusOf(kube::KubeApi& kube, const EventSink& events, const kube::Gvr& gvr,
                              const Object& object, const Status& status) {
  return ReportStatus(kube, events, api::v1alpha1::EventObjectOf(object),
                      StatusReport{.gvr = gvr,
                                   .ns = object.metadata.ns,
                                   .name = object.metadata.name,
                                   .current = api::v1alpha1::Encode(object.status),
                                   .desired = api::v1alpha1::Encode(status),
                                   .conditions_before = object.status.conditions,
                                   .conditions_after = status.conditions});
}

// How a visit ends, the same for every kind:
//  - nothing failed: come back after `requeue` (the resync period, or sooner when a timer is due);
//  - `blocked`: the visit waits on something a watch brings back (a tenantdb object missing or not
//    Ready) or that a person must change (a refusal: Stalled): the status says so; no error, no
//    backoff; the key returns on that object's event, or at the resync;
//  - `error`: any other failure (SQL, the API, an unwatched Secret): returned, so the controller
//    retries it with capped exponential backoff (kConflict soon; terminal errors not at all).
struct VisitEnd {
  std::optional<Error> error;
  bool blocked = false;
  std::chrono::seconds requeue{600};
};
Expected<runtime::Result> Finish(const VisitEnd& end);

}  // namespace tenantdb::controllers
