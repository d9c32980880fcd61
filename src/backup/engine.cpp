#include "backup/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "app/version.h"
#include "backup/catalog.h"
#include "backup/checksum.h"
#include "backup/manifest.h"
#include "backup/process.h"
#include "backup/retention.h"
#include "backup/storage.h"
#include "backup/tools.h"

namespace tenantdb::backup {

namespace {

namespace fs = std::filesystem;

constexpr const char* kLockFile = ".tenantdb-backup.lock";

class DirLock {
 public:
  ~DirLock() {
    if (fd_ >= 0) {
      ::close(fd_);  // releases the flock
    }
  }
  Expected<void> Acquire(const std::string& dir) {
    const std::string path = dir + "/" + kLockFile;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      return StorageError("cannot write into the backup directory " + dir, errno);
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Error::Conflict("another tenantdb backup is running in " + dir,
                               kReasonAlreadyRunning);
      }
      return StorageError("locking " + path, errno);
    }
    return {};
  }

 private:
  int fd_ = -1;
};

Expected<void> CheckOptions(const BackupOptions& o, const std::string& database) {
  if (o.dir.empty()) {
    return Error::Invalid("--dir is required", kReasonInvalidOptions);
  }
  if (o.compression < 0 || o.compression > 9) {
    return Error::Invalid("compression must be 0-9", kReasonInvalidOptions);
  }
  if (database.empty()) {
    return Error::Invalid("no database: set PGDATABASE", kReasonInvalidOptions);
  }
  for (const auto& keep : {o.retention.keep_last, o.retention.keep_daily, o.retention.keep_weekly,
                           o.retention.keep_monthly}) {
    if (keep && *keep < 0) {
      return Error::Invalid("a retention count must be >= 0", kReasonInvalidOptions);
    }
  }
  struct stat st {};
  if (::stat(o.dir.c_str(), &st) != 0) {
    return StorageError("backup directory " + o.dir, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error::Transient("backup directory " + o.dir + " is not a directory",
                            kReasonStorageError);
  }
  return {};
}

void RemoveLeftovers(const std::string& dir, const std::string& database) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto inner = LeftoverOf(it->path().filename().string());
    if (inner && ParseBackupName(*inner)->database == FileSafe(database)) {
      RemovePath(it->path().string()).IgnoreError();
    }
  }
}

std::vector<std::string> DumpArgs(const Tool& pg_dump, const BackupOptions& o,
                                  const std::string& database) {
  // No ownership and no GRANTs restored (plain output leaves them out here; pg_restore skips
  // them in archives, restore.cpp): in a tenantdb database every object belongs to the
  // Database's owner role and the DatabaseRoles' default privileges grant the rest, so a dump
  // restored by an Owner login (into the same database or a new one) gets the right owner and
  // grants, where `ALTER ... OWNER TO <the old owner>` would fail in another database.
  std::vector<std::string> args{pg_dump.path, "--no-password", "--no-owner", "--no-privileges",
                                "--format=" + FormatName(o.format)};
  // Plain output is gzip'ed by pg_dump itself when a level is given; 0 writes it as is.
  if (o.format != Format::kPlain || o.compression > 0) {
    args.push_back("--compress=" + std::to_string(o.compression));
  }
  args.push_back("--dbname=" + DbnameConninfo(database));
  return args;
}

// custom and plain: pg_dump's stdout through a SHA-256 into the partial file.
Expected<Digest> DumpToFile(const std::vector<std::string>& args, const std::string& partial) {
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    return StorageError("creating " + partial, errno);
  }
  Sha256 sha;
  Digest digest;
  auto sink = [&](const char* data, std::size_t size) -> Expected<void> {
    sha.Update(data, size);
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd, data + done, size - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return StorageError("writing " + partial, errno);
      }
      done += static_cast<std::size_t>(n);
    }
    digest.size_bytes += static_cast<std::int64_t>(size);
    return {};
  };
  auto ran = Run(Command{.argv = args, .stdin_fd = -1, .stdout_sink = sink});
  int sync_errno = 0;
  if (ran && ran->Succeeded() && ::fsync(fd) != 0) {
    sync_errno = errno;
  }
  if (::close(fd) != 0 && sync_errno == 0 && ran && ran->Succeeded()) {
    sync_errno = errno;
  }
  if (!ran) {
    return ran.error();
  }
  if (!ran->Succeeded()) {
    return Error::Transient("pg_dump failed (" + ran->Describe() + ")", kReasonPgDumpFailed);
  }
  if (sync_errno != 0) {
    return StorageError("fsync " + partial, sync_errno);
  }
  digest.sha256 = sha.HexDigest();
  return digest;
}

// directory: pg_dump writes the folder (and fsyncs it); the digest is over its listing.
Expected<Digest> DumpToDirectory(std::vector<std::string> args, const std::string& partial) {
  args.push_back("--file=" + partial);
  TENANTDB_TRY(ChildResult r, Run(Command{.argv = args, .stdin_fd = -1, .stdout_sink = {}}));
  if (!r.Succeeded()) {
    // pg_dump names the folder it could not create: keep that as a storage error.
    const bool storage = r.stderr_text.find("could not create directory") != std::string::npos ||
                         r.stderr_text.find("could not open output file") != std::string::npos ||
                         r.stderr_text.find("No space left") != std::string::npos;
    return Error::Transient("pg_dump failed (" + r.Describe() + ")",
                            storage ? kReasonStorageError : kReasonPgDumpFailed);
  }
  return DirectoryDigest(partial);
}

std::vector<std::string> Prune(const std::string& dir, const std::string& database,
                               const std::string& newest, const Retention& retention) {
  auto stored = ListBackups(dir);
  if (!stored || retention.Empty()) {
    return {};
  }
  std::vector<Dated> dated;
  std::vector<std::string> orphans;  // manifests of ours whose dump is gone
  for (const StoredBackup& b : *stored) {
    if (b.manifest.database == database && b.present) {
      dated.push_back(Dated{.name = b.name, .time = b.time});
    } else if (b.manifest.database == database) {
      orphans.push_back(b.name);
    }
  }
  std::vector<std::string> pruned;
  // A dump removed by hand, or a manifest whose removal failed after its dump's: the manifest
  // alone restores nothing and takes no keep slot; it goes now.
  for (const std::string& name : orphans) {
    RemovePath(dir + "/" + ManifestName(name)).IgnoreError();
  }
  for (const std::string& name : SelectPruned(dated, retention)) {
    if (name == newest) {
      continue;  // the backup just taken stays, whatever times the others carry
    }
    // The dump first: a manifest left without its dump is still ours and goes next time.
    if (RemovePath(dir + "/" + name) && RemovePath(dir + "/" + ManifestName(name))) {
      pruned.push_back(name);
    }
  }
  SyncDirectory(dir).IgnoreError();
  return pruned;
}

}  // namespace

std::string FormatName(Format format) {
  switch (format) {
    case Format::kCustom:
      return "custom";
    case Format::kPlain:
      return "plain";
    case Format::kDirectory:
      return "directory";
  }
  return "custom";
}

std::optional<Format> ParseFormat(const std::string& text) {
  if (text == "custom") {
    return Format::kCustom;
  }
  if (text == "plain") {
    return Format::kPlain;
  }
  if (text == "directory") {
    return Format::kDirectory;
  }
  return std::nullopt;
}

Expected<BackupResult> RunBackupWith(const BackupOptions& o, Server& server, Seconds now) {
  std::string database = o.database;
  if (database.empty()) {
    if (const char* env = std::getenv("PGDATABASE"); env != nullptr) {
      database = env;
    }
  }
  TENANTDB_TRY_VOID(CheckOptions(o, database));
  DirLock lock;
  TENANTDB_TRY_VOID(lock.Acquire(o.dir));
  RemoveLeftovers(o.dir, database);

  TENANTDB_TRY(Tool pg_dump, FindTool("pg_dump", o.pg_dump));
  auto version_num = server.VersionNum(database);
  if (!version_num) {
    return version_num.error();
  }
  const ToolVersion server_version = FromVersionNum(*version_num);
  if (pg_dump.version.major < server_version.major) {
    return Error::Invalid("pg_dump " + pg_dump.version.Text() + " (" + pg_dump.path +
                              ") cannot dump PostgreSQL " + server_version.Text() + ": pg_dump " +
                              std::to_string(server_version.major) +
                              " or newer is needed (--pg-dump PATH, or install "
                              "postgresql-client-" +
                              std::to_string(server_version.major) + ")",
                          kReasonVersionMismatch);
  }

  const std::string name = BackupName(database, now, o.format, o.compression);
  const std::string final_path = o.dir + "/" + name;
  std::error_code ec;
  if (fs::exists(final_path, ec) || fs::exists(o.dir + "/" + ManifestName(name), ec)) {
    return Error::Conflict(final_path + " already exists (one backup per second and format)",
                           kReasonStorageError);
  }
  const std::string partial = o.dir + "/" + PartialName(name);
  const auto args = DumpArgs(pg_dump, o, database);
  auto digest =
      o.format == Format::kDirectory ? DumpToDirectory(args, partial) : DumpToFile(args, partial);
  if (!digest) {
    RemovePath(partial).IgnoreError();
    return digest.error();
  }
  if (::rename(partial.c_str(), final_path.c_str()) != 0) {
    const int e = errno;
    RemovePath(partial).IgnoreError();
    return StorageError("renaming " + partial + " to " + name, e);
  }
  const Manifest manifest{.database = database,
                          .time = Rfc3339(now),
                          .format = FormatName(o.format),
                          .compression = o.compression,
                          .size_bytes = digest->size_bytes,
                          .sha256 = digest->sha256,
                          .pg_dump_version = pg_dump.version.Text(),
                          .server_version = server_version.Text(),
                          .tenantdb_version = app::kVersion,
                          .reason = o.reason};
  if (auto written = WriteFileAtomically(o.dir, ManifestName(name), ToJson(manifest)); !written) {
    // Without its manifest the dump is not a backup (and retention would never remove it).
    RemovePath(final_path).IgnoreError();
    SyncDirectory(o.dir).IgnoreError();
    return written.error();
  }
  BackupResult result{.name = name,
                      .time = manifest.time,
                      .size_bytes = manifest.size_bytes,
                      .sha256 = manifest.sha256,
                      .format = manifest.format,
                      .pruned = {}};
  result.pruned = Prune(o.dir, database, name, o.retention);
  return result;
}

}  // namespace tenantdb::backup
