// RunBackup (the contract's entry point) and the two commands over the libpq Server.
#include <chrono>

#include "backup/command.h"
#include "backup/engine.h"
#include "backup/pq_server.h"
#include "backup/restore.h"
#include "backup/summary.h"

namespace tenantdb::backup {

Expected<BackupResult> RunBackup(const BackupOptions& options,
                                 std::chrono::system_clock::time_point now) {
  PqServer server;
  return RunBackupWith(options, server, std::chrono::floor<std::chrono::seconds>(now));
}

Expected<BackupResult> RunBackup(const BackupOptions& options) {
  return RunBackup(options, std::chrono::system_clock::now());
}

int RunBackupCommand(const BackupCommand& command, std::ostream& out, std::ostream& err) {
  return ReportBackup(RunBackup(command.backup), command, out, err);
}

namespace {

int Fail(const Error& e, std::ostream& err) {
  err << "tenantdb restore: " << (e.reason.empty() ? "" : e.reason + ": ") << e.message << "\n";
  return kExitFailed;
}

int List(const RestoreCommand& command, std::ostream& out, std::ostream& err) {
  const RestoreOptions& o = command.restore;
  auto backups = ListBackups(o.dir);
  if (!backups) {
    return Fail(backups.error(), err);
  }
  if (!o.name.empty()) {
    auto chosen = ChooseBackup(*backups, o.name);
    if (!chosen) {
      return Fail(chosen.error(), err);
    }
    if (chosen->manifest.format == "plain") {
      out << chosen->name << ": a plain SQL script (read it with "
          << (chosen->manifest.compression > 0 ? "zcat" : "less") << ")\n";
      return kExitOk;
    }
    auto toc = TableOfContents(o.dir, *chosen, o.pg_restore);
    if (!toc) {
      return Fail(toc.error(), err);
    }
    out << *toc;
    return kExitOk;
  }
  for (const StoredBackup& b : *backups) {
    out << b.name << "  " << b.manifest.time << "  " << b.manifest.database << "  "
        << b.manifest.format << "  " << b.manifest.size_bytes << " bytes  " << b.manifest.reason
        << (b.present ? "" : "  (dump missing)") << "\n";
  }
  if (backups->empty()) {
    out << "no backups in " << o.dir << "\n";
  }
  return kExitOk;
}

}  // namespace

int RunRestoreCommand(const RestoreCommand& command, std::ostream& out, std::ostream& err) {
  if (command.list) {
    return List(command, out, err);
  }
  PqServer server;
  auto restored = RunRestore(command.restore, server);
  if (!restored) {
    return Fail(restored.error(), err);
  }
  out << "restored " << restored->name << " into database " << restored->target_database
      << (restored->created ? " (created)" : "") << "\n";
  return kExitOk;
}

}  // namespace tenantdb::backup
