#pragma once

// Which namespaces may place objects on a DatabaseServer (spec.allowedNamespaces and
// spec.allowedNamespaceSelector). Pure: the caller reads the Namespace's labels (a direct GET)
// only when NeedsNamespaceLabels() says the selector must be evaluated. Shared by the Database
// and DatabaseRole controllers.

#include <map>
#include <string>
#include <string_view>

#include "api/v1alpha1/database_server_types.h"

namespace tenantdb::controllers {

// True when the decision depends on the namespace's labels (a selector is set and the namespace
// is not already allowed by the list).
bool NeedsNamespaceLabels(const api::v1alpha1::DatabaseServerSpec& spec, std::string_view ns);

// The policy, with these rules:
// - neither allowedNamespaces nor allowedNamespaceSelector set: every namespace is allowed;
// - otherwise a namespace is allowed when it is in allowedNamespaces OR its labels match
//   allowedNamespaceSelector (each is an allow rule; an empty list allows nothing by itself, an
//   empty selector matches every namespace, as in Kubernetes).
bool IsNamespaceAllowed(const api::v1alpha1::DatabaseServerSpec& spec, std::string_view ns,
                        const std::map<std::string, std::string>& namespace_labels);

// The condition message for a refused namespace: which server refused it, by which rule, and
// what to ask the platform team.
std::string NamespaceNotAllowedMessage(const api::v1alpha1::DatabaseServer& server,
                                       std::string_view ns);

}  // namespace tenantdb::controllers
