#pragma once

// DatabaseRole spec.secretTemplate: extra Secret keys whose values may use the placeholders
// {{ .username }}, {{ .password }}, {{ .host }}, {{ .port }}, {{ .dbname }}, {{ .sslmode }} and
// {{ .uri }} (spaces, not tabs, inside the braces optional). Plain substitution, no logic: anything
// else between {{ and }}, or a {{ without }}, is refused. Validation and expansion share one
// parser, so a template that validates always expands.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

inline constexpr std::array<std::string_view, 7> kSecretTemplatePlaceholders = {
    "username", "password", "host", "port", "dbname", "sslmode", "uri"};

// nullopt when `value` uses only known placeholders; otherwise a message naming the first
// offending placeholder, e.g. `unknown placeholder "{{ .foo }}" (allowed: {{ .username }}, ...)`.
std::optional<std::string> CheckSecretTemplateValue(std::string_view value);

// Substitutes the placeholders of `value` from `values` (keyed by placeholder name, e.g.
// "username"). Errors: kInvalid as CheckSecretTemplateValue; kInternal when `values` lacks a
// placeholder the template uses (a caller bug: it must supply all seven).
Expected<std::string> ExpandSecretTemplate(std::string_view value,
                                           const std::map<std::string, std::string>& values);

}  // namespace tenantdb::api::v1alpha1
