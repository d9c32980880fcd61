#include "sql/pool.h"

#include <algorithm>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

namespace tenantdb::sql {

struct PooledConnector::State {
  struct Server {
    int open = 0;  // sessions in use, idle, or being opened
    std::optional<int> limit;
  };
  struct Idle {
    std::string key;
    std::string server;
    std::unique_ptr<SqlExecutor> session;
  };

  explicit State(Settings s) : settings(s) {}

  int Limit(const Server& server) const {
    return std::max(1, server.limit.value_or(settings.default_max_sessions));
  }

  // Takes a session back: idle for reuse, or closed (outside the lock) when it is broken, above
  // the budget, or the pool is gone.
  void Release(const std::string& key, const std::string& server,
               std::unique_ptr<SqlExecutor> session, bool broken) {
    {
      const std::lock_guard<std::mutex> lock(mu);
      Server& s = servers[server];
      if (!broken && !closed && s.open <= Limit(s)) {
        idle.push_front(Idle{key, server, std::move(session)});
      }
    }
    if (session) {
      // Closed first, its slot given back after: the server never sees more sessions than the
      // budget, not even for the moment between a close and the next open.
      session.reset();
      const std::lock_guard<std::mutex> lock(mu);
      --servers[server].open;
    }
    cv.notify_all();
  }

  const Settings settings;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Server> servers;  // by "host:port"
  std::list<Idle> idle;                   // most recently returned first
  bool closed = false;
};

namespace {

// A call failed in a way that may have left the session unusable (connection lost, commit in
// doubt, or an unclassified server state): close the session rather than reuse it.
bool MayHaveBrokenSession(const Error& e) {
  return e.reason == "ServerUnreachable" || e.code == ErrorCode::kTransient;
}

class PooledSession final : public SqlExecutor {
 public:
  PooledSession(std::shared_ptr<PooledConnector::State> state, std::string key, std::string server,
                std::unique_ptr<SqlExecutor> session)
      : state_(std::move(state)),
        key_(std::move(key)),
        server_(std::move(server)),
        session_(std::move(session)) {}

  ~PooledSession() override { state_->Release(key_, server_, std::move(session_), broken_); }

  PooledSession(const PooledSession&) = delete;
  PooledSession& operator=(const PooledSession&) = delete;

  Expected<Rows> Query(const Statement& statement) override {
    auto result = session_->Query(statement);
    broken_ = !result.has_value() && MayHaveBrokenSession(result.error());
    return result;
  }

  Expected<void> ExecuteInTransaction(const std::vector<Statement>& statements) override {
    auto result = session_->ExecuteInTransaction(statements);
    broken_ = !result.has_value() && MayHaveBrokenSession(result.error());
    return result;
  }

  // Computed client-side; says nothing about the session's health.
  Expected<std::string> EncryptPassword(const std::string& user,
                                        const std::string& password) override {
    return session_->EncryptPassword(user, password);
  }

 private:
  std::shared_ptr<PooledConnector::State> state_;
  std::string key_;
  std::string server_;
  std::unique_ptr<SqlExecutor> session_;
  bool broken_ = false;
};

std::string ServerKey(const std::string& host, int port) {
  return host + ":" + std::to_string(port);
}

}  // namespace

PooledConnector::PooledConnector(SqlConnector& inner, Settings settings)
    : inner_(inner), state_(std::make_shared<State>(settings)) {}

PooledConnector::~PooledConnector() {
  std::list<State::Idle> to_close;
  {
    const std::lock_guard<std::mutex> lock(state_->mu);
    state_->closed = true;
    to_close.swap(state_->idle);
    for (const State::Idle& i : to_close) {
      --state_->servers[i.server].open;
    }
  }
  state_->cv.notify_all();
}

void PooledConnector::SetLimit(const std::string& host, int port, int max_sessions) {
  {
    const std::lock_guard<std::mutex> lock(state_->mu);
    state_->servers[ServerKey(host, port)].limit = std::max(1, max_sessions);
  }
  state_->cv.notify_all();  // a raised budget may let waiters in
}

Expected<std::unique_ptr<SqlExecutor>> PooledConnector::Connect(const ConnectionParams& params,
                                                                int max_sessions) {
  SetLimit(params.host, params.port, max_sessions);
  return Connect(params);
}

Expected<std::unique_ptr<SqlExecutor>> PooledConnector::Connect(const ConnectionParams& params) {
  if (params.max_sessions > 0) {
    SetLimit(params.host, params.port, params.max_sessions);
  }
  const std::string key = ToConninfo(params);  // in memory only; never logged
  const std::string server = ServerKey(params.host, params.port);
  std::unique_ptr<SqlExecutor> to_close;
  {
    std::unique_lock<std::mutex> lock(state_->mu);
    const auto deadline = std::chrono::steady_clock::now() + state_->settings.acquire_timeout;
    bool timed_out = false;
    while (true) {
      auto& idle = state_->idle;
      if (auto same = std::find_if(idle.begin(), idle.end(),
                                   [&](const State::Idle& i) { return i.key == key; });
          same != idle.end()) {
        std::unique_ptr<SqlExecutor> session = std::move(same->session);
        idle.erase(same);
        return std::unique_ptr<SqlExecutor>(
            std::make_unique<PooledSession>(state_, key, server, std::move(session)));
      }
      State::Server& s = state_->servers[server];
      if (s.open < state_->Limit(s)) {
        ++s.open;  // reserve the slot, then open outside the lock
        break;
      }
      // Budget full: replace the least recently used idle session of this server, if any.
      if (auto other = std::find_if(idle.rbegin(), idle.rend(),
                                    [&](const State::Idle& i) { return i.server == server; });
          other != idle.rend()) {
        to_close = std::move(other->session);
        idle.erase(std::next(other).base());
        break;  // its slot is ours
      }
      if (timed_out) {
        return Error::Transient(
            "the connection budget of server " + server + " (" + std::to_string(state_->Limit(s)) +
                " sessions) is exhausted: no session came back within " +
                std::to_string(state_->settings.acquire_timeout.count()) + " ms",
            "Reconciling");
      }
      timed_out = state_->cv.wait_until(lock, deadline) == std::cv_status::timeout;
    }
  }
  to_close.reset();
  auto session = inner_.Connect(params);
  if (!session.has_value()) {
    {
      const std::lock_guard<std::mutex> lock(state_->mu);
      --state_->servers[server].open;
    }
    state_->cv.notify_all();
    return std::move(session).error();
  }
  return std::unique_ptr<SqlExecutor>(
      std::make_unique<PooledSession>(state_, key, server, std::move(*session)));
}

PooledConnector::ServerStats PooledConnector::Stats(const std::string& host, int port) const {
  const std::string server = ServerKey(host, port);
  const std::lock_guard<std::mutex> lock(state_->mu);
  ServerStats stats;
  if (const auto it = state_->servers.find(server); it != state_->servers.end()) {
    stats.open = it->second.open;
    stats.limit = state_->Limit(it->second);
  } else {
    stats.limit = std::max(1, state_->settings.default_max_sessions);
  }
  stats.idle =
      static_cast<int>(std::count_if(state_->idle.begin(), state_->idle.end(),
                                     [&](const State::Idle& i) { return i.server == server; }));
  return stats;
}

void PooledConnector::CloseIdle() {
  std::list<State::Idle> to_close;
  {
    const std::lock_guard<std::mutex> lock(state_->mu);
    to_close.swap(state_->idle);
  }
  std::map<std::string, int> closed;  // per server; their slots are given back once closed
  for (const State::Idle& i : to_close) {
    ++closed[i.server];
  }
  to_close.clear();
  {
    const std::lock_guard<std::mutex> lock(state_->mu);
    for (const auto& [server, n] : closed) {
      state_->servers[server].open -= n;
    }
  }
  state_->cv.notify_all();
}

}  // namespace tenantdb::sql
