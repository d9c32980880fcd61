#include "runtime/work_queue.h"

#include <algorithm>
#include <utility>

namespace tenantdb::runtime {

namespace {

// Longest single timed wait: keeps `steady_clock::now() + d` far from overflow; the loop re-checks.
constexpr std::chrono::hours kMaxSingleWait{1};

}  // namespace

ClockWaiter::ClockWaiter(Clock& clock, std::mutex& mu, std::condition_variable& cv,
                         std::function<void()> on_advance_locked)
    : clock_(clock), cv_(cv), observers_(dynamic_cast<ClockObservers*>(&clock)) {
  if (observers_ != nullptr) {
    observer_id_ = observers_->AddObserver([&mu, &cv, on_advance = std::move(on_advance_locked)]() {
      const std::lock_guard<std::mutex> lock(mu);
      if (on_advance) {
        on_advance();
      }
      cv.notify_all();
    });
  }
}

ClockWaiter::~ClockWaiter() {
  if (observers_ != nullptr) {
    observers_->RemoveObserver(observer_id_);
  }
}

bool ClockWaiter::WaitUntil(std::unique_lock<std::mutex>& lock,
                            std::chrono::steady_clock::time_point deadline,
                            const std::function<bool()>& pred) {
  while (!pred()) {
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      cv_.wait(lock);
      continue;
    }
    const auto now = clock_.SteadyNow();
    if (now >= deadline) {
      return pred();
    }
    const auto remaining =
        std::min<std::chrono::steady_clock::duration>(deadline - now, kMaxSingleWait);
    cv_.wait_for(lock, remaining);
  }
  return true;
}

WorkQueue::WorkQueue(Clock& clock, std::unique_ptr<RateLimiter> rate_limiter)
    : clock_(clock),
      rate_limiter_(std::move(rate_limiter)),
      waiter_(clock, mu_, delay_cv_, [this] { MoveReadyLocked(); }) {
  delay_thread_ = std::thread([this] { DelayLoop(); });
}

WorkQueue::~WorkQueue() {
  ShutDown();
  if (delay_thread_.joinable()) {
    delay_thread_.join();
  }
}

void WorkQueue::Add(const ObjectKey& key) {
  const std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddLocked(const ObjectKey& key) {
  if (shutting_down_) {
    return;
  }
  if (dirty_.contains(key)) {
    return;
  }
  dirty_.insert(key);
  if (processing_.contains(key)) {
    return;  // Done() queues it again
  }
  queue_.push_back(key);
  item_cv_.notify_one();
}

void WorkQueue::AddAfter(const ObjectKey& key, std::chrono::nanoseconds delay) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) {
    return;
  }
  if (delay <= std::chrono::nanoseconds::zero()) {
    AddLocked(key);
    return;
  }
  const auto ready_at = clock_.SteadyNow() + delay;
  if (const auto it = waiting_.find(key); it != waiting_.end()) {
    if (it->second.first <= ready_at) {
      return;  // already due no later than asked
    }
    waiting_order_.erase({it->second.first, it->second.second, &it->first});
    waiting_.erase(it);
  }
  const std::uint64_t seq = waiting_seq_++;
  const auto inserted = waiting_.emplace(key, std::make_pair(ready_at, seq)).first;
  waiting_order_.emplace(ready_at, seq, &inserted->first);
  delay_cv_.notify_all();
}

void WorkQueue::AddRateLimited(const ObjectKey& key) { AddAfter(key, rate_limiter_->When(key)); }

void WorkQueue::Forget(const ObjectKey& key) { rate_limiter_->Forget(key); }

int WorkQueue::NumRequeues(const ObjectKey& key) const { return rate_limiter_->NumRequeues(key); }

std::optional<ObjectKey> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  item_cv_.wait(lock, [this] { return !queue_.empty() || shutting_down_; });
  if (queue_.empty()) {
    return std::nullopt;  // shutting down
  }
  ObjectKey key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const ObjectKey& key) {
  const std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    item_cv_.notify_one();
  } else if (processing_.empty()) {
    drain_cv_.notify_all();
  }
}

void WorkQueue::ShutDown() {
  const std::lock_guard<std::mutex> lock(mu_);
  drain_ = false;
  shutting_down_ = true;
  item_cv_.notify_all();
  drain_cv_.notify_all();
  delay_cv_.notify_all();
}

void WorkQueue::ShutDownWithDrain() {
  std::unique_lock<std::mutex> lock(mu_);
  drain_ = true;
  shutting_down_ = true;
  item_cv_.notify_all();
  delay_cv_.notify_all();
  drain_cv_.wait(lock, [this] { return processing_.empty() || !drain_; });
}

bool WorkQueue::ShuttingDown() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

std::size_t WorkQueue::Len() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

std::size_t WorkQueue::NumDelayed() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return waiting_.size();
}

void WorkQueue::MoveReadyLocked() {
  const auto now = clock_.SteadyNow();
  while (!waiting_order_.empty()) {
    const auto first = waiting_order_.begin();
    if (std::get<0>(*first) > now) {
      break;
    }
    const ObjectKey key = *std::get<2>(*first);
    waiting_order_.erase(first);
    waiting_.erase(key);
    AddLocked(key);
  }
}

void WorkQueue::DelayLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!shutting_down_) {
    MoveReadyLocked();
    const auto next = waiting_order_.empty() ? std::chrono::steady_clock::time_point::max()
                                             : std::get<0>(*waiting_order_.begin());
    const std::uint64_t seen_seq = waiting_seq_;
    // Wake for shutdown, for a newly delayed key (it may be due earlier) or at the next ready time.
    waiter_.WaitUntil(lock, next, [&] { return shutting_down_ || waiting_seq_ != seen_seq; });
  }
}

}  // namespace tenantdb::runtime
