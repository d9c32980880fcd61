#include "controllers/migration/migration_job.h"

#include <utility>

#include "api/v1alpha1/object_refs.h"
#include "common/encoding.h"
#include "controllers/common/job_pods.h"

namespace tenantdb::controllers::migration {

namespace v1 = api::v1alpha1;
using nlohmann::json;

namespace {

// The engine's flags for the spec's Flyway options (defaults applied by the cache) and for
// spec.backupBefore (the BackupSchedule's dump settings, its claim at kBackupMountPath).
std::vector<std::string> EngineArgs(const v1::MigrationSpec& spec, const JobInputs& inputs) {
  std::vector<std::string> args = {
      "migrate",  "migrate", "--dir",          std::string(kMigrationsMountPath),
      "--output", "json",    "--summary-file", "/dev/termination-log"};
  args.insert(
      args.end(),
      {"--table", spec.table.value_or(std::string(v1::kDefaultMigrationTable)),
       "--baseline-version",
       spec.baseline_version.value_or(std::string(v1::kDefaultBaselineVersion)),
       "--validate-on-migrate",
       spec.validate_on_migrate.value_or(v1::kDefaultValidateOnMigrate) ? "true" : "false"});
  if (spec.baseline_on_migrate.value_or(v1::kDefaultBaselineOnMigrate)) {
    args.emplace_back("--baseline-on-migrate");
  }
  if (spec.out_of_order.value_or(v1::kDefaultOutOfOrder)) {
    args.emplace_back("--out-of-order");
  }
  for (const auto& [name, value] : spec.placeholders) {
    args.emplace_back("--placeholder");
    args.push_back(name + "=" + value);
  }
  if (inputs.backup) {
    const BackupTarget& b = *inputs.backup;
    args.insert(args.end(), {"--backup-dir", std::string(kBackupMountPath), "--backup-format",
                             b.format, "--backup-compression", std::to_string(b.compression)});
    auto keep = [&](const char* flag, const std::optional<std::int32_t>& n) {
      if (n) {
        args.insert(args.end(), {flag, std::to_string(*n)});
      }
    };
    keep("--backup-keep-last", b.retention.keep_last);
    keep("--backup-keep-daily", b.retention.keep_daily);
    keep("--backup-keep-weekly", b.retention.keep_weekly);
    keep("--backup-keep-monthly", b.retention.keep_monthly);
  }
  return args;
}

json CredentialsEnv(const std::string& secret) {
  json env = json::array();
  for (const char* key : {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE"}) {
    env.push_back(
        {{"name", key}, {"valueFrom", {{"secretKeyRef", {{"name", secret}, {"key", key}}}}}});
  }
  return env;
}

json Labels(const v1::Migration& migration) {
  return {{std::string(kManagedByLabel), std::string(kManagedByValue)},
          {std::string(kMigrationLabel), migration.metadata.name},
          {"app.kubernetes.io/component", "migration"}};
}

json Container(const v1::Migration& migration, const JobInputs& inputs) {
  json container = {{"name", "migrate"},
                    {"image", inputs.image},
                    {"command", json::array({"tenantdb"})},
                    {"args", EngineArgs(migration.spec, inputs)},
                    {"env", CredentialsEnv(inputs.credentials_secret)},
                    {"volumeMounts", json::array({{{"name", "migrations"},
                                                   {"mountPath", std::string(kMigrationsMountPath)},
                                                   {"readOnly", true}}})},
                    {"terminationMessagePolicy", "FallbackToLogsOnError"},
                    {"securityContext",
                     {{"allowPrivilegeEscalation", false},
                      {"readOnlyRootFilesystem", true},
                      {"runAsNonRoot", true},
                      {"capabilities", {{"drop", json::array({"ALL"})}}}}}};
  if (migration.spec.resources) {
    container["resources"] = v1::Encode(*migration.spec.resources);
  }
  if (inputs.backup) {
    container["volumeMounts"].push_back(
        {{"name", "backup"}, {"mountPath", std::string(kBackupMountPath)}});
  }
  return container;
}

}  // namespace

std::string ContentHash(const v1::Migration& migration, const JobInputs& inputs) {
  json tolerations = json::array();
  for (const auto& t : migration.spec.tolerations) {
    tolerations.push_back(v1::Encode(t));
  }
  json what = {
      {"files", inputs.files},
      {"args", EngineArgs(migration.spec, inputs)},
      {"serviceAccountName", migration.spec.service_account_name.value_or("")},
      {"resources", migration.spec.resources ? v1::Encode(*migration.spec.resources) : json()},
      {"tolerations", std::move(tolerations)},
      {"backoffLimit", migration.spec.backoff_limit.value_or(v1::kDefaultBackoffLimit)},
      {"activeDeadlineSeconds",
       migration.spec.active_deadline_seconds.value_or(v1::kDefaultActiveDeadlineSeconds)},
      {"image", inputs.image},
      {"credentialsSecret", inputs.credentials_secret}};
  if (inputs.backup) {  // only then: the hash of a Migration without backupBefore stays as it was
    what["backupClaim"] = inputs.backup->claim_name;
  }
  return Sha256Hex(what.dump());
}

std::string JobName(std::string_view migration_name, std::string_view hash) {
  std::string base(migration_name.substr(0, 47));
  while (!base.empty() && (base.back() == '-' || base.back() == '.')) {
    base.pop_back();  // a DNS label ends with an alphanumeric before the dash we add
  }
  return base + "-" + std::string(hash.substr(0, 15));
}

json DesiredJob(const v1::Migration& migration, const JobInputs& inputs, const std::string& hash) {
  json pod_spec = {{"restartPolicy", "Never"},
                   {"automountServiceAccountToken", false},
                   {"enableServiceLinks", false},
                   {"securityContext",
                    {{"runAsNonRoot", true},
                     {"runAsUser", 65532},
                     {"runAsGroup", 65532},
                     {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
                   {"containers", json::array({Container(migration, inputs)})},
                   {"volumes", json::array({{{"name", "migrations"},
                                             {"configMap",
                                              {{"name", migration.spec.source.config_map_ref.name},
                                               {"defaultMode", 0444}}}}})}};
  if (inputs.backup) {
    // fsGroup: the claim is writable by the non-root user on storage that honours it.
    pod_spec["securityContext"]["fsGroup"] = 65532;
    pod_spec["volumes"].push_back(
        {{"name", "backup"},
         {"persistentVolumeClaim", {{"claimName", inputs.backup->claim_name}}}});
  }
  if (migration.spec.service_account_name) {
    pod_spec["serviceAccountName"] = *migration.spec.service_account_name;
  }
  if (!migration.spec.tolerations.empty()) {
    pod_spec["tolerations"] = json::array();
    for (const auto& t : migration.spec.tolerations) {
      pod_spec["tolerations"].push_back(v1::Encode(t));
    }
  }
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", JobName(migration.metadata.name, hash)},
            {"namespace", migration.metadata.ns},
            {"labels", Labels(migration)},
            {"annotations", {{std::string(kContentHashAnnotation), hash}}},
            {"ownerReferences", json::array({v1::Encode(v1::ControllerReferenceTo(migration))})}}},
          {"spec",
           {{"backoffLimit", migration.spec.backoff_limit.value_or(v1::kDefaultBackoffLimit)},
            {"activeDeadlineSeconds",
             migration.spec.active_deadline_seconds.value_or(v1::kDefaultActiveDeadlineSeconds)},
            {"template",
             {{"metadata", {{"labels", Labels(migration)}}}, {"spec", std::move(pod_spec)}}}}}};
}

ObservedJob ReadJob(const json& job) {
  ObservedJob out;
  const json metadata = job.value("metadata", json::object());
  out.name = metadata.value("name", "");
  out.uid = metadata.value("uid", "");
  out.created = metadata.value("creationTimestamp", "");
  const json annotations = metadata.value("annotations", json::object());
  if (const auto it = annotations.find(kContentHashAnnotation);
      it != annotations.end() && it->is_string()) {
    out.content_hash = it->get<std::string>();
  }
  for (const auto& ref : metadata.value("ownerReferences", json::array())) {
    if (ref.value("controller", false) && ref.value("kind", "") == "Migration") {
      out.owner = ref.value("uid", "");
    }
  }
  for (const auto& c : job.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("status", "") != "True") {
      continue;
    }
    const std::string type = c.value("type", "");
    if (type == "Complete") {
      out.phase = JobPhase::kSucceeded;
    } else if (type == "Failed") {
      out.phase = JobPhase::kFailed;
      out.failed_reason = c.value("reason", "");
      out.failed_message = c.value("message", "");
    }
  }
  return out;
}

std::optional<Summary> ParseSummary(std::string_view termination_message) {
  const json j = json::parse(termination_message, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("success") || !j["success"].is_boolean()) {
    return std::nullopt;
  }
  Summary s;
  s.success = j["success"].get<bool>();
  if (const auto it = j.find("lastAppliedVersion"); it != j.end() && it->is_string()) {
    s.last_applied_version = it->get<std::string>();
  }
  for (const auto& p : j.value("pending", json::array())) {
    if (p.is_string()) {
      s.pending.push_back(p.get<std::string>());
    }
  }
  s.backup = ReadBackupInfo(j);
  if (const auto it = j.find("failure"); it != j.end() && it->is_object()) {
    s.failure =
        v1::MigrationFailure{.file = it->value("file", ""), .message = it->value("message", "")};
    if (const std::string state = it->value("sqlstate", ""); !state.empty()) {
      s.failure->message += " (SQLSTATE " + state + ")";
    }
  }
  return s;
}

}  // namespace tenantdb::controllers::migration
