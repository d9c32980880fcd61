#include <gtest/gtest.h>

#include <memory>

#include "api/v1alpha1/database_types.h"
#include "app/wiring_context.h"

namespace tenantdb::app {
namespace {

namespace v1 = api::v1alpha1;
using CachedDatabase = kube::Cached<v1::Database>;

CachedDatabase Reconciled() {
  CachedDatabase db;
  db.metadata.ns = "team-a";
  db.metadata.name = "orders";
  db.metadata.uid = "uid-1";
  db.metadata.resource_version = "10";
  db.metadata.generation = 3;
  db.metadata.labels = {{"team", "a"}};
  db.metadata.finalizers = {"tenantdb.io/finalizer"};
  db.status.observed_generation = 3;
  return db;
}

TEST(StatusOnlyChangeTest, OwnStatusWriteIsStatusOnly) {
  const CachedDatabase before = Reconciled();
  CachedDatabase after = before;
  after.metadata.resource_version = "11";
  after.status.conditions.push_back(
      v1::Condition{.type = "Ready", .status = v1::ConditionStatus::kTrue, .reason = "Reconciled"});
  EXPECT_TRUE(StatusOnlyChange(before, after));
}

TEST(StatusOnlyChangeTest, EveryMetadataChangeAReconcilerReadsIsNot) {
  const CachedDatabase before = Reconciled();
  auto changed = [&](auto mutate) {
    CachedDatabase after = before;
    after.metadata.resource_version = "11";
    mutate(after);
    return StatusOnlyChange(before, after);
  };
  EXPECT_FALSE(changed([](CachedDatabase& d) { d.metadata.generation = 4; }));  // spec
  EXPECT_FALSE(changed([](CachedDatabase& d) { d.metadata.labels["team"] = "b"; }));
  EXPECT_FALSE(changed([](CachedDatabase& d) { d.metadata.annotations["x"] = "1"; }));
  EXPECT_FALSE(changed([](CachedDatabase& d) { d.metadata.finalizers.clear(); }));
  EXPECT_FALSE(changed([](CachedDatabase& d) {
    d.metadata.deletion_timestamp = v1::ToTimestamp(std::chrono::system_clock::now());
  }));
  EXPECT_FALSE(changed(
      [](CachedDatabase& d) { d.metadata.owner_references.push_back(v1::OwnerReference{}); }));
  EXPECT_FALSE(changed([](CachedDatabase& d) { d.metadata.uid = "uid-2"; }));  // re-created
}

TEST(StatusOnlyChangeTest, InvalidOrGenerationlessObjectsAlwaysCount) {
  const CachedDatabase before = Reconciled();
  CachedDatabase invalid = before;
  invalid.invalid = std::make_shared<const Error>(Error::Invalid("spec.port: expected integer"));
  EXPECT_FALSE(StatusOnlyChange(before, invalid));
  EXPECT_FALSE(StatusOnlyChange(invalid, before));

  CachedDatabase no_generation = before;
  no_generation.metadata.generation = 0;
  EXPECT_FALSE(StatusOnlyChange(no_generation, no_generation));
}

}  // namespace
}  // namespace tenantdb::app
