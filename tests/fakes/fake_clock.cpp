#include "fakes/fake_clock.h"

#include <utility>

namespace tenantdb::fakes {

namespace {

// 2024-01-01T00:00:00Z.
constexpr std::chrono::seconds kDefaultStart{1704067200};
// Steady time starts well after its epoch so that "long ago" stays representable.
constexpr std::chrono::hours kSteadyStart{1000};

}  // namespace

FakeClock::FakeClock() : FakeClock(std::chrono::system_clock::time_point(kDefaultStart)) {}

FakeClock::FakeClock(std::chrono::system_clock::time_point start)
    : now_(start), steady_now_(std::chrono::steady_clock::time_point(kSteadyStart)) {}

std::chrono::system_clock::time_point FakeClock::Now() const {
  const std::lock_guard<std::mutex> lock(time_mu_);
  return now_;
}

std::chrono::steady_clock::time_point FakeClock::SteadyNow() const {
  const std::lock_guard<std::mutex> lock(time_mu_);
  return steady_now_;
}

void FakeClock::Advance(std::chrono::nanoseconds delta) {
  {
    const std::lock_guard<std::mutex> lock(time_mu_);
    now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(delta);
    steady_now_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(delta);
  }
  // Not under time_mu_: observers read the clock.
  const std::lock_guard<std::mutex> lock(observers_mu_);
  for (const auto& [id, observer] : observers_) {
    observer();
  }
}

void FakeClock::SetNow(std::chrono::system_clock::time_point now) {
  const std::lock_guard<std::mutex> lock(time_mu_);
  now_ = now;
}

std::uint64_t FakeClock::AddObserver(std::function<void()> on_advance) {
  const std::lock_guard<std::mutex> lock(observers_mu_);
  const std::uint64_t id = next_id_++;
  observers_.emplace(id, std::move(on_advance));
  return id;
}

void FakeClock::RemoveObserver(std::uint64_t id) {
  const std::lock_guard<std::mutex> lock(observers_mu_);
  observers_.erase(id);
}

}  // namespace tenantdb::fakes
