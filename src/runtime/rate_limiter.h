#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/clock.h"
#include "runtime/reconciler.h"

namespace tenantdb::runtime {

// How long a key waits before its next retry (client-go util/workqueue default_rate_limiters.go).
// Thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // The delay before `key` may be retried; records one more failure of `key`.
  virtual std::chrono::nanoseconds When(const ObjectKey& key) = 0;
  // Stops tracking `key` (it succeeded): its next When() starts from the base delay again.
  virtual void Forget(const ObjectKey& key) = 0;
  // Failures recorded for `key` since it was last forgotten.
  virtual int NumRequeues(const ObjectKey& key) const = 0;
};

// The state of a token bucket without its lock or clock (24 bytes), for tables that keep one per
// object (the Event recorder's spam filter): the caller passes the time and holds its own lock.
struct TokenCount {
  double tokens = 0;
  std::chrono::steady_clock::time_point last;

  static TokenCount Full(int burst, std::chrono::steady_clock::time_point now) {
    return TokenCount{static_cast<double>(burst), now};
  }
  // Adds the tokens earned since `last`, up to `burst`.
  void Refill(std::chrono::steady_clock::time_point now, double qps, double burst);
  // Refill, then take a token if one is available; never goes into debt.
  bool Allow(std::chrono::steady_clock::time_point now, double qps, double burst);
};

// A token bucket (golang.org/x/time/rate semantics) on the injected clock: refills `qps` tokens a
// second up to `burst`. Thread-safe.
class TokenBucket {
 public:
  TokenBucket(Clock& clock, double qps, int burst);
  // Takes a token, going into debt if none is left; returns how long the caller must wait for it.
  std::chrono::nanoseconds Reserve();
  // Takes a token if one is available now; never goes into debt.
  bool Allow();

 private:
  Clock& clock_;
  const double qps_;
  const double burst_;
  std::mutex mu_;
  TokenCount count_;
};

// base * 2^failures, capped at `max_delay` (client-go ItemExponentialFailureRateLimiter).
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  static constexpr std::chrono::milliseconds kDefaultBase{5};
  static constexpr std::chrono::minutes kDefaultMax{5};

  explicit ItemExponentialRateLimiter(std::chrono::nanoseconds base = kDefaultBase,
                                      std::chrono::nanoseconds max_delay = kDefaultMax);
  std::chrono::nanoseconds When(const ObjectKey& key) override;
  void Forget(const ObjectKey& key) override;
  int NumRequeues(const ObjectKey& key) const override;

 private:
  const std::chrono::nanoseconds base_;
  const std::chrono::nanoseconds max_delay_;
  mutable std::mutex mu_;
  std::map<ObjectKey, int> failures_;
};

// An overall (not per-key) limit: 10 qps with a burst of 100 by default (client-go
// BucketRateLimiter). Keys are not tracked: NumRequeues is 0.
class TokenBucketRateLimiter final : public RateLimiter {
 public:
  static constexpr double kDefaultQps = 10;
  static constexpr int kDefaultBurst = 100;

  explicit TokenBucketRateLimiter(Clock& clock, double qps = kDefaultQps,
                                  int burst = kDefaultBurst);
  std::chrono::nanoseconds When(const ObjectKey& key) override;
  void Forget(const ObjectKey& key) override;
  int NumRequeues(const ObjectKey& key) const override;

 private:
  TokenBucket bucket_;
};

// The longest delay of its limiters (client-go MaxOfRateLimiter).
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  std::chrono::nanoseconds When(const ObjectKey& key) override;
  void Forget(const ObjectKey& key) override;
  int NumRequeues(const ObjectKey& key) const override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

struct ControllerRateLimiterSettings {
  std::chrono::nanoseconds base_delay = ItemExponentialRateLimiter::kDefaultBase;
  std::chrono::nanoseconds max_delay = ItemExponentialRateLimiter::kDefaultMax;
  double qps = TokenBucketRateLimiter::kDefaultQps;
  int burst = TokenBucketRateLimiter::kDefaultBurst;
};

// client-go DefaultControllerRateLimiter: MaxOf(per-key exponential, overall token bucket).
std::unique_ptr<RateLimiter> MakeControllerRateLimiter(
    Clock& clock, const ControllerRateLimiterSettings& settings);

}  // namespace tenantdb::runtime
