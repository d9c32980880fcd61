#pragma once

// Migration (namespaced, short name dbmigration): Flyway-compatible SQL migrations from a
// ConfigMap, run by a Job. See docs/api-reference.md.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/backup_schedule_types.h"
#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/gvk.h"
#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/meta.h"
#include "api/v1alpha1/validation.h"
#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

inline constexpr std::string_view kDefaultMigrationTable = "flyway_schema_history";
inline constexpr std::string_view kDefaultBaselineVersion = "1";
inline constexpr bool kDefaultBaselineOnMigrate = false;
inline constexpr bool kDefaultOutOfOrder = false;
inline constexpr bool kDefaultValidateOnMigrate = true;
inline constexpr std::int32_t kDefaultBackoffLimit = 0;
inline constexpr std::int64_t kDefaultActiveDeadlineSeconds = 600;

// spec.source: a ConfigMap whose keys are file names (the only source in v1alpha1).
struct MigrationSource {
  LocalObjectReference config_map_ref;  // required
  bool operator==(const MigrationSource&) const = default;
};

// core/v1 ResourceRequirements (limits and requests; quantities kept as text and checked
// against the Kubernetes quantity syntax by Validate).
struct ResourceRequirements {
  std::map<std::string, Quantity> limits;
  std::map<std::string, Quantity> requests;
  bool operator==(const ResourceRequirements&) const = default;
};

enum class TolerationOperator { kExists, kEqual };
template <>
struct EnumTraits<TolerationOperator> {
  static constexpr std::array<std::pair<TolerationOperator, std::string_view>, 2> kNames = {{
      {TolerationOperator::kExists, "Exists"},
      {TolerationOperator::kEqual, "Equal"},
  }};
};

enum class TaintEffect { kNoSchedule, kPreferNoSchedule, kNoExecute };
template <>
struct EnumTraits<TaintEffect> {
  static constexpr std::array<std::pair<TaintEffect, std::string_view>, 3> kNames = {{
      {TaintEffect::kNoSchedule, "NoSchedule"},
      {TaintEffect::kPreferNoSchedule, "PreferNoSchedule"},
      {TaintEffect::kNoExecute, "NoExecute"},
  }};
};

// core/v1 Toleration, passed through to the Job.
struct Toleration {
  std::optional<std::string> key;
  std::optional<TolerationOperator> op;  // JSON "operator"
  std::optional<std::string> value;
  std::optional<TaintEffect> effect;
  std::optional<std::int64_t> toleration_seconds;
  bool operator==(const Toleration&) const = default;
};

// spec.backupBefore: a `tenantdb backup` into that BackupSchedule's storage (its format,
// compression and retention) before the first pending version; nothing is applied if it fails.
struct MigrationBackupBefore {
  LocalObjectReference backup_schedule_ref;  // required
  bool operator==(const MigrationBackupBefore&) const = default;
};

struct MigrationSpec {
  LocalObjectReference database_ref;            // required
  MigrationSource source;                       // required
  std::optional<std::string> table;             // default flyway_schema_history
  std::optional<std::string> baseline_version;  // default "1"
  std::optional<bool> baseline_on_migrate;      // default false
  std::optional<bool> out_of_order;             // default false
  std::optional<bool> validate_on_migrate;      // default true
  std::map<std::string, std::string> placeholders;
  std::optional<std::string> service_account_name;
  std::optional<ResourceRequirements> resources;
  std::vector<Toleration> tolerations;
  std::optional<std::int32_t> backoff_limit;            // default 0
  std::optional<std::int64_t> active_deadline_seconds;  // default 600
  std::optional<MigrationBackupBefore> backup_before;
  bool operator==(const MigrationSpec&) const = default;
};

// status.failure: the failing file and PostgreSQL's error text.
struct MigrationFailure {
  std::string file;
  std::string message;
  bool operator==(const MigrationFailure&) const = default;
};

struct MigrationStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::optional<std::string> last_applied_version;
  std::vector<std::string> pending_migrations;
  std::optional<std::string> job_name;
  std::optional<MigrationFailure> failure;
  // status.backupBeforeMigration: the backup the last Job took before its first pending version.
  std::optional<BackupInfo> backup_before_migration;
  bool operator==(const MigrationStatus&) const = default;
};

struct Migration {
  static constexpr GroupVersionKind kGvk = kMigrationGvk;
  ObjectMeta metadata;
  MigrationSpec spec;
  MigrationStatus status;
  bool operator==(const Migration&) const = default;
};

// Sets every static default of the reference that is unset, as the API server does on admission.
void ApplyDefaults(Migration& migration);

// The rules of the reference; an empty result means valid. Unset defaulted fields are valid.
std::vector<FieldError> Validate(const Migration& migration);

// Kubernetes quantity syntax:
// ^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?...)?$
bool IsQuantity(std::string_view text);

Expected<void> Decode(const Json& j, const std::string& path, MigrationSource& out);
Expected<void> Decode(const Json& j, const std::string& path, ResourceRequirements& out);
Expected<void> Decode(const Json& j, const std::string& path, Toleration& out);
Expected<void> Decode(const Json& j, const std::string& path, MigrationBackupBefore& out);
Expected<void> Decode(const Json& j, const std::string& path, MigrationSpec& out);
Expected<void> Decode(const Json& j, const std::string& path, MigrationFailure& out);
Expected<void> Decode(const Json& j, const std::string& path, MigrationStatus& out);
Expected<void> Decode(const Json& j, const std::string& path, Migration& out);
Json Encode(const MigrationSource& value);
Json Encode(const ResourceRequirements& value);
Json Encode(const Toleration& value);
Json Encode(const MigrationBackupBefore& value);
Json Encode(const MigrationSpec& value);
Json Encode(const MigrationFailure& value);
Json Encode(const MigrationStatus& value);
Json Encode(const Migration& value);

}  // namespace tenantdb::api::v1alpha1
