#include "controllers/common/namespace_policy.h"

#include <algorithm>

#include "kube/gvr.h"
#include "kube/store.h"

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

namespace {

bool InList(const v1::DatabaseServerSpec& spec, std::string_view ns) {
  return spec.allowed_namespaces &&
         std::find_if(spec.allowed_namespaces->begin(), spec.allowed_namespaces->end(),
                      [ns](const std::string& n) { return n == ns || n == v1::kAllNamespaces; }) !=
             spec.allowed_namespaces->end();
}

}  // namespace

bool NeedsNamespaceLabels(const v1::DatabaseServerSpec& spec, std::string_view ns) {
  return spec.allowed_namespace_selector.has_value() && !InList(spec, ns);
}

bool IsNamespaceAllowed(const v1::DatabaseServerSpec& spec, std::string_view ns,
                        const std::map<std::string, std::string>& namespace_labels) {
  // Fail closed: with neither allowedNamespaces nor a selector, no namespace is admitted.
  if (InList(spec, ns)) {
    return true;
  }
  return spec.allowed_namespace_selector &&
         v1::LabelSelectorMatches(*spec.allowed_namespace_selector, namespace_labels);
}

Expected<bool> NamespaceAdmitted(kube::KubeApi& kube, const v1::DatabaseServer& server,
                                 const std::string& ns) {
  std::map<std::string, std::string> labels;
  if (NeedsNamespaceLabels(server.spec, ns)) {
    TENANTDB_TRY(const auto obj, kube.Get(kube::NamespacesGvr(), "", ns));
    if (obj) {
      labels = kube::LabelsOf(*obj);
    }
  }
  return IsNamespaceAllowed(server.spec, ns, labels);
}

std::string NamespaceNotAllowedMessage(const v1::DatabaseServer& server, std::string_view ns) {
  // The allow-list itself names other tenants: it is not repeated here.
  const bool unset = !server.spec.allowed_namespaces && !server.spec.allowed_namespace_selector;
  return "Namespace \"" + std::string(ns) + "\" may not use DatabaseServer \"" +
         server.metadata.name + "\"" +
         (unset ? " (it admits no namespace until the platform team names them)" : "") +
         ": ask the platform team to admit this namespace (spec.allowedNamespaces or "
         "spec.allowedNamespaceSelector of that server), or use another server in "
         "spec.serverRef.";
}

}  // namespace tenantdb::controllers
