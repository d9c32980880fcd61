#pragma once

#include <string>

#include "migrate/engine.h"

namespace tenantdb::migrate {

// The result for a person: what was applied, what is pending, what failed and why.
std::string HumanReport(const Result& result);

// The JSON summary for the Migration controller (read from the Job's termination message, which
// Kubernetes caps at 4096 bytes): one line, always under kMaxSummaryBytes; long lists are cut
// (with their full counts) and long messages shortened.
//   {"command":"migrate","success":false,"schema":"public","table":"\"public\".\"flyway_schema_history\"",
//    "applied":["3","4"],"appliedCount":2,"lastAppliedVersion":"4","pending":["5"],"pendingCount":1,
//    "failure":{"file":"V5__x.sql","message":"...","sqlstate":"42P01","line":3}}
inline constexpr std::size_t kMaxSummaryBytes = 4000;
std::string JsonSummary(const Result& result);

}  // namespace tenantdb::migrate
