#include "api/v1alpha1/json_codec.h"

#include <gtest/gtest.h>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "api/v1alpha1/gvk.h"
#include "api/v1alpha1/meta.h"
#include "api_test_util.h"

namespace tenantdb::api::v1alpha1 {
namespace {

TEST(JsonCodecTest, BuildsPaths) {
  EXPECT_EQ(ChildPath("", "spec"), "spec");
  EXPECT_EQ(ChildPath("spec", "port"), "spec.port");
  EXPECT_EQ(IndexPath(ChildPath(IndexPath("spec.grants", 1), "privileges"), 0),
            "spec.grants[1].privileges[0]");
  EXPECT_EQ(KeyPath("spec.secretTemplate", "DSN"), "spec.secretTemplate[DSN]");
}

TEST(JsonCodecTest, TypeErrorsNameTheJsonPath) {
  const auto server = FromJson<DatabaseServer>(Json::parse(R"({"spec": {"port": "5432"}})"));
  ASSERT_FALSE(server.has_value());
  EXPECT_EQ(server.error().message, "spec.port: expected integer");
  EXPECT_EQ(server.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(server.error().reason, "InvalidSpec");
  EXPECT_TRUE(server.error().terminal);

  const auto nested =
      FromJson<Database>(Json::parse(R"({"spec": {"extensions": [{"name": "a"}, {"name": 7}]}})"));
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().message, "spec.extensions[1].name: expected string");

  const auto labels = FromJson<Database>(Json::parse(R"({"metadata": {"labels": {"a": 1}}})"));
  ASSERT_FALSE(labels.has_value());
  EXPECT_EQ(labels.error().message, "metadata.labels[a]: expected string");

  const auto flag = FromJson<Database>(Json::parse(R"({"spec": {"adopt": "yes"}})"));
  ASSERT_FALSE(flag.has_value());
  EXPECT_EQ(flag.error().message, "spec.adopt: expected boolean");

  const auto list = FromJson<Database>(Json::parse(R"({"spec": {"schemas": {}}})"));
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().message, "spec.schemas: expected array");

  const auto time =
      FromJson<Database>(Json::parse(R"({"metadata": {"creationTimestamp": "yesterday"}})"));
  ASSERT_FALSE(time.has_value());
  EXPECT_EQ(time.error().message,
            "metadata.creationTimestamp: expected RFC 3339 date-time, got \"yesterday\"");
}

TEST(JsonCodecTest, RefusesOutOfRangeAndFractionalIntegers) {
  const auto big = FromJson<DatabaseServer>(Json::parse(R"({"spec": {"port": 4294967296}})"));
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().message, "spec.port: expected 32-bit integer");
  const auto fraction = FromJson<DatabaseServer>(Json::parse(R"({"spec": {"port": 5432.5}})"));
  ASSERT_FALSE(fraction.has_value());
  EXPECT_EQ(fraction.error().message, "spec.port: expected integer");
}

TEST(JsonCodecTest, UnknownEnumValueNamesTheChoices) {
  const auto server =
      FromJson<DatabaseServer>(Json::parse(R"({"spec": {"sslMode": "verify_full"}})"));
  ASSERT_FALSE(server.has_value());
  EXPECT_EQ(server.error().message,
            "spec.sslMode: unsupported value \"verify_full\": supported values: disable, allow, "
            "prefer, require, verify-ca, verify-full");
}

TEST(JsonCodecTest, NonObjectsAndWrongKindsAreRefused) {
  const auto array = FromJson<Database>(Json::array());
  ASSERT_FALSE(array.has_value());
  EXPECT_EQ(array.error().message, "expected object");
  const auto spec = FromJson<Database>(Json::parse(R"({"spec": []})"));
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().message, "spec: expected object");
  const auto kind = FromJson<Database>(Json::parse(R"({"kind": "DatabaseRole"})"));
  ASSERT_FALSE(kind.has_value());
  EXPECT_EQ(kind.error().message, "kind: expected Database, got DatabaseRole");
}

TEST(JsonCodecTest, NullIsAbsentAndUnknownFieldsAreIgnored) {
  const auto db = FromJson<Database>(Json::parse(R"({
    "apiVersion": "tenantdb.io/v1alpha1", "kind": "Database",
    "metadata": {"name": "orders", "namespace": "shop", "creationTimestamp": null,
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"owner": null, "futureField": {"x": 1}, "connectionLimit": 5},
    "status": null
  })"));
  ASSERT_TRUE(db.has_value()) << db.error().message;
  EXPECT_FALSE(db->spec.owner.has_value());
  EXPECT_FALSE(db->metadata.creation_timestamp.has_value());
  EXPECT_EQ(db->spec.connection_limit, 5);
  EXPECT_EQ(ToJson(*db), Json::parse(R"({
    "apiVersion": "tenantdb.io/v1alpha1", "kind": "Database",
    "metadata": {"name": "orders", "namespace": "shop"},
    "spec": {"connectionLimit": 5}
  })"));
}

TEST(JsonCodecTest, QuantitiesAcceptStringsAndNumbers) {
  const auto q =
      FromJson<std::map<std::string, Quantity>>(Json::parse(R"({"cpu": 1, "memory": "64Mi"})"));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->at("cpu").value, "1");
  EXPECT_EQ(q->at("memory").value, "64Mi");
  EXPECT_EQ(ToJson(*q), Json::parse(R"({"cpu": "1", "memory": "64Mi"})"));
}

TEST(JsonCodecTest, EnumStrings) {
  EXPECT_EQ(ToString(SslMode::kVerifyFull), "verify-full");
  EXPECT_EQ(ParseEnum<SslMode>("verify-ca"), SslMode::kVerifyCa);
  EXPECT_EQ(ParseEnum<SslMode>("VERIFY-CA"), std::nullopt);
  EXPECT_EQ(ToString(ReclaimPolicy::kRetain), "Retain");
  EXPECT_EQ(EnumNames<Ensure>(), "present, absent");
}

TEST(GvkTest, GroupVersionKindsAndPlurals) {
  EXPECT_EQ(kGroup, "tenantdb.io");
  EXPECT_EQ(kVersion, "v1alpha1");
  EXPECT_EQ(kApiVersion, "tenantdb.io/v1alpha1");
  EXPECT_EQ(kDatabaseServerGvk.plural, "databaseservers");
  EXPECT_FALSE(kDatabaseServerGvk.namespaced);
  EXPECT_EQ(kDatabaseGvk.plural, "databases");
  EXPECT_EQ(kDatabaseRoleGvk.plural, "databaseroles");
  EXPECT_EQ(kMigrationGvk.plural, "migrations");
  EXPECT_EQ(kBackupScheduleGvk.plural, "backupschedules");
  EXPECT_EQ(kBackupScheduleGvk.kind, "BackupSchedule");
  EXPECT_EQ(kDatabaseRoleGvk.short_name, "dbrole");
  EXPECT_TRUE(kMigrationGvk.namespaced);
  EXPECT_EQ(Database::kGvk.kind, "Database");
}

TEST(MetaTest, ObjectMetaRoundTrip) {
  const Json j = Json::parse(R"({
    "name": "orders", "namespace": "shop", "uid": "0b6f-11", "resourceVersion": "981",
    "generation": 4, "labels": {"app": "orders"}, "annotations": {"a": "b"},
    "finalizers": ["tenantdb.io/cleanup"], "deletionTimestamp": "2026-03-04T05:06:07Z",
    "ownerReferences": [{"apiVersion": "tenantdb.io/v1alpha1", "kind": "DatabaseRole",
                         "name": "app", "uid": "u-9", "controller": true,
                         "blockOwnerDeletion": true}],
    "creationTimestamp": "2026-03-01T00:00:00Z"
  })");
  const auto meta = FromJson<ObjectMeta>(j);
  ASSERT_TRUE(meta.has_value()) << meta.error().message;
  EXPECT_EQ(meta->ns, "shop");
  EXPECT_EQ(meta->generation, 4);
  ASSERT_EQ(meta->owner_references.size(), 1u);
  EXPECT_EQ(meta->owner_references[0].controller, true);
  EXPECT_TRUE(IsBeingDeleted(*meta));
  EXPECT_TRUE(HasFinalizer(*meta, "tenantdb.io/cleanup"));
  EXPECT_FALSE(HasFinalizer(*meta, "other"));
  EXPECT_EQ(ToJson(*meta), j);
  EXPECT_EQ(ToJson(ObjectMeta{}), Json::object());
}

TEST(MetaTest, SecretReferenceShapes) {
  const auto sel = FromJson<SecretKeySelector>(Json::parse(R"({"name": "pw", "key": "k"})"));
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->key, "k");
  const auto ns = FromJson<NamespacedSecretKeySelector>(
      Json::parse(R"({"namespace": "db", "name": "ca", "key": "ca.crt"})"));
  ASSERT_TRUE(ns.has_value());
  EXPECT_EQ(ns->ns, "db");
  const Json creds = Json::parse(
      R"({"namespace": "db", "name": "admin", "usernameKey": "u", "passwordKey": "p"})");
  const auto parsed = FromJson<CredentialsSecretReference>(creds);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->username_key, "u");
  EXPECT_EQ(ToJson(*parsed), creds);
}

LabelSelector TeamSelector() {
  LabelSelector s;
  s.match_labels["tenantdb.io/allowed"] = "true";
  LabelSelectorRequirement in;
  in.key = "team";
  in.op = LabelSelectorOperator::kIn;
  in.values = {"shop", "billing"};
  LabelSelectorRequirement absent;
  absent.key = "frozen";
  absent.op = LabelSelectorOperator::kDoesNotExist;
  s.match_expressions = {in, absent};
  return s;
}

TEST(MetaTest, LabelSelectorMatching) {
  const LabelSelector s = TeamSelector();
  EXPECT_TRUE(LabelSelectorMatches(s, {{"tenantdb.io/allowed", "true"}, {"team", "shop"}}));
  EXPECT_FALSE(LabelSelectorMatches(s, {{"tenantdb.io/allowed", "true"}, {"team", "ops"}}));
  EXPECT_FALSE(LabelSelectorMatches(s, {{"team", "shop"}}));
  EXPECT_FALSE(LabelSelectorMatches(
      s, {{"tenantdb.io/allowed", "true"}, {"team", "shop"}, {"frozen", "yes"}}));
  EXPECT_TRUE(LabelSelectorMatches(LabelSelector{}, {}));
  LabelSelector not_in;
  LabelSelectorRequirement req;
  req.key = "env";
  req.op = LabelSelectorOperator::kNotIn;
  req.values = {"prod"};
  not_in.match_expressions = {req};
  EXPECT_TRUE(LabelSelectorMatches(not_in, {}));
  EXPECT_FALSE(LabelSelectorMatches(not_in, {{"env", "prod"}}));
}

TEST(MetaTest, LabelSelectorJsonAndValidation) {
  const Json j = Json::parse(R"({"matchLabels": {"tenantdb.io/allowed": "true"},
    "matchExpressions": [{"key": "team", "operator": "In", "values": ["shop", "billing"]},
                         {"key": "frozen", "operator": "DoesNotExist"}]})");
  const auto parsed = FromJson<LabelSelector>(j);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, TeamSelector());
  EXPECT_EQ(ToJson(*parsed), j);

  LabelSelector bad = TeamSelector();
  bad.match_expressions[0].values.clear();
  bad.match_expressions[1].values = {"x"};
  bad.match_expressions[1].key = "";
  std::vector<FieldError> errors;
  ValidateLabelSelector(bad, "spec.sel", errors);
  EXPECT_EQ(testing_util::Paths(errors),
            (std::vector<std::string>{"spec.sel.matchExpressions[0].values",
                                      "spec.sel.matchExpressions[1].key",
                                      "spec.sel.matchExpressions[1].values"}));
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
