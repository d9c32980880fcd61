#include "controllers/common/namespace_policy.h"

#include <algorithm>

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

namespace {

bool InList(const v1::DatabaseServerSpec& spec, std::string_view ns) {
  return spec.allowed_namespaces &&
         std::find(spec.allowed_namespaces->begin(), spec.allowed_namespaces->end(), ns) !=
             spec.allowed_namespaces->end();
}

bool Unrestricted(const v1::DatabaseServerSpec& spec) {
  return !spec.allowed_namespaces && !spec.allowed_namespace_selector;
}

std::string DescribeSelector(const v1::LabelSelector& selector) {
  std::string out;
  auto add = [&out](const std::string& part) {
    out += out.empty() ? "" : ",";
    out += part;
  };
  for (const auto& [key, value] : selector.match_labels) {
    add(key + "=" + value);
  }
  for (const auto& req : selector.match_expressions) {
    std::string values;
    for (const auto& v : req.values) {
      values += (values.empty() ? "" : ",") + v;
    }
    switch (req.op) {
      case v1::LabelSelectorOperator::kIn:
        add(req.key + " in (" + values + ")");
        break;
      case v1::LabelSelectorOperator::kNotIn:
        add(req.key + " notin (" + values + ")");
        break;
      case v1::LabelSelectorOperator::kExists:
        add(req.key);
        break;
      case v1::LabelSelectorOperator::kDoesNotExist:
        add("!" + req.key);
        break;
    }
  }
  return out.empty() ? "<everything>" : out;
}

}  // namespace

bool NeedsNamespaceLabels(const v1::DatabaseServerSpec& spec, std::string_view ns) {
  return spec.allowed_namespace_selector.has_value() && !InList(spec, ns);
}

bool IsNamespaceAllowed(const v1::DatabaseServerSpec& spec, std::string_view ns,
                        const std::map<std::string, std::string>& namespace_labels) {
  if (Unrestricted(spec) || InList(spec, ns)) {
    return true;
  }
  return spec.allowed_namespace_selector &&
         v1::LabelSelectorMatches(*spec.allowed_namespace_selector, namespace_labels);
}

std::string NamespaceNotAllowedMessage(const v1::DatabaseServer& server, std::string_view ns) {
  const auto& spec = server.spec;
  std::string rules;
  if (spec.allowed_namespaces) {
    std::string names;
    for (const auto& n : *spec.allowed_namespaces) {
      names += (names.empty() ? "" : ", ") + n;
    }
    rules = "spec.allowedNamespaces [" + names + "]";
  }
  if (spec.allowed_namespace_selector) {
    rules += (rules.empty() ? "" : " or ");
    rules += "spec.allowedNamespaceSelector {" +
             DescribeSelector(*spec.allowed_namespace_selector) + "}";
  }
  return "Namespace \"" + std::string(ns) + "\" may not place databases on DatabaseServer \"" +
         server.metadata.name + "\" (allowed by " + rules +
         "): ask the platform team to allow this namespace on that server, or use another "
         "server in spec.serverRef.";
}

}  // namespace tenantdb::controllers
