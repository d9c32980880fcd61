#pragma once

// The Job that runs `tenantdb migrate` for a Migration, and what a finished Job tells (pure:
// no I/O). The Job is never edited: a different content hash means a new Job.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/migration_types.h"

namespace tenantdb::controllers::migration {

// Labels of every Job tenantdb creates for a Migration; the controller watches Jobs by the first.
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "tenantdb";
inline constexpr std::string_view kMigrationLabel = "tenantdb.io/migration";
inline constexpr std::string_view kContentHashAnnotation = "tenantdb.io/content-hash";
// Where the ConfigMap's files are mounted in the Job's container.
inline constexpr std::string_view kMigrationsMountPath = "/migrations";
// Where spec.backupBefore's BackupSchedule's claim is mounted.
inline constexpr std::string_view kBackupMountPath = "/backup";

// spec.backupBefore, resolved: the BackupSchedule's storage and dump settings.
struct BackupTarget {
  std::string claim_name;
  std::string format = "custom";
  std::int64_t compression = 6;
  api::v1alpha1::BackupRetention retention;
  bool operator==(const BackupTarget&) const = default;
};

struct JobInputs {
  // The files: the ConfigMap's data (file name -> content), as read this visit.
  std::map<std::string, std::string> files;
  // The Owner DatabaseRole's credentials Secret (keys PGHOST, PGPORT, PGUSER, PGPASSWORD,
  // PGDATABASE, PGSSLMODE): referenced by secretKeyRef, never copied.
  std::string credentials_secret;
  std::string image;                   // --job-image: the operator's own image
  std::optional<BackupTarget> backup;  // spec.backupBefore
};

// SHA-256 (hex) over everything that decides what the Job does: the files (names and contents),
// the spec's engine and Job options, the image and the credentials Secret's name.
std::string ContentHash(const api::v1alpha1::Migration& migration, const JobInputs& inputs);

// "<metadata.name, cut to 47 bytes>-<first 15 hex of the hash>": deterministic, a DNS label.
std::string JobName(std::string_view migration_name, std::string_view hash);

// The batch/v1 Job (owner reference to the Migration, tenantdb labels, the content-hash
// annotation): `tenantdb migrate migrate --output json --summary-file /dev/termination-log`, the
// ConfigMap mounted read-only, the credentials through secretKeyRef, backoffLimit and
// activeDeadlineSeconds from the spec, no ServiceAccount token, non-root, read-only root file
// system, no privilege escalation, terminationMessagePolicy FallbackToLogsOnError.
nlohmann::json DesiredJob(const api::v1alpha1::Migration& migration, const JobInputs& inputs,
                          const std::string& hash);

enum class JobPhase { kRunning, kSucceeded, kFailed };

// What tenantdb reads back from one of its Jobs.
struct ObservedJob {
  std::string name;
  std::string uid;                   // the Pods it runs name it in their ownerReference
  std::string content_hash;          // kContentHashAnnotation
  std::optional<std::string> owner;  // uid of its controller ownerReference
  JobPhase phase = JobPhase::kRunning;
  std::string
      failed_reason;  // the Failed condition's reason (BackoffLimitExceeded, DeadlineExceeded)
  std::string failed_message;
  std::string created;  // metadata.creationTimestamp, for ordering
};
ObservedJob ReadJob(const nlohmann::json& job);

// The engine's JSON summary (migrate/report.h) as the Job's pod left it in its termination
// message; std::nullopt when the message is not one (a crash before the engine ran: then the
// message is the log tail, FallbackToLogsOnError).
struct Summary {
  bool success = false;
  std::optional<std::string> last_applied_version;
  std::vector<std::string> pending;
  std::optional<api::v1alpha1::MigrationFailure> failure;
  std::optional<api::v1alpha1::BackupInfo> backup;  // taken before the first pending version
};
std::optional<Summary> ParseSummary(std::string_view termination_message);

}  // namespace tenantdb::controllers::migration
