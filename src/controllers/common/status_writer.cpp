#include "controllers/common/status_writer.h"

namespace tenantdb::controllers {

Expected<bool> WriteStatusIfChanged(kube::KubeApi& kube, const kube::Gvr& gvr,
                                    const std::string& ns, const std::string& name,
                                    const nlohmann::json& current, const nlohmann::json& desired) {
  if (current == desired) {
    return false;
  }
  // A merge patch of the whole status: fields we no longer set become null (removed), lists
  // (conditions) are replaced as a whole, which is right since tenantdb owns every condition.
  nlohmann::json patch_status = desired;
  if (current.is_object()) {
    for (const auto& [key, value] : current.items()) {
      if (!desired.contains(key)) {
        patch_status[key] = nullptr;
      }
    }
  }
  const nlohmann::json patch = {{"status", patch_status}};
  kube::PatchOptions opts;
  opts.subresource = "status";
  TENANTDB_TRY_VOID(kube.Patch(gvr, ns, name, kube::PatchType::kMerge, patch, opts));
  return true;
}

}  // namespace tenantdb::controllers
