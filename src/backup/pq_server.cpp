#include "backup/pq_server.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "backup/backup.h"
#include "sql/quoting.h"

namespace tenantdb::backup {

namespace {

using ConnPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

Expected<ConnPtr> Connect(const std::string& database) {
  // Everything else (host, port, user, password, sslmode) from libpq's PG* environment.
  const char* keys[] = {"dbname", "fallback_application_name", "options", nullptr};
  const char* values[] = {database.c_str(), "tenantdb-backup", "-c search_path=pg_catalog",
                          nullptr};
  ConnPtr conn(PQconnectdbParams(keys, values, 0), &PQfinish);
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    return Error::Transient(
        "cannot connect to database " + database + ": " +
            (conn ? Trim(PQerrorMessage(conn.get())) : std::string("out of memory")),
        kReasonConnectionFailed);
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

// One statement; the first column of the first row ("" when none).
Expected<std::string> Scalar(PGconn* conn, const std::string& text, const std::string& param = {},
                             bool with_param = false) {
  const char* values[] = {param.c_str()};
  ResultPtr r(with_param ? PQexecParams(conn, text.c_str(), 1, nullptr, values, nullptr, nullptr, 0)
                         : PQexec(conn, text.c_str()),
              &PQclear);
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return Error::Transient(Trim(PQerrorMessage(conn)), kReasonRestoreFailed);
  }
  if (status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 && PQnfields(r.get()) > 0) {
    return std::string(PQgetvalue(r.get(), 0, 0));
  }
  return std::string();
}

// Where CREATE DATABASE runs: $PGDATABASE unless that is the database in question.
std::string Maintenance(const std::string& avoid) {
  const char* env = std::getenv("PGDATABASE");
  if (env != nullptr && *env != '\0' && avoid != env) {
    return env;
  }
  return "postgres";
}

constexpr const char* kCountUserObjects = R"sql(
SELECT (SELECT count(*) FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_')
     + (SELECT count(*) FROM pg_catalog.pg_namespace
         WHERE nspname NOT IN ('public', 'information_schema') AND nspname !~ '^pg_')
     + (SELECT count(*) FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_')
     + (SELECT count(*) FROM pg_catalog.pg_type t
          JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         WHERE t.typrelid = 0 AND t.typelem = 0
           AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_')
     + (SELECT count(*) FROM pg_catalog.pg_largeobject_metadata)
     + (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')
)sql";

}  // namespace

Expected<int> PqServer::VersionNum(const std::string& database) {
  TENANTDB_TRY(ConnPtr conn, Connect(database));
  return PQserverVersion(conn.get());
}

Expected<bool> PqServer::DatabaseExists(const std::string& name) {
  TENANTDB_TRY(ConnPtr conn, Connect(Maintenance(name)));
  TENANTDB_TRY(
      std::string found,
      Scalar(conn.get(), "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", name, true));
  return found == "1";
}

Expected<void> PqServer::CreateDatabase(const std::string& name) {
  TENANTDB_TRY(ConnPtr conn, Connect(Maintenance(name)));
  auto created = Scalar(conn.get(), "CREATE DATABASE " + sql::QuoteIdent(name));
  if (!created) {
    return Error::Permission(
        "cannot create the target database " + name + ": " + created.error().message,
        kReasonRestoreFailed);
  }
  return {};
}

Expected<std::int64_t> PqServer::CountUserObjects(const std::string& database) {
  TENANTDB_TRY(ConnPtr conn, Connect(database));
  TENANTDB_TRY(std::string n, Scalar(conn.get(), kCountUserObjects));
  return std::strtoll(n.c_str(), nullptr, 10);
}

}  // namespace tenantdb::backup
