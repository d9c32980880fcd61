#pragma once

// File operations of a backup directory with their errors worded for the operator (reason
// StorageError): a missing or read-only directory, a full disk.

#include <string>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::backup {

Error StorageError(const std::string& what, int errno_value);

// Writes `content` to `dir/.<name>.partial`, fsyncs it, renames it to `dir/<name>` and fsyncs
// the directory; nothing stays under either name on failure.
Expected<void> WriteFileAtomically(const std::string& dir, const std::string& name,
                                   std::string_view content);
Expected<void> SyncDirectory(const std::string& dir);
Expected<std::string> ReadSmallFile(const std::string& path);  // a manifest (< 1 MiB)
// Removes a file or a folder tree; a missing one is not an error.
Expected<void> RemovePath(const std::string& path);

}  // namespace tenantdb::backup
