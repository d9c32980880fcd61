#include "sql/pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tenantdb::sql {
namespace {

using std::chrono::milliseconds;

// A tiny fake: each session remembers its dbname and an id; counts opens/closes; statement
// "broken" fails like a lost connection, "bad" like a syntax error.
class FakeConnector final : public SqlConnector {
 public:
  struct Counters {
    std::atomic<int> opened{0};
    std::atomic<int> closed{0};
    std::atomic<int> live{0};
    std::atomic<int> max_live{0};
  };

  class Session final : public SqlExecutor {
   public:
    Session(Counters& c, int id, std::string dbname) : c_(c), id_(id), dbname_(std::move(dbname)) {}
    ~Session() override {
      ++c_.closed;
      --c_.live;
    }
    Expected<Rows> Query(const Statement& s) override {
      if (s.text == "broken") {
        return Error::Transient("server closed the connection unexpectedly", "ServerUnreachable");
      }
      if (s.text == "bad") {
        return Error::Invalid("syntax error");
      }
      return Rows{Row{std::to_string(id_), dbname_}};
    }
    Expected<void> ExecuteInTransaction(const std::vector<Statement>& statements) override {
      for (const auto& s : statements) {
        TENANTDB_TRY_VOID(Query(s));
      }
      return {};
    }
    Expected<std::string> EncryptPassword(const std::string&, const std::string&) override {
      return std::string("SCRAM-SHA-256$fake");
    }

   private:
    Counters& c_;
    int id_;
    std::string dbname_;
  };

  Expected<std::unique_ptr<SqlExecutor>> Connect(const ConnectionParams& p) override {
    if (p.host == "down") {
      return Error::Transient("cannot connect", "ServerUnreachable");
    }
    if (delay_.count() > 0) {
      std::this_thread::sleep_for(delay_);
    }
    const int id = ++counters.opened;
    const int live = ++counters.live;
    int prev = counters.max_live.load();
    while (prev < live && !counters.max_live.compare_exchange_weak(prev, live)) {
    }
    return std::unique_ptr<SqlExecutor>(std::make_unique<Session>(counters, id, p.dbname));
  }

  void SetDelay(milliseconds d) { delay_ = d; }

  Counters counters;

 private:
  milliseconds delay_{0};
};

ConnectionParams Params(const std::string& dbname = "postgres", const std::string& host = "h") {
  ConnectionParams p;
  p.host = host;
  p.port = 5432;
  p.user = "admin";
  p.password = "secret";
  p.dbname = dbname;
  return p;
}

std::string SessionId(SqlExecutor& s) {
  auto rows = s.Query({"SELECT id", {}});
  EXPECT_TRUE(rows.has_value());
  return rows.has_value() ? *(*rows)[0][0] : "";
}

TEST(PooledConnectorTest, ReusesAnIdleSessionForTheSameParameters) {
  FakeConnector fake;
  PooledConnector pool(fake);
  std::string first;
  {
    auto s = pool.Connect(Params());
    ASSERT_TRUE(s.has_value());
    first = SessionId(**s);
  }
  EXPECT_EQ(pool.Stats("h", 5432).idle, 1);
  {
    auto s = pool.Connect(Params());
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(SessionId(**s), first);
  }
  EXPECT_EQ(fake.counters.opened, 1);
  EXPECT_EQ(fake.counters.closed, 0);
}

TEST(PooledConnectorTest, DifferentParametersGetDifferentSessions) {
  FakeConnector fake;
  PooledConnector pool(fake);
  { auto s = pool.Connect(Params("a")); }
  {
    auto s = pool.Connect(Params("b"));
    ASSERT_TRUE(s.has_value());
    auto rows = (*s)->Query({"x", {}});
    EXPECT_EQ((*rows)[0][1], "b");
  }
  ConnectionParams other_user = Params("a");
  other_user.user = "someone";
  { auto s = pool.Connect(other_user); }
  ConnectionParams other_password = Params("a");
  other_password.password = "rotated";
  { auto s = pool.Connect(other_password); }
  EXPECT_EQ(fake.counters.opened, 4);
  EXPECT_EQ(pool.Stats("h", 5432).open, 4);
}

TEST(PooledConnectorTest, BudgetFullClosesAnIdleSessionOfAnotherDatabase) {
  FakeConnector fake;
  PooledConnector pool(fake);
  pool.SetLimit("h", 5432, 2);
  auto a = pool.Connect(Params("a"));
  { auto b = pool.Connect(Params("b")); }  // b idle, a in use: budget 2 used
  EXPECT_EQ(pool.Stats("h", 5432).open, 2);
  auto c = pool.Connect(Params("c"));  // closes b's idle session to open c
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(fake.counters.opened, 3);
  EXPECT_EQ(fake.counters.closed, 1);
  EXPECT_EQ(pool.Stats("h", 5432).open, 2);
  EXPECT_EQ(pool.Stats("h", 5432).idle, 0);
}

TEST(PooledConnectorTest, LimitsArePerServer) {
  FakeConnector fake;
  PooledConnector pool(fake, {.default_max_sessions = 1, .acquire_timeout = milliseconds(10)});
  auto a = pool.Connect(Params("a", "h1"));
  auto b = pool.Connect(Params("a", "h2"));
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  auto c = pool.Connect(Params("a", "h1"));
  ASSERT_FALSE(c.has_value());
  // The per-call overload raises the budget of that server.
  auto d = pool.Connect(Params("a", "h1"), 2);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(pool.Stats("h1", 5432).limit, 2);
}

TEST(PooledConnectorTest, WaitsForASessionToComeBack) {
  FakeConnector fake;
  PooledConnector pool(fake, {.default_max_sessions = 1, .acquire_timeout = milliseconds(5000)});
  auto held = pool.Connect(Params());
  ASSERT_TRUE(held.has_value());
  const std::string id = SessionId(**held);
  std::thread releaser([&held] {
    std::this_thread::sleep_for(milliseconds(50));
    held->reset();
  });
  const auto start = std::chrono::steady_clock::now();
  auto s = pool.Connect(Params());
  const auto waited = std::chrono::steady_clock::now() - start;
  releaser.join();
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(SessionId(**s), id);  // the very session that came back
  EXPECT_GE(waited, milliseconds(40));
  EXPECT_EQ(fake.counters.opened, 1);
}

TEST(PooledConnectorTest, TimesOutWithATransientBudgetError) {
  FakeConnector fake;
  PooledConnector pool(fake, {.default_max_sessions = 1, .acquire_timeout = milliseconds(60)});
  auto held = pool.Connect(Params("a"));
  ASSERT_TRUE(held.has_value());
  const auto start = std::chrono::steady_clock::now();
  auto s = pool.Connect(Params("b"));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kTransient);
  EXPECT_NE(s.error().message.find("connection budget of server h:5432"), std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("exhausted"), std::string::npos);
  EXPECT_EQ(s.error().message.find("secret"), std::string::npos);
  EXPECT_GE(waited, milliseconds(55));
  EXPECT_LT(waited, milliseconds(2000));
}

TEST(PooledConnectorTest, DiscardsASessionWhoseLastCallLostTheConnection) {
  FakeConnector fake;
  PooledConnector pool(fake);
  {
    auto s = pool.Connect(Params());
    EXPECT_FALSE((*s)->Query({"broken", {}}).has_value());
  }
  EXPECT_EQ(fake.counters.closed, 1);
  EXPECT_EQ(pool.Stats("h", 5432).open, 0);
  EXPECT_EQ(pool.Stats("h", 5432).idle, 0);
  {
    auto s = pool.Connect(Params());
    EXPECT_FALSE((*s)->ExecuteInTransaction({{"broken", {}}}).has_value());
  }
  EXPECT_EQ(fake.counters.closed, 2);
  {
    // Healthy again after the failure: only the *last* call counts.
    auto s = pool.Connect(Params());
    EXPECT_FALSE((*s)->Query({"broken", {}}).has_value());
    EXPECT_TRUE((*s)->Query({"ok", {}}).has_value());
  }
  EXPECT_EQ(fake.counters.closed, 2);
  EXPECT_EQ(pool.Stats("h", 5432).idle, 1);
}

TEST(PooledConnectorTest, KeepsASessionAfterAnSqlError) {
  FakeConnector fake;
  PooledConnector pool(fake);
  {
    auto s = pool.Connect(Params());
    EXPECT_FALSE((*s)->Query({"bad", {}}).has_value());
  }
  EXPECT_EQ(fake.counters.closed, 0);
  EXPECT_EQ(pool.Stats("h", 5432).idle, 1);
}

TEST(PooledConnectorTest, AFailedConnectGivesItsSlotBack) {
  FakeConnector fake;
  PooledConnector pool(fake, {.default_max_sessions = 1, .acquire_timeout = milliseconds(10)});
  for (int i = 0; i < 3; ++i) {
    auto s = pool.Connect(Params("a", "down"));
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().reason, "ServerUnreachable");
  }
  EXPECT_EQ(pool.Stats("down", 5432).open, 0);
}

TEST(PooledConnectorTest, SessionsMayOutliveThePool) {
  FakeConnector fake;
  std::unique_ptr<SqlExecutor> survivor;
  {
    PooledConnector pool(fake);
    { auto idle = pool.Connect(Params("a")); }
    auto s = pool.Connect(Params("b"));
    survivor = std::move(*s);
  }
  EXPECT_EQ(fake.counters.closed, 1);  // the idle one, with the pool
  EXPECT_TRUE(survivor->Query({"x", {}}).has_value());
  survivor.reset();
  EXPECT_EQ(fake.counters.closed, 2);
}

TEST(PooledConnectorTest, CloseIdleAndLoweredLimit) {
  FakeConnector fake;
  PooledConnector pool(fake);
  {
    auto a = pool.Connect(Params("a"));
    auto b = pool.Connect(Params("b"));
    pool.SetLimit("h", 5432, 1);
  }  // both return; only one fits the lowered budget
  EXPECT_EQ(pool.Stats("h", 5432).open, 1);
  EXPECT_EQ(pool.Stats("h", 5432).idle, 1);
  pool.CloseIdle();
  EXPECT_EQ(pool.Stats("h", 5432).open, 0);
  EXPECT_EQ(fake.counters.closed, 2);
}

TEST(PooledConnectorTest, ManyThreadsNeverExceedTheBudget) {
  FakeConnector fake;
  fake.SetDelay(milliseconds(1));
  PooledConnector pool(fake, {.default_max_sessions = 3, .acquire_timeout = milliseconds(10000)});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto s = pool.Connect(Params("db" + std::to_string((t + i) % 4)));
        if (!s.has_value()) {
          ++failures;
          continue;
        }
        if (!(*s)->Query({i % 50 == 0 ? "broken" : "ok", {}}).has_value() && i % 50 != 0) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_LE(fake.counters.max_live, 3);
  EXPECT_EQ(pool.Stats("h", 5432).open, fake.counters.live.load());
  EXPECT_EQ(pool.Stats("h", 5432).idle, fake.counters.live.load());
}

}  // namespace
}  // namespace tenantdb::sql
