#pragma once

#include <chrono>
#include <compare>
#include <optional>
#include <string>

#include "common/expected.h"

namespace tenantdb::runtime {

// What a controller reconciles: a namespaced name ("" namespace for cluster-scoped kinds).
struct ObjectKey {
  std::string ns;
  std::string name;
  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
  std::string ToString() const { return ns.empty() ? name : ns + "/" + name; }
};

struct Result {
  // Time-driven work only (drift resync, next cron tick); never used as a retry for errors.
  std::optional<std::chrono::milliseconds> requeue_after;
};

// Level-based (STYLE.md R1): a reconcile gets only a key, never an event, and is idempotent.
// An error is retried with per-key exponential backoff unless error.terminal.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual Expected<Result> Reconcile(const ObjectKey& key) = 0;
};

}  // namespace tenantdb::runtime
