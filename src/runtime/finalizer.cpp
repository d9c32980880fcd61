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

json AddFinalizerPatch(const json& obj, std::string_view finalizer_name) {
  const json* finalizers = Finalizers(obj);
  if (finalizers == nullptr || finalizers->empty()) {
    // The API server omits an empty list; `test` against null matches an absent field there.
    return json::array({
        {{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", nullptr}},
        {{"op", "add"},
         {"path", "/metadata/finalizers"},
         {"value", json::array({std::string(finalizer_name)})}},
    });
  }
  return json::array({
      {{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", *finalizers}},
      {{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", std::string(finalizer_name)}},
  });
}

json RemoveFinalizerPatch(const json& obj, std::string_view finalizer_name) {
  const std::optional<std::size_t> index = FinalizerIndex(obj, finalizer_name);
  if (!index) {
    return nullptr;
  }
  const std::string path = "/metadata/finalizers/" + std::to_string(*index);
  return json::array({
      {{"op", "test"}, {"path", path}, {"value", std::string(finalizer_name)}},
      {{"op", "remove"}, {"path", path}},
  });
}

Expected<Result> RunWithFinalizer(kube::KubeApi& api, const kube::Gvr& gvr, const json& obj,
                                  std::string_view finalizer_name, const FinalizerFn& apply,
                                  const FinalizerFn& cleanup) {
  const std::string ns = Field(obj, "namespace");
  const std::string name = Field(obj, "name");
  switch (DecideFinalizerStep(obj, finalizer_name)) {
    case FinalizerStep::kApply:
      return apply(obj);
    case FinalizerStep::kNothing:
      return Result{};
    case FinalizerStep::kAddFinalizer: {
      const Expected<json> patched =
          api.Patch(gvr, ns, name, kube::PatchType::kJson, AddFinalizerPatch(obj, finalizer_name));
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
      Expected<Result> cleaned = cleanup(obj);
      if (!cleaned) {
        return cleaned;
      }
      const Expected<json> patched = api.Patch(gvr, ns, name, kube::PatchType::kJson,
                                               RemoveFinalizerPatch(obj, finalizer_name));
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

}  // namespace tenantdb::runtime
