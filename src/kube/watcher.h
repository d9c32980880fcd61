#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "kube/gvr.h"
#include "kube/http_transport.h"

namespace tenantdb::kube {

using json = nlohmann::json;

enum class WatchEventType {
  kAdded,
  kModified,
  kDeleted,
  // A list completed ("InitDone"): `objects` is the complete set, and a cache replaces its
  // contents with it, so objects deleted while the watch was away disappear.
  kRestarted,
};

std::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // kAdded, kModified, kDeleted: the object (for kDeleted, its last state).
  std::shared_ptr<const json> object;
  // kRestarted: every object of the list.
  std::vector<std::shared_ptr<const json>> objects;
};

// For metrics (DESIGN.md "watch restarts").
struct WatchCounters {
  std::uint64_t lists_started = 0;    // complete lists begun (first page requested)
  std::uint64_t list_pages = 0;       // list pages received
  std::uint64_t relists_gone = 0;     // lists forced by 410 Gone (HTTP status or ERROR event)
  std::uint64_t restarts = 0;         // reconnections after a stream end, an error or a 410
  std::uint64_t errors = 0;           // transport errors, non-2xx statuses, in-stream ERROR events
  std::uint64_t malformed_lines = 0;  // watch lines that were not a valid event (skipped)
  std::uint64_t bookmarks = 0;
  std::uint64_t events = 0;  // ADDED, MODIFIED and DELETED events
  friend bool operator==(const WatchCounters&, const WatchCounters&) = default;
};

// kEmpty -> kListing -> kListed(rv) -> kWatching(rv) (STYLE.md R9). kListed: the list is done or
// a watch is being (re)opened from rv; kWatching: the open watch has delivered at least one line.
enum class WatchState { kEmpty, kListing, kListed, kWatching };

std::string_view WatchStateName(WatchState state);

struct WatchOptions {
  Gvr gvr;
  std::string ns;  // "" = all namespaces (and cluster-scoped kinds)
  std::string label_selector;
  std::string field_selector;
  int page_size = 500;  // list ?limit=; pages are followed through metadata.continue
  std::chrono::seconds list_timeout{60};
  // Server-side ?timeoutSeconds= of a watch, jittered down by up to watch_timeout_jitter (a
  // fraction) so that many watches do not reconnect together. The client's idle timeout
  // (HttpRequest::timeout) is watch_timeout + idle_timeout_margin, always above it.
  std::chrono::seconds watch_timeout{290};
  double watch_timeout_jitter = 0.1;
  std::chrono::seconds idle_timeout_margin{30};
  // Reconnect backoff, as kube-rs's default: 0.8 s doubling to 30 s; the delay actually used is
  // base * (1 + backoff_jitter * (2u - 1)) for a uniform u in [0, 1), i.e. in [0, 2 * base] with
  // jitter 1.0. It goes back to initial_backoff after backoff_reset_after without failures.
  std::chrono::milliseconds initial_backoff{800};
  std::chrono::milliseconds max_backoff{30'000};
  double backoff_factor = 2.0;
  double backoff_jitter = 1.0;
  std::chrono::seconds backoff_reset_after{120};
  // A watch that ends cleanly sooner than this without delivering a line is treated as a failure
  // (backoff), so a server that closes at once is not hammered (client-go "very short watch").
  std::chrono::milliseconds min_watch_duration{1000};
  // Drop metadata.managedFields from every object (cache memory; nobody reads them).
  bool strip_managed_fields = true;
};

// The list+watch protocol as a pure state machine (STYLE.md R9, kube-rs watcher.rs, client-go
// reflector.go): no sockets, no threads, no clock reads. The caller sends `next_request` after
// `delay` and feeds back what happened: list pages, watch lines (framed by WatchFramer), stream
// ends, HTTP error statuses and transport errors, each with the current steady time.
//
// - The watch starts from the LIST's metadata.resourceVersion, never from an item's.
// - ADDED/MODIFIED/DELETED advance the resourceVersion and become events; BOOKMARK only advances
// it.
// - 410 Gone, as the status of the watch request or as an in-stream ERROR event, sends the machine
//   back to kEmpty and relists once; the relist ends in a kRestarted event with every object.
// - Other errors keep the resourceVersion and re-watch after a jittered exponential backoff.
// - A stream the server ends (its timeoutSeconds) is re-watched from the last resourceVersion
//   at once, without a relist.
// - A line that is not a valid event is skipped and counted.
class WatchStateMachine {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Step {
    std::vector<WatchEvent> events;  // apply in order, before sending next_request
    std::optional<HttpRequest> next_request;
    std::optional<std::chrono::milliseconds> delay;  // wait this long before next_request
  };

  // `random` returns uniform numbers in [0, 1) for the jitters (STYLE.md R21); without one the
  // jitters are not applied (u = 0.5 for the backoff, no watch-timeout reduction).
  explicit WatchStateMachine(WatchOptions options, std::function<double()> random = nullptr);

  // (Re)starts from kEmpty: requests the first list page.
  Step Start(TimePoint now);
  // Continues after the caller stopped driving the machine for a while (a paused runner):
  // re-watches from the last resourceVersion if there is one, otherwise (re)starts the list.
  Step Resume(TimePoint now);
  // A 2xx list response. Requests the next page while metadata.continue is set; after the last
  // page, emits kRestarted with every object and requests the watch.
  Step OnListPage(json list, TimePoint now);
  // One framed line of a 2xx watch stream. A step with next_request means: stop reading this
  // stream and send that request instead.
  Step OnWatchLine(std::string_view line, TimePoint now);
  // The watch stream ended cleanly (the server's timeoutSeconds): re-watch from the last rv.
  Step OnStreamEnd(TimePoint now);
  // A non-2xx status for the current list or watch request.
  Step OnHttpStatus(int status, TimePoint now);
  // The current request failed without a response (connect, TLS, idle timeout, reset, or an
  // unparseable list body). An error with http_status 410 is handled as 410.
  Step OnTransportError(const Error& error, TimePoint now);

  WatchState state() const { return state_; }
  // The resourceVersion the next watch starts from ("" before the first complete list).
  const std::string& resource_version() const { return rv_; }
  const WatchCounters& counters() const { return counters_; }
  // The base of the next backoff delay, before jitter.
  std::chrono::milliseconds next_backoff() const { return backoff_; }
  const WatchOptions& options() const { return options_; }

  // The collection path of the watched resource, e.g. /apis/tenantdb.io/v1alpha1/namespaces/a/
  // databases or /api/v1/configmaps.
  std::string CollectionPath() const;
  // The request for a list page (continue_token "" for the first page).
  HttpRequest ListRequest(std::string_view continue_token) const;
  // The watch request from `resource_version`, with the given server timeout.
  HttpRequest WatchRequest(std::string_view resource_version,
                           std::chrono::seconds server_timeout) const;

 private:
  Step BeginList(TimePoint now, std::optional<std::chrono::milliseconds> delay);
  Step RetryListPage(TimePoint now);
  Step Gone(TimePoint now);
  Step Rewatch(TimePoint now, std::optional<std::chrono::milliseconds> delay);
  Step Reconnect(TimePoint now);
  std::chrono::milliseconds NextBackoff(TimePoint now);
  std::chrono::seconds JitteredWatchTimeout();
  double Random();
  std::shared_ptr<const json> Prepare(json object) const;

  WatchOptions options_;
  std::function<double()> random_;
  WatchState state_ = WatchState::kEmpty;
  std::string rv_;
  std::string continue_;                            // of the next list page
  std::vector<std::shared_ptr<const json>> items_;  // list pages received so far
  std::chrono::milliseconds backoff_;
  TimePoint healthy_since_{};  // start of the first attempt after the last failure
  TimePoint attempt_started_{};
  bool attempt_had_lines_ = false;
  bool attempt_after_list_ = false;  // the current watch is the first after a list
  WatchCounters counters_;
};

}  // namespace tenantdb::kube
