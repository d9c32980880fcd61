#include "kube/watch_runner.h"

#include <spdlog/spdlog.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <exception>
#include <utility>

namespace tenantdb::kube {
namespace {

bool Is2xx(int status) { return status >= 200 && status < 300; }

long long Millis(const std::optional<std::chrono::milliseconds>& delay) {
  return delay ? static_cast<long long>(delay->count()) : 0;
}

// Waits for `delay` or until stop is requested; false when stopped.
bool SleepFor(std::chrono::milliseconds delay, const std::stop_token& stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace

WatchRunner::WatchRunner(HttpTransport& transport, StoreWriter writer, EventHandler on_event,
                         WatchRunnerOptions options)
    : transport_(transport),
      writer_(std::move(writer)),
      reader_(writer_.Reader()),
      on_event_(std::move(on_event)),
      name_(options.name.empty() ? options.watch.gvr.resource : std::move(options.name)),
      now_(std::move(options.now)),
      random_(std::move(options.random)),
      on_request_(std::move(options.on_request)),
      keep_objects_(options.keep_objects),
      rng_(std::random_device{}()),
      machine_(std::move(options.watch), [this] { return Random(); }) {}

WatchRunner::~WatchRunner() { Stop(); }

std::chrono::steady_clock::time_point WatchRunner::Now() const {
  return now_ ? now_() : std::chrono::steady_clock::now();
}

double WatchRunner::Random() {
  if (random_) {
    return random_();
  }
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

void WatchRunner::Start() {
  if (thread_.joinable()) {
    return;
  }
  thread_ = std::jthread([this](std::stop_token stop) { Run(std::move(stop)); });
}

void WatchRunner::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  thread_.request_stop();
  thread_.join();
  thread_ = std::jthread();
}

bool WatchRunner::HasSynced() const { return reader_.HasSynced(); }

bool WatchRunner::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  synced_cv_.wait_for(lock, timeout, [this] { return reader_.HasSynced(); });
  return reader_.HasSynced();
}

WatchCounters WatchRunner::Counters() const {
  const std::lock_guard lock(mu_);
  return counters_;
}

WatchState WatchRunner::State() const {
  const std::lock_guard lock(mu_);
  return state_;
}

std::string WatchRunner::ResourceVersion() const {
  const std::lock_guard lock(mu_);
  return resource_version_;
}

void WatchRunner::Publish() {
  const std::lock_guard lock(mu_);
  counters_ = machine_.counters();
  counters_.malformed_lines += framer_.DroppedLines();
  state_ = machine_.state();
  resource_version_ = machine_.resource_version();
}

void WatchRunner::Deliver(std::vector<WatchEvent>& events) {
  for (WatchEvent& event : events) {
    try {
      if (keep_objects_) {
        writer_.Apply(event);
      } else if (event.type == WatchEventType::kRestarted) {
        writer_.Replace({});  // the synced mark only
      }
    } catch (const std::exception& e) {
      spdlog::error("Watch cache update failed resource={} error={}", name_, e.what());
    }
    if (event.type == WatchEventType::kRestarted) {
      spdlog::info("Watch listed resource={} objects={} resource_version={}", name_,
                   event.objects.size(), machine_.resource_version());
#ifdef __GLIBC__
      // A list's response text and parse tree are large and short-lived; glibc keeps freed heap
      // pages mapped unless asked, and the operator's RSS would stay at the list's peak.
      malloc_trim(0);
#endif
      {
        const std::lock_guard lock(mu_);  // pairs with WaitForSync's predicate check
      }
      synced_cv_.notify_all();
    }
    if (on_event_) {
      try {
        on_event_(event);
      } catch (const std::exception& e) {
        spdlog::error("Watch event handler failed resource={} error={}", name_, e.what());
      }
    }
  }
  events.clear();
}

WatchRunner::Step WatchRunner::DoList(const HttpRequest& request) {
  Expected<HttpResponse> response = transport_.Send(request);
  if (on_request_) {
    on_request_("list", response ? response->status : 0);
  }
  if (!response) {
    Step step = machine_.OnTransportError(response.error(), Now());
    spdlog::warn("Watch list failed resource={} error={} retry_in_ms={}", name_,
                 response.error().message, Millis(step.delay));
    return step;
  }
  if (!Is2xx(response->status)) {
    Step step = machine_.OnHttpStatus(response->status, Now());
    spdlog::warn("Watch list rejected resource={} status={} retry_in_ms={}", name_,
                 response->status, Millis(step.delay));
    return step;
  }
  json list = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  std::string().swap(response->body);  // free the text before the objects are built
  if (list.is_discarded()) {
    Step step = machine_.OnTransportError(Error::Transient("list response is not JSON"), Now());
    spdlog::warn("Watch list response malformed resource={} retry_in_ms={}", name_,
                 Millis(step.delay));
    return step;
  }
  return machine_.OnListPage(std::move(list), Now());
}

WatchRunner::Step WatchRunner::DoWatch(const HttpRequest& request, const std::stop_token& stop) {
  framer_.Reset();
  std::optional<Step> redirect;
  std::exception_ptr failure;
  const ChunkHandler on_chunk = [&](std::string_view chunk) -> bool {
    try {
      for (const std::string& line : framer_.Feed(chunk)) {
        Step step = machine_.OnWatchLine(line, Now());
        Deliver(step.events);
        if (step.next_request) {
          redirect = std::move(step);  // an in-stream ERROR: leave this stream
          return false;
        }
      }
      Publish();
    } catch (...) {
      failure = std::current_exception();
      return false;
    }
    return !stop.stop_requested();
  };
  Expected<HttpResponse> response = transport_.Stream(request, on_chunk, stop);
  if (on_request_) {
    on_request_("watch", response ? response->status : 0);
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
  if (redirect) {
    spdlog::warn("Watch error event resource={} relist={} retry_in_ms={}", name_,
                 machine_.state() == WatchState::kListing, Millis(redirect->delay));
    return std::move(*redirect);
  }
  if (stop.stop_requested()) {
    return {};
  }
  if (!response) {
    Step step = machine_.OnTransportError(response.error(), Now());
    spdlog::warn("Watch stream failed resource={} error={} relist={} retry_in_ms={}", name_,
                 response.error().message, machine_.state() == WatchState::kListing,
                 Millis(step.delay));
    return step;
  }
  if (!Is2xx(response->status)) {
    Step step = machine_.OnHttpStatus(response->status, Now());
    spdlog::warn("Watch rejected resource={} status={} relist={} retry_in_ms={}", name_,
                 response->status, machine_.state() == WatchState::kListing, Millis(step.delay));
    return step;
  }
  if (std::optional<std::string> last = framer_.Finish()) {
    Step step = machine_.OnWatchLine(*last, Now());
    Deliver(step.events);
    if (step.next_request) {
      return step;
    }
  }
  Step step = machine_.OnStreamEnd(Now());
  spdlog::debug("Watch stream ended resource={} resource_version={} retry_in_ms={}", name_,
                machine_.resource_version(), Millis(step.delay));
  return step;
}

void WatchRunner::Run(std::stop_token stop) {
  Step step = started_once_ ? machine_.Resume(Now()) : machine_.Start(Now());
  started_once_ = true;
  while (!stop.stop_requested()) {
    Deliver(step.events);
    Publish();
    if (step.delay && step.delay->count() > 0 && !SleepFor(*step.delay, stop)) {
      break;
    }
    if (!step.next_request) {
      step = machine_.Resume(Now());  // not reached: every step of the loop carries a request
      continue;
    }
    const HttpRequest request = std::move(*step.next_request);
    step = {};
    try {
      step = machine_.state() == WatchState::kListing ? DoList(request) : DoWatch(request, stop);
    } catch (const std::exception& e) {
      step = machine_.OnTransportError(Error::Internal(e.what()), Now());
      spdlog::error("Watch failed resource={} error={} retry_in_ms={}", name_, e.what(),
                    Millis(step.delay));
    } catch (...) {
      step = machine_.OnTransportError(Error::Internal("unknown exception"), Now());
      spdlog::error("Watch failed resource={} error=unknown retry_in_ms={}", name_,
                    Millis(step.delay));
    }
  }
  // A step taken just before the stop may carry a completed list: the machine has moved on, so
  // the store must have it too.
  Deliver(step.events);
  Publish();
}

}  // namespace tenantdb::kube
