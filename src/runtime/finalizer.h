#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "kube/gvr.h"
#include "kube/kube_api.h"
#include "runtime/reconciler.h"

namespace tenantdb::runtime {

// kube-rs finalizer.rs, as one helper (STYLE.md R11):
//
//   deletionTimestamp | has finalizer | action
//   ------------------+---------------+------------------------------------------------------
//   unset             | no            | add it (JSON Patch guarded by a `test` op); requeue now
//   unset             | yes           | apply(obj)
//   set               | yes           | cleanup(obj); on success remove it (JSON Patch guarded
//                     |               | by a `test` op) and return cleanup's result
//   set               | no            | nothing (the object is about to disappear)
//
// A conflict on either patch (409, or 422 from a failed `test` op: the cached object was stale)
// is a requeue after kFinalizerConflictRequeue, not a failure; an object gone meanwhile (404) is
// nothing to do. `cleanup` must be idempotent and tolerate `apply` never having run; its error
// keeps the finalizer (and is retried with backoff).
using FinalizerFn = std::function<Expected<Result>(const nlohmann::json& obj)>;

inline constexpr std::chrono::milliseconds kFinalizerConflictRequeue{1000};

Expected<Result> RunWithFinalizer(kube::KubeApi& api, const kube::Gvr& gvr,
                                  const nlohmann::json& obj, std::string_view finalizer_name,
                                  const FinalizerFn& apply, const FinalizerFn& cleanup);

// The same for a typed object (api/v1alpha1; runtime does not depend on api): what the helper reads
// of its metadata. apply and cleanup read the typed object they closed over.
struct FinalizerTarget {
  std::string_view ns;
  std::string_view name;
  const std::vector<std::string>& finalizers;
  bool deleting = false;  // metadata.deletionTimestamp set
};
// From any metadata with `ns`, `name`, `finalizers` and an optional `deletion_timestamp`
// (api::v1alpha1::ObjectMeta).
template <class Meta>
FinalizerTarget FinalizerTargetOf(const Meta& meta) {
  return FinalizerTarget{meta.ns, meta.name, meta.finalizers, meta.deletion_timestamp.has_value()};
}
using TypedFinalizerFn = std::function<Expected<Result>()>;

Expected<Result> RunWithFinalizer(kube::KubeApi& api, const kube::Gvr& gvr,
                                  const FinalizerTarget& target, std::string_view finalizer_name,
                                  const TypedFinalizerFn& apply, const TypedFinalizerFn& cleanup);
// RunWithFinalizer(api, gvr, database.metadata, kFinalizer, apply, cleanup).
template <class Meta>
requires requires(const Meta& m) {
  m.finalizers;
  m.deletion_timestamp;
}
Expected<Result> RunWithFinalizer(kube::KubeApi& api, const kube::Gvr& gvr, const Meta& meta,
                                  std::string_view finalizer_name, const TypedFinalizerFn& apply,
                                  const TypedFinalizerFn& cleanup) {
  return RunWithFinalizer(api, gvr, FinalizerTargetOf(meta), finalizer_name, apply, cleanup);
}

// The pure parts, exposed for tests.
enum class FinalizerStep { kAddFinalizer, kApply, kCleanup, kNothing };
FinalizerStep DecideFinalizerStep(const nlohmann::json& obj, std::string_view finalizer_name);
// [test /metadata/finalizers == current (null when absent), add name].
nlohmann::json AddFinalizerPatch(const nlohmann::json& obj, std::string_view finalizer_name);
// [test /metadata/finalizers/<i> == name, remove /metadata/finalizers/<i>]; null when absent.
nlohmann::json RemoveFinalizerPatch(const nlohmann::json& obj, std::string_view finalizer_name);
FinalizerStep DecideFinalizerStep(const FinalizerTarget& target, std::string_view finalizer_name);
nlohmann::json AddFinalizerPatch(const FinalizerTarget& target, std::string_view finalizer_name);
nlohmann::json RemoveFinalizerPatch(const FinalizerTarget& target, std::string_view finalizer_name);

}  // namespace tenantdb::runtime
