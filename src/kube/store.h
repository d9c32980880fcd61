#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/watcher.h"

namespace tenantdb::kube {

using json = nlohmann::json;

namespace detail {
struct StoreState;
}  // namespace detail

// kubectl apply's copy of the whole object, as a string annotation.
inline constexpr const char* kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// Removes what no controller reads and what often doubles an object's size: metadata.managedFields
// and kubectl's last-applied-configuration annotation (a JSON copy of the object).
void StripManagedFields(json& object);

// The cache key of an object: "<namespace>/<name>" ("/<name>" when cluster-scoped).
std::string StoreKeyOf(std::string_view ns, std::string_view name);
std::string StoreKeyOf(const json& object);

// Read side of the object cache (STYLE.md R10): cheap to copy, safe from any thread. Objects are
// shared and immutable: a reader keeps the version it got even after the writer replaces it.
// Reads may be stale; writes to the API carry resourceVersion and treat 409 as "requeue".
class StoreReader {
 public:
  // nullptr when there is no such object.
  std::shared_ptr<const json> Get(std::string_view ns, std::string_view name) const;
  // All objects, ordered by namespace then name.
  std::vector<std::shared_ptr<const json>> List() const;
  // Objects in namespace `ns`, ordered by name.
  std::vector<std::shared_ptr<const json>> ListInNamespace(std::string_view ns) const;
  // Objects whose metadata.labels[key] == value (through a label index), ordered by key.
  std::vector<std::shared_ptr<const json>> ListByLabel(std::string_view key,
                                                       std::string_view value) const;
  std::size_t Size() const;
  // True once the first complete list has been stored.
  bool HasSynced() const;

 private:
  friend class StoreWriter;
  explicit StoreReader(std::shared_ptr<const detail::StoreState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<const detail::StoreState> state_;
};

// The StoreReaders of one kind watched in several namespaces (one watch per namespace when the
// operator is limited to a list), read as one cache. With a single reader it is that reader.
class CacheView {
 public:
  CacheView() = default;
  explicit CacheView(std::vector<StoreReader> readers) : readers_(std::move(readers)) {}
  void Add(StoreReader reader) { readers_.push_back(std::move(reader)); }

  std::shared_ptr<const json> Get(std::string_view ns, std::string_view name) const;
  std::vector<std::shared_ptr<const json>> List() const;
  std::vector<std::shared_ptr<const json>> ListInNamespace(std::string_view ns) const;
  std::vector<std::shared_ptr<const json>> ListByLabel(std::string_view key,
                                                       std::string_view value) const;
  bool HasSynced() const;

 private:
  std::vector<StoreReader> readers_;
};

// Write side of the object cache: one per watched resource, owned by its watcher thread
// (STYLE.md R10). Move-only so there is exactly one writer.
class StoreWriter {
 public:
  StoreWriter();
  StoreWriter(StoreWriter&&) noexcept = default;
  StoreWriter& operator=(StoreWriter&&) noexcept = default;
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;
  ~StoreWriter() = default;

  StoreReader Reader() const;

  // kAdded/kModified: insert or replace; kDeleted: remove; kRestarted: Replace(event.objects).
  void Apply(const WatchEvent& event);
  // Replaces the whole content atomically (readers see the old set or the new one) and marks
  // the store synced.
  void Replace(const std::vector<std::shared_ptr<const json>>& objects);

 private:
  std::shared_ptr<detail::StoreState> state_;
};

}  // namespace tenantdb::kube
