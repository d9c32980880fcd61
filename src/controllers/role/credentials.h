#pragma once

// The credentials Secret of a DatabaseRole (pure): its data from {username, password, host,
// port, dbname, sslmode} and spec.secretTemplate, the object tenantdb applies (server-side apply,
// fieldManager tenantdb), and the checks around it (ownership, "would applying change
// anything?"). Values that go into a URL are percent-encoded (RFC 3986: only unreserved
// characters kept), so any password works with every client.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.h"  // Base64Encode, Sha256Hex
#include "common/expected.h"

namespace tenantdb::controllers::role {

// Annotations tenantdb keeps on the credentials Secret.
inline constexpr std::string_view kPasswordSha256Annotation = "tenantdb.io/password-sha256";
inline constexpr std::string_view kPasswordChangedAtAnnotation = "tenantdb.io/password-changed-at";
inline constexpr std::string_view kManagedMembershipsAnnotation = "tenantdb.io/managed-memberships";
// The login role the Secret names (the role itself with InPlace, <role>_a or <role>_b with
// AlternatingUsers), and the former logins kept enabled until their sessions end (comma-separated;
// absent when none). Written with the password, so they always describe the Secret's content.
inline constexpr std::string_view kActiveLoginAnnotation = "tenantdb.io/active-login";
inline constexpr std::string_view kRetiringLoginAnnotation = "tenantdb.io/retiring-login";
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "tenantdb";
inline constexpr std::string_view kCredentialsSecretType = "kubernetes.io/basic-auth";

struct ConnectionValues {
  std::string username;
  std::string password;
  std::string host;
  std::int32_t port = 5432;
  std::string dbname;
  std::string sslmode;
};

// RFC 3986 percent-encoding: every byte but ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX.
std::string PercentEncode(std::string_view value);
// A .pgpass field: ':' and '\' escaped with a backslash.
std::string PgpassEscape(std::string_view value);

// The standard keys (DESIGN.md; the first eight are CloudNativePG's): username, password, host,
// port, dbname, sslmode, uri, jdbc-uri, pgpass, DATABASE_URL, PGHOST, PGPORT, PGUSER, PGPASSWORD,
// PGDATABASE, PGSSLMODE, SPRING_DATASOURCE_URL, SPRING_DATASOURCE_USERNAME,
// SPRING_DATASOURCE_PASSWORD.
std::map<std::string, std::string> StandardCredentials(const ConnectionValues& values);

// The standard keys plus spec.secretTemplate's, expanded with ExpandSecretTemplate ({{ .uri }} is
// the `uri` key). kInvalid (InvalidSpec) naming the key for an unknown placeholder, or for a
// template key that would replace a standard key.
Expected<std::map<std::string, std::string>> CredentialsData(
    const ConnectionValues& values, const std::map<std::string, std::string>& secret_template);

// The type of Secrets that hold a ServiceAccount's API token: never read as a password.
inline constexpr std::string_view kServiceAccountTokenType = "kubernetes.io/service-account-token";

// Who holds the Secret of that name.
enum class SecretOwnership { kAbsent, kOurs, kForeign };
// kOurs when it has an ownerReference with controller: true to the DatabaseRole of `role_uid`.
SecretOwnership ClassifySecret(const std::optional<nlohmann::json>& secret,
                               const std::string& role_uid);

// The Secret tenantdb applies: type kubernetes.io/basic-auth, label managed-by=tenantdb,
// `annotations`, ownerReference to the DatabaseRole `role` (controller, blockOwnerDeletion),
// `data` base64-encoded.
nlohmann::json DesiredCredentialsSecret(const nlohmann::json& role, const std::string& name,
                                        const std::map<std::string, std::string>& data,
                                        const std::map<std::string, std::string>& annotations);

// True when applying `desired` would change nothing in `existing`: same type, data, and the
// labels, annotations and owner references `desired` sets are present with the same values, and
// no tenantdb annotation (the k*Annotation keys above) that `desired` leaves out is still there
// (server-side apply removes it).
bool SecretUpToDate(const nlohmann::json& existing, const nlohmann::json& desired);

// An annotation's value, or std::nullopt.
std::optional<std::string> Annotation(const nlohmann::json& object, std::string_view key);

// Comma-separated role names <-> set (the managed-memberships annotation).
std::string JoinNames(const std::vector<std::string>& names);
std::set<std::string> SplitNames(std::string_view text);

}  // namespace tenantdb::controllers::role
