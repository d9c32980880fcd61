#pragma once

// Database (namespaced, short name pgdb): one logical PostgreSQL database on a DatabaseServer.
// See docs/api-reference.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/gvk.h"
#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/meta.h"
#include "api/v1alpha1/validation.h"
#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

enum class DriftPolicy { kCorrect, kDetect, kIgnore };
template <>
struct EnumTraits<DriftPolicy> {
  static constexpr std::array<std::pair<DriftPolicy, std::string_view>, 3> kNames = {{
      {DriftPolicy::kCorrect, "Correct"},
      {DriftPolicy::kDetect, "Detect"},
      {DriftPolicy::kIgnore, "Ignore"},
  }};
};

inline constexpr std::string_view kDefaultServerName = "default";
inline constexpr std::string_view kDefaultEncoding = "UTF8";
inline constexpr std::string_view kDefaultTemplate = "template1";
inline constexpr std::int32_t kDefaultConnectionLimit = -1;  // no limit (also DatabaseRole)
inline constexpr Ensure kDefaultEnsure = Ensure::kPresent;
inline constexpr ReclaimPolicy kDefaultDatabaseReclaimPolicy = ReclaimPolicy::kRetain;
inline constexpr DriftPolicy kDefaultDriftPolicy = DriftPolicy::kCorrect;
inline constexpr std::string_view kOwnerRoleSuffix = "_owner";

// spec.extensions[] (list-map keyed by name).
struct DatabaseExtension {
  std::string name;  // ^[a-z_][a-z0-9_-]*$
  std::optional<std::string> version;
  std::optional<std::string> schema;
  std::optional<Ensure> ensure;  // default present
  bool operator==(const DatabaseExtension&) const = default;
};

// spec.schemas[] (list-map keyed by name).
struct DatabaseSchema {
  std::string name;
  std::optional<std::string> owner;  // default: the database owner (computed)
  std::optional<Ensure> ensure;      // default present
  bool operator==(const DatabaseSchema&) const = default;
};

struct DatabaseSpec {
  std::optional<LocalObjectReference> server_ref;  // default {name: default}
  std::optional<std::string> name;                 // computed: EffectiveDatabaseName
  std::optional<std::string> owner;                // computed: EffectiveOwner
  std::optional<std::string> encoding;             // default UTF8
  std::optional<std::string> locale;               // default: the server's
  std::optional<std::string> template_name;        // JSON "template"; default template1
  std::optional<std::int32_t> connection_limit;    // default -1
  std::vector<DatabaseExtension> extensions;
  std::vector<DatabaseSchema> schemas;
  std::optional<ReclaimPolicy> reclaim_policy;  // default Retain
  std::optional<bool> adopt;                    // default false
  std::optional<DriftPolicy> drift_policy;      // default Correct
  std::optional<bool> deletion_protection;      // default false
  bool operator==(const DatabaseSpec&) const = default;
};

// status.drift[]: a difference found under driftPolicy Detect.
struct DriftEntry {
  std::string field;
  std::string expected;
  std::string actual;
  bool operator==(const DriftEntry&) const = default;
};

struct DatabaseStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::optional<std::string> database_name;
  std::optional<std::string> owner;
  std::vector<DriftEntry> drift;
  bool operator==(const DatabaseStatus&) const = default;
};

struct Database {
  static constexpr GroupVersionKind kGvk = kDatabaseGvk;
  ObjectMeta metadata;
  DatabaseSpec spec;
  DatabaseStatus status;
  bool operator==(const Database&) const = default;
};

// Sets every static default of the reference that is unset, as the API server does on admission.
// Computed defaults (name, owner, schema owners) are left to the Effective* functions.
void ApplyDefaults(Database& database);

// The rules of the reference; an empty result means valid. Unset defaulted fields are valid.
std::vector<FieldError> Validate(const Database& database);
// Validate(database) plus the immutability rules (name, encoding, locale, template) for an update
// of `old_database`.
// Compare objects in the same defaulting state (both read from the API server, or both defaulted).
std::vector<FieldError> ValidateUpdate(const Database& old_database, const Database& database);

// "<namespace>_<metadata.name>" with '-' and '.' turned into '_' (so the database is named after
// the object), unless spec.name is set. kInvalid (reason InvalidSpec) when the computed name is
// over 63 bytes or is otherwise not an acceptable identifier, with a message saying to set
// spec.name.
Expected<std::string> EffectiveDatabaseName(const Database& database);
// spec.owner, or "<database name>_owner"; kInvalid when the computed name is over 63 bytes.
Expected<std::string> EffectiveOwner(const Database& database);
// spec.serverRef.name, or "default".
std::string EffectiveServerName(const Database& database);
// schema.owner, or the database owner.
Expected<std::string> EffectiveSchemaOwner(const Database& database, const DatabaseSchema& schema);

// "<namespace>_<name>" with '-' and '.' -> '_' (shared by Database and DatabaseRole names).
std::string NamespacedIdentifier(std::string_view ns, std::string_view name);

Expected<void> Decode(const Json& j, const std::string& path, DatabaseExtension& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseSchema& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseSpec& out);
Expected<void> Decode(const Json& j, const std::string& path, DriftEntry& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseStatus& out);
Expected<void> Decode(const Json& j, const std::string& path, Database& out);
Json Encode(const DatabaseExtension& value);
Json Encode(const DatabaseSchema& value);
Json Encode(const DatabaseSpec& value);
Json Encode(const DriftEntry& value);
Json Encode(const DatabaseStatus& value);
Json Encode(const Database& value);

}  // namespace tenantdb::api::v1alpha1
