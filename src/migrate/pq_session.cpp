#include "migrate/pq_session.h"

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "sql/sql_error.h"

namespace tenantdb::migrate {
namespace {

std::string Field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v == nullptr ? "" : v;
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PqSession final : public Session {
 public:
  explicit PqSession(PGconn* conn) : conn_(conn, &PQfinish) {
    // Notices (RAISE NOTICE in a migration, "already exists, skipping") are not errors; they
    // would otherwise go to stderr unasked.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
  }

  Expected<sql::Rows> Query(const sql::Statement& statement) override {
    std::vector<const char*> values;
    values.reserve(statement.params.size());
    for (const std::string& p : statement.params) {
      values.push_back(p.c_str());
    }
    ResultPtr r(PQexecParams(conn_.get(), statement.text.c_str(), static_cast<int>(values.size()),
                             nullptr, values.data(), nullptr, nullptr, 0),
                &PQclear);
    const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const std::string sqlstate = r ? Field(r.get(), PG_DIAG_SQLSTATE) : "";
      std::string message = r ? Field(r.get(), PG_DIAG_MESSAGE_PRIMARY) : "";
      if (message.empty()) {
        message = PQerrorMessage(conn_.get());
      }
      return sql::ClassifySqlState(
          sqlstate.empty() ? "08000" : sqlstate,
          "ERROR " + (sqlstate.empty() ? "08000" : sqlstate) + ": " + message);
    }
    sql::Rows rows;
    const int n = PQntuples(r.get());
    const int cols = PQnfields(r.get());
    rows.reserve(n);
    for (int i = 0; i < n; ++i) {
      sql::Row row;
      row.reserve(cols);
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(r.get(), i, c) != 0) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(r.get(), i, c),
                                       static_cast<std::size_t>(PQgetlength(r.get(), i, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::optional<ServerError> Run(std::string_view statement) override {
    const std::string text(statement);
    ResultPtr r(PQexec(conn_.get(), text.c_str()), &PQclear);
    const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      return std::nullopt;
    }
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      // COPY ... FROM STDIN / TO STDOUT has no data here: end it and say why.
      if (status == PGRES_COPY_IN) {
        PQputCopyEnd(conn_.get(), "COPY FROM STDIN is not supported in tenantdb migrations");
      }
      while (PGresult* rest = PQgetResult(conn_.get())) {
        PQclear(rest);
      }
      return ServerError{.sqlstate = "0A000",
                         .message =
                             "COPY ... FROM STDIN / TO STDOUT is not supported in a "
                             "migration: use INSERT, or COPY from a server-side file"};
    }
    ServerError e;
    if (r) {
      e.sqlstate = Field(r.get(), PG_DIAG_SQLSTATE);
      e.message = Field(r.get(), PG_DIAG_MESSAGE_PRIMARY);
      e.detail = Field(r.get(), PG_DIAG_MESSAGE_DETAIL);
      e.hint = Field(r.get(), PG_DIAG_MESSAGE_HINT);
      const std::string position = Field(r.get(), PG_DIAG_STATEMENT_POSITION);
      e.position = position.empty() ? 0 : std::atoi(position.c_str());
    }
    if (e.message.empty()) {
      e.message = PQerrorMessage(conn_.get());
      while (!e.message.empty() && e.message.back() == '\n') {
        e.message.pop_back();
      }
    }
    if (e.sqlstate.empty()) {
      e.sqlstate = PQstatus(conn_.get()) == CONNECTION_OK ? "XX000" : "08006";
    }
    return e;
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

}  // namespace

Expected<std::unique_ptr<Session>> PqConnector::Connect(const ConnectOptions& options) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [k, v] : options.keywords) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn == nullptr) {
    return Error::Internal("libpq could not allocate a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names host, port and user, never the password.
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    PQfinish(conn);
    return Error::Transient("cannot connect to PostgreSQL: " + message);
  }
  return std::unique_ptr<Session>(std::make_unique<PqSession>(conn));
}

}  // namespace tenantdb::migrate
