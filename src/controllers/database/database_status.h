#pragma once

// The Database's status after one reconcile (STYLE.md R2, R14): pure.

#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/database_types.h"
#include "controllers/common/readiness.h"

namespace tenantdb::controllers::database {

// What one reconcile found out and did.
struct DatabaseReport {
  // Why the database is not Ready (DependencyNotReady, NamespaceNotAllowed, ConflictingResource,
  // DeletionProtected, InvalidSpec, an SQL or API error...); absent when it is.
  std::optional<Readiness> not_ready;
  std::optional<std::string> server;         // DatabaseServer name
  std::optional<std::string> database_name;  // set once the names are known
  std::optional<std::string> owner;
  std::vector<api::v1alpha1::DriftEntry> drift;    // driftPolicy Detect only
  std::vector<std::string> immutable_differences;  // encoding, locale: reported, never corrected
};

// Pure: Ready + kstatus Reconciling/Stalled (ApplyReadiness), observedGeneration, databaseName,
// owner, drift[]. Starts from database.status, so an unchanged reconcile gives an equal status
// (and lastTransitionTime moves only when a condition's status flips).
api::v1alpha1::DatabaseStatus ComputeDatabaseStatus(const api::v1alpha1::Database& database,
                                                    const DatabaseReport& report,
                                                    api::v1alpha1::Timestamp now);

// The Ready message of a reconciled database.
std::string ReadyMessage(const DatabaseReport& report);

}  // namespace tenantdb::controllers::database
