#pragma once

#include <optional>
#include <string>

#include "api/v1alpha1/database_server_types.h"
#include "common/error.h"

namespace tenantdb::controllers::server {

// What one visit to the server found out.
struct ServerObservation {
  std::optional<Error> error;  // set when the server could not be reached or logged into
  std::string server_version;  // e.g. "15.18"
  bool admin_is_superuser = false;
  std::string endpoint;  // host:port, for messages
  std::string admin_user;
  int databases = 0;  // Databases placed on this server
};

// Pure: the status the DatabaseServer should have after this visit.
api::v1alpha1::DatabaseServerStatus ComputeServerStatus(const api::v1alpha1::DatabaseServer& server,
                                                        const ServerObservation& observation,
                                                        api::v1alpha1::Timestamp now);

// The warning written when the admin role is a superuser (also sent as an Event).
std::string SuperuserWarning(const std::string& admin_user);

}  // namespace tenantdb::controllers::server
