#pragma once

// Typed object caches: each object is decoded ONCE, on the watch thread, into its C++ type (an
// api/v1alpha1 kind, defaults applied; managedFields, kubectl's last-applied-configuration and
// every field the type does not name are dropped by construction) and handed to controllers as
// a shared, immutable `std::shared_ptr<const Cached<T>>` (a Cached<T> is a T).
//
//   TypedCacheWriter<T> writer;                    // one per watch, owned by its watch thread
//   TypedCache<T> cache = writer.Cache();          // cheap to copy, safe from any thread
//   writer.Apply(watch_event);                     // or Upsert(T) / Erase / Replace in tests
//   if (CachedPtr<T> db = cache.Get("team-a", "orders"); db && !db->invalid) { ...db->spec... }
//
// kube does not depend on api/: T is any type with a member `metadata` holding `std::string ns`,
// `std::string name` and `std::map<std::string, std::string> annotations` (api's ObjectMeta),
// and the default decoder DecodeCached<T> finds `Decode(json, path, T&)`, `Decode(json, path,
// decltype(T::metadata)&)` and `ApplyDefaults(T&)` by argument-dependent lookup (every
// api/v1alpha1 kind has them). Another decoder can be injected into TypedCacheWriter.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "kube/store.h"
#include "kube/watcher.h"

namespace tenantdb::kube {

// A cached object. An object that does not decode (a type error the CRD schema let through, e.g.
// an older CRD) stays in the cache so its controller can report Ready=False InvalidSpec and its
// finalizer still runs: then `invalid` holds the decode error (kInvalid, message naming the
// field: "spec.port: expected integer") and only `metadata` is filled (from the raw metadata
// when that decodes, else name and namespace alone); every other member of T is
// default-constructed and must not be read. (A pointer, not std::optional<Error>: ~100 bytes less
// per cached object, and almost every object is valid. Read it as `if (obj->invalid) return
// *obj->invalid;`.)
template <class T>
struct Cached : T {
  Cached() = default;
  explicit Cached(T object) : T(std::move(object)) {}
  std::shared_ptr<const Error> invalid;  // null: decoded
};

template <class T>
using CachedPtr = std::shared_ptr<const Cached<T>>;

// JSON object -> cached object; nullptr drops the object (the default decoder never does).
template <class T>
using CachedDecoder = std::function<CachedPtr<T>(const json& object)>;

// The default decoder: Decode, then ApplyDefaults; on a decode error the metadata-only object
// with `invalid` set (see Cached). kubectl's last-applied-configuration annotation is dropped.
template <class T>
CachedPtr<T> DecodeCached(const json& object) {
  auto out = std::make_shared<Cached<T>>();
  T& typed = *out;
  if (auto decoded = Decode(object, std::string(), typed); decoded) {
    ApplyDefaults(typed);
  } else {
    typed = T{};
    out->invalid = std::make_shared<const Error>(decoded.error());
    const auto meta = object.is_object() ? object.find("metadata") : object.end();
    if (meta == object.end() || !Decode(*meta, std::string("metadata"), typed.metadata)) {
      typed.metadata = {};
      const std::string key = StoreKeyOf(object);  // "<namespace>/<name>"
      const auto slash = key.find('/');
      typed.metadata.ns = key.substr(0, slash);
      typed.metadata.name = key.substr(slash + 1);
    }
  }
  typed.metadata.annotations.erase(kLastAppliedAnnotation);
  return out;
}

template <class T>
class TypedCacheWriter;

// Read side (STYLE.md R10), like CacheView: cheap to copy, safe from any thread, possibly stale;
// spans the stores of one kind watched in several namespaces (Add). Objects are shared and
// immutable: a reader keeps the version it got after the writer replaces it.
template <class T>
class TypedCache {
 public:
  TypedCache() = default;

  // Reads `other`'s stores too (one watch per namespace read as one cache).
  void Add(const TypedCache& other) {
    stores_.insert(stores_.end(), other.stores_.begin(), other.stores_.end());
  }

  // nullptr when there is no such object.
  CachedPtr<T> Get(std::string_view ns, std::string_view name) const {
    for (const auto& store : stores_) {
      if (auto object = store->Get(ns, name)) {
        return object;
      }
    }
    return nullptr;
  }
  // All objects, ordered by namespace then name within each store.
  std::vector<CachedPtr<T>> List() const {
    if (stores_.size() == 1) {
      return stores_.front()->List();
    }
    std::vector<CachedPtr<T>> out;
    for (const auto& store : stores_) {
      auto part = store->List();
      out.insert(out.end(), part.begin(), part.end());
    }
    return out;
  }
  // Objects in namespace `ns`, ordered by name.
  std::vector<CachedPtr<T>> ListInNamespace(std::string_view ns) const {
    std::vector<CachedPtr<T>> out;
    for (const auto& store : stores_) {
      auto part = store->ListInNamespace(ns);
      out.insert(out.end(), part.begin(), part.end());
    }
    return out;
  }
  std::size_t Size() const {
    std::size_t n = 0;
    for (const auto& store : stores_) {
      n += store->Size();
    }
    return n;
  }
  // True once every store has had its first complete list (vacuously true with no store).
  bool HasSynced() const {
    for (const auto& store : stores_) {
      if (!store->HasSynced()) {
        return false;
      }
    }
    return true;
  }

 private:
  friend class TypedCacheWriter<T>;
  using State = detail::KeyedObjects<Cached<T>>;
  std::vector<std::shared_ptr<const State>> stores_;
};

// Write side: one per watched resource, used by its watch thread only (or by a unit test, which
// fills it with Upsert and MarkSynced instead of a watch). Move-only: exactly one writer.
template <class T>
class TypedCacheWriter {
 public:
  explicit TypedCacheWriter(CachedDecoder<T> decode = &DecodeCached<T>)
      : decode_(std::move(decode)), state_(std::make_shared<State>()) {}
  TypedCacheWriter(TypedCacheWriter&&) noexcept = default;
  TypedCacheWriter& operator=(TypedCacheWriter&&) noexcept = default;
  TypedCacheWriter(const TypedCacheWriter&) = delete;
  TypedCacheWriter& operator=(const TypedCacheWriter&) = delete;
  ~TypedCacheWriter() = default;

  TypedCache<T> Cache() const {
    TypedCache<T> cache;
    cache.stores_.push_back(state_);
    return cache;
  }

  // kAdded/kModified: decode and insert or replace; kDeleted: remove; kRestarted: decode every
  // object and Replace. Returns the objects the event carried, decoded (for kDeleted its last
  // state), for the event handlers; objects without a name are skipped.
  std::vector<CachedPtr<T>> Apply(const WatchEvent& event) {
    std::vector<CachedPtr<T>> carried;
    switch (event.type) {
      case WatchEventType::kAdded:
      case WatchEventType::kModified:
      case WatchEventType::kDeleted:
        if (auto object = DecodeNamed(event.object)) {
          if (event.type == WatchEventType::kDeleted) {
            Erase(object->metadata.ns, object->metadata.name);
          } else {
            Upsert(object);
          }
          carried.push_back(std::move(object));
        }
        return carried;
      case WatchEventType::kRestarted:
        carried.reserve(event.objects.size());
        for (const auto& json_object : event.objects) {
          if (auto object = DecodeNamed(json_object)) {
            carried.push_back(std::move(object));
          }
        }
        Replace(carried);
        return carried;
    }
    return carried;
  }

  // Inserts or replaces `object` as the decoder would have left it (ApplyDefaults is applied).
  void Upsert(T object) {
    ApplyDefaults(object);
    Upsert(std::make_shared<const Cached<T>>(std::move(object)));
  }
  // Inserts or replaces an already cached object (e.g. one with `invalid` set, in a test).
  void Upsert(CachedPtr<T> object) {
    std::string key = StoreKeyOf(object->metadata.ns, object->metadata.name);
    const std::unique_lock lock(state_->mu);
    state_->objects.insert_or_assign(std::move(key), std::move(object));
  }
  void Erase(std::string_view ns, std::string_view name) {
    const std::string key = StoreKeyOf(ns, name);
    const std::unique_lock lock(state_->mu);
    if (const auto it = state_->objects.find(key); it != state_->objects.end()) {
      state_->objects.erase(it);
    }
  }
  // Replaces the whole content atomically (readers see the old set or the new one) and marks the
  // cache synced.
  void Replace(const std::vector<CachedPtr<T>>& objects) {
    typename State::Map fresh;
    for (const auto& object : objects) {
      fresh.insert_or_assign(StoreKeyOf(object->metadata.ns, object->metadata.name), object);
    }
    {
      const std::unique_lock lock(state_->mu);
      state_->objects.swap(fresh);
      state_->synced = true;
    }
    // `fresh` holds the old content and frees it here, outside the lock.
  }
  // What a complete list does to HasSynced, for tests that fill the cache with Upsert.
  void MarkSynced() {
    const std::unique_lock lock(state_->mu);
    state_->synced = true;
  }

 private:
  using State = detail::KeyedObjects<Cached<T>>;

  CachedPtr<T> DecodeNamed(const std::shared_ptr<const json>& object) const {
    if (!object) {
      return nullptr;
    }
    CachedPtr<T> decoded = decode_(*object);
    return decoded && !decoded->metadata.name.empty() ? decoded : nullptr;
  }

  CachedDecoder<T> decode_;
  std::shared_ptr<State> state_;
};

}  // namespace tenantdb::kube
