#include "kube/store.h"

#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>

namespace tenantdb::kube {
namespace detail {

// key -> object, plus a label index "<label key>=<value>" -> object keys. A '=' never occurs in
// a label key, so the composite index key is unambiguous.
struct StoreState : KeyedObjects<json> {
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> by_label;
};

}  // namespace detail

namespace {

using detail::StoreState;

std::string LabelIndexKey(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(key.size() + 1 + value.size());
  out.append(key);
  out.push_back('=');
  out.append(value);
  return out;
}

const json* Labels(const json& object) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return nullptr;
  }
  const auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) {
    return nullptr;
  }
  return &*labels;
}

void IndexLabels(StoreState& state, const std::string& key, const json& object) {
  if (const json* labels = Labels(object)) {
    for (const auto& [name, value] : labels->items()) {
      if (value.is_string()) {
        state.by_label[LabelIndexKey(name, value.get_ref<const std::string&>())].insert(key);
      }
    }
  }
}

void UnindexLabels(StoreState& state, const std::string& key, const json& object) {
  if (const json* labels = Labels(object)) {
    for (const auto& [name, value] : labels->items()) {
      if (!value.is_string()) {
        continue;
      }
      const auto it = state.by_label.find(LabelIndexKey(name, value.get_ref<const std::string&>()));
      if (it != state.by_label.end()) {
        it->second.erase(key);
        if (it->second.empty()) {
          state.by_label.erase(it);
        }
      }
    }
  }
}

std::string_view MetadataView(const json& object, const char* field) {
  if (!object.is_object()) {
    return {};
  }
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return {};
  }
  const auto it = meta->find(field);
  if (it == meta->end() || !it->is_string()) {
    return {};
  }
  return it->get_ref<const std::string&>();
}

bool HasLastApplied(const json& meta) {
  const auto annotations = meta.find("annotations");
  return annotations != meta.end() && annotations->is_object() &&
         annotations->contains(kLastAppliedAnnotation);
}

// The object as it is cached: shared as is unless it still carries what no controller reads.
std::shared_ptr<const json> ForCache(const std::shared_ptr<const json>& object) {
  const auto meta = object->find("metadata");
  if (meta != object->end() && meta->is_object() &&
      (meta->contains("managedFields") || HasLastApplied(*meta))) {
    json copy = *object;
    StripManagedFields(copy);
    return std::make_shared<const json>(std::move(copy));
  }
  return object;
}

void Upsert(StoreState& state, const std::shared_ptr<const json>& object) {
  std::string key = StoreKeyOf(*object);
  auto cached = ForCache(object);
  const auto it = state.objects.find(key);
  if (it != state.objects.end()) {
    UnindexLabels(state, key, *it->second);
    IndexLabels(state, key, *cached);
    it->second = std::move(cached);
    return;
  }
  IndexLabels(state, key, *cached);
  state.objects.emplace(std::move(key), std::move(cached));
}

void Erase(StoreState& state, const json& object) {
  const std::string key = StoreKeyOf(object);
  const auto it = state.objects.find(key);
  if (it == state.objects.end()) {
    return;
  }
  UnindexLabels(state, key, *it->second);
  state.objects.erase(it);
}

bool HasName(const std::shared_ptr<const json>& object) {
  return object && !MetadataView(*object, "name").empty();
}

}  // namespace

void StripManagedFields(json& object) {
  if (!object.is_object()) {
    return;
  }
  const auto meta = object.find("metadata");
  if (meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
    const auto annotations = meta->find("annotations");
    if (annotations != meta->end() && annotations->is_object()) {
      annotations->erase(kLastAppliedAnnotation);
      if (annotations->empty()) {
        meta->erase(annotations);
      }
    }
  }
}

std::string StoreKeyOf(std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns);
  key.push_back('/');
  key.append(name);
  return key;
}

std::string StoreKeyOf(const json& object) {
  return StoreKeyOf(MetadataView(object, "namespace"), MetadataView(object, "name"));
}

std::map<std::string, std::string> LabelsOf(const json& object) {
  std::map<std::string, std::string> out;
  if (const json* labels = Labels(object)) {
    for (const auto& [name, value] : labels->items()) {
      if (value.is_string()) {
        out.emplace(name, value.get_ref<const std::string&>());
      }
    }
  }
  return out;
}

std::shared_ptr<const json> StoreReader::Get(std::string_view ns, std::string_view name) const {
  return state_->Get(ns, name);
}

std::vector<std::shared_ptr<const json>> StoreReader::List() const { return state_->List(); }

std::vector<std::shared_ptr<const json>> StoreReader::ListInNamespace(std::string_view ns) const {
  return state_->ListInNamespace(ns);
}

std::vector<std::shared_ptr<const json>> StoreReader::ListByLabel(std::string_view key,
                                                                  std::string_view value) const {
  const std::string index_key = LabelIndexKey(key, value);
  const std::shared_lock lock(state_->mu);
  std::vector<std::shared_ptr<const json>> out;
  const auto it = state_->by_label.find(index_key);
  if (it == state_->by_label.end()) {
    return out;
  }
  out.reserve(it->second.size());
  for (const std::string& object_key : it->second) {
    const auto obj = state_->objects.find(object_key);
    if (obj != state_->objects.end()) {
      out.push_back(obj->second);
    }
  }
  return out;
}

std::size_t StoreReader::Size() const { return state_->Size(); }

bool StoreReader::HasSynced() const { return state_->HasSynced(); }

StoreWriter::StoreWriter() : state_(std::make_shared<StoreState>()) {}

StoreReader StoreWriter::Reader() const { return StoreReader(state_); }

void StoreWriter::Apply(const WatchEvent& event) {
  switch (event.type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified: {
      if (!HasName(event.object)) {
        return;
      }
      const std::unique_lock lock(state_->mu);
      Upsert(*state_, event.object);
      return;
    }
    case WatchEventType::kDeleted: {
      if (!HasName(event.object)) {
        return;
      }
      const std::unique_lock lock(state_->mu);
      Erase(*state_, *event.object);
      return;
    }
    case WatchEventType::kRestarted:
      Replace(event.objects);
      return;
  }
}

void StoreWriter::Replace(const std::vector<std::shared_ptr<const json>>& objects) {
  // Build the new content outside the lock; readers only wait for the swap.
  StoreState fresh;
  for (const auto& object : objects) {
    if (HasName(object)) {
      Upsert(fresh, object);
    }
  }
  {
    const std::unique_lock lock(state_->mu);
    state_->objects.swap(fresh.objects);
    state_->by_label.swap(fresh.by_label);
    state_->synced = true;
  }
  // `fresh` now holds the old content and frees it here, outside the lock.
}

std::shared_ptr<const json> CacheView::Get(std::string_view ns, std::string_view name) const {
  for (const auto& reader : readers_) {
    if (auto obj = reader.Get(ns, name)) {
      return obj;
    }
  }
  return nullptr;
}

std::vector<std::shared_ptr<const json>> CacheView::List() const {
  if (readers_.size() == 1) {
    return readers_.front().List();
  }
  std::vector<std::shared_ptr<const json>> out;
  for (const auto& reader : readers_) {
    auto part = reader.List();
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<std::shared_ptr<const json>> CacheView::ListInNamespace(std::string_view ns) const {
  std::vector<std::shared_ptr<const json>> out;
  for (const auto& reader : readers_) {
    auto part = reader.ListInNamespace(ns);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<std::shared_ptr<const json>> CacheView::ListByLabel(std::string_view key,
                                                                std::string_view value) const {
  std::vector<std::shared_ptr<const json>> out;
  for (const auto& reader : readers_) {
    auto part = reader.ListByLabel(key, value);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

bool CacheView::HasSynced() const {
  for (const auto& reader : readers_) {
    if (!reader.HasSynced()) {
      return false;
    }
  }
  return true;
}

}  // namespace tenantdb::kube
