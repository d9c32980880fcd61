#pragma once

#include <string>

#include "api/v1alpha1/database_server_types.h"
#include "common/expected.h"
#include "kube/kube_api.h"
#include "sql/connection.h"

namespace tenantdb::controllers {

// How to log in to a DatabaseServer as its admin: reads spec.adminCredentialsSecretRef (and the
// CA of spec.sslRootCertSecretRef, written under `ca_dir` for libpq) with direct GETs — Secrets
// are never cached. Errors say which Secret or key is missing (reason SecretNotFound).
Expected<sql::ConnectionParams> ServerConnectionParams(kube::KubeApi& kube,
                                                       const api::v1alpha1::DatabaseServer& server,
                                                       const std::string& ca_dir);

// Writes the CA bundle of DatabaseServer `server` to <ca_dir>/<server>-ca.crt only when its
// content changed, atomically (temporary file + rename), and returns the path.
Expected<std::string> WriteCaFile(const std::string& ca_dir, const std::string& server,
                                  const std::string& pem);

// A key of a Secret object, base64-decoded. Errors name the Secret and the key.
Expected<std::string> SecretValue(const nlohmann::json& secret, const std::string& key);

}  // namespace tenantdb::controllers
