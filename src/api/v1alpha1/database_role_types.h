#pragma once

// DatabaseRole (namespaced, short name dbrole): a PostgreSQL role with access to one Database,
// and the credentials Secret the operator writes for it. See docs/api-reference.md.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/gvk.h"
#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/meta.h"
#include "api/v1alpha1/time.h"
#include "api/v1alpha1/validation.h"
#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

// spec.privileges: the preset.
enum class PrivilegePreset { kReadOnly, kReadWrite, kOwner, kNone };
template <>
struct EnumTraits<PrivilegePreset> {
  static constexpr std::array<std::pair<PrivilegePreset, std::string_view>, 4> kNames = {{
      {PrivilegePreset::kReadOnly, "ReadOnly"},
      {PrivilegePreset::kReadWrite, "ReadWrite"},
      {PrivilegePreset::kOwner, "Owner"},
      {PrivilegePreset::kNone, "None"},
  }};
};

// spec.grants[].privileges[]: the SQL privilege keywords.
enum class Privilege {
  kSelect,
  kInsert,
  kUpdate,
  kDelete,
  kTruncate,
  kReferences,
  kTrigger,
  kUsage,
  kCreate,
  kAll,
};
template <>
struct EnumTraits<Privilege> {
  static constexpr std::array<std::pair<Privilege, std::string_view>, 10> kNames = {{
      {Privilege::kSelect, "SELECT"},
      {Privilege::kInsert, "INSERT"},
      {Privilege::kUpdate, "UPDATE"},
      {Privilege::kDelete, "DELETE"},
      {Privilege::kTruncate, "TRUNCATE"},
      {Privilege::kReferences, "REFERENCES"},
      {Privilege::kTrigger, "TRIGGER"},
      {Privilege::kUsage, "USAGE"},
      {Privilege::kCreate, "CREATE"},
      {Privilege::kAll, "ALL"},
  }};
};

enum class RotationStrategy { kInPlace, kAlternatingUsers };
template <>
struct EnumTraits<RotationStrategy> {
  static constexpr std::array<std::pair<RotationStrategy, std::string_view>, 2> kNames = {{
      {RotationStrategy::kInPlace, "InPlace"},
      {RotationStrategy::kAlternatingUsers, "AlternatingUsers"},
  }};
};

inline constexpr bool kDefaultLogin = true;
inline constexpr PrivilegePreset kDefaultPrivileges = PrivilegePreset::kReadOnly;
inline constexpr std::string_view kDefaultPasswordSecretKey = "password";
inline constexpr RotationStrategy kDefaultRotationStrategy = RotationStrategy::kInPlace;
inline constexpr ReclaimPolicy kDefaultRoleReclaimPolicy = ReclaimPolicy::kDelete;
inline constexpr std::string_view kCredentialsSecretSuffix = "-credentials";
inline constexpr std::string_view kAllTables = "*";
inline constexpr std::chrono::seconds kMinRotationPeriod = std::chrono::hours{1};

// spec.grants[]: explicit grants on top of the preset; a grant removed from the list is revoked.
struct Grant {
  std::string schema;                 // identifier
  std::optional<std::string> table;   // identifier or "*" (all tables); absent: the schema itself
  std::vector<Privilege> privileges;  // a set, at least one
  bool operator==(const Grant&) const = default;
};

// spec.passwordRotation.
struct PasswordRotation {
  std::string every;                         // Go duration, at least 1h
  std::optional<RotationStrategy> strategy;  // default InPlace
  bool operator==(const PasswordRotation&) const = default;
};

struct DatabaseRoleSpec {
  LocalObjectReference database_ref;             // required
  std::optional<std::string> role_name;          // computed: EffectiveRoleName
  std::optional<bool> login;                     // default true
  std::optional<std::int32_t> connection_limit;  // default -1
  std::optional<std::string> valid_until;        // RFC 3339 (kept as written)
  std::vector<std::string> in_roles;             // a set
  std::optional<PrivilegePreset> privileges;     // default ReadOnly
  std::vector<Grant> grants;
  std::optional<SecretKeySelector> password_secret_ref;  // key default password
  std::optional<std::string> secret_name;                // computed: EffectiveSecretName
  std::map<std::string, std::string> secret_template;
  std::optional<PasswordRotation> password_rotation;
  std::optional<ReclaimPolicy> reclaim_policy;  // default Delete
  // Take over an existing role without tenantdb's marker (only where the DatabaseServer's
  // allowAdoption says so). Default false.
  std::optional<bool> adopt;
  bool operator==(const DatabaseRoleSpec&) const = default;
};

struct DatabaseRoleStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::optional<std::string> role_name;
  std::optional<std::string> secret_name;
  std::optional<std::string> active_login;  // the login role the Secret names
  // Where the role lives, as last reconciled: the DatabaseServer and the PostgreSQL database of
  // spec.databaseRef. Lets the finalizer find the role after its Database object is gone (a whole
  // namespace deleted at once); it still checks every marker on the server before it drops.
  std::optional<std::string> server;
  std::optional<std::string> database_name;
  std::optional<Timestamp> password_changed_at;
  bool operator==(const DatabaseRoleStatus&) const = default;
};

struct DatabaseRole {
  static constexpr GroupVersionKind kGvk = kDatabaseRoleGvk;
  ObjectMeta metadata;
  DatabaseRoleSpec spec;
  DatabaseRoleStatus status;
  bool operator==(const DatabaseRole&) const = default;
};

// Sets every static default of the reference that is unset, as the API server does on admission.
// Computed defaults (roleName, secretName) are left to the Effective* functions.
void ApplyDefaults(DatabaseRole& role);

// The rules of the reference; an empty result means valid. Unset defaulted fields are valid.
std::vector<FieldError> Validate(const DatabaseRole& role);
// Validate(role) plus the immutability rule (roleName) for an update of `old_role`.
std::vector<FieldError> ValidateUpdate(const DatabaseRole& old_role, const DatabaseRole& role);

// spec.roleName, or "<namespace>_<metadata.name>" with '-'/'.' -> '_'. kInvalid (InvalidSpec)
// when the computed name is over 63 bytes or not an acceptable role name (e.g. namespace "pg"),
// with a message saying to set spec.roleName.
Expected<std::string> EffectiveRoleName(const DatabaseRole& role);
// spec.secretName, or "<metadata.name>-credentials"; kInvalid when the computed name is over
// 253 bytes, with a message saying to set spec.secretName.
Expected<std::string> EffectiveSecretName(const DatabaseRole& role);

Expected<void> Decode(const Json& j, const std::string& path, Grant& out);
Expected<void> Decode(const Json& j, const std::string& path, PasswordRotation& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseRoleSpec& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseRoleStatus& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseRole& out);
Json Encode(const Grant& value);
Json Encode(const PasswordRotation& value);
Json Encode(const DatabaseRoleSpec& value);
Json Encode(const DatabaseRoleStatus& value);
Json Encode(const DatabaseRole& value);

}  // namespace tenantdb::api::v1alpha1
