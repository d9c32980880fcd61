#include "controllers/common/owner_credentials.h"

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

std::optional<Readiness> ObserveOwnerCredentials(const kube::TypedCache<v1::Database>& databases,
                                                 const kube::TypedCache<v1::DatabaseRole>& roles,
                                                 const OwnerCredentialsQuery& query,
                                                 std::string* secret) {
  const std::string db_ref = "Database " + query.ns + "/" + query.database;
  const std::string reason(v1::reason::kDependencyNotReady);
  const auto db = databases.Get(query.ns, query.database);
  if (!db) {
    return Readiness::InProgress(reason,
                                 db_ref + " (" + query.field + ") does not exist: create it.");
  }
  if (!v1::IsStatusConditionTrue(db->status.conditions, v1::kReady)) {
    return Readiness::InProgress(reason,
                                 db_ref + " is not Ready yet; " + query.purpose + " wait for it.");
  }
  bool any_owner = false;
  for (const auto& role : roles.ListInNamespace(query.ns)) {
    if (role->invalid || role->spec.database_ref.name != query.database ||
        role->spec.privileges.value_or(v1::kDefaultPrivileges) != v1::PrivilegePreset::kOwner) {
      continue;
    }
    any_owner = true;
    if (v1::IsStatusConditionTrue(role->status.conditions, v1::kReady) &&
        role->status.secret_name) {
      *secret = *role->status.secret_name;
      return std::nullopt;
    }
  }
  return Readiness::InProgress(
      reason, any_owner ? "The DatabaseRole with privileges: Owner of " + db_ref +
                              " is not Ready yet; " + query.purpose + " run with its credentials."
                        : "No DatabaseRole with privileges: Owner and databaseRef.name: " +
                              query.database + " in namespace " + query.ns + ": create one; " +
                              query.purpose + " run as the database owner with its credentials.");
}

}  // namespace tenantdb::controllers
