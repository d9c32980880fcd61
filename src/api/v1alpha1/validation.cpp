#include "api/v1alpha1/validation.h"

namespace tenantdb::api::v1alpha1 {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsDnsLabelChars(std::string_view label) {
  if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) {
    return false;
  }
  for (const char c : label) {
    if (!IsLowerAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

std::string Quoted(std::string_view value) { return "\"" + std::string(value) + "\""; }

}  // namespace

std::string FormatFieldErrors(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) {
    if (!out.empty()) {
      out += "; ";
    }
    out += e.path;
    out += ": ";
    out += e.message;
  }
  return out;
}

bool IsExtensionName(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierBytes) {
    return false;
  }
  if (!((name.front() >= 'a' && name.front() <= 'z') || name.front() == '_')) {
    return false;
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierBytes) {
    return false;
  }
  const char first = name.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) {
    return false;
  }
  for (const char c : name) {
    if (!IsLowerAlnum(c) && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsDnsLabel(std::string_view name) {
  return name.size() <= kMaxDnsLabelBytes && IsDnsLabelChars(name);
}

bool IsDnsSubdomain(std::string_view name) {
  if (name.empty() || name.size() > kMaxDnsSubdomainBytes) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsDnsLabelChars(label)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

bool IsSecretKey(std::string_view key) {
  return key.size() <= kMaxSecretKeyBytes &&
         MatchesCharset(key, "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
}

bool IsReservedDatabaseName(std::string_view name) {
  return name == "postgres" || name == "template0" || name == "template1";
}

bool IsReservedRoleName(std::string_view name) {
  return name.starts_with("pg_") || name == "public";
}

bool IsReservedSchemaName(std::string_view name) {
  return name.starts_with("pg_") || name == "information_schema";
}

bool MatchesCharset(std::string_view text, std::string_view allowed) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (allowed.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::size_t Utf8Length(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

void RequireNonEmpty(std::string_view value, const std::string& path,
                     std::vector<FieldError>& errors) {
  if (value.empty()) {
    errors.push_back({path, "required"});
  }
}

void ValidateIdentifier(std::string_view value, const std::string& path,
                        std::vector<FieldError>& errors) {
  if (value.empty()) {
    errors.push_back({path, "must not be empty"});
    return;
  }
  if (value.size() > kMaxIdentifierBytes) {
    errors.push_back({path, "must be at most 63 bytes (PostgreSQL's identifier limit), is " +
                                std::to_string(value.size())});
    return;
  }
  if (!IsIdentifier(value)) {
    errors.push_back({path, Quoted(value) + " must match " + std::string(kIdentifierPattern) +
                                " (lower-case letters, digits and underscores, not starting "
                                "with a digit)"});
  }
}

void ValidateDatabaseName(std::string_view value, const std::string& path,
                          std::vector<FieldError>& errors) {
  const std::size_t before = errors.size();
  ValidateIdentifier(value, path, errors);
  if (errors.size() == before && IsReservedDatabaseName(value)) {
    errors.push_back({path, Quoted(value) + " is a reserved database name"});
  }
}

void ValidateRoleName(std::string_view value, const std::string& path,
                      std::vector<FieldError>& errors) {
  const std::size_t before = errors.size();
  ValidateIdentifier(value, path, errors);
  if (errors.size() == before && IsReservedRoleName(value)) {
    errors.push_back(
        {path, Quoted(value) + " is a reserved role name (pg_* and public are reserved)"});
  }
}

void ValidateDnsLabel(std::string_view value, const std::string& path,
                      std::vector<FieldError>& errors) {
  if (!IsDnsLabel(value)) {
    errors.push_back({path, Quoted(value) +
                                " must be a DNS label: at most 63 lower-case letters, digits and "
                                "'-', starting and ending with a letter or digit"});
  }
}

void ValidateDnsSubdomain(std::string_view value, const std::string& path,
                          std::vector<FieldError>& errors) {
  if (!IsDnsSubdomain(value)) {
    errors.push_back({path, Quoted(value) +
                                " must be a DNS subdomain: at most 253 lower-case letters, digits, "
                                "'-' and '.', each part starting and ending with a letter or "
                                "digit"});
  }
}

void ValidateObjectName(std::string_view value, const std::string& path,
                        std::vector<FieldError>& errors) {
  if (value.empty()) {
    errors.push_back({path, "required"});
    return;
  }
  ValidateDnsSubdomain(value, path, errors);
}

void ValidateNamespaceName(std::string_view value, const std::string& path,
                           std::vector<FieldError>& errors) {
  if (value.empty()) {
    errors.push_back({path, "required"});
    return;
  }
  ValidateDnsLabel(value, path, errors);
}

void ValidateSecretKey(std::string_view value, const std::string& path,
                       std::vector<FieldError>& errors) {
  if (!IsSecretKey(value)) {
    errors.push_back({path, Quoted(value) + " must be a valid Secret key: 1-253 characters from "
                                            "[-._a-zA-Z0-9]"});
  }
}

void ValidateMaxLength(std::string_view value, std::size_t max, const std::string& path,
                       std::vector<FieldError>& errors) {
  if (Utf8Length(value) > max) {
    errors.push_back({path, "must be at most " + std::to_string(max) + " characters"});
  }
}

void ValidateMaxItems(std::size_t count, std::size_t max, const std::string& path,
                      std::vector<FieldError>& errors) {
  if (count > max) {
    errors.push_back({path, "must have at most " + std::to_string(max) + " items, has " +
                                std::to_string(count)});
  }
}

void ValidateRange(std::int64_t value, std::int64_t min, std::int64_t max, const std::string& path,
                   std::vector<FieldError>& errors) {
  if (value < min || value > max) {
    errors.push_back({path, "must be between " + std::to_string(min) + " and " +
                                std::to_string(max) + ", is " + std::to_string(value)});
  }
}

void ValidateMinimum(std::int64_t value, std::int64_t min, const std::string& path,
                     std::vector<FieldError>& errors) {
  if (value < min) {
    errors.push_back(
        {path, "must be at least " + std::to_string(min) + ", is " + std::to_string(value)});
  }
}

void ValidateCharset(std::string_view value, std::string_view allowed, std::string_view pattern,
                     const std::string& path, std::vector<FieldError>& errors) {
  if (!MatchesCharset(value, allowed)) {
    errors.push_back({path, Quoted(value) + " must match " + std::string(pattern)});
  }
}

void AddImmutableError(const std::string& path, std::vector<FieldError>& errors) {
  errors.push_back({path, "field is immutable: it may not be added, changed or removed"});
}

}  // namespace tenantdb::api::v1alpha1
