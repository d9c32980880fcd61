#include "runtime/manager.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <thread>

namespace tenantdb::runtime {

Manager::Manager(Health& health, MetricsRegistry& metrics, Settings settings)
    : health_(health),
      metrics_(metrics),
      watch_restarts_(RuntimeMetrics(metrics).watch_restarts_total),
      settings_(settings) {}

Manager::~Manager() { Shutdown(); }

void Manager::AddWatch(std::unique_ptr<kube::WatchRunner> runner) {
  health_.AddCache(runner->Name());
  watches_.push_back(std::move(runner));
  reported_restarts_.push_back(0);
}

void Manager::AddController(std::unique_ptr<Controller> controller) {
  controllers_.push_back(std::move(controller));
}

LeaderElector::Callbacks Manager::ElectorCallbacks() {
  LeaderElector::Callbacks callbacks;
  callbacks.on_started_leading = [this] {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      leading_ = true;
    }
    health_.SetLeading(true);
    spdlog::info("Started leading");
    cv_.notify_all();
  };
  callbacks.on_lost = [this] {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      lost_ = true;
    }
    health_.SetLeading(false);
    spdlog::error("Lost leadership: stopping");
    cv_.notify_all();
  };
  callbacks.on_new_leader = [](const std::string& holder) {
    spdlog::info("New leader holder={}", holder);
  };
  return callbacks;
}

void Manager::SetLeaderElector(std::unique_ptr<LeaderElector> elector) {
  elector_ = std::move(elector);
}

void Manager::SyncWatchCounters() {
  for (size_t i = 0; i < watches_.size(); ++i) {
    const std::uint64_t restarts = watches_[i]->Counters().restarts;
    if (restarts > reported_restarts_[i]) {
      watch_restarts_.WithLabels({watches_[i]->Name()})
          .Inc(static_cast<double>(restarts - reported_restarts_[i]));
      reported_restarts_[i] = restarts;
    }
  }
}

int Manager::Run(std::stop_token stop) {
  std::stop_callback wake(stop, [this] { cv_.notify_all(); });
  for (auto& w : watches_) {
    w->Start();
  }
  if (elector_) {
    elector_thread_ = std::jthread([this](std::stop_token s) { elector_->Run(s); });
  } else {
    const std::lock_guard<std::mutex> lock(mu_);
    leading_ = true;
  }

  bool synced = false;
  bool controllers_started = false;
  [[maybe_unused]] auto last_trim = std::chrono::steady_clock::now();
  int exit_code = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop.stop_requested()) {
    if (lost_) {
      exit_code = kExitLostLeadership;
      break;
    }
    if (!synced) {
      synced = true;
      for (auto& w : watches_) {
        const bool s = w->HasSynced();
        health_.SetCacheSynced(w->Name(), s);
        synced = synced && s;
      }
      if (synced) {
        spdlog::info("Caches synced watches={}", watches_.size());
      }
    }
    if (synced && leading_ && !controllers_started) {
      lock.unlock();
      for (auto& c : controllers_) {
        c->Start();
      }
      spdlog::info("Controllers started count={}", controllers_.size());
      lock.lock();
      controllers_started = true;
    }
    lock.unlock();
    SyncWatchCounters();
#ifdef __GLIBC__
    // Give freed heap back to the system once a minute: bursts (a relist, a resync of every
    // object) would otherwise leave RSS at their peak for good.
    if (const auto now = std::chrono::steady_clock::now();
        now - last_trim > std::chrono::minutes(1)) {
      malloc_trim(0);
      last_trim = now;
    }
#endif
    lock.lock();
    cv_.wait_for(lock, synced ? std::chrono::seconds(2) : std::chrono::milliseconds(100));
  }
  lock.unlock();
  ShutdownWithin(settings_.shutdown_timeout);
  return exit_code;
}

void Manager::ShutdownWithin(std::chrono::seconds timeout) {
  // controller-runtime's GracefulShutdownTimeout: a reconcile stuck in a slow SQL statement or an
  // API call must not keep the process alive past the pod's termination grace period.
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock done_lock(done_mu);
    if (!done_cv.wait_for(done_lock, timeout, [&] { return done; })) {
      spdlog::error("Shutdown did not finish in time timeout_s={}: exiting now", timeout.count());
      std::_Exit(kExitLostLeadership);
    }
  });
  Shutdown();
  {
    const std::lock_guard done_lock(done_mu);
    done = true;
  }
  done_cv.notify_all();
  watchdog.join();
}

void Manager::Shutdown() {
  // Controllers first (in-flight reconciles finish), then the elector (releasing the Lease so a
  // standby takes over at once), then the watches.
  for (auto& c : controllers_) {
    c->Stop();
  }
  if (elector_thread_.joinable()) {
    elector_thread_.request_stop();
    elector_thread_.join();
  }
  for (auto& w : watches_) {
    w->Stop();
  }
}

}  // namespace tenantdb::runtime
