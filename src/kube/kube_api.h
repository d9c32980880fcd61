#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/expected.h"
#include "kube/gvr.h"

namespace tenantdb::kube {

using json = nlohmann::json;

enum class PatchType { kMerge, kJson, kApply };

struct PatchOptions {
  std::string field_manager = "tenantdb";
  bool force = false;       // server-side apply: take ownership of conflicting fields
  std::string subresource;  // "" or "status"
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 0;  // 0: no limit
  std::string continue_token;
  std::string resource_version;
};

struct DeleteOptions {
  std::string propagation_policy;  // "", Foreground, Background, Orphan
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
};

// Typed access to any group/version/resource (STYLE.md R4). `ns` is "" for cluster-scoped kinds.
// Errors: ErrorCode::kNotFound (404), kConflict (409; also 410 Gone with reason "Expired"),
// kInvalid (422, 400), kPermission (401, 403), kTransient (429 with retry_after_seconds, 5xx,
// transport). Error::http_status holds the HTTP status, Error::message the server's message.
class KubeApi {
 public:
  virtual ~KubeApi() = default;
  // std::nullopt when the object does not exist.
  virtual Expected<std::optional<json>> Get(const Gvr& gvr, const std::string& ns,
                                            const std::string& name) = 0;
  // One page; the caller follows metadata.continue. Returns the List object.
  virtual Expected<json> List(const Gvr& gvr, const std::string& ns, const ListOptions& opts) = 0;
  virtual Expected<json> Create(const Gvr& gvr, const std::string& ns, const json& obj) = 0;
  // PUT; obj carries metadata.resourceVersion (stale => kConflict). subresource "" or "status".
  virtual Expected<json> Update(const Gvr& gvr, const json& obj,
                                const std::string& subresource = "") = 0;
  virtual Expected<json> Patch(const Gvr& gvr, const std::string& ns, const std::string& name,
                               PatchType type, const json& patch,
                               const PatchOptions& opts = {}) = 0;
  virtual Expected<void> Delete(const Gvr& gvr, const std::string& ns, const std::string& name,
                                const DeleteOptions& opts = {}) = 0;
};

}  // namespace tenantdb::kube
