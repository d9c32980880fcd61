#pragma once

// The credentials a tenantdb Job runs with (migrations, backups): those of the Ready DatabaseRole
// with privileges: Owner of the referenced Database, by its status.secretName. Read from the
// typed caches only (the Observe step); what is missing is an observation, not an error.

#include <optional>
#include <string>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_types.h"
#include "controllers/common/readiness.h"
#include "kube/typed_cache.h"

namespace tenantdb::controllers {

struct OwnerCredentialsQuery {
  std::string ns;
  std::string database;  // the Database's metadata.name
  std::string field;     // the referencing field, for messages ("spec.databaseRef")
  std::string purpose;   // what runs with the credentials, for messages ("the backups")
};

// The Secret name of the Ready Owner role in `*secret`, or why the caller waits
// (DependencyNotReady, in progress): the Database missing or not Ready, no Owner role (the message
// says what to create), or none Ready yet.
std::optional<Readiness> ObserveOwnerCredentials(
    const kube::TypedCache<api::v1alpha1::Database>& databases,
    const kube::TypedCache<api::v1alpha1::DatabaseRole>& roles, const OwnerCredentialsQuery& query,
    std::string* secret);

}  // namespace tenantdb::controllers
