#include "controllers/database/database_status.h"

namespace tenantdb::controllers::database {

namespace v1 = api::v1alpha1;

std::string ReadyMessage(const DatabaseReport& report) {
  std::string message = "Database \"" + report.database_name.value_or("") + "\" owned by \"" +
                        report.owner.value_or("") + "\" is in place on DatabaseServer \"" +
                        report.server.value_or("") + "\".";
  if (!report.drift.empty()) {
    message += " " + std::to_string(report.drift.size()) +
               (report.drift.size() == 1 ? " difference" : " differences") +
               " from the spec found and left alone (driftPolicy Detect): see status.drift.";
  }
  for (const auto& difference : report.immutable_differences) {
    message += " Note: " + difference + ".";
  }
  return message;
}

v1::DatabaseStatus ComputeDatabaseStatus(const v1::Database& database, const DatabaseReport& report,
                                         v1::Timestamp now) {
  v1::DatabaseStatus status = database.status;
  const std::int64_t generation = database.metadata.generation;
  status.observed_generation = generation;
  if (report.database_name) {
    status.database_name = report.database_name;
  }
  if (report.owner) {
    status.owner = report.owner;
  }
  if (report.not_ready) {
    // Drift found earlier stays until a reconcile that gets that far says otherwise.
    ApplyReadiness(status.conditions, generation, *report.not_ready, now);
    return status;
  }
  status.drift = report.drift;
  ApplyReadiness(status.conditions, generation,
                 Readiness::Ready(std::string(v1::reason::kReconciled), ReadyMessage(report)), now);
  return status;
}

}  // namespace tenantdb::controllers::database
