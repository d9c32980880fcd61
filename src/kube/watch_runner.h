#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "kube/http_transport.h"
#include "kube/store.h"
#include "kube/watch_framer.h"
#include "kube/watcher.h"

namespace tenantdb::kube {

struct WatchRunnerOptions {
  WatchOptions watch;
  std::string name;  // the `resource` field of its log lines; default: watch.gvr.resource
  // Steady time (STYLE.md R21; kube does not depend on runtime's Clock). Default: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
  // Uniform numbers in [0, 1) for the jitters. Default: a randomly seeded std::mt19937_64.
  std::function<double()> random;
  // Called after each LIST ("list") and WATCH ("watch") request with the HTTP status (0 for a
  // transport failure), like RestKubeApi's request observer: both feed the API request metric.
  std::function<void(std::string_view verb, int code)> on_request;
  // false: the StoreWriter keeps no objects, only the "synced" mark of the first complete list
  // (HasSynced/WaitForSync), for callers whose `on_event` fills a cache of its own (the typed
  // caches of app/wiring_context.h): the objects are not held twice.
  bool keep_objects = true;
};

// Drives one WatchStateMachine over an HttpTransport on its own thread (STYLE.md R9, R10):
// list pages through Send, watches through Stream (chunks framed by WatchFramer). Every event is
// applied to the StoreWriter first, then passed to `on_event` (which should only map it to queue
// keys: it runs on the watch thread and delays the watch while it runs). Errors are logged,
// counted and retried per the state machine; nothing is fatal and no worker ever waits on it.
// Stop() (or destruction) ends the thread promptly: a wait or a watch ends at once, a list page
// in flight after at most WatchOptions::list_timeout.
class WatchRunner {
 public:
  using EventHandler = std::function<void(const WatchEvent&)>;

  WatchRunner(HttpTransport& transport, StoreWriter writer, EventHandler on_event,
              WatchRunnerOptions options);
  ~WatchRunner();
  WatchRunner(const WatchRunner&) = delete;
  WatchRunner& operator=(const WatchRunner&) = delete;

  // Starts the thread. The first Start lists; a Start after Stop resumes: it re-watches from the
  // last resourceVersion (a 410 then relists once).
  void Start();
  // Requests stop and joins the thread. Idempotent.
  void Stop();

  // True after the first complete list has been stored.
  bool HasSynced() const;
  // Waits (real time) until HasSynced() or the timeout; returns HasSynced().
  bool WaitForSync(std::chrono::milliseconds timeout) const;

  StoreReader Reader() const { return reader_; }
  // Snapshots, safe from any thread.
  WatchCounters Counters() const;
  WatchState State() const;
  std::string ResourceVersion() const;
  const std::string& Name() const { return name_; }

 private:
  using Step = WatchStateMachine::Step;

  void Run(std::stop_token stop);
  Step DoList(const HttpRequest& request);
  Step DoWatch(const HttpRequest& request, const std::stop_token& stop);
  void Deliver(std::vector<WatchEvent>& events);
  void Publish();
  std::chrono::steady_clock::time_point Now() const;
  double Random();

  HttpTransport& transport_;
  StoreWriter writer_;
  StoreReader reader_;
  EventHandler on_event_;
  std::string name_;
  std::function<std::chrono::steady_clock::time_point()> now_;
  std::function<double()> random_;
  std::function<void(std::string_view, int)> on_request_;
  bool keep_objects_ = true;
  std::mt19937_64 rng_;
  WatchStateMachine machine_;
  WatchFramer framer_;
  bool started_once_ = false;

  mutable std::mutex mu_;
  mutable std::condition_variable synced_cv_;
  WatchCounters counters_;  // guarded by mu_, copied from machine_ after each step
  WatchState state_ = WatchState::kEmpty;
  std::string resource_version_;

  std::jthread thread_;  // last: stops and joins before the members it uses go away
};

}  // namespace tenantdb::kube
