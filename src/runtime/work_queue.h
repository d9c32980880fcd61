#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "runtime/clock.h"
#include "runtime/rate_limiter.h"
#include "runtime/reconciler.h"

namespace tenantdb::runtime {

// --- Waiting on the injected Clock -----------------------------------------------------------
//
// Implemented by clocks whose time jumps instead of flowing (tests' FakeClock). Code that waits
// for a deadline of the injected Clock registers an observer, run after every jump, so a test
// that advances the clock wakes the waiter at once and deterministically. Observers run on the
// thread that advances the clock, must not advance it themselves, and must not be added or removed
// while holding a lock an observer takes.
class ClockObservers {
 public:
  virtual ~ClockObservers() = default;
  virtual std::uint64_t AddObserver(std::function<void()> on_advance) = 0;
  virtual void RemoveObserver(std::uint64_t id) = 0;
};

// Waits on a condition variable until a predicate holds or a deadline of `clock` passes. With a
// real clock it is a plain timed wait; with a clock that implements ClockObservers it registers an
// observer that, on every jump, locks `mu`, runs `on_advance_locked` (if any) and wakes the
// waiters, so no wake-up is lost between reading the time and starting to wait.
class ClockWaiter {
 public:
  ClockWaiter(Clock& clock, std::mutex& mu, std::condition_variable& cv,
              std::function<void()> on_advance_locked = {});
  ~ClockWaiter();
  ClockWaiter(const ClockWaiter&) = delete;
  ClockWaiter& operator=(const ClockWaiter&) = delete;

  // `lock` holds `mu`. Returns pred() at exit: true when the predicate holds, false when the
  // deadline passed first. `deadline` time_point::max() waits for the predicate only.
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline,
                 const std::function<bool()>& pred);

 private:
  Clock& clock_;
  std::condition_variable& cv_;
  ClockObservers* observers_ = nullptr;
  std::uint64_t observer_id_ = 0;
};

// --- The work queue --------------------------------------------------------------------------
//
// client-go's rate-limited delaying work queue (util/workqueue queue.go, delaying_queue.go,
// rate_limiting_queue.go; STYLE.md R7) on ObjectKey:
//  - a key is queued at most once (`dirty`), and never handed to two workers at once
//    (`processing`); a key added while being processed is queued again by Done();
//  - Get() blocks until a key is available or the queue is shut down; after ShutDown() it still
//    returns the keys already queued, then std::nullopt;
//  - AddAfter() holds a key until the injected clock reaches its ready time (an earlier AddAfter
//    of the same key wins); AddRateLimited() delays by the rate limiter's backoff.
// Thread-safe.
class WorkQueue {
 public:
  WorkQueue(Clock& clock, std::unique_ptr<RateLimiter> rate_limiter);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const ObjectKey& key);
  // delay <= 0 adds at once.
  void AddAfter(const ObjectKey& key, std::chrono::nanoseconds delay);
  void AddRateLimited(const ObjectKey& key);
  // Ends the rate limiter's tracking of `key` (call after a successful reconcile).
  void Forget(const ObjectKey& key);
  int NumRequeues(const ObjectKey& key) const;

  // Blocks. std::nullopt means the queue is shut down and empty: the worker should exit.
  // Every key returned must be passed to Done().
  std::optional<ObjectKey> Get();
  void Done(const ObjectKey& key);

  // New keys are ignored and Get() returns std::nullopt once the queued keys are handed out.
  void ShutDown();
  // As ShutDown(), then blocks until every key handed out has been passed to Done(). A later
  // ShutDown() from another thread ends the wait early.
  void ShutDownWithDrain();
  bool ShuttingDown() const;

  // Keys ready for a worker (the queue-depth metric); excludes keys being processed or delayed.
  std::size_t Len() const;
  // Keys waiting for their AddAfter time.
  std::size_t NumDelayed() const;

 private:
  void AddLocked(const ObjectKey& key);
  void MoveReadyLocked();
  void DelayLoop();

  Clock& clock_;
  std::unique_ptr<RateLimiter> rate_limiter_;

  mutable std::mutex mu_;
  std::condition_variable item_cv_;   // Get() waiters
  std::condition_variable drain_cv_;  // ShutDownWithDrain() waiter
  std::condition_variable delay_cv_;  // the delaying thread
  std::deque<ObjectKey> queue_;
  std::set<ObjectKey> dirty_;
  std::set<ObjectKey> processing_;
  bool shutting_down_ = false;
  bool drain_ = false;

  // Delayed keys: ready time per key, and the same entries ordered by (ready time, sequence). The
  // order holds a pointer to the key in `waiting_` (map nodes do not move), not a second copy:
  // every object waits for its resync here, so this is one entry per cached object.
  using Waiting =
      std::tuple<std::chrono::steady_clock::time_point, std::uint64_t, const ObjectKey*>;
  std::map<ObjectKey, std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> waiting_;
  std::set<Waiting> waiting_order_;
  std::uint64_t waiting_seq_ = 0;

  ClockWaiter waiter_;
  std::thread delay_thread_;
};

}  // namespace tenantdb::runtime
