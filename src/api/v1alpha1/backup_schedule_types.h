#pragma once

// BackupSchedule (namespaced, short name dbbackup): scheduled pg_dump backups of one Database,
// run by a CronJob. See docs/api-reference.md.

#include <cstdint>
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

enum class BackupFormat { kCustom, kPlain, kDirectory };
template <>
struct EnumTraits<BackupFormat> {
  static constexpr std::array<std::pair<BackupFormat, std::string_view>, 3> kNames = {{
      {BackupFormat::kCustom, "custom"},
      {BackupFormat::kPlain, "plain"},
      {BackupFormat::kDirectory, "directory"},
  }};
};

enum class ConcurrencyPolicy { kForbid, kReplace };
template <>
struct EnumTraits<ConcurrencyPolicy> {
  static constexpr std::array<std::pair<ConcurrencyPolicy, std::string_view>, 2> kNames = {{
      {ConcurrencyPolicy::kForbid, "Forbid"},
      {ConcurrencyPolicy::kReplace, "Replace"},
  }};
};

inline constexpr bool kDefaultSuspend = false;
inline constexpr BackupFormat kDefaultBackupFormat = BackupFormat::kCustom;
inline constexpr std::int32_t kDefaultCompression = 6;
inline constexpr std::int32_t kDefaultKeepLast = 7;
inline constexpr ConcurrencyPolicy kDefaultConcurrencyPolicy = ConcurrencyPolicy::kForbid;
inline constexpr std::int64_t kDefaultStartingDeadlineSeconds = 300;

// spec.retention: how many dumps pruning keeps (a dump is kept when any rule keeps it).
struct BackupRetention {
  std::optional<std::int32_t> keep_last;  // default 7
  std::optional<std::int32_t> keep_daily;
  std::optional<std::int32_t> keep_weekly;
  std::optional<std::int32_t> keep_monthly;
  bool operator==(const BackupRetention&) const = default;
};

struct PersistentVolumeClaimReference {
  std::string claim_name;  // required
  bool operator==(const PersistentVolumeClaimReference&) const = default;
};

// spec.storage: where dumps go.
struct BackupStorage {
  PersistentVolumeClaimReference persistent_volume_claim;  // required
  bool operator==(const BackupStorage&) const = default;
};

struct BackupScheduleSpec {
  LocalObjectReference database_ref;                      // required
  std::string schedule;                                   // required, cron
  std::optional<std::string> time_zone;                   // IANA name
  std::optional<bool> suspend;                            // default false
  std::optional<BackupFormat> format;                     // default custom
  std::optional<std::int32_t> compression;                // default 6
  std::optional<BackupRetention> retention;               // default {keepLast: 7}
  std::optional<ConcurrencyPolicy> concurrency_policy;    // default Forbid
  std::optional<std::int64_t> starting_deadline_seconds;  // default 300
  BackupStorage storage;                                  // required
  bool operator==(const BackupScheduleSpec&) const = default;
};

// status.lastSuccessfulBackup.
struct BackupInfo {
  std::string name;
  Timestamp time{};
  std::int64_t size_bytes = 0;
  std::string sha256;
  bool operator==(const BackupInfo&) const = default;
};

struct BackupScheduleStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::optional<std::string> cron_job_name;
  std::optional<Timestamp> last_schedule_time;
  std::optional<Timestamp> next_schedule_time;
  std::optional<BackupInfo> last_successful_backup;
  bool operator==(const BackupScheduleStatus&) const = default;
};

struct BackupSchedule {
  static constexpr GroupVersionKind kGvk = kBackupScheduleGvk;
  ObjectMeta metadata;
  BackupScheduleSpec spec;
  BackupScheduleStatus status;
  bool operator==(const BackupSchedule&) const = default;
};

// Sets every static default of the reference that is unset, as the API server does on admission
// (an absent retention becomes {keepLast: 7}; a retention without keepLast gets keepLast 7).
void ApplyDefaults(BackupSchedule& schedule);

// The rules of the reference; an empty result means valid. Unset defaulted fields are valid.
std::vector<FieldError> Validate(const BackupSchedule& schedule);

Expected<void> Decode(const Json& j, const std::string& path, BackupRetention& out);
Expected<void> Decode(const Json& j, const std::string& path, PersistentVolumeClaimReference& out);
Expected<void> Decode(const Json& j, const std::string& path, BackupStorage& out);
Expected<void> Decode(const Json& j, const std::string& path, BackupScheduleSpec& out);
Expected<void> Decode(const Json& j, const std::string& path, BackupInfo& out);
Expected<void> Decode(const Json& j, const std::string& path, BackupScheduleStatus& out);
Expected<void> Decode(const Json& j, const std::string& path, BackupSchedule& out);
Json Encode(const BackupRetention& value);
Json Encode(const PersistentVolumeClaimReference& value);
Json Encode(const BackupStorage& value);
Json Encode(const BackupScheduleSpec& value);
Json Encode(const BackupInfo& value);
Json Encode(const BackupScheduleStatus& value);
Json Encode(const BackupSchedule& value);

}  // namespace tenantdb::api::v1alpha1
