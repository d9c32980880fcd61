#include "controllers/common/job_pods.h"

#include <algorithm>
#include <cstdint>

#include "api/v1alpha1/time.h"
#include "kube/gvr.h"

namespace tenantdb::controllers {

using nlohmann::json;

JobCompletion ReadJobCompletion(const json& job) {
  JobCompletion out;
  for (const auto& c : job.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("status", "") != "True") {
      continue;
    }
    const std::string type = c.value("type", "");
    if (type == "Complete") {
      out.outcome = JobOutcome::kSucceeded;
    } else if (type == "Failed") {
      out.outcome = JobOutcome::kFailed;
      out.failed_reason = c.value("reason", "");
      out.failed_message = c.value("message", "");
    }
  }
  return out;
}

std::optional<std::string> ControllerUid(const json& metadata, std::string_view kind) {
  for (const auto& ref : metadata.value("ownerReferences", json::array())) {
    if (ref.value("controller", false) && ref.value("kind", "") == kind) {
      return ref.value("uid", "");
    }
  }
  return std::nullopt;
}

Expected<std::optional<std::string>> JobTerminationMessage(kube::KubeApi& kube,
                                                           const std::string& ns,
                                                           const std::string& job,
                                                           std::string_view container) {
  kube::ListOptions opts;
  opts.label_selector = "job-name=" + job;
  TENANTDB_TRY(const json pods, kube.List(kube::PodsGvr(), ns, opts));
  std::optional<std::string> message;
  std::string latest;
  for (const auto& pod : pods.value("items", json::array())) {
    const json md = pod.value("metadata", json::object());
    const json refs = md.value("ownerReferences", json::array());
    const bool owned = std::any_of(refs.begin(), refs.end(), [&](const json& r) {
      return r.value("kind", "") == "Job" && r.value("name", "") == job &&
             r.value("controller", false);
    });
    if (!owned || md.value("creationTimestamp", "") < latest) {
      continue;
    }
    for (const auto& c :
         pod.value("status", json::object()).value("containerStatuses", json::array())) {
      const json terminated = c.value("state", json::object()).value("terminated", json::object());
      if (c.value("name", "") == container && terminated.contains("message")) {
        latest = md.value("creationTimestamp", "");
        message = terminated.value("message", "");
      }
    }
  }
  return message;
}

std::optional<api::v1alpha1::BackupInfo> ReadBackupInfo(const nlohmann::json& summary) {
  const auto it = summary.find("backup");
  if (it == summary.end() || !it->is_object()) {
    return std::nullopt;
  }
  const auto time = api::v1alpha1::ParseRfc3339(it->value("time", ""));
  const nlohmann::json size = it->value("sizeBytes", nlohmann::json());
  return api::v1alpha1::BackupInfo{
      .name = it->value("name", ""),
      .time = time ? *time : api::v1alpha1::Timestamp{},
      .size_bytes = size.is_number_integer() ? size.get<std::int64_t>() : 0,
      .sha256 = it->value("sha256", "")};
}

}  // namespace tenantdb::controllers
