// The one act step, over the in-memory server: what ends up in the catalog, which sessions ran
// what, the Events and the statement counter; the transaction rule; stop at the first failure.
#include "controllers/common/apply_sql.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes/fake_sql_server.h"
#include "runtime/metrics.h"

namespace tenantdb::controllers {
namespace {

using nlohmann::json;

class ApplySqlTest : public ::testing::Test {
 protected:
  ApplySqlTest() {
    params_.user = server_.options().admin;
    params_.password = server_.options().admin_password;
  }

  ApplyContext Context() {
    return ApplyContext{
        .events =
            [this](const json&, std::string_view type, std::string_view reason,
                   const std::string& note) {
              events_.push_back(std::string(type) + " " + std::string(reason) + ": " + note);
            },
        .event_object = json::object(),
        .event_reason = "Reconciled",
        .database = "app",
        .metrics = &metrics_,
        .after_commit = {}};
  }
  double Counted(const std::string& kind) {
    return registry_.RegisterCounter("tenantdb_sql_statements_total", "", {"kind"})
        .WithLabels({kind})
        .Value();
  }

  fakes::FakeSqlServer server_;
  sql::ConnectionParams params_;
  runtime::MetricsRegistry registry_;
  SqlStatementMetrics metrics_{registry_};
  std::vector<std::string> events_;
};

TEST_F(ApplySqlTest, GroupsConsecutiveActionsOfOneDatabaseAndIsolatesCreateDatabase) {
  const std::vector<sql::SqlAction> actions = {
      sql::CreateRole{.role = "app_owner"},
      sql::CommentOnRole{.role = "app_owner", .comment = "tenantdb:t/Database/app"},
      sql::CreateDatabase{.name = "app", .owner = "app_owner", .allow_connections = false},
      sql::CommentOnDatabase{.name = "app", .comment = "tenantdb:t/Database/app"},
      sql::CreateSchema{.database = "app", .name = "s", .owner = "app_owner"},
      sql::DropSchema{.database = "app", .name = "old"},
  };
  const auto groups = GroupIntoTransactions(actions);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].size(), 2u);  // the role and its marker: all or nothing
  EXPECT_EQ(groups[1].size(), 1u);  // CREATE DATABASE alone
  EXPECT_EQ(groups[2].size(), 1u);
  EXPECT_EQ(groups[3].size(), 2u);  // both in database app
}

TEST_F(ApplySqlTest, AppliesEachTransactionInTheSessionOfItsDatabase) {
  ServerSessions sessions(server_, params_);
  const std::vector<SqlTransaction> plan = {
      {sql::CreateRole{.role = "app_owner"},
       sql::CommentOnRole{.role = "app_owner", .comment = "tenantdb:t/Database/app"}},
      {sql::GrantMembership{.role = "app_owner", .member = server_.options().admin}},
      {sql::CreateDatabase{.name = "app", .owner = "app_owner"}},
      // A shared-catalog action with one of the database: runs in app's session.
      {sql::CommentOnRole{.role = "app_owner", .comment = "tenantdb:t/Database/app"},
       sql::CreateSchema{.database = "app", .name = "s", .owner = "app_owner"}},
  };
  const ApplyOutcome outcome = ApplySqlActions(sessions, plan, Context());
  ASSERT_TRUE(outcome.ok()) << outcome.error->message;
  EXPECT_EQ(outcome.committed, 4u);
  EXPECT_EQ(outcome.actions, 6u);

  const auto role = server_.Role("app_owner");
  ASSERT_TRUE(role.has_value());
  EXPECT_EQ(role->comment, "tenantdb:t/Database/app");
  const auto db = server_.Database("app");
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ(db->owner, "app_owner");
  EXPECT_TRUE(db->schemas.contains("s"));

  const auto applied = server_.applied();
  ASSERT_EQ(applied.size(), 6u);
  EXPECT_EQ(applied[0].database, "postgres");
  EXPECT_EQ(applied[3].database, "postgres");  // CREATE DATABASE from the home session
  EXPECT_EQ(applied[4].database, "app");
  EXPECT_EQ(applied[5].database, "app");
  ASSERT_EQ(events_.size(), 1u) << "one Event for the visit's changes, not one per action";
  EXPECT_EQ(events_.front().rfind("Normal Reconciled: Applied 6 changes: ", 0), 0u)
      << events_.front();
  EXPECT_EQ(Counted("CommentOnRole"), 2);
  EXPECT_EQ(Counted("CreateDatabase"), 1);
}

TEST_F(ApplySqlTest, StopsAtTheFirstFailureAndRollsItsTransactionBack) {
  server_.FailNext("CommentOnRole", Error::Permission("permission denied to comment on role"));
  ServerSessions sessions(server_, params_);
  const std::vector<SqlTransaction> plan = {
      {sql::CreateRole{.role = "a"}, sql::CommentOnRole{.role = "a", .comment = "m"}},
      {sql::CreateRole{.role = "b"}},
  };
  const ApplyOutcome outcome = ApplySqlActions(sessions, plan, Context());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->code, ErrorCode::kPermission);
  EXPECT_NE(outcome.error->message.find("then"), std::string::npos)
      << "the message says what the transaction tried: " << outcome.error->message;
  EXPECT_EQ(outcome.committed, 0u);
  EXPECT_FALSE(server_.Role("a").has_value()) << "all or nothing: no role without its marker";
  EXPECT_FALSE(server_.Role("b").has_value()) << "nothing after the failure is tried";
  EXPECT_TRUE(events_.empty());
}

TEST_F(ApplySqlTest, RefusesATransactionThatBreaksTheRuleAndSendsNothing) {
  ServerSessions sessions(server_, params_);
  server_.AddRole({.name = "o"});
  server_.AddDatabase("x", "o");
  server_.AddDatabase("y", "o");
  for (const auto& bad : std::vector<std::vector<SqlTransaction>>{
           {{sql::CreateSchema{.database = "x", .name = "s", .owner = "o"},
             sql::CreateSchema{.database = "y", .name = "s", .owner = "o"}}},
           {{sql::CreateRole{.role = "r"}, sql::DropDatabase{.name = "x"}}},
           std::vector<SqlTransaction>(1),  // an empty transaction
       }) {
    const ApplyOutcome outcome = ApplySqlActions(sessions, bad, Context());
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error->code, ErrorCode::kInternal) << outcome.error->message;
  }
  EXPECT_TRUE(server_.applied().empty());
  EXPECT_TRUE(server_.Database("x").has_value());
}

TEST_F(ApplySqlTest, ServerDownIsATransientErrorBeforeAnythingIsSent) {
  server_.SetDown(true);
  ServerSessions sessions(server_, params_);
  const ApplyOutcome outcome =
      ApplySqlActions(sessions, {{sql::CreateRole{.role = "a"}}}, Context());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->code, ErrorCode::kTransient);
  EXPECT_EQ(Counted("CreateRole"), 0);
}

TEST_F(ApplySqlTest, AfterCommitSeesEachCommittedTransaction) {
  ServerSessions sessions(server_, params_);
  std::vector<std::size_t> seen;
  ApplyContext context = Context();
  context.after_commit = [&](const SqlTransaction& t) { seen.push_back(t.size()); };
  const ApplyOutcome outcome = ApplySqlActions(
      sessions,
      {{sql::CreateRole{.role = "a"}, sql::CommentOnRole{.role = "a", .comment = "m"}},
       {sql::CreateRole{.role = "b"}}},
      context);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(seen, (std::vector<std::size_t>{2, 1}));
}

}  // namespace
}  // namespace tenantdb::controllers
