#include "runtime/finalizer.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "common/logging.h"
#include "runtime/controller.h"

namespace tenantdb::runtime {

namespace {

using json = nlohmann::json;

const json* Metadata(const json& obj) {
  if (!obj.is_object()) {
    return nullptr;
  }
  const auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? &*it : nullptr;
}

const json* Finalizers(const json& obj) {
  const json* meta = Metadata(obj);
  if (meta == nullptr) {
    return nullptr;
  }
  const auto it = meta->find("finalizers");
  return it != meta->end() && it->is_array() ? &*it : nullptr;
}

std::optional<std::size_t> FinalizerIndex(const json& obj, std::string_view name) {
  const json* finalizers = Finalizers(obj);
  if (finalizers == nullptr) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < finalizers->size(); ++i) {
    if ((*finalizers)[i].is_string() && (*finalizers)[i].get<std::string>() == name) {
      return i;
    }
  }
  return std::nullopt;
}

bool IsDeleting(const json& obj) {
  const json* meta = Metadata(obj);
  if (meta == nullptr) {
    return false;
  }
  const auto it = meta->find("deletionTimestamp");
  return it != meta->end() && !it->is_null();
}

// 409, or the 422 the API server answers when a JSON Patch `test` op fails.
bool IsPatchConflict(const Error& error) {
  return error.code == ErrorCode::kConflict ||
         (error.code == ErrorCode::kInvalid && error.http_status == 422);
}

std::string Field(const json& obj, const char* key) {
  const json* meta = Metadata(obj);
  if (meta == nullptr) {
    return {};
  }
  const auto it = meta->find(key);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

FinalizerStep DecideFinalizerStep(const json& obj, std::string_view finalizer_name) {
  const bool has = FinalizerIndex(obj, finalizer_name).has_value();
  if (IsDeleting(obj)) {
    return has ? FinalizerStep::kCleanup : FinalizerStep::kNothing;
  }
  return has ? FinalizerStep::kApply : FinalizerStep::kAddFinalizer;
}

namespace {

// [test /metadata/finalizers == current (null when absent), add name]; `current` is null or a
// non-empty array.
json AddPatch(const json& current, std::string_view finalizer_name) {
  if (current.is_null()) {
    // The API server omits an empty list; `test` against null matches an absent field there.
    return json::array({
        {{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", nullptr}},
        {{"op", "add"},
         {"path", "/metadata/finalizers"},
         {"value", json::array({std::string(finalizer_name)})}},
    });
  }
  return json::array({
      {{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", current}},
      {{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", std::string(finalizer_name)}},
  });
}

json RemovePatch(std::optional<std::size_t> index, std::string_view finalizer_name) {
  if (!index) {
    return nullptr;
  }
  const std::string path = "/metadata/finalizers/" + std::to_string(*index);
  return json::array({
      {{"op", "test"}, {"path", path}, {"value", std::string(finalizer_name)}},
      {{"op", "remove"}, {"path", path}},
  });
}

std::optional<std::size_t> FinalizerIndex(const FinalizerTarget& target, std::string_view name) {
  for (std::size_t i = 0; i < target.finalizers.size(); ++i) {
    if (target.finalizers[i] == name) {
      return i;
    }
  }
  return std::nullopt;
}

// What both overloads do once the step is known; the patches are built only when needed.
Expected<Result> RunStep(kube::KubeApi& api, const kube::Gvr& gvr, std::string_view ns,
                         std::string_view name, FinalizerStep step, std::string_view finalizer_name,
                         const std::function<json()>& add_patch,
                         const std::function<json()>& remove_patch,
                         const std::function<Expected<Result>()>& apply,
                         const std::function<Expected<Result>()>& cleanup) {
  switch (step) {
    case FinalizerStep::kApply:
      return apply();
    case FinalizerStep::kNothing:
      return Result{};
    case FinalizerStep::kAddFinalizer: {
      const Expected<json> patched =
          api.Patch(gvr, std::string(ns), std::string(name), kube::PatchType::kJson, add_patch());
      if (!patched) {
        if (patched.error().code == ErrorCode::kNotFound) {
          return Result{};
        }
        if (IsPatchConflict(patched.error())) {
          spdlog::info("Finalizer add conflicted, requeueing {} finalizer={}", ReconcileLogFields(),
                       finalizer_name);
          return Result{.requeue_after = kFinalizerConflictRequeue};
        }
        return patched.error();
      }
      spdlog::debug("Finalizer added {} finalizer={}", ReconcileLogFields(), finalizer_name);
      // The next pass sees the finalizer and applies (the patch may not bump generation, so a
      // generation-filtered watch would not bring the key back).
      return Result{.requeue_after = std::chrono::milliseconds::zero()};
    }
    case FinalizerStep::kCleanup: {
      Expected<Result> cleaned = cleanup();
      if (!cleaned) {
        return cleaned;
      }
      const Expected<json> patched = api.Patch(gvr, std::string(ns), std::string(name),
                                               kube::PatchType::kJson, remove_patch());
      if (!patched) {
        if (patched.error().code == ErrorCode::kNotFound) {
          return cleaned;
        }
        if (IsPatchConflict(patched.error())) {
          spdlog::info("Finalizer removal conflicted, requeueing {} finalizer={}",
                       ReconcileLogFields(), finalizer_name);
          return Result{.requeue_after = kFinalizerConflictRequeue};
        }
        return patched.error();
      }
      spdlog::debug("Finalizer removed {} finalizer={}", ReconcileLogFields(), finalizer_name);
      return cleaned;
    }
  }
  return Result{};
}

}  // namespace

json AddFinalizerPatch(const json& obj, std::string_view finalizer_name) {
  const json* finalizers = Finalizers(obj);
  return AddPatch(finalizers == nullptr || finalizers->empty() ? json(nullptr) : *finalizers,
                  finalizer_name);
}

json RemoveFinalizerPatch(const json& obj, std::string_view finalizer_name) {
  return RemovePatch(FinalizerIndex(obj, finalizer_name), finalizer_name);
}

FinalizerStep DecideFinalizerStep(const FinalizerTarget& target, std::string_view finalizer_name) {
  const bool has = FinalizerIndex(target, finalizer_name).has_value();
  if (target.deleting) {
    return has ? FinalizerStep::kCleanup : FinalizerStep::kNothing;
  }
  return has ? FinalizerStep::kApply : FinalizerStep::kAddFinalizer;
}

json AddFinalizerPatch(const FinalizerTarget& target, std::string_view finalizer_name) {
  return AddPatch(target.finalizers.empty() ? json(nullptr) : json(target.finalizers),
                  finalizer_name);
}

json RemoveFinalizerPatch(const FinalizerTarget& target, std::string_view finalizer_name) {
  return RemovePatch(FinalizerIndex(target, finalizer_name), finalizer_name);
}

Expected<Result> RunWithFinalizer(kube::KubeApi& api, const kube::Gvr& gvr, const json& obj,
                                  std::string_view finalizer_name, const FinalizerFn& apply,
                                  const FinalizerFn& cleanup) {
  return RunStep(
      api, gvr, Field(obj, "namespace"), Field(obj, "name"),
      DecideFinalizerStep(obj, finalizer_name), finalizer_name,
      [&] { return AddFinalizerPatch(obj, finalizer_name); },
      [&] { return RemoveFinalizerPatch(obj, finalizer_name); }, [&] { return apply(obj); },
      [&] { return cleanup(obj); });
}

Expected<Result> RunWithFinalizer(kube::KubeApi& api, const kube::Gvr& gvr,
                                  const FinalizerTarget& target, std::string_view finalizer_name,
                                  const TypedFinalizerFn& apply, const TypedFinalizerFn& cleanup) {
  return RunStep(
      api, gvr, target.ns, target.name, DecideFinalizerStep(target, finalizer_name), finalizer_name,
      [&] { return AddFinalizerPatch(target, finalizer_name); },
      [&] { return RemoveFinalizerPatch(target, finalizer_name); }, apply, cleanup);
}

}  // namespace tenantdb::runtime
