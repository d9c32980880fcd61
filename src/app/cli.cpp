#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/time.h"
#include "app/options.h"
#include "app/version.h"
#include "backup/backup.h"
#include "backup/command.h"

namespace tenantdb::app {

namespace {

// `tenantdb migrate --backup-dir`: a `tenantdb backup` into that directory before the first
// pending version (Migration.spec.backupBefore).
struct PreMigrationBackupFlags {
  std::string dir;
  std::string format = "custom";
  int compression = 6;
  int keep_last = -1, keep_daily = -1, keep_weekly = -1, keep_monthly = -1;  // -1: not given
};

std::optional<int> Given(int n) { return n < 0 ? std::nullopt : std::optional<int>(n); }

// `tenantdb migrate [migrate|info|validate|repair|baseline]` and its Flyway-named options.
CLI::App* AddMigrate(CLI::App& cli, migrate::CommandOptions& o,
                     std::vector<std::string>& placeholders, std::string& output,
                     PreMigrationBackupFlags& backup) {
  if (const char* url = std::getenv("DATABASE_URL"); url != nullptr) {
    o.url = url;
  }
  CLI::App* m = cli.add_subcommand(
      "migrate",
      "Apply Flyway-style SQL migrations (V<version>__<description>.sql, R__<description>.sql) "
      "with a flyway_schema_history table Flyway itself reads and continues");
  m->add_option("command", o.command,
                "migrate (default), info, validate, repair (remove failed rows, realign "
                "checksums) or baseline")
      ->check(CLI::IsMember({"migrate", "info", "validate", "repair", "baseline"}));
  m->add_option("--dir", o.dir, "directory of the migration files (default .)");
  m->add_option("--url", o.url,
                "postgresql:// URL or libpq conninfo (default $DATABASE_URL; libpq reads "
                "PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE for the rest)");
  m->add_option("--host", o.host, "server host (overrides the URL)");
  m->add_option("--port", o.port, "server port (overrides the URL)");
  m->add_option("--user", o.user, "role to connect as (overrides the URL)");
  m->add_option("--dbname", o.dbname, "database (overrides the URL)");
  m->add_option("--sslmode", o.sslmode, "libpq sslmode (overrides the URL)");
  m->add_option("--schema", o.engine.schema,
                "schema of the history table, first on the search_path while migrating (default: "
                "the session's current schema; created when missing, as Flyway does)");
  m->add_option("--table", o.engine.table, "history table (default flyway_schema_history)");
  m->add_option("--baseline-version", o.engine.baseline_version, "baseline version (default 1)");
  m->add_option("--baseline-description", o.engine.baseline_description,
                "baseline description (default << Flyway Baseline >>)");
  m->add_flag("--baseline-on-migrate", o.engine.baseline_on_migrate,
              "baseline a non-empty schema that has no history table, then migrate");
  m->add_flag("--out-of-order", o.engine.out_of_order,
              "apply files older than the current version that were never applied");
  m->add_option("--validate-on-migrate", o.engine.validate_on_migrate,
                "validate applied migrations before migrating (default true)");
  m->add_option("--placeholder", placeholders, "NAME=VALUE for ${NAME} in the files (repeatable)");
  m->add_option("--installed-by", o.engine.installed_by,
                "installed_by of the rows written (default current_user)");
  m->add_option("--output", output, "text (default) or json: a one-line JSON summary")
      ->check(CLI::IsMember({"text", "json"}));
  m->add_option("--summary-file", o.summary_file,
                "also write the JSON summary to this file (/dev/termination-log in a Job)");
  m->add_option("--backup-dir", backup.dir,
                "before the first pending version, `tenantdb backup` into this directory (PG* "
                "environment; --dbname if given); nothing is applied if it fails");
  m->add_option("--backup-format", backup.format, "custom (default), plain or directory")
      ->check(CLI::IsMember({"custom", "plain", "directory"}));
  m->add_option("--backup-compression", backup.compression, "0-9 (default 6)")
      ->check(CLI::Range(0, 9));
  m->add_option("--backup-keep-last", backup.keep_last, "retention after it (as tenantdb backup)")
      ->check(CLI::NonNegativeNumber);
  m->add_option("--backup-keep-daily", backup.keep_daily)->check(CLI::NonNegativeNumber);
  m->add_option("--backup-keep-weekly", backup.keep_weekly)->check(CLI::NonNegativeNumber);
  m->add_option("--backup-keep-monthly", backup.keep_monthly)->check(CLI::NonNegativeNumber);
  return m;
}

// `tenantdb backup`: one pg_dump into --dir, its manifest, then retention (backup/backup.h). The
// connection comes from the PG* environment only: a password in argv would show in `ps`.
struct BackupFlags {
  backup::BackupCommand command;
  std::string format = "custom";
  std::string output = "text";
  int keep_last = -1, keep_daily = -1, keep_weekly = -1, keep_monthly = -1;  // -1: not given
};

CLI::App* AddBackup(CLI::App& cli, BackupFlags& f) {
  CLI::App* b = cli.add_subcommand(
      "backup",
      "pg_dump one database into a directory (SHA-256 and a JSON manifest beside each dump), "
      "then apply retention; connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, "
      "PGSSLMODE");
  b->add_option("--dir", f.command.backup.dir, "storage directory (the mounted volume)")
      ->required();
  b->add_option("--format", f.format, "custom (default), plain or directory")
      ->check(CLI::IsMember({"custom", "plain", "directory"}));
  b->add_option("--compression", f.command.backup.compression,
                "0-9 (default 6; plain with > 0 is written as .sql.gz)")
      ->check(CLI::Range(0, 9));
  b->add_option("--keep-last", f.keep_last, "keep the N newest backups")
      ->check(CLI::NonNegativeNumber);
  b->add_option("--keep-daily", f.keep_daily, "keep the newest backup of each of the last N days")
      ->check(CLI::NonNegativeNumber);
  b->add_option("--keep-weekly", f.keep_weekly, "... of each of the last N ISO weeks")
      ->check(CLI::NonNegativeNumber);
  b->add_option("--keep-monthly", f.keep_monthly, "... of each of the last N months")
      ->check(CLI::NonNegativeNumber);
  b->add_option("--pg-dump", f.command.backup.pg_dump,
                "pg_dump to run (default: the newest on PATH or under /usr/lib/postgresql/*/bin)");
  b->add_option("--reason", f.command.backup.reason, "recorded in the manifest (default manual)")
      ->check(CLI::IsMember({"scheduled", "manual", "pre-migration"}));
  b->add_option("--output", f.output, "text (default) or json: a one-line JSON summary")
      ->check(CLI::IsMember({"text", "json"}));
  b->add_option("--summary-file", f.command.summary_file,
                "also write the JSON summary to this file (/dev/termination-log in a Job)");
  return b;
}

CLI::App* AddRestore(CLI::App& cli, backup::RestoreCommand& r) {
  CLI::App* c = cli.add_subcommand(
      "restore",
      "Check a backup's SHA-256 against its manifest, then restore it into a database (created "
      "when absent); connection from the PG* environment");
  c->add_option("--dir", r.restore.dir, "storage directory")->required();
  c->add_option("--name", r.restore.name, "backup to restore (default: the newest)");
  c->add_option("--target-database", r.restore.target_database, "database to restore into");
  c->add_flag("--clean", r.restore.clean,
              "restore into a non-empty target, dropping what the backup re-creates (custom and "
              "directory backups)");
  c->add_flag("--list", r.list,
              "list the backups (with --name: the table of contents of a custom or directory one)");
  c->add_option("--pg-restore", r.restore.pg_restore, "pg_restore to run (default: the newest)");
  c->add_option("--psql", r.restore.psql, "psql to run for plain backups (default: the newest)");
  return c;
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
           const RunFunction& run_function, const MigrateFunction& migrate_function) {
  CLI::App cli{
      "tenantdb: a Kubernetes operator that gives every service its own PostgreSQL database, "
      "scoped roles, versioned migrations and scheduled backups on a shared server.",
      "tenantdb"};
  cli.require_subcommand(1);
  cli.fallthrough(false);

  CLI::App* version = cli.add_subcommand("version", "Print the tenantdb version and exit");

  RunOptions run_options;
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host != nullptr && *host != 0) {
    run_options.log_format = LogFormat::kJson;  // in-cluster: JSON lines for log collectors
  }
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != 0) {
    run_options.leader_election_namespace = ns;
  }
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != 0) {
    run_options.identity = pod;
  }
  std::string config_file;
  std::string log_format;
  std::string resync_period;
  std::string max_backoff;
  std::string watch_namespaces;
  if (const char* w = std::getenv("TENANTDB_WATCH_NAMESPACES"); w != nullptr) {
    watch_namespaces = w;
  }
  if (const char* image = std::getenv("TENANTDB_JOB_IMAGE"); image != nullptr) {
    run_options.job_image = image;
  }
  CLI::App* run = cli.add_subcommand("run", "Run the operator (the manager and its controllers)");
  run->add_option("--config", config_file, "YAML file with any of these options (flags win)");
  run->add_option("--kubeconfig", run_options.kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG, in-cluster, then ~/.kube/config)");
  run->add_option("--context", run_options.context, "kubeconfig context (default: current)");
  run->add_option("--watch-namespaces", watch_namespaces,
                  "comma-separated namespaces to watch (default: all; env "
                  "TENANTDB_WATCH_NAMESPACES)");
  run->add_option("--workers", run_options.workers, "reconcile workers per controller")
      ->check(CLI::Range(1, 64));
  run->add_option("--resync-period", resync_period,
                  "re-check every object this often, the drift safety net (default 10m)");
  run->add_option("--max-backoff", max_backoff, "cap of the per-object retry backoff (default 5m)");
  run->add_option("--leader-elect", run_options.leader_elect,
                  "elect one active replica through a coordination.k8s.io Lease (default true)");
  run->add_option("--leader-election-namespace", run_options.leader_election_namespace,
                  "namespace of the Lease (default $POD_NAMESPACE or tenantdb-system)");
  run->add_option("--leader-election-id", run_options.leader_election_id, "name of the Lease");
  run->add_option("--identity", run_options.identity,
                  "this replica's name in the Lease (default $POD_NAME or hostname)");
  run->add_option("--metrics-bind-address", run_options.metrics_bind_address,
                  "host:port of /metrics, or 0 to disable (default :8080)");
  run->add_option("--health-probe-bind-address", run_options.health_probe_bind_address,
                  "host:port of /healthz and /readyz, or 0 to disable (default :8081)");
  run->add_option("--log-format", log_format, "json or text (default json in-cluster)")
      ->check(CLI::IsMember({"json", "text"}));
  run->add_option("--log-level", run_options.log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  run->add_option("--job-image", run_options.job_image,
                  "image of the migration and backup Jobs: the operator's own (env "
                  "TENANTDB_JOB_IMAGE; the chart sets it)");

  migrate::CommandOptions migrate_options;
  std::vector<std::string> placeholders;
  std::string migrate_output;
  PreMigrationBackupFlags pre_migration_backup;
  CLI::App* migrate =
      AddMigrate(cli, migrate_options, placeholders, migrate_output, pre_migration_backup);
  BackupFlags backup_flags;
  CLI::App* backup = AddBackup(cli, backup_flags);
  backup::RestoreCommand restore_command;
  CLI::App* restore = AddRestore(cli, restore_command);

  // --config is read before the flags so that flags win over the file.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_file = argv[i + 1];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_file = arg.substr(9);
    }
  }
  if (!config_file.empty()) {
    if (auto applied = ApplyConfigFile(config_file, run_options); !applied) {
      err << "tenantdb run: " << applied.error().message << "\n";
      return kExitUsage;
    }
  }

  // Name an unknown subcommand plainly (CLI11 would only say that one is required).
  if (argc > 1 && argv[1][0] != '-') {
    const std::string first = argv[1];
    bool known = false;
    for (const CLI::App* sub : cli.get_subcommands({})) {
      known = known || sub->get_name() == first;
    }
    if (!known) {
      err << "tenantdb: unknown subcommand '" << first << "'\n\n" << cli.help();
      return kExitUsage;
    }
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << cli.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    out << cli.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "tenantdb: " << e.what() << "\n\n" << cli.help();
    return kExitUsage;
  }

  if (version->parsed()) {
    out << "tenantdb " << kVersion << "\n";
    return kExitOk;
  }
  if (migrate->parsed()) {
    migrate_options.json = migrate_output == "json";
    for (const std::string& p : placeholders) {
      const auto eq = p.find('=');
      if (eq == std::string::npos || eq == 0) {
        err << "tenantdb migrate: --placeholder " << p << ": expected NAME=VALUE\n";
        return kExitUsage;
      }
      migrate_options.engine.placeholders[p.substr(0, eq)] = p.substr(eq + 1);
    }
    if (!pre_migration_backup.dir.empty()) {
      backup::BackupOptions b{
          .dir = pre_migration_backup.dir,
          .format = *backup::ParseFormat(pre_migration_backup.format),
          .compression = pre_migration_backup.compression,
          .retention = {.keep_last = Given(pre_migration_backup.keep_last),
                        .keep_daily = Given(pre_migration_backup.keep_daily),
                        .keep_weekly = Given(pre_migration_backup.keep_weekly),
                        .keep_monthly = Given(pre_migration_backup.keep_monthly)},
          .database = migrate_options.dbname,
          .reason = "pre-migration"};
      migrate_options.engine.backup_before = [b]() -> Expected<migrate::TakenBackup> {
        TENANTDB_TRY(backup::BackupResult r, backup::RunBackup(b));
        return migrate::TakenBackup{
            .name = r.name, .time = r.time, .size_bytes = r.size_bytes, .sha256 = r.sha256};
      };
    }
    if (!migrate_function) {
      err << "tenantdb migrate: not available in this build\n";
      return kExitFailure;
    }
    return migrate_function(migrate_options);
  }
  if (backup->parsed()) {
    backup::BackupCommand& c = backup_flags.command;
    c.backup.format = *backup::ParseFormat(backup_flags.format);
    c.backup.retention = {.keep_last = Given(backup_flags.keep_last),
                          .keep_daily = Given(backup_flags.keep_daily),
                          .keep_weekly = Given(backup_flags.keep_weekly),
                          .keep_monthly = Given(backup_flags.keep_monthly)};
    c.json = backup_flags.output == "json";
    return backup::RunBackupCommand(c, out, err);
  }
  if (restore->parsed()) {
    if (!restore_command.list && restore_command.restore.target_database.empty()) {
      err << "tenantdb restore: --target-database is required (or --list)\n";
      return kExitUsage;
    }
    return backup::RunRestoreCommand(restore_command, out, err);
  }
  if (run->parsed()) {
    auto duration = [&](const std::string& text, const char* flag,
                        std::chrono::seconds& target) -> bool {
      if (text.empty()) {
        return true;
      }
      auto d = api::v1alpha1::ParseGoDuration(text);
      if (!d) {
        err << "tenantdb run: --" << flag << ": " << d.error().message << "\n";
        return false;
      }
      target = *d;
      return true;
    };
    if (!duration(resync_period, "resync-period", run_options.resync_period) ||
        !duration(max_backoff, "max-backoff", run_options.max_backoff)) {
      return kExitUsage;
    }
    if (!log_format.empty()) {
      run_options.log_format = log_format == "json" ? LogFormat::kJson : LogFormat::kText;
    }
    if (!watch_namespaces.empty()) {
      run_options.watch_namespaces.clear();
      std::string item;
      for (char c : watch_namespaces + ",") {
        if (c == ',') {
          if (!item.empty()) {
            run_options.watch_namespaces.push_back(item);
          }
          item.clear();
        } else if (c != ' ') {
          item += c;
        }
      }
    }
    if (!run_function) {
      err << "tenantdb run: not available in this build\n";
      return kExitFailure;
    }
    return run_function(run_options);
  }
  err << cli.help();
  return kExitUsage;
}

}  // namespace tenantdb::app
