#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/database_server_types.h"
#include "common/error.h"

namespace tenantdb::controllers::server {

// What one visit to the server learned (the Observe step; the one name for it, as
// ObservedDatabaseState and ObservedRoleState are for the other kinds).
struct ObservedServerState {
  std::optional<Error> error;  // set when the server could not be reached or logged into
  std::string server_version;  // e.g. "15.18"
  bool admin_is_superuser = false;
  std::string endpoint;  // host:port, for messages
  std::string admin_user;
  int databases = 0;  // Databases placed on this server
};

// Pure: a failed login as the status tells it, with what to check (the admin Secret's password,
// or the address and the server itself). Other errors are returned unchanged.
Error ExplainConnectError(const api::v1alpha1::DatabaseServer& server,
                          const ObservedServerState& observed, Error error);

// Pure: the status the DatabaseServer should have after this visit.
api::v1alpha1::DatabaseServerStatus ComputeServerStatus(const api::v1alpha1::DatabaseServer& server,
                                                        const ObservedServerState& observation,
                                                        api::v1alpha1::Timestamp now);

// The warning written when the admin role is a superuser (also sent as an Event).
std::string SuperuserWarning(const std::string& admin_user);

// Pure: whether the superuser Warning Event goes with this visit's report: Ready turned True
// (the Event of that transition goes first) and the admin is a superuser.
bool WarnsSuperuser(const std::vector<api::v1alpha1::Condition>& before,
                    const std::vector<api::v1alpha1::Condition>& after,
                    const ObservedServerState& observed);

}  // namespace tenantdb::controllers::server
