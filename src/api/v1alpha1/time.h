#pragma once

// Time as the Kubernetes API carries it: metav1.Time is an RFC 3339 date-time with whole seconds.
// Timestamp is therefore a seconds-precision system_clock time point, so a value survives a trip
// through JSON unchanged (a sub-second in-memory time would never compare equal to what is read
// back, and "status is written only when it changes" would write on every reconcile).

#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

using Timestamp = std::chrono::sys_seconds;

// Drops the sub-second part (rounds towards the past).
inline Timestamp ToTimestamp(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

// "2026-01-02T03:04:05Z" (always UTC, always 'Z', no fraction).
std::string FormatRfc3339(Timestamp t);

// Accepts RFC 3339 date-times: "2026-01-02T03:04:05Z", lower-case 't'/'z', an optional fraction
// (truncated) and a numeric offset ("+02:00"). Errors are kInvalid.
Expected<Timestamp> ParseRfc3339(std::string_view text);

// A Go duration restricted to ^([0-9]+(h|m|s))+$ (e.g. "720h", "1h30m"), as used by
// spec.passwordRotation.every. Errors are kInvalid.
Expected<std::chrono::seconds> ParseGoDuration(std::string_view text);

}  // namespace tenantdb::api::v1alpha1
