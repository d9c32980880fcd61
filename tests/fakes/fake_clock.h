#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "runtime/clock.h"
#include "runtime/work_queue.h"

namespace tenantdb::fakes {

// A Clock that only moves when told to (STYLE.md R21). Advance() moves the wall and the steady
// clock together and then runs the registered observers (runtime::ClockObservers), so anything
// waiting for a deadline on this clock (the work queue's AddAfter, the leader elector, the resync
// timer) sees the jump at once: with the work queue, keys whose time has come are in the queue
// when Advance() returns. Thread-safe.
class FakeClock final : public runtime::Clock, public runtime::ClockObservers {
 public:
  // Wall clock 2024-01-01T00:00:00Z.
  FakeClock();
  explicit FakeClock(std::chrono::system_clock::time_point start);

  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point SteadyNow() const override;

  void Advance(std::chrono::nanoseconds delta);
  // Moves the wall clock only (a clock step); steady time is untouched.
  void SetNow(std::chrono::system_clock::time_point now);

  std::uint64_t AddObserver(std::function<void()> on_advance) override;
  void RemoveObserver(std::uint64_t id) override;

 private:
  mutable std::mutex time_mu_;
  std::chrono::system_clock::time_point now_;
  std::chrono::steady_clock::time_point steady_now_;

  // Held while observers run, so RemoveObserver() waits for a running one to finish.
  std::mutex observers_mu_;
  std::map<std::uint64_t, std::function<void()>> observers_;
  std::uint64_t next_id_ = 1;
};

}  // namespace tenantdb::fakes
