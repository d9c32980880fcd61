#pragma once

// Field validation shared by the API types: the rules of docs/api-reference.md ("Common shapes")
// that both the CRDs (OpenAPI + CEL) and the C++ side implement.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tenantdb::api::v1alpha1 {

// One violated rule. `path` is the JSON path of the offending field, e.g.
// "spec.grants[1].privileges[0]" or "spec.secretTemplate[DSN]".
struct FieldError {
  std::string path;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

// "spec.port: must be between 1 and 65535; spec.host: required" — for a condition message.
std::string FormatFieldErrors(const std::vector<FieldError>& errors);

inline constexpr std::size_t kMaxIdentifierBytes = 63;
inline constexpr std::string_view kIdentifierPattern = "^[a-z_][a-z0-9_]*$";
inline constexpr std::size_t kMaxDnsLabelBytes = 63;
inline constexpr std::size_t kMaxDnsSubdomainBytes = 253;
inline constexpr std::size_t kMaxSecretKeyBytes = 253;

// PostgreSQL identifier as tenantdb accepts it: ^[a-z_][a-z0-9_]*$, 1-63 bytes.
bool IsIdentifier(std::string_view name);
// Extension name as tenantdb accepts it: ^[a-z_][a-z0-9_-]*$ (uuid-ossp), 1-63 bytes.
inline constexpr std::string_view kExtensionNamePattern = "^[a-z_][a-z0-9_-]*$";
bool IsExtensionName(std::string_view name);
// RFC 1123 label (namespace names): ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$, at most 63 bytes.
bool IsDnsLabel(std::string_view name);
// RFC 1123 subdomain (object names): dot-separated labels, at most 253 bytes.
bool IsDnsSubdomain(std::string_view name);
// Secret (and ConfigMap) data key: ^[-._a-zA-Z0-9]+$, at most 253 bytes.
bool IsSecretKey(std::string_view key);
// Databases postgres, template0, template1.
bool IsReservedDatabaseName(std::string_view name);
// Roles starting with pg_, and public.
bool IsReservedRoleName(std::string_view name);
// Schemas starting with pg_, and information_schema.
bool IsReservedSchemaName(std::string_view name);
// True when every byte of `text` is in `allowed` (and text is not empty): a ^[set]+$ pattern.
bool MatchesCharset(std::string_view text, std::string_view allowed);
// Number of Unicode code points in UTF-8 text (what OpenAPI maxLength counts).
std::size_t Utf8Length(std::string_view text);

// Appenders: each adds at most one FieldError for `path`.
void RequireNonEmpty(std::string_view value, const std::string& path,
                     std::vector<FieldError>& errors);
void ValidateIdentifier(std::string_view value, const std::string& path,
                        std::vector<FieldError>& errors);
void ValidateDatabaseName(std::string_view value, const std::string& path,
                          std::vector<FieldError>& errors);
void ValidateRoleName(std::string_view value, const std::string& path,
                      std::vector<FieldError>& errors);
void ValidateDnsLabel(std::string_view value, const std::string& path,
                      std::vector<FieldError>& errors);
void ValidateDnsSubdomain(std::string_view value, const std::string& path,
                          std::vector<FieldError>& errors);
// Object and namespace references: required, and a DNS subdomain / label.
void ValidateObjectName(std::string_view value, const std::string& path,
                        std::vector<FieldError>& errors);
void ValidateNamespaceName(std::string_view value, const std::string& path,
                           std::vector<FieldError>& errors);
void ValidateSecretKey(std::string_view value, const std::string& path,
                       std::vector<FieldError>& errors);
// OpenAPI maxLength (counted in characters), maxItems and maxProperties.
void ValidateMaxLength(std::string_view value, std::size_t max, const std::string& path,
                       std::vector<FieldError>& errors);
void ValidateMaxItems(std::size_t count, std::size_t max, const std::string& path,
                      std::vector<FieldError>& errors);
void ValidateRange(std::int64_t value, std::int64_t min, std::int64_t max, const std::string& path,
                   std::vector<FieldError>& errors);
void ValidateMinimum(std::int64_t value, std::int64_t min, const std::string& path,
                     std::vector<FieldError>& errors);
// ^[set]+$ with the pattern spelled out in the message.
void ValidateCharset(std::string_view value, std::string_view allowed, std::string_view pattern,
                     const std::string& path, std::vector<FieldError>& errors);
void AddImmutableError(const std::string& path, std::vector<FieldError>& errors);

}  // namespace tenantdb::api::v1alpha1
