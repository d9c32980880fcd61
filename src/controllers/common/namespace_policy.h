#pragma once

// Which namespaces may place objects on a DatabaseServer (spec.allowedNamespaces and
// spec.allowedNamespaceSelector). Pure: the caller reads the Namespace's labels (a direct GET)
// only when NeedsNamespaceLabels() says the selector must be evaluated. Shared by the Database
// and DatabaseRole controllers.

#include <map>
#include <string>
#include <string_view>

#include "api/v1alpha1/database_server_types.h"
#include "common/expected.h"
#include "kube/kube_api.h"

namespace tenantdb::controllers {

// True when the decision depends on the namespace's labels (a selector is set and the namespace
// is not already allowed by the list).
bool NeedsNamespaceLabels(const api::v1alpha1::DatabaseServerSpec& spec, std::string_view ns);

// The policy, with these rules:
// - fail closed: neither allowedNamespaces nor allowedNamespaceSelector set: no namespace;
// - allowedNamespaces ["*"]: every namespace;
// - otherwise a namespace is allowed when it is in allowedNamespaces OR its labels match
//   allowedNamespaceSelector (each is an allow rule; an empty list allows nothing by itself, an
//   empty selector matches every namespace, as in Kubernetes).
bool IsNamespaceAllowed(const api::v1alpha1::DatabaseServerSpec& spec, std::string_view ns,
                        const std::map<std::string, std::string>& namespace_labels);

// The condition message for a refused namespace: which server refused it and what to ask the
// platform team (never the allow-list, which names other tenants).
std::string NamespaceNotAllowedMessage(const api::v1alpha1::DatabaseServer& server,
                                       std::string_view ns);

// IsNamespaceAllowed with the Namespace's labels read by a direct GET when the selector needs
// them (a namespace that is gone has no labels).
Expected<bool> NamespaceAdmitted(kube::KubeApi& kube, const api::v1alpha1::DatabaseServer& server,
                                 const std::string& ns);

}  // namespace tenantdb::controllers
