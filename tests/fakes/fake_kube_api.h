#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/expected.h"
#include "kube/gvr.h"
#include "kube/kube_api.h"
#include "runtime/clock.h"

namespace tenantdb::fakes {

// A state-based, in-memory Kubernetes API (STYLE.md R23): tests assert the objects it ends up
// holding, not the calls made. What it does like the API server:
//  - every write bumps a global resourceVersion; create sets uid, creationTimestamp and
//    generation 1; a change outside metadata and status bumps generation;
//  - Update with a stale resourceVersion is kConflict (409), without one kInvalid (422); a patch
//    that sets metadata.resourceVersion is checked the same way;
//  - merge patches (RFC 7386), JSON patches (RFC 6902, `test` included: a failed test is
//    kInvalid with http_status 422, as the API server answers; testing null on a missing member
//    passes, as with the server's json-patch library); server-side apply is approximated by a
//    merge patch that may create;
//  - resources with a status subresource (all but secrets, configmaps, events, leases,
//    serviceaccounts, unless SetStatusSubresource says otherwise): writes to the main resource
//    keep the stored status, writes to "status" change only the status, create drops status;
//  - Delete of an object with finalizers sets deletionTimestamp (and bumps generation); the object
//    goes once its finalizers are empty; no new finalizer may be added while it is deleting;
//    empty finalizer lists are dropped, as the server omits them;
//  - List filters by namespace, label selector (=, ==, !=, in, notin, exists, !exists) and the
//    metadata.name / metadata.namespace field selectors, sorted by namespace and name, with
//    limit/continue;
//  - errors carry http_status (404, 409, 422) like the REST client's.
// It can be told to fail the next N calls (of one verb, or any). Thread-safe.
class FakeKubeApi final : public kube::KubeApi {
 public:
  // Timestamps come from `clock` when given, else are fixed at 2024-01-01T00:00:00Z.
  explicit FakeKubeApi(const runtime::Clock* clock = nullptr) : clock_(clock) {}

  Expected<std::optional<nlohmann::json>> Get(const kube::Gvr& gvr, const std::string& ns,
                                              const std::string& name) override;
  Expected<nlohmann::json> List(const kube::Gvr& gvr, const std::string& ns,
                                const kube::ListOptions& opts) override;
  Expected<nlohmann::json> Create(const kube::Gvr& gvr, const std::string& ns,
                                  const nlohmann::json& obj) override;
  Expected<nlohmann::json> Update(const kube::Gvr& gvr, const nlohmann::json& obj,
                                  const std::string& subresource = "") override;
  Expected<nlohmann::json> Patch(const kube::Gvr& gvr, const std::string& ns,
                                 const std::string& name, kube::PatchType type,
                                 const nlohmann::json& patch,
                                 const kube::PatchOptions& opts = {}) override;
  Expected<void> Delete(const kube::Gvr& gvr, const std::string& ns, const std::string& name,
                        const kube::DeleteOptions& opts = {}) override;

  // --- test controls ---------------------------------------------------------------------
  // The next `count` calls of `verb` ("get", "list", "create", "update", "patch", "delete"; ""
  // for any) fail with `error`.
  void FailNext(int count, Error error, std::string verb = "");
  // The next `count` writes (update or patch) of `subresource` ("status"; "" for the main
  // resource) fail with `error`; other calls go through. E.g. a one-shot 409 on a status write:
  // FailNextWrite(1, ConflictError(...), "status").
  void FailNextWrite(int count, Error error, std::string subresource);
  // Stores `obj` as given, filling in what the server would (uid, resourceVersion, generation,
  // creationTimestamp, apiVersion/kind); the namespace comes from metadata. Returns the stored
  // copy.
  nlohmann::json Seed(const kube::Gvr& gvr, nlohmann::json obj);
  std::optional<nlohmann::json> Object(const kube::Gvr& gvr, const std::string& ns,
                                       const std::string& name) const;
  std::vector<nlohmann::json> Objects(const kube::Gvr& gvr) const;
  // Calls made so far, by verb ("get", ...); failed ones included.
  int Calls(std::string_view verb) const;
  void SetStatusSubresource(const kube::Gvr& gvr, bool enabled);

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  using Store = std::map<Key, nlohmann::json>;
  struct Failure {
    int remaining = 0;
    Error error;
    std::string verb;
    std::optional<std::string> subresource;  // set: only update/patch of this subresource
  };

  std::optional<Error> TakeFailureLocked(std::string_view verb,
                                         std::optional<std::string_view> subresource = {});
  Store& StoreFor(const kube::Gvr& gvr);
  const Store* FindStore(const kube::Gvr& gvr) const;
  bool HasStatusSubresource(const kube::Gvr& gvr) const;
  std::string NowString() const;
  std::string NextResourceVersionLocked();
  // Writes `updated` over `current` (at `key`) as the server would; the stored object or an error.
  Expected<nlohmann::json> CommitLocked(const kube::Gvr& gvr, const Key& key,
                                        const nlohmann::json& current, nlohmann::json updated,
                                        const std::string& subresource);

  const runtime::Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, Store> stores_;  // by group/resource
  std::map<std::string, bool> status_subresource_;
  std::vector<Failure> failures_;
  std::map<std::string, int, std::less<>> calls_;
  std::uint64_t resource_version_ = 1000;
  std::uint64_t uid_counter_ = 0;
};

// RFC 6902 with the API server's `test` semantics (exposed for tests).
Expected<nlohmann::json> ApplyJsonPatch(const nlohmann::json& doc, const nlohmann::json& patch);
// True when `labels` (an object or null) match a Kubernetes label selector; std::nullopt when the
// selector does not parse.
std::optional<bool> MatchesLabelSelector(const nlohmann::json& labels, std::string_view selector);

}  // namespace tenantdb::fakes
