#include "runtime/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace tenantdb::runtime {

void TokenCount::Refill(std::chrono::steady_clock::time_point now, double qps, double burst) {
  if (now > last) {
    const double elapsed = std::chrono::duration<double>(now - last).count();
    tokens = std::min(burst, tokens + elapsed * qps);
    last = now;
  }
}

bool TokenCount::Allow(std::chrono::steady_clock::time_point now, double qps, double burst) {
  Refill(now, qps, burst);
  if (tokens < 1) {
    return false;
  }
  tokens -= 1;
  return true;
}

TokenBucket::TokenBucket(Clock& clock, double qps, int burst)
    : clock_(clock),
      qps_(qps),
      burst_(static_cast<double>(burst)),
      count_(TokenCount::Full(burst, clock.SteadyNow())) {}

std::chrono::nanoseconds TokenBucket::Reserve() {
  const std::lock_guard<std::mutex> lock(mu_);
  count_.Refill(clock_.SteadyNow(), qps_, burst_);
  count_.tokens -= 1;
  if (count_.tokens >= 0 || qps_ <= 0) {
    return std::chrono::nanoseconds::zero();
  }
  return std::chrono::nanoseconds(std::llround(-count_.tokens / qps_ * 1e9));
}

bool TokenBucket::Allow() {
  const std::lock_guard<std::mutex> lock(mu_);
  return count_.Allow(clock_.SteadyNow(), qps_, burst_);
}

ItemExponentialRateLimiter::ItemExponentialRateLimiter(std::chrono::nanoseconds base,
                                                       std::chrono::nanoseconds max_delay)
    : base_(base), max_delay_(max_delay) {}

std::chrono::nanoseconds ItemExponentialRateLimiter::When(const ObjectKey& key) {
  int exp = 0;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    int& failures = failures_[key];
    exp = failures;
    if (failures < std::numeric_limits<int>::max()) {
      ++failures;
    }
  }
  // In floating point so that large exponents saturate instead of overflowing.
  const double backoff = static_cast<double>(base_.count()) * std::pow(2.0, exp);
  if (!(backoff < static_cast<double>(max_delay_.count()))) {  // also catches NaN (0 * inf)
    return max_delay_;
  }
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(backoff));
}

void ItemExponentialRateLimiter::Forget(const ObjectKey& key) {
  const std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int ItemExponentialRateLimiter::NumRequeues(const ObjectKey& key) const {
  const std::lock_guard<std::mutex> lock(mu_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

TokenBucketRateLimiter::TokenBucketRateLimiter(Clock& clock, double qps, int burst)
    : bucket_(clock, qps, burst) {}

std::chrono::nanoseconds TokenBucketRateLimiter::When(const ObjectKey& /*key*/) {
  return bucket_.Reserve();
}

void TokenBucketRateLimiter::Forget(const ObjectKey& /*key*/) {}

int TokenBucketRateLimiter::NumRequeues(const ObjectKey& /*key*/) const { return 0; }

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

std::chrono::nanoseconds MaxOfRateLimiter::When(const ObjectKey& key) {
  std::chrono::nanoseconds longest = std::chrono::nanoseconds::zero();
  for (const auto& limiter : limiters_) {
    longest = std::max(longest, limiter->When(key));
  }
  return longest;
}

void MaxOfRateLimiter::Forget(const ObjectKey& key) {
  for (const auto& limiter : limiters_) {
    limiter->Forget(key);
  }
}

int MaxOfRateLimiter::NumRequeues(const ObjectKey& key) const {
  int most = 0;
  for (const auto& limiter : limiters_) {
    most = std::max(most, limiter->NumRequeues(key));
  }
  return most;
}

std::unique_ptr<RateLimiter> MakeControllerRateLimiter(
    Clock& clock, const ControllerRateLimiterSettings& settings) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(
      std::make_unique<ItemExponentialRateLimiter>(settings.base_delay, settings.max_delay));
  limiters.push_back(std::make_unique<TokenBucketRateLimiter>(clock, settings.qps, settings.burst));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

}  // namespace tenantdb::runtime
