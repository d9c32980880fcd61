#include "api/v1alpha1/migration_types.h"

namespace tenantdb::api::v1alpha1 {
namespace {

constexpr std::string_view kPlaceholderKeyChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

// ^[0-9]+(\.[0-9]+)*$
bool IsVersion(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') {
    return false;
  }
  char previous = '.';
  for (const char c : text) {
    if (c == '.') {
      if (previous == '.') {
        return false;
      }
    } else if (c < '0' || c > '9') {
      return false;
    }
    previous = c;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ([0-9]+(\.[0-9]*)?|\.[0-9]+) at `pos`; advances `pos`.
bool ConsumeDecimal(std::string_view text, std::size_t& pos) {
  const std::size_t start = pos;
  while (pos < text.size() && IsDigit(text[pos])) {
    ++pos;
  }
  const bool integer_part = pos > start;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t fraction = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      ++pos;
    }
    return integer_part || pos > fraction;
  }
  return integer_part;
}

void ValidateQuantities(const std::map<std::string, Quantity>& quantities, const std::string& path,
                        std::vector<FieldError>& errors) {
  ValidateMaxItems(quantities.size(), 16, path, errors);
  for (const auto& [name, quantity] : quantities) {
    if (!IsQuantity(quantity.value)) {
      errors.push_back({KeyPath(path, name),
                        "\"" + quantity.value + "\" is not a quantity (e.g. 500m, 1, 256Mi, 1G)"});
    }
  }
}

}  // namespace

bool IsQuantity(std::string_view text) {
  std::size_t pos = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    ++pos;
  }
  if (!ConsumeDecimal(text, pos)) {
    return false;
  }
  const std::string_view suffix = text.substr(pos);
  if (suffix.empty()) {
    return true;
  }
  if (suffix.size() == 2 && suffix[1] == 'i' &&
      std::string_view("KMGTPE").find(suffix[0]) != std::string_view::npos) {
    return true;
  }
  if (suffix.size() == 1 &&
      std::string_view("numkMGTPE").find(suffix[0]) != std::string_view::npos) {
    return true;
  }
  if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::size_t exp = 1;
    if (exp < suffix.size() && (suffix[exp] == '+' || suffix[exp] == '-')) {
      ++exp;
    }
    return ConsumeDecimal(suffix, exp) && exp == suffix.size();
  }
  return false;
}

void ApplyDefaults(Migration& migration) {
  MigrationSpec& spec = migration.spec;
  if (!spec.table) {
    spec.table = std::string(kDefaultMigrationTable);
  }
  if (!spec.baseline_version) {
    spec.baseline_version = std::string(kDefaultBaselineVersion);
  }
  if (!spec.baseline_on_migrate) {
    spec.baseline_on_migrate = kDefaultBaselineOnMigrate;
  }
  if (!spec.out_of_order) {
    spec.out_of_order = kDefaultOutOfOrder;
  }
  if (!spec.validate_on_migrate) {
    spec.validate_on_migrate = kDefaultValidateOnMigrate;
  }
  if (!spec.backoff_limit) {
    spec.backoff_limit = kDefaultBackoffLimit;
  }
  if (!spec.active_deadline_seconds) {
    spec.active_deadline_seconds = kDefaultActiveDeadlineSeconds;
  }
}

std::vector<FieldError> Validate(const Migration& migration) {
  std::vector<FieldError> errors;
  const MigrationSpec& spec = migration.spec;
  ValidateObjectName(spec.database_ref.name, "spec.databaseRef.name", errors);
  ValidateObjectName(spec.source.config_map_ref.name, "spec.source.configMapRef.name", errors);
  if (spec.backup_before) {
    ValidateObjectName(spec.backup_before->backup_schedule_ref.name,
                       "spec.backupBefore.backupScheduleRef.name", errors);
  }
  if (spec.table) {
    ValidateIdentifier(*spec.table, "spec.table", errors);
  }
  if (spec.baseline_version) {
    if (!IsVersion(*spec.baseline_version)) {
      errors.push_back({"spec.baselineVersion",
                        "\"" + *spec.baseline_version + "\" must match ^[0-9]+(\\.[0-9]+)*$"});
    } else {
      ValidateMaxLength(*spec.baseline_version, 63, "spec.baselineVersion", errors);
    }
  }
  ValidateMaxItems(spec.placeholders.size(), 64, "spec.placeholders", errors);
  for (const auto& [key, value] : spec.placeholders) {
    const std::string path = KeyPath("spec.placeholders", key);
    if (!MatchesCharset(key, kPlaceholderKeyChars) || key.size() > 253) {
      errors.push_back({path, "key \"" + key + "\" must be 1-253 characters from [A-Za-z0-9_.-]"});
    }
    ValidateMaxLength(value, 4096, path, errors);
  }
  if (spec.service_account_name) {
    ValidateDnsSubdomain(*spec.service_account_name, "spec.serviceAccountName", errors);
  }
  if (spec.resources) {
    ValidateQuantities(spec.resources->limits, "spec.resources.limits", errors);
    ValidateQuantities(spec.resources->requests, "spec.resources.requests", errors);
  }
  ValidateMaxItems(spec.tolerations.size(), 32, "spec.tolerations", errors);
  for (std::size_t i = 0; i < spec.tolerations.size(); ++i) {
    const Toleration& t = spec.tolerations[i];
    const std::string path = IndexPath("spec.tolerations", i);
    const bool exists = t.op == TolerationOperator::kExists;
    if (t.key) {
      ValidateMaxLength(*t.key, 317, ChildPath(path, "key"), errors);
    }
    if (t.value) {
      ValidateMaxLength(*t.value, 63, ChildPath(path, "value"), errors);
    }
    if (exists && t.value && !t.value->empty()) {
      errors.push_back({ChildPath(path, "value"), "must be empty when operator is Exists"});
    }
    if ((!t.key || t.key->empty()) && !exists) {
      errors.push_back({ChildPath(path, "operator"), "must be Exists when key is empty"});
    }
  }
  if (spec.backoff_limit) {
    ValidateRange(*spec.backoff_limit, 0, 10, "spec.backoffLimit", errors);
  }
  if (spec.active_deadline_seconds) {
    ValidateMinimum(*spec.active_deadline_seconds, 1, "spec.activeDeadlineSeconds", errors);
  }
  return errors;
}

Expected<void> Decode(const Json& j, const std::string& path, MigrationSource& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "configMapRef", out.config_map_ref));
  return {};
}

Json Encode(const MigrationSource& value) {
  Json j = Json::object();
  EncodeField(j, "configMapRef", value.config_map_ref);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, ResourceRequirements& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "limits", out.limits));
  TENANTDB_TRY_VOID(DecodeField(j, path, "requests", out.requests));
  return {};
}

Json Encode(const ResourceRequirements& value) {
  Json j = Json::object();
  EncodeField(j, "limits", value.limits);
  EncodeField(j, "requests", value.requests);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, Toleration& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "key", out.key));
  TENANTDB_TRY_VOID(DecodeField(j, path, "operator", out.op));
  TENANTDB_TRY_VOID(DecodeField(j, path, "value", out.value));
  TENANTDB_TRY_VOID(DecodeField(j, path, "effect", out.effect));
  TENANTDB_TRY_VOID(DecodeField(j, path, "tolerationSeconds", out.toleration_seconds));
  return {};
}

Json Encode(const Toleration& value) {
  Json j = Json::object();
  EncodeField(j, "key", value.key);
  EncodeField(j, "operator", value.op);
  EncodeField(j, "value", value.value);
  EncodeField(j, "effect", value.effect);
  EncodeField(j, "tolerationSeconds", value.toleration_seconds);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, MigrationBackupBefore& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "backupScheduleRef", out.backup_schedule_ref));
  return {};
}

Json Encode(const MigrationBackupBefore& value) {
  Json j = Json::object();
  EncodeField(j, "backupScheduleRef", value.backup_schedule_ref);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, MigrationSpec& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "databaseRef", out.database_ref));
  TENANTDB_TRY_VOID(DecodeField(j, path, "source", out.source));
  TENANTDB_TRY_VOID(DecodeField(j, path, "table", out.table));
  TENANTDB_TRY_VOID(DecodeField(j, path, "baselineVersion", out.baseline_version));
  TENANTDB_TRY_VOID(DecodeField(j, path, "baselineOnMigrate", out.baseline_on_migrate));
  TENANTDB_TRY_VOID(DecodeField(j, path, "outOfOrder", out.out_of_order));
  TENANTDB_TRY_VOID(DecodeField(j, path, "validateOnMigrate", out.validate_on_migrate));
  TENANTDB_TRY_VOID(DecodeField(j, path, "placeholders", out.placeholders));
  TENANTDB_TRY_VOID(DecodeField(j, path, "serviceAccountName", out.service_account_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "resources", out.resources));
  TENANTDB_TRY_VOID(DecodeField(j, path, "tolerations", out.tolerations));
  TENANTDB_TRY_VOID(DecodeField(j, path, "backoffLimit", out.backoff_limit));
  TENANTDB_TRY_VOID(DecodeField(j, path, "activeDeadlineSeconds", out.active_deadline_seconds));
  TENANTDB_TRY_VOID(DecodeField(j, path, "backupBefore", out.backup_before));
  return {};
}

Json Encode(const MigrationSpec& value) {
  Json j = Json::object();
  EncodeField(j, "databaseRef", value.database_ref);
  EncodeField(j, "source", value.source);
  EncodeField(j, "table", value.table);
  EncodeField(j, "baselineVersion", value.baseline_version);
  EncodeField(j, "baselineOnMigrate", value.baseline_on_migrate);
  EncodeField(j, "outOfOrder", value.out_of_order);
  EncodeField(j, "validateOnMigrate", value.validate_on_migrate);
  EncodeField(j, "placeholders", value.placeholders);
  EncodeField(j, "serviceAccountName", value.service_account_name);
  EncodeField(j, "resources", value.resources);
  EncodeField(j, "tolerations", value.tolerations);
  EncodeField(j, "backoffLimit", value.backoff_limit);
  EncodeField(j, "activeDeadlineSeconds", value.active_deadline_seconds);
  EncodeField(j, "backupBefore", value.backup_before);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, MigrationFailure& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "file", out.file));
  TENANTDB_TRY_VOID(DecodeField(j, path, "message", out.message));
  return {};
}

Json Encode(const MigrationFailure& value) {
  Json j = Json::object();
  EncodeField(j, "file", value.file);
  EncodeField(j, "message", value.message);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, MigrationStatus& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "observedGeneration", out.observed_generation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "conditions", out.conditions));
  TENANTDB_TRY_VOID(DecodeField(j, path, "lastAppliedVersion", out.last_applied_version));
  TENANTDB_TRY_VOID(DecodeField(j, path, "pendingMigrations", out.pending_migrations));
  TENANTDB_TRY_VOID(DecodeField(j, path, "jobName", out.job_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "failure", out.failure));
  TENANTDB_TRY_VOID(DecodeField(j, path, "backupBeforeMigration", out.backup_before_migration));
  return {};
}

Json Encode(const MigrationStatus& value) {
  Json j = Json::object();
  EncodeFieldOmitEmpty(j, "observedGeneration", value.observed_generation);
  EncodeField(j, "conditions", value.conditions);
  EncodeField(j, "lastAppliedVersion", value.last_applied_version);
  EncodeField(j, "pendingMigrations", value.pending_migrations);
  EncodeField(j, "jobName", value.job_name);
  EncodeField(j, "failure", value.failure);
  EncodeField(j, "backupBeforeMigration", value.backup_before_migration);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, Migration& out) {
  return DecodeKubeObject(j, path, Migration::kGvk.kind, out);
}

Json Encode(const Migration& value) {
  return EncodeKubeObject(value, kApiVersion, Migration::kGvk.kind);
}

}  // namespace tenantdb::api::v1alpha1
