#pragma once

// What `tenantdb backup` prints: a line for people, or the JSON summary a Job's termination
// message carries (kept under 4096 bytes: Kubernetes cuts termination messages there).
//   {"success":true,"backup":{"name","time","sizeBytes","sha256","format"},"pruned":[...]}
//   {"success":false,"error":{"reason","message"}}

#include <cstddef>
#include <string>

#include "backup/backup.h"
#include "common/error.h"

namespace tenantdb::backup {

inline constexpr std::size_t kSummaryLimit = 4096;
inline constexpr std::size_t kMessageLimit = 1024;

// The pruned list is cut to fit ("prunedCount" always says how many were deleted).
std::string SuccessJson(const BackupResult& result);
// The message is cut to ~1 KiB (at a UTF-8 character boundary).
std::string FailureJson(const Error& error);
std::string SuccessText(const BackupResult& result);

// Exit codes of `tenantdb backup` and `tenantdb restore`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

}  // namespace tenantdb::backup
