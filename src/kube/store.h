#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/watcher.h"

namespace tenantdb::kube {

using json = nlohmann::json;

// The cache key of an object: "<namespace>/<name>" ("/<name>" when cluster-scoped).
std::string StoreKeyOf(std::string_view ns, std::string_view name);

namespace detail {

// Shared, immutable objects by StoreKeyOf key, behind a reader/writer lock: the state of the JSON
// store below and of kube::TypedCache (kube/typed_cache.h), whatever the value type. One writer
// (the watch thread); readers on any thread keep the version they got after it is replaced.
template <class V>
struct KeyedObjects {
  using Ptr = std::shared_ptr<const V>;
  using Map = std::map<std::string, Ptr, std::less<>>;

  mutable std::shared_mutex mu;
  Map objects;
  bool synced = false;

  Ptr Get(std::string_view ns, std::string_view name) const {
    const std::string key = StoreKeyOf(ns, name);
    const std::shared_lock lock(mu);
    const auto it = objects.find(key);
    return it == objects.end() ? nullptr : it->second;
  }
  std::vector<Ptr> List() const {
    const std::shared_lock lock(mu);
    std::vector<Ptr> out;
    out.reserve(objects.size());
    for (const auto& [key, object] : objects) {
      out.push_back(object);
    }
    return out;
  }
  std::vector<Ptr> ListInNamespace(std::string_view ns) const {
    const std::string prefix = StoreKeyOf(ns, "");
    const std::shared_lock lock(mu);
    std::vector<Ptr> out;
    for (auto it = objects.lower_bound(prefix);
         it != objects.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  std::size_t Size() const {
    const std::shared_lock lock(mu);
    return objects.size();
  }
  bool HasSynced() const {
    const std::shared_lock lock(mu);
    return synced;
  }
};

struct StoreState;

}  // namespace detail

// kubectl apply's copy of the whole object, as a string annotation.
inline constexpr const char* kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// Removes what no controller reads and what often doubles an object's size: metadata.managedFields
// and kubectl's last-applied-configuration annotation (a JSON copy of the object).
void StripManagedFields(json& object);

// StoreKeyOf(metadata.namespace, metadata.name) of a JSON object.
std::string StoreKeyOf(const json& object);

// metadata.labels of a JSON object, the one rule for every reader (the store's label index, the
// namespace policy): a value that is not a string (never written by the API server, which
// rejects it) is skipped, as is a metadata or labels field that is not an object.
std::map<std::string, std::string> LabelsOf(const json& object);

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
