#include "controllers/common/namespace_policy.h"

#include <gtest/gtest.h>

namespace tenantdb::controllers {
namespace {

namespace v1 = api::v1alpha1;
using Labels = std::map<std::string, std::string>;
using Op = v1::LabelSelectorOperator;

v1::DatabaseServerSpec Spec() {
  v1::DatabaseServerSpec spec;
  spec.host = "db";
  return spec;
}

v1::LabelSelector Expr(std::string key, Op op, std::vector<std::string> values = {}) {
  v1::LabelSelector s;
  s.match_expressions.push_back({.key = std::move(key), .op = op, .values = std::move(values)});
  return s;
}

TEST(NamespacePolicyTest, AbsentListAndSelectorAdmitNoNamespace) {
  const auto spec = Spec();  // fail closed
  EXPECT_FALSE(IsNamespaceAllowed(spec, "shop", {}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "anything", {{"team", "x"}}));
  EXPECT_FALSE(NeedsNamespaceLabels(spec, "shop"));
}

TEST(NamespacePolicyTest, StarAdmitsEveryNamespace) {
  auto spec = Spec();
  spec.allowed_namespaces = std::vector<std::string>{"*"};
  EXPECT_TRUE(IsNamespaceAllowed(spec, "shop", {}));
  EXPECT_TRUE(IsNamespaceAllowed(spec, "anything", {{"team", "x"}}));
  EXPECT_FALSE(NeedsNamespaceLabels(spec, "shop"));
}

TEST(NamespacePolicyTest, ListAllowsOnlyItsNamespaces) {
  auto spec = Spec();
  spec.allowed_namespaces = std::vector<std::string>{"shop", "billing"};
  EXPECT_TRUE(IsNamespaceAllowed(spec, "shop", {}));
  EXPECT_TRUE(IsNamespaceAllowed(spec, "billing", {}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "other", {{"team", "shop"}}));
  EXPECT_FALSE(NeedsNamespaceLabels(spec, "other"));
}

TEST(NamespacePolicyTest, EmptyListAllowsNothing) {
  auto spec = Spec();
  spec.allowed_namespaces = std::vector<std::string>{};
  EXPECT_FALSE(IsNamespaceAllowed(spec, "shop", {}));
}

TEST(NamespacePolicyTest, SelectorMatchLabels) {
  auto spec = Spec();
  v1::LabelSelector s;
  s.match_labels = {{"tenantdb.io/allowed", "true"}, {"env", "prod"}};
  spec.allowed_namespace_selector = s;
  EXPECT_TRUE(NeedsNamespaceLabels(spec, "shop"));
  EXPECT_TRUE(IsNamespaceAllowed(spec, "shop", {{"tenantdb.io/allowed", "true"}, {"env", "prod"}}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "shop", {{"tenantdb.io/allowed", "true"}}));
  EXPECT_FALSE(
      IsNamespaceAllowed(spec, "shop", {{"tenantdb.io/allowed", "false"}, {"env", "prod"}}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "shop", {}));
}

TEST(NamespacePolicyTest, SelectorIn) {
  auto spec = Spec();
  spec.allowed_namespace_selector = Expr("team", Op::kIn, {"a", "b"});
  EXPECT_TRUE(IsNamespaceAllowed(spec, "x", {{"team", "a"}}));
  EXPECT_TRUE(IsNamespaceAllowed(spec, "x", {{"team", "b"}}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "x", {{"team", "c"}}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "x", {}));
}

TEST(NamespacePolicyTest, SelectorNotIn) {
  auto spec = Spec();
  spec.allowed_namespace_selector = Expr("team", Op::kNotIn, {"a"});
  EXPECT_FALSE(IsNamespaceAllowed(spec, "x", {{"team", "a"}}));
  EXPECT_TRUE(IsNamespaceAllowed(spec, "x", {{"team", "b"}}));
  EXPECT_TRUE(IsNamespaceAllowed(spec, "x", {}));  // Kubernetes: absent key satisfies NotIn
}

TEST(NamespacePolicyTest, SelectorExistsAndDoesNotExist) {
  auto spec = Spec();
  spec.allowed_namespace_selector = Expr("tenantdb", Op::kExists);
  EXPECT_TRUE(IsNamespaceAllowed(spec, "x", {{"tenantdb", ""}}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "x", {{"other", "1"}}));
  spec.allowed_namespace_selector = Expr("restricted", Op::kDoesNotExist);
  EXPECT_TRUE(IsNamespaceAllowed(spec, "x", {{"other", "1"}}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "x", {{"restricted", "yes"}}));
}

TEST(NamespacePolicyTest, EmptySelectorMatchesEverything) {
  auto spec = Spec();
  spec.allowed_namespace_selector = v1::LabelSelector{};
  EXPECT_TRUE(IsNamespaceAllowed(spec, "x", {}));
}

TEST(NamespacePolicyTest, ListOrSelectorEitherAllows) {
  auto spec = Spec();
  spec.allowed_namespaces = std::vector<std::string>{"shop"};
  spec.allowed_namespace_selector = Expr("team", Op::kIn, {"a"});
  EXPECT_TRUE(IsNamespaceAllowed(spec, "shop", {}));
  EXPECT_FALSE(NeedsNamespaceLabels(spec, "shop"));  // the list already allows it
  EXPECT_TRUE(NeedsNamespaceLabels(spec, "other"));
  EXPECT_TRUE(IsNamespaceAllowed(spec, "other", {{"team", "a"}}));
  EXPECT_FALSE(IsNamespaceAllowed(spec, "other", {{"team", "b"}}));
}

TEST(NamespacePolicyTest, MessageNamesServerAndWhatToDoButNotTheOtherTenants) {
  v1::DatabaseServer server;
  server.metadata.name = "shared";
  server.spec = Spec();
  server.spec.allowed_namespaces = std::vector<std::string>{"shop"};
  server.spec.allowed_namespace_selector = Expr("team", Op::kIn, {"a", "b"});
  const std::string message = NamespaceNotAllowedMessage(server, "intruder");
  EXPECT_NE(message.find("\"intruder\""), std::string::npos) << message;
  EXPECT_NE(message.find("DatabaseServer \"shared\""), std::string::npos) << message;
  EXPECT_NE(message.find("ask the platform team"), std::string::npos) << message;
  // The allow-list names other tenants: never in a tenant's status.
  EXPECT_EQ(message.find("shop"), std::string::npos) << message;
  EXPECT_EQ(message.find("team in"), std::string::npos) << message;
  server.spec.allowed_namespaces.reset();
  server.spec.allowed_namespace_selector.reset();
  EXPECT_NE(NamespaceNotAllowedMessage(server, "intruder").find("admits no namespace"),
            std::string::npos);
}

}  // namespace
}  // namespace tenantdb::controllers
