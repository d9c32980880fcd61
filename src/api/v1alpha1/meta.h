#pragma once

// Shapes shared by every kind: the ObjectMeta subset tenantdb reads and writes, owner and object
// references, the Secret reference shapes, LabelSelector, and the enums several kinds use.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/time.h"
#include "api/v1alpha1/validation.h"
#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  bool operator==(const OwnerReference&) const = default;
};

// metav1.ObjectMeta, the fields tenantdb uses. Strings and generation are omitted from JSON when
// empty/zero, as Go's omitempty does.
struct ObjectMeta {
  std::string name;
  std::string ns;  // JSON "namespace"
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;
  std::optional<Timestamp> deletion_timestamp;
  std::vector<OwnerReference> owner_references;
  std::optional<Timestamp> creation_timestamp;
  bool operator==(const ObjectMeta&) const = default;
};

bool IsBeingDeleted(const ObjectMeta& meta);
bool HasFinalizer(const ObjectMeta& meta, std::string_view finalizer);

// {name}: an object in the same namespace (databaseRef, serverRef, configMapRef).
struct LocalObjectReference {
  std::string name;
  bool operator==(const LocalObjectReference&) const = default;
};

// {name, key}: a key of a Secret in the same namespace (DatabaseRole spec.passwordSecretRef).
struct SecretKeySelector {
  std::string name;
  std::optional<std::string> key;
  bool operator==(const SecretKeySelector&) const = default;
};

// {namespace, name, key}: a key of a Secret in any namespace (DatabaseServer
// spec.sslRootCertSecretRef).
struct NamespacedSecretKeySelector {
  std::string ns;  // JSON "namespace"
  std::string name;
  std::optional<std::string> key;
  bool operator==(const NamespacedSecretKeySelector&) const = default;
};

// {namespace, name, usernameKey, passwordKey} (DatabaseServer spec.adminCredentialsSecretRef).
struct CredentialsSecretReference {
  std::string ns;  // JSON "namespace"
  std::string name;
  std::optional<std::string> username_key;
  std::optional<std::string> password_key;
  bool operator==(const CredentialsSecretReference&) const = default;
};

enum class LabelSelectorOperator { kIn, kNotIn, kExists, kDoesNotExist };
template <>
struct EnumTraits<LabelSelectorOperator> {
  static constexpr std::array<std::pair<LabelSelectorOperator, std::string_view>, 4> kNames = {{
      {LabelSelectorOperator::kIn, "In"},
      {LabelSelectorOperator::kNotIn, "NotIn"},
      {LabelSelectorOperator::kExists, "Exists"},
      {LabelSelectorOperator::kDoesNotExist, "DoesNotExist"},
  }};
};

struct LabelSelectorRequirement {
  std::string key;
  LabelSelectorOperator op = LabelSelectorOperator::kIn;  // JSON "operator"
  std::vector<std::string> values;
  bool operator==(const LabelSelectorRequirement&) const = default;
};

// metav1.LabelSelector. An empty selector matches everything.
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  bool operator==(const LabelSelector&) const = default;
};

// Kubernetes semantics: every matchLabels pair and every requirement must hold.
bool LabelSelectorMatches(const LabelSelector& selector,
                          const std::map<std::string, std::string>& labels);
// In/NotIn need at least one value, Exists/DoesNotExist none; keys must not be empty.
void ValidateLabelSelector(const LabelSelector& selector, const std::string& path,
                           std::vector<FieldError>& errors);

// ensure: present|absent (Database extensions[] and schemas[]).
enum class Ensure { kPresent, kAbsent };
template <>
struct EnumTraits<Ensure> {
  static constexpr std::array<std::pair<Ensure, std::string_view>, 2> kNames = {{
      {Ensure::kPresent, "present"},
      {Ensure::kAbsent, "absent"},
  }};
};

// reclaimPolicy: Retain|Delete (Database, DatabaseRole).
enum class ReclaimPolicy { kRetain, kDelete };
template <>
struct EnumTraits<ReclaimPolicy> {
  static constexpr std::array<std::pair<ReclaimPolicy, std::string_view>, 2> kNames = {{
      {ReclaimPolicy::kRetain, "Retain"},
      {ReclaimPolicy::kDelete, "Delete"},
  }};
};

Expected<void> Decode(const Json& j, const std::string& path, OwnerReference& out);
Expected<void> Decode(const Json& j, const std::string& path, ObjectMeta& out);
Expected<void> Decode(const Json& j, const std::string& path, LocalObjectReference& out);
Expected<void> Decode(const Json& j, const std::string& path, SecretKeySelector& out);
Expected<void> Decode(const Json& j, const std::string& path, NamespacedSecretKeySelector& out);
Expected<void> Decode(const Json& j, const std::string& path, CredentialsSecretReference& out);
Expected<void> Decode(const Json& j, const std::string& path, LabelSelectorRequirement& out);
Expected<void> Decode(const Json& j, const std::string& path, LabelSelector& out);
Json Encode(const OwnerReference& value);
Json Encode(const ObjectMeta& value);
Json Encode(const LocalObjectReference& value);
Json Encode(const SecretKeySelector& value);
Json Encode(const NamespacedSecretKeySelector& value);
Json Encode(const CredentialsSecretReference& value);
Json Encode(const LabelSelectorRequirement& value);
Json Encode(const LabelSelector& value);

}  // namespace tenantdb::api::v1alpha1

namespace tenantdb::api::v1alpha1 {

// Codec for a whole object {apiVersion, kind, metadata, spec, status}: `kind`, when present, must
// match; apiVersion is not checked on read. Encode writes apiVersion and kind, and omits status
// when it is empty.
template <class Object>
Expected<void> DecodeKubeObject(const Json& j, const std::string& path, std::string_view kind,
                                Object& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(CheckKind(j, path, kind));
  TENANTDB_TRY_VOID(DecodeField(j, path, "metadata", out.metadata));
  TENANTDB_TRY_VOID(DecodeField(j, path, "spec", out.spec));
  TENANTDB_TRY_VOID(DecodeField(j, path, "status", out.status));
  return {};
}

template <class Object>
Json EncodeKubeObject(const Object& value, std::string_view api_version, std::string_view kind) {
  Json j = Json::object();
  j["apiVersion"] = std::string(api_version);
  j["kind"] = std::string(kind);
  j["metadata"] = Encode(value.metadata);
  j["spec"] = Encode(value.spec);
  Json status = Encode(value.status);
  if (!status.empty()) {
    j["status"] = std::move(status);
  }
  return j;
}

}  // namespace tenantdb::api::v1alpha1
