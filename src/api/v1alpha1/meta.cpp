#include "api/v1alpha1/meta.h"

#include <algorithm>

namespace tenantdb::api::v1alpha1 {

bool IsBeingDeleted(const ObjectMeta& meta) { return meta.deletion_timestamp.has_value(); }

bool HasFinalizer(const ObjectMeta& meta, std::string_view finalizer) {
  return std::find(meta.finalizers.begin(), meta.finalizers.end(), finalizer) !=
         meta.finalizers.end();
}

bool LabelSelectorMatches(const LabelSelector& selector,
                          const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  for (const LabelSelectorRequirement& req : selector.match_expressions) {
    const auto it = labels.find(req.key);
    const bool has = it != labels.end();
    const bool in_values =
        has && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
    switch (req.op) {
      case LabelSelectorOperator::kIn:
        if (!in_values) {
          return false;
        }
        break;
      case LabelSelectorOperator::kNotIn:
        if (in_values) {
          return false;
        }
        break;
      case LabelSelectorOperator::kExists:
        if (!has) {
          return false;
        }
        break;
      case LabelSelectorOperator::kDoesNotExist:
        if (has) {
          return false;
        }
        break;
    }
  }
  return true;
}

void ValidateLabelSelector(const LabelSelector& selector, const std::string& path,
                           std::vector<FieldError>& errors) {
  const std::string labels_path = ChildPath(path, "matchLabels");
  ValidateMaxItems(selector.match_labels.size(), 64, labels_path, errors);
  for (const auto& [key, value] : selector.match_labels) {
    if (key.empty()) {
      errors.push_back({KeyPath(labels_path, key), "label key must not be empty"});
    }
    ValidateMaxLength(value, 63, KeyPath(labels_path, key), errors);
  }
  const std::string exprs_path = ChildPath(path, "matchExpressions");
  ValidateMaxItems(selector.match_expressions.size(), 64, exprs_path, errors);
  for (std::size_t i = 0; i < selector.match_expressions.size(); ++i) {
    const LabelSelectorRequirement& req = selector.match_expressions[i];
    const std::string req_path = IndexPath(exprs_path, i);
    RequireNonEmpty(req.key, ChildPath(req_path, "key"), errors);
    ValidateMaxLength(req.key, 317, ChildPath(req_path, "key"), errors);
    const std::string values_path = ChildPath(req_path, "values");
    const bool needs_values =
        req.op == LabelSelectorOperator::kIn || req.op == LabelSelectorOperator::kNotIn;
    if (needs_values && req.values.empty()) {
      errors.push_back({values_path, "must have at least one value when operator is " +
                                         std::string(ToString(req.op))});
    } else if (!needs_values && !req.values.empty()) {
      errors.push_back(
          {values_path, "must be empty when operator is " + std::string(ToString(req.op))});
    }
    ValidateMaxItems(req.values.size(), 256, values_path, errors);
    for (std::size_t k = 0; k < req.values.size(); ++k) {
      ValidateMaxLength(req.values[k], 63, IndexPath(values_path, k), errors);
    }
  }
}

Expected<void> Decode(const Json& j, const std::string& path, OwnerReference& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "apiVersion", out.api_version));
  TENANTDB_TRY_VOID(DecodeField(j, path, "kind", out.kind));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "uid", out.uid));
  TENANTDB_TRY_VOID(DecodeField(j, path, "controller", out.controller));
  TENANTDB_TRY_VOID(DecodeField(j, path, "blockOwnerDeletion", out.block_owner_deletion));
  return {};
}

Json Encode(const OwnerReference& value) {
  Json j = Json::object();
  EncodeField(j, "apiVersion", value.api_version);
  EncodeField(j, "kind", value.kind);
  EncodeField(j, "name", value.name);
  EncodeField(j, "uid", value.uid);
  EncodeField(j, "controller", value.controller);
  EncodeField(j, "blockOwnerDeletion", value.block_owner_deletion);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, ObjectMeta& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "namespace", out.ns));
  TENANTDB_TRY_VOID(DecodeField(j, path, "uid", out.uid));
  TENANTDB_TRY_VOID(DecodeField(j, path, "resourceVersion", out.resource_version));
  TENANTDB_TRY_VOID(DecodeField(j, path, "generation", out.generation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "labels", out.labels));
  TENANTDB_TRY_VOID(DecodeField(j, path, "annotations", out.annotations));
  TENANTDB_TRY_VOID(DecodeField(j, path, "finalizers", out.finalizers));
  TENANTDB_TRY_VOID(DecodeField(j, path, "deletionTimestamp", out.deletion_timestamp));
  TENANTDB_TRY_VOID(DecodeField(j, path, "ownerReferences", out.owner_references));
  TENANTDB_TRY_VOID(DecodeField(j, path, "creationTimestamp", out.creation_timestamp));
  return {};
}

Json Encode(const ObjectMeta& value) {
  Json j = Json::object();
  EncodeFieldOmitEmpty(j, "name", value.name);
  EncodeFieldOmitEmpty(j, "namespace", value.ns);
  EncodeFieldOmitEmpty(j, "uid", value.uid);
  EncodeFieldOmitEmpty(j, "resourceVersion", value.resource_version);
  EncodeFieldOmitEmpty(j, "generation", value.generation);
  EncodeField(j, "labels", value.labels);
  EncodeField(j, "annotations", value.annotations);
  EncodeField(j, "finalizers", value.finalizers);
  EncodeField(j, "deletionTimestamp", value.deletion_timestamp);
  EncodeField(j, "ownerReferences", value.owner_references);
  EncodeField(j, "creationTimestamp", value.creation_timestamp);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, LocalObjectReference& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  return {};
}

Json Encode(const LocalObjectReference& value) {
  Json j = Json::object();
  EncodeField(j, "name", value.name);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, SecretKeySelector& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "key", out.key));
  return {};
}

Json Encode(const SecretKeySelector& value) {
  Json j = Json::object();
  EncodeField(j, "name", value.name);
  EncodeField(j, "key", value.key);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, NamespacedSecretKeySelector& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "namespace", out.ns));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "key", out.key));
  return {};
}

Json Encode(const NamespacedSecretKeySelector& value) {
  Json j = Json::object();
  EncodeField(j, "namespace", value.ns);
  EncodeField(j, "name", value.name);
  EncodeField(j, "key", value.key);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, CredentialsSecretReference& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "namespace", out.ns));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "usernameKey", out.username_key));
  TENANTDB_TRY_VOID(DecodeField(j, path, "passwordKey", out.password_key));
  return {};
}

Json Encode(const CredentialsSecretReference& value) {
  Json j = Json::object();
  EncodeField(j, "namespace", value.ns);
  EncodeField(j, "name", value.name);
  EncodeField(j, "usernameKey", value.username_key);
  EncodeField(j, "passwordKey", value.password_key);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, LabelSelectorRequirement& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "key", out.key));
  TENANTDB_TRY_VOID(DecodeField(j, path, "operator", out.op));
  TENANTDB_TRY_VOID(DecodeField(j, path, "values", out.values));
  return {};
}

Json Encode(const LabelSelectorRequirement& value) {
  Json j = Json::object();
  EncodeField(j, "key", value.key);
  EncodeField(j, "operator", value.op);
  EncodeField(j, "values", value.values);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, LabelSelector& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "matchLabels", out.match_labels));
  TENANTDB_TRY_VOID(DecodeField(j, path, "matchExpressions", out.match_expressions));
  return {};
}

Json Encode(const LabelSelector& value) {
  Json j = Json::object();
  EncodeField(j, "matchLabels", value.match_labels);
  EncodeField(j, "matchExpressions", value.match_expressions);
  return j;
}

}  // namespace tenantdb::api::v1alpha1
