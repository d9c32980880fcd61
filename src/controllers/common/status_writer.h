#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/expected.h"
#include "kube/kube_api.h"

namespace tenantdb::controllers {

// Writes `desired` as the object's status through the /status subresource (merge patch), only
// when it differs from `current` — a reconcile that changes nothing makes no API write
// (DESIGN.md). Returns true when a write was made. A 409 is returned as kConflict (requeue).
Expected<bool> WriteStatusIfChanged(kube::KubeApi& kube, const kube::Gvr& gvr,
                                    const std::string& ns, const std::string& name,
                                    const nlohmann::json& current, const nlohmann::json& desired);

}  // namespace tenantdb::controllers
