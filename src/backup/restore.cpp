#include "backup/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "backup/backup.h"
#include "backup/checksum.h"
#include "backup/process.h"
#include "backup/storage.h"
#include "backup/tools.h"

namespace tenantdb::backup {

namespace {

Expected<Tool> RestoreTool(const char* name, const std::string& path, const StoredBackup& b) {
  TENANTDB_TRY(Tool tool, FindTool(name, path));
  const auto written_by = ParseToolVersion("(PostgreSQL) " + b.manifest.pg_dump_version);
  // pg_restore reads archives of its own major and older only.
  if (std::string(name) == "pg_restore" && written_by && tool.version.major < written_by->major) {
    return Error::Invalid(b.name + " was written by pg_dump " + b.manifest.pg_dump_version +
                              "; pg_restore " + tool.version.Text() + " (" + tool.path +
                              ") cannot read it: pg_restore " + std::to_string(written_by->major) +
                              " or newer is needed (--pg-restore PATH)",
                          kReasonVersionMismatch);
  }
  return tool;
}

Error Failed(const std::string& what, const ChildResult& r) {
  return Error::Transient(what + " failed (" + r.Describe() + ")", kReasonRestoreFailed);
}

Expected<void> RestorePlain(const RestoreOptions& o, const StoredBackup& b, const Tool& psql) {
  const std::string path = o.dir + "/" + b.name;
  const std::vector<std::string> args{psql.path,
                                      "--no-password",
                                      "--no-psqlrc",
                                      "--quiet",
                                      "--set=ON_ERROR_STOP=1",
                                      "--single-transaction",
                                      "--dbname=" + DbnameConninfo(o.target_database),
                                      "--file=-"};
  if (b.manifest.compression == 0) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return StorageError("opening " + path, errno);
    }
    auto r = Run(Command{.argv = args, .stdin_fd = fd, .stdout_sink = {}});
    ::close(fd);
    TENANTDB_TRY(ChildResult done, std::move(r));
    return done.Succeeded() ? Expected<void>{} : Expected<void>{Failed("psql", done)};
  }
  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return StorageError("pipe", errno);
  }
  int gzip_err = -1;
  auto gzip = Spawn({"gzip", "-dc", "--", path}, -1, pipe_fds[1], gzip_err);
  ::close(pipe_fds[1]);
  if (!gzip) {
    ::close(pipe_fds[0]);
    return gzip.error();
  }
  auto r = Run(Command{.argv = args, .stdin_fd = pipe_fds[0], .stdout_sink = {}});
  ::close(pipe_fds[0]);
  const ChildResult unzipped = Wait(*gzip, gzip_err);
  TENANTDB_TRY(ChildResult done, std::move(r));
  if (!unzipped.Succeeded()) {
    return Failed("gzip -dc " + b.name, unzipped);
  }
  return done.Succeeded() ? Expected<void>{} : Expected<void>{Failed("psql", done)};
}

Expected<void> RestoreArchive(const RestoreOptions& o, const StoredBackup& b, const Tool& tool) {
  // An archive records owners and GRANTs whatever pg_dump was told (--no-owner and
  // --no-privileges shape plain output only): skip them here, so the objects belong to the
  // restoring login's owner role, as in a plain dump (engine.cpp's DumpArgs says why).
  std::vector<std::string> args{tool.path,         "--no-password",
                                "--exit-on-error", "--single-transaction",
                                "--no-owner",      "--no-acl"};
  if (o.clean) {
    args.insert(args.end(), {"--clean", "--if-exists"});
  }
  args.push_back("--dbname=" + DbnameConninfo(o.target_database));
  args.push_back(o.dir + "/" + b.name);
  TENANTDB_TRY(ChildResult r, Run(Command{.argv = args, .stdin_fd = -1, .stdout_sink = {}}));
  return r.Succeeded() ? Expected<void>{} : Expected<void>{Failed("pg_restore", r)};
}

}  // namespace

Expected<StoredBackup> ChooseBackup(const std::vector<StoredBackup>& backups,
                                    const std::string& name) {
  for (const StoredBackup& b : backups) {
    if ((name.empty() && b.present) || (!name.empty() && b.name == name)) {
      if (!b.present) {
        return Error::NotFound("the dump " + b.name + " is missing (only its manifest is there)",
                               kReasonBackupNotFound);
      }
      return b;
    }
  }
  return Error::NotFound(name.empty() ? "no backup (a dump with its manifest) in the directory"
                                      : "no backup named " + name + " (with a manifest)",
                         kReasonBackupNotFound);
}

Expected<void> VerifyBackup(const std::string& dir, const StoredBackup& b) {
  const std::string path = dir + "/" + b.name;
  TENANTDB_TRY(Digest d,
               b.manifest.format == "directory" ? DirectoryDigest(path) : FileDigest(path));
  if (d.sha256 != b.manifest.sha256) {
    return Error::Invalid("refusing to restore " + path + ": its SHA-256 is " + d.sha256 +
                              ", the manifest says " + b.manifest.sha256 +
                              " (the dump is damaged or was changed)",
                          kReasonChecksumMismatch);
  }
  return {};
}

Expected<RestoreResult> RunRestore(const RestoreOptions& o, Server& server) {
  if (o.target_database.empty()) {
    return Error::Invalid("--target-database is required", kReasonInvalidOptions);
  }
  TENANTDB_TRY(std::vector<StoredBackup> backups, ListBackups(o.dir));
  TENANTDB_TRY(StoredBackup b, ChooseBackup(backups, o.name));
  TENANTDB_TRY_VOID(VerifyBackup(o.dir, b));
  const bool plain = b.manifest.format == "plain";
  if (plain && o.clean) {
    return Error::Invalid(
        "--clean needs a custom or directory backup; a plain one restores into an empty "
        "database only (choose a new --target-database)",
        kReasonInvalidOptions);
  }
  TENANTDB_TRY(Tool tool,
               RestoreTool(plain ? "psql" : "pg_restore", plain ? o.psql : o.pg_restore, b));
  RestoreResult result{.name = b.name, .target_database = o.target_database, .created = false};
  TENANTDB_TRY(bool exists, server.DatabaseExists(o.target_database));
  if (!exists) {
    TENANTDB_TRY_VOID(server.CreateDatabase(o.target_database));
    result.created = true;
  } else if (!o.clean) {
    TENANTDB_TRY(std::int64_t objects, server.CountUserObjects(o.target_database));
    if (objects > 0) {
      return Error::Conflict("the target database " + o.target_database + " is not empty (" +
                                 std::to_string(objects) +
                                 " objects): choose a new one, or --clean to replace what the "
                                 "backup holds",
                             kReasonTargetNotEmpty);
    }
  }
  TENANTDB_TRY_VOID(plain ? RestorePlain(o, b, tool) : RestoreArchive(o, b, tool));
  return result;
}

Expected<std::string> TableOfContents(const std::string& dir, const StoredBackup& b,
                                      const std::string& pg_restore) {
  TENANTDB_TRY(Tool tool, RestoreTool("pg_restore", pg_restore, b));
  std::string out;
  TENANTDB_TRY(ChildResult r, RunCapture({tool.path, "--list", dir + "/" + b.name}, out));
  if (!r.Succeeded()) {
    return Failed("pg_restore --list", r);
  }
  return out;
}

}  // namespace tenantdb::backup
