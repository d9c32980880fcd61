#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/v1alpha1/conditions.h"
#include "common/error.h"

namespace tenantdb::controllers {

// The result of one reconcile, as the conditions will tell it.
struct Readiness {
  enum class State {
    kReady,       // Ready=True
    kInProgress,  // Ready=False/Unknown, Reconciling=True: work under way or a transient failure
    kStalled,     // Ready=False, Stalled=True: a person must change something
  };
  State state = State::kInProgress;
  std::string reason;   // from api::v1alpha1::reason
  std::string message;  // what a person must do next; never a secret

  static Readiness Ready(std::string reason, std::string message);
  static Readiness InProgress(std::string reason, std::string message);
  static Readiness Stalled(std::string reason, std::string message);
  // Transient, conflict, dependency and not-found errors are in progress (retried: they clear by
  // themselves); the rest need a person.
  static Readiness FromError(const Error& error);
};

// Sets Ready plus kstatus's Reconciling/Stalled (the conditions Argo CD and Flux read) for
// `generation`, with apimachinery semantics: lastTransitionTime moves only when a status flips.
// Returns true when anything changed.
bool ApplyReadiness(std::vector<api::v1alpha1::Condition>& conditions, std::int64_t generation,
                    const Readiness& readiness, api::v1alpha1::Timestamp now);

}  // namespace tenantdb::controllers
