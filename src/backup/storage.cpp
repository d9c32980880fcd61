#include "backup/storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "backup/backup.h"
#include "backup/naming.h"

namespace tenantdb::backup {

Error StorageError(const std::string& what, int errno_value) {
  std::string message = what + ": " + std::strerror(errno_value);
  if (errno_value == ENOSPC || errno_value == EDQUOT) {
    message += " (the backup volume is full: free space, or keep fewer backups)";
  } else if (errno_value == EROFS || errno_value == EACCES || errno_value == EPERM) {
    message += " (the backup directory is not writable by this user)";
  }
  return Error::Transient(std::move(message), kReasonStorageError);
}

Expected<void> SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return StorageError("opening " + dir, errno);
  }
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  // Some file systems (and read-only mounts) refuse fsync on a directory; the rename is done.
  if (rc != 0 && e != EINVAL && e != EROFS) {
    return StorageError("fsync " + dir, e);
  }
  return {};
}

Expected<void> WriteFileAtomically(const std::string& dir, const std::string& name,
                                   std::string_view content) {
  const std::string tmp = dir + "/" + PartialName(name);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    return StorageError("creating " + tmp, errno);
  }
  std::size_t done = 0;
  int e = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      e = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (e == 0 && ::fsync(fd) != 0) {
    e = errno;
  }
  if (::close(fd) != 0 && e == 0) {
    e = errno;
  }
  if (e == 0 && ::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) {
    e = errno;
  }
  if (e != 0) {
    ::unlink(tmp.c_str());
    return StorageError("writing " + dir + "/" + name, e);
  }
  return SyncDirectory(dir);
}

Expected<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return StorageError("reading " + path, errno);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0 || out.size() > (1U << 20)) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Expected<void> RemovePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) {
    return StorageError("removing " + path, ec.value());
  }
  return {};
}

}  // namespace tenantdb::backup
