#include "fakes/fake_kube_api.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <exception>

namespace tenantdb::fakes {

namespace {

using json = nlohmann::json;

Error WithStatus(Error error, int status) {
  error.http_status = status;
  return error;
}

Error NotFound(const kube::Gvr& gvr, const std::string& name) {
  return WithStatus(Error::NotFound(gvr.resource + " \"" + name + "\" not found"), 404);
}

Error Conflict(std::string message) { return WithStatus(Error::Conflict(std::move(message)), 409); }

Error Invalid(std::string message, int status = 422) {
  return WithStatus(Error::Invalid(std::move(message)), status);
}

std::string ResourceKey(const kube::Gvr& gvr) { return gvr.group + "/" + gvr.resource; }

std::string MetaString(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
    return {};
  }
  const json& meta = obj["metadata"];
  const auto it = meta.find(key);
  return it != meta.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsDeleting(const json& obj) {
  return obj.contains("metadata") && obj["metadata"].contains("deletionTimestamp") &&
         !obj["metadata"]["deletionTimestamp"].is_null();
}

json Finalizers(const json& obj) {
  if (obj.contains("metadata") && obj["metadata"].contains("finalizers") &&
      obj["metadata"]["finalizers"].is_array()) {
    return obj["metadata"]["finalizers"];
  }
  return json::array();
}

// Everything but metadata and status: what generation tracks.
json SpecPart(const json& obj) {
  json copy = obj;
  if (copy.is_object()) {
    copy.erase("metadata");
    copy.erase("status");
  }
  return copy;
}

void NormaliseFinalizers(json& obj) {
  json& meta = obj["metadata"];
  if (meta.contains("finalizers") &&
      (meta["finalizers"].is_null() ||
       (meta["finalizers"].is_array() && meta["finalizers"].empty()))) {
    meta.erase("finalizers");
  }
}

std::string Trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto end = s.find_last_not_of(" \t");
  return std::string(s.substr(begin, end - begin + 1));
}

// Splits at commas outside parentheses.
std::vector<std::string> SplitRequirements(std::string_view selector) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string current;
  for (const char c : selector) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    if (c == ',' && depth == 0) {
      parts.push_back(Trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(Trim(current));
  return parts;
}

std::optional<std::set<std::string>> ParseValueSet(std::string_view text) {
  const std::string trimmed = Trim(text);
  if (trimmed.size() < 2 || trimmed.front() != '(' || trimmed.back() != ')') {
    return std::nullopt;
  }
  std::set<std::string> values;
  std::string_view inner(trimmed);
  inner = inner.substr(1, inner.size() - 2);
  std::size_t start = 0;
  while (start <= inner.size()) {
    const auto comma = inner.find(',', start);
    const auto end = comma == std::string_view::npos ? inner.size() : comma;
    values.insert(Trim(inner.substr(start, end - start)));
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return values;
}

bool IsLabelText(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

}  // namespace

std::optional<bool> MatchesLabelSelector(const json& labels, std::string_view selector) {
  const std::string all = Trim(selector);
  if (all.empty()) {
    return true;
  }
  const auto value_of = [&labels](const std::string& key) -> std::optional<std::string> {
    if (!labels.is_object()) {
      return std::nullopt;
    }
    const auto it = labels.find(key);
    if (it == labels.end() || !it->is_string()) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  bool matches = true;
  for (const std::string& req : SplitRequirements(all)) {
    if (req.empty()) {
      return std::nullopt;
    }
    if (req.front() == '!') {
      const std::string key = Trim(std::string_view(req).substr(1));
      if (key.empty() || !IsLabelText(key)) {
        return std::nullopt;
      }
      matches = matches && !value_of(key).has_value();
      continue;
    }
    if (const auto op = req.find("!="); op != std::string::npos) {
      const std::string key = Trim(std::string_view(req).substr(0, op));
      const std::string value = Trim(std::string_view(req).substr(op + 2));
      if (key.empty() || !IsLabelText(key) || !IsLabelText(value)) {
        return std::nullopt;
      }
      matches = matches && value_of(key) != value;
      continue;
    }
    if (const auto op = req.find('='); op != std::string::npos) {
      const std::string key = Trim(std::string_view(req).substr(0, op));
      std::size_t value_start = op + 1;
      if (value_start < req.size() && req[value_start] == '=') {
        ++value_start;
      }
      const std::string value = Trim(std::string_view(req).substr(value_start));
      if (key.empty() || !IsLabelText(key) || !IsLabelText(value)) {
        return std::nullopt;
      }
      matches = matches && value_of(key) == value;
      continue;
    }
    for (const std::string_view word : {std::string_view(" notin "), std::string_view(" in ")}) {
      if (const auto op = req.find(word); op != std::string::npos) {
        const std::string key = Trim(std::string_view(req).substr(0, op));
        const auto values = ParseValueSet(std::string_view(req).substr(op + word.size()));
        if (key.empty() || !IsLabelText(key) || !values) {
          return std::nullopt;
        }
        const auto value = value_of(key);
        const bool in = value && values->contains(*value);
        matches = matches && (word == " in " ? in : !in);
        goto next_requirement;
      }
    }
    if (!IsLabelText(req)) {
      return std::nullopt;
    }
    matches = matches && value_of(req).has_value();
  next_requirement:;
  }
  return matches;
}

Expected<json> ApplyJsonPatch(const json& doc, const json& patch) {
  if (!patch.is_array()) {
    return Invalid("a JSON patch must be an array", 400);
  }
  json result = doc;
  for (const json& op : patch) {
    if (!op.is_object() || !op.contains("op") || !op.contains("path")) {
      return Invalid("malformed JSON patch operation", 400);
    }
    const std::string name = op.value("op", "");
    try {
      if (name == "test") {
        const json::json_pointer ptr(op["path"].get<std::string>());
        const json expected = op.contains("value") ? op["value"] : json(nullptr);
        const bool present = result.contains(ptr);
        const bool ok = present ? result.at(ptr) == expected : expected.is_null();
        if (!ok) {
          return Invalid("testing value " + op["path"].get<std::string>() + " failed: test failed");
        }
        continue;
      }
      result = result.patch(json::array({op}));
    } catch (const std::exception& e) {
      return Invalid(std::string("JSON patch failed: ") + e.what());
    }
  }
  return result;
}

void FakeKubeApi::FailNext(int count, Error error, std::string verb) {
  const std::lock_guard<std::mutex> lock(mu_);
  failures_.push_back(Failure{count, std::move(error), std::move(verb), std::nullopt});
}

void FakeKubeApi::FailNextWrite(int count, Error error, std::string subresource) {
  const std::lock_guard<std::mutex> lock(mu_);
  failures_.push_back(Failure{count, std::move(error), "", std::move(subresource)});
}

std::optional<Error> FakeKubeApi::TakeFailureLocked(std::string_view verb,
                                                    std::optional<std::string_view> subresource) {
  ++calls_[std::string(verb)];
  for (Failure& failure : failures_) {
    if (failure.subresource && (!subresource || *failure.subresource != *subresource)) {
      continue;  // a write failure for another subresource, or not a write
    }
    if (failure.remaining > 0 && (failure.verb.empty() || failure.verb == verb)) {
      --failure.remaining;
      return failure.error;
    }
  }
  return std::nullopt;
}

FakeKubeApi::Store& FakeKubeApi::StoreFor(const kube::Gvr& gvr) {
  return stores_[ResourceKey(gvr)];
}

const FakeKubeApi::Store* FakeKubeApi::FindStore(const kube::Gvr& gvr) const {
  const auto it = stores_.find(ResourceKey(gvr));
  return it == stores_.end() ? nullptr : &it->second;
}

bool FakeKubeApi::HasStatusSubresource(const kube::Gvr& gvr) const {
  if (const auto it = status_subresource_.find(ResourceKey(gvr)); it != status_subresource_.end()) {
    return it->second;
  }
  static const std::set<std::string> kWithout = {"secrets", "configmaps", "events", "leases",
                                                 "serviceaccounts"};
  return !kWithout.contains(gvr.resource);
}

void FakeKubeApi::SetStatusSubresource(const kube::Gvr& gvr, bool enabled) {
  const std::lock_guard<std::mutex> lock(mu_);
  status_subresource_[ResourceKey(gvr)] = enabled;
}

std::string FakeKubeApi::NowString() const {
  const auto now = clock_ != nullptr
                       ? clock_->Now()
                       : std::chrono::system_clock::time_point(std::chrono::seconds(1704067200));
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FakeKubeApi::NextResourceVersionLocked() { return std::to_string(++resource_version_); }

int FakeKubeApi::Calls(std::string_view verb) const {
  const std::lock_guard<std::mutex> lock(mu_);
  const auto it = calls_.find(verb);
  return it == calls_.end() ? 0 : it->second;
}

std::optional<json> FakeKubeApi::Object(const kube::Gvr& gvr, const std::string& ns,
                                        const std::string& name) const {
  const std::lock_guard<std::mutex> lock(mu_);
  const Store* store = FindStore(gvr);
  if (store == nullptr) {
    return std::nullopt;
  }
  const auto it = store->find({gvr.namespaced ? ns : "", name});
  if (it == store->end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<json> FakeKubeApi::Objects(const kube::Gvr& gvr) const {
  const std::lock_guard<std::mutex> lock(mu_);
  std::vector<json> out;
  if (const Store* store = FindStore(gvr); store != nullptr) {
    for (const auto& [key, obj] : *store) {
      out.push_back(obj);
    }
  }
  return out;
}

json FakeKubeApi::Seed(const kube::Gvr& gvr, json obj) {
  const std::lock_guard<std::mutex> lock(mu_);
  json& meta = obj["metadata"];
  if (!gvr.namespaced) {
    meta.erase("namespace");
  }
  if (!obj.contains("apiVersion")) {
    obj["apiVersion"] = gvr.ApiVersion();
  }
  if (!obj.contains("kind")) {
    obj["kind"] = gvr.kind;
  }
  if (!meta.contains("uid")) {
    meta["uid"] = "uid-" + std::to_string(++uid_counter_);
  }
  if (!meta.contains("creationTimestamp")) {
    meta["creationTimestamp"] = NowString();
  }
  if (!meta.contains("generation")) {
    meta["generation"] = 1;
  }
  meta["resourceVersion"] = NextResourceVersionLocked();
  NormaliseFinalizers(obj);
  const Key key{gvr.namespaced ? MetaString(obj, "namespace") : "", MetaString(obj, "name")};
  StoreFor(gvr)[key] = obj;
  return obj;
}

Expected<std::optional<json>> FakeKubeApi::Get(const kube::Gvr& gvr, const std::string& ns,
                                               const std::string& name) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked("get")) {
    return *failure;
  }
  const Store& store = StoreFor(gvr);
  const auto it = store.find({gvr.namespaced ? ns : "", name});
  if (it == store.end()) {
    return std::optional<json>();
  }
  return std::optional<json>(it->second);
}

Expected<json> FakeKubeApi::List(const kube::Gvr& gvr, const std::string& ns,
                                 const kube::ListOptions& opts) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked("list")) {
    return *failure;
  }
  std::string name_field;
  std::string ns_field;
  for (const std::string& req : SplitRequirements(opts.field_selector)) {
    if (req.empty()) {
      continue;
    }
    const auto eq = req.find('=');
    const std::string field = eq == std::string::npos ? req : Trim(req.substr(0, eq));
    std::string value = eq == std::string::npos ? "" : req.substr(eq + 1);
    if (!value.empty() && value.front() == '=') {
      value.erase(0, 1);
    }
    if (field == "metadata.name") {
      name_field = Trim(value);
    } else if (field == "metadata.namespace") {
      ns_field = Trim(value);
    } else {
      return Invalid("field label not supported: " + field, 400);
    }
  }
  std::vector<json> matched;
  for (const auto& [key, obj] : StoreFor(gvr)) {
    if (gvr.namespaced && !ns.empty() && key.first != ns) {
      continue;
    }
    if ((!name_field.empty() && key.second != name_field) ||
        (!ns_field.empty() && key.first != ns_field)) {
      continue;
    }
    const json labels = obj["metadata"].value("labels", json::object());
    const std::optional<bool> match = MatchesLabelSelector(labels, opts.label_selector);
    if (!match) {
      return Invalid("unable to parse requirement: " + opts.label_selector, 400);
    }
    if (*match) {
      matched.push_back(obj);
    }
  }
  std::size_t start = 0;
  if (!opts.continue_token.empty()) {
    start = static_cast<std::size_t>(std::stoul(opts.continue_token));
  }
  json list = {{"apiVersion", gvr.ApiVersion()},
               {"kind", gvr.kind + "List"},
               {"metadata", {{"resourceVersion", std::to_string(resource_version_)}}},
               {"items", json::array()}};
  std::size_t end = matched.size();
  if (opts.limit > 0 && start + static_cast<std::size_t>(opts.limit) < matched.size()) {
    end = start + static_cast<std::size_t>(opts.limit);
    list["metadata"]["continue"] = std::to_string(end);
  }
  for (std::size_t i = start; i < end && i < matched.size(); ++i) {
    list["items"].push_back(matched[i]);
  }
  return list;
}

Expected<json> FakeKubeApi::Create(const kube::Gvr& gvr, const std::string& ns, const json& obj) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked("create")) {
    return *failure;
  }
  if (!obj.is_object()) {
    return Invalid("the object must be a JSON object", 400);
  }
  json created = obj;
  json& meta = created["metadata"];
  const std::string obj_ns = MetaString(obj, "namespace");
  std::string target_ns;
  if (gvr.namespaced) {
    target_ns = ns.empty() ? obj_ns : ns;
    if (target_ns.empty()) {
      return Invalid("the namespace is required", 400);
    }
    if (!obj_ns.empty() && obj_ns != target_ns) {
      return Invalid("the namespace of the provided object does not match the request", 400);
    }
    meta["namespace"] = target_ns;
  } else {
    meta.erase("namespace");
  }
  std::string name = MetaString(obj, "name");
  if (name.empty()) {
    const std::string generate = MetaString(obj, "generateName");
    if (generate.empty()) {
      return Invalid("metadata.name or metadata.generateName is required");
    }
    char suffix[8];
    std::snprintf(suffix, sizeof(suffix), "%05llu",
                  static_cast<unsigned long long>(++uid_counter_ % 100000));
    name = generate + suffix;
    meta["name"] = name;
  }
  if (!MetaString(obj, "resourceVersion").empty()) {
    return Invalid("resourceVersion should not be set on objects to be created", 400);
  }
  Store& store = StoreFor(gvr);
  const Key key{target_ns, name};
  if (store.contains(key)) {
    return Conflict(gvr.resource + " \"" + name + "\" already exists");
  }
  if (!created.contains("apiVersion")) {
    created["apiVersion"] = gvr.ApiVersion();
  }
  if (!created.contains("kind")) {
    created["kind"] = gvr.kind;
  }
  meta["uid"] = "uid-" + std::to_string(++uid_counter_);
  meta["creationTimestamp"] = NowString();
  meta["generation"] = 1;
  meta["resourceVersion"] = NextResourceVersionLocked();
  meta.erase("deletionTimestamp");
  NormaliseFinalizers(created);
  if (HasStatusSubresource(gvr)) {
    created.erase("status");
  }
  store[key] = created;
  return created;
}

Expected<json> FakeKubeApi::CommitLocked(const kube::Gvr& gvr, const Key& key, const json& current,
                                         json updated, const std::string& subresource) {
  if (!subresource.empty() && subresource != "status") {
    return Invalid("unknown subresource " + subresource, 404);
  }
  if (!updated.is_object()) {
    return Invalid("the object must be a JSON object", 400);
  }
  const bool status_only = subresource == "status";
  if (status_only && !HasStatusSubresource(gvr)) {
    return NotFound(gvr, key.second + "/status");
  }
  json next;
  if (status_only) {
    next = current;
    if (updated.contains("status")) {
      next["status"] = updated["status"];
    } else {
      next.erase("status");
    }
  } else {
    next = std::move(updated);
    if (HasStatusSubresource(gvr)) {
      if (current.contains("status")) {
        next["status"] = current["status"];
      } else {
        next.erase("status");
      }
    }
    if (!next.contains("metadata") || !next["metadata"].is_object()) {
      next["metadata"] = json::object();
    }
    // The server owns these.
    json& meta = next["metadata"];
    const json& old_meta = current["metadata"];
    meta["name"] = key.second;
    if (gvr.namespaced) {
      meta["namespace"] = key.first;
    } else {
      meta.erase("namespace");
    }
    for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp", "generation"}) {
      if (old_meta.contains(field)) {
        meta[field] = old_meta[field];
      } else {
        meta.erase(field);
      }
    }
    next["apiVersion"] = current.value("apiVersion", gvr.ApiVersion());
    next["kind"] = current.value("kind", gvr.kind);
    if (IsDeleting(current)) {
      const json old_finalizers = Finalizers(current);
      for (const json& f : Finalizers(next)) {
        if (std::find(old_finalizers.begin(), old_finalizers.end(), f) == old_finalizers.end()) {
          return Invalid("no new finalizers can be added if the object is being deleted");
        }
      }
    }
    if (SpecPart(next) != SpecPart(current)) {
      meta["generation"] = current["metadata"].value("generation", 0) + 1;
    }
  }
  NormaliseFinalizers(next);
  next["metadata"]["resourceVersion"] = NextResourceVersionLocked();
  Store& store = StoreFor(gvr);
  if (IsDeleting(next) && Finalizers(next).empty()) {
    store.erase(key);
  } else {
    store[key] = next;
  }
  return next;
}

Expected<json> FakeKubeApi::Update(const kube::Gvr& gvr, const json& obj,
                                   const std::string& subresource) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked("update", subresource)) {
    return *failure;
  }
  const Key key{gvr.namespaced ? MetaString(obj, "namespace") : "", MetaString(obj, "name")};
  Store& store = StoreFor(gvr);
  const auto it = store.find(key);
  if (it == store.end()) {
    return NotFound(gvr, key.second);
  }
  const std::string rv = MetaString(obj, "resourceVersion");
  if (rv.empty()) {
    return Invalid("metadata.resourceVersion: must be specified for an update");
  }
  if (rv != MetaString(it->second, "resourceVersion")) {
    return Conflict("Operation cannot be fulfilled on " + gvr.resource + " \"" + key.second +
                    "\": the object has been modified; please apply your changes to the latest "
                    "version and try again");
  }
  const json current = it->second;
  return CommitLocked(gvr, key, current, obj, subresource);
}

Expected<json> FakeKubeApi::Patch(const kube::Gvr& gvr, const std::string& ns,
                                  const std::string& name, kube::PatchType type, const json& patch,
                                  const kube::PatchOptions& opts) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked("patch", opts.subresource)) {
    return *failure;
  }
  const Key key{gvr.namespaced ? ns : "", name};
  Store& store = StoreFor(gvr);
  const auto it = store.find(key);
  if (it == store.end() && (type != kube::PatchType::kApply || !opts.subresource.empty())) {
    return NotFound(gvr, name);
  }
  if (it == store.end()) {
    // Server-side apply of a missing object creates it.
    json obj = patch;
    obj["metadata"]["name"] = name;
    if (gvr.namespaced) {
      obj["metadata"]["namespace"] = key.first;
    }
    obj["metadata"].erase("resourceVersion");
    json& meta = obj["metadata"];
    obj["apiVersion"] = obj.value("apiVersion", gvr.ApiVersion());
    obj["kind"] = obj.value("kind", gvr.kind);
    meta["uid"] = "uid-" + std::to_string(++uid_counter_);
    meta["creationTimestamp"] = NowString();
    meta["generation"] = 1;
    meta["resourceVersion"] = NextResourceVersionLocked();
    NormaliseFinalizers(obj);
    if (HasStatusSubresource(gvr)) {
      obj.erase("status");
    }
    store[key] = obj;
    return obj;
  }
  const json current = it->second;
  json patched;
  if (type == kube::PatchType::kJson) {
    Expected<json> applied = ApplyJsonPatch(current, patch);
    if (!applied) {
      return applied;
    }
    patched = std::move(applied).value();
  } else {
    if (!patch.is_object()) {
      return Invalid("a merge patch must be a JSON object", 400);
    }
    patched = current;
    patched.merge_patch(patch);
  }
  const std::string rv = MetaString(patched, "resourceVersion");
  if (!rv.empty() && rv != MetaString(current, "resourceVersion")) {
    return Conflict("Operation cannot be fulfilled on " + gvr.resource + " \"" + name +
                    "\": the object has been modified; please apply your changes to the latest "
                    "version and try again");
  }
  return CommitLocked(gvr, key, current, std::move(patched), opts.subresource);
}

Expected<void> FakeKubeApi::Delete(const kube::Gvr& gvr, const std::string& ns,
                                   const std::string& name, const kube::DeleteOptions& opts) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked("delete")) {
    return *failure;
  }
  const Key key{gvr.namespaced ? ns : "", name};
  Store& store = StoreFor(gvr);
  const auto it = store.find(key);
  if (it == store.end()) {
    return NotFound(gvr, name);
  }
  json& obj = it->second;
  if (opts.precondition_uid && *opts.precondition_uid != MetaString(obj, "uid")) {
    return Conflict("Precondition failed: UID in precondition does not match the object");
  }
  if (opts.precondition_resource_version &&
      *opts.precondition_resource_version != MetaString(obj, "resourceVersion")) {
    return Conflict("Precondition failed: ResourceVersion in precondition does not match");
  }
  if (Finalizers(obj).empty()) {
    store.erase(it);
    return {};
  }
  if (!IsDeleting(obj)) {
    json& meta = obj["metadata"];
    meta["deletionTimestamp"] = NowString();
    meta["deletionGracePeriodSeconds"] = 0;
    meta["generation"] = meta.value("generation", 0) + 1;
    meta["resourceVersion"] = NextResourceVersionLocked();
  }
  return {};
}

}  // namespace tenantdb::fakes
