#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

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

// The pure parts, exposed for tests.
enum class FinalizerStep { kAddFinalizer, kApply, kCleanup, kNothing };
FinalizerStep DecideFinalizerStep(const nlohmann::json& obj, std::string_view finalizer_name);
// [test /metadata/finalizers == current (null when absent), add name].
nlohmann::json AddFinalizerPatch(const nlohmann::json& obj, std::string_view finalizer_name);
// [test /metadata/finalizers/<i> == name, remove /metadata/finalizers/<i>]; null when absent.
nlohmann::json RemoveFinalizerPatch(const nlohmann::json& obj, std::string_view finalizer_name);

}  // namespace tenantdb::runtime
