#include "kube/watcher.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "kube/store.h"

namespace tenantdb::kube {
namespace {

using std::chrono::milliseconds;

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass through).
std::string QueryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0F]);
    }
  }
  return out;
}

void AddParam(std::string& path, bool& first, std::string_view name, std::string_view value) {
  path.push_back(first ? '?' : '&');
  first = false;
  path.append(name);
  path.push_back('=');
  path.append(QueryEscape(value));
}

// The string at /metadata/<field> of a JSON object, or "" when absent or not a string.
std::string MetadataString(const json& obj, const char* field) {
  if (!obj.is_object()) {
    return "";
  }
  const auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) {
    return "";
  }
  const auto it = meta->find(field);
  if (it == meta->end() || !it->is_string()) {
    return "";
  }
  return it->get<std::string>();
}

bool IsGoneStatus(const json& status) {
  if (!status.is_object()) {
    return false;
  }
  const auto code = status.find("code");
  if (code != status.end() && code->is_number_integer() && code->get<int>() == 410) {
    return true;
  }
  const auto reason = status.find("reason");
  return reason != status.end() && reason->is_string() &&
         (reason->get<std::string>() == "Expired" || reason->get<std::string>() == "Gone");
}

}  // namespace

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "Added";
    case WatchEventType::kModified:
      return "Modified";
    case WatchEventType::kDeleted:
      return "Deleted";
    case WatchEventType::kRestarted:
      return "Restarted";
  }
  return "Unknown";
}

std::string_view WatchStateName(WatchState state) {
  switch (state) {
    case WatchState::kEmpty:
      return "Empty";
    case WatchState::kListing:
      return "Listing";
    case WatchState::kListed:
      return "Listed";
    case WatchState::kWatching:
      return "Watching";
  }
  return "Unknown";
}

WatchStateMachine::WatchStateMachine(WatchOptions options, std::function<double()> random)
    : options_(std::move(options)), random_(std::move(random)), backoff_(options_.initial_backoff) {
  if (options_.page_size < 0) {
    options_.page_size = 0;
  }
}

std::string WatchStateMachine::CollectionPath() const {
  std::string path = options_.gvr.group.empty()
                         ? "/api/" + options_.gvr.version
                         : "/apis/" + options_.gvr.group + "/" + options_.gvr.version;
  if (options_.gvr.namespaced && !options_.ns.empty()) {
    path += "/namespaces/" + options_.ns;
  }
  path += "/" + options_.gvr.resource;
  return path;
}

HttpRequest WatchStateMachine::ListRequest(std::string_view continue_token) const {
  HttpRequest request;
  request.method = "GET";
  request.path = CollectionPath();
  bool first = true;
  if (options_.page_size > 0) {
    AddParam(request.path, first, "limit", std::to_string(options_.page_size));
  }
  if (!continue_token.empty()) {
    AddParam(request.path, first, "continue", continue_token);
  }
  if (!options_.label_selector.empty()) {
    AddParam(request.path, first, "labelSelector", options_.label_selector);
  }
  if (!options_.field_selector.empty()) {
    AddParam(request.path, first, "fieldSelector", options_.field_selector);
  }
  request.timeout = options_.list_timeout;
  return request;
}

HttpRequest WatchStateMachine::WatchRequest(std::string_view resource_version,
                                            std::chrono::seconds server_timeout) const {
  HttpRequest request;
  request.method = "GET";
  request.path = CollectionPath();
  bool first = true;
  AddParam(request.path, first, "watch", "true");
  AddParam(request.path, first, "allowWatchBookmarks", "true");
  AddParam(request.path, first, "resourceVersion", resource_version);
  AddParam(request.path, first, "timeoutSeconds", std::to_string(server_timeout.count()));
  if (!options_.label_selector.empty()) {
    AddParam(request.path, first, "labelSelector", options_.label_selector);
  }
  if (!options_.field_selector.empty()) {
    AddParam(request.path, first, "fieldSelector", options_.field_selector);
  }
  // The client's idle-read timeout must outlast the server's timeoutSeconds (PITFALLS.md).
  request.timeout = std::max(options_.watch_timeout, server_timeout) + options_.idle_timeout_margin;
  return request;
}

double WatchStateMachine::Random() {
  if (!random_) {
    return 0.5;
  }
  return std::clamp(random_(), 0.0, 1.0);
}

std::chrono::seconds WatchStateMachine::JitteredWatchTimeout() {
  const double t = static_cast<double>(options_.watch_timeout.count());
  if (!random_ || options_.watch_timeout_jitter <= 0) {
    return options_.watch_timeout;
  }
  const double jittered = t * (1.0 - options_.watch_timeout_jitter * Random());
  return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(jittered)));
}

milliseconds WatchStateMachine::NextBackoff(TimePoint now) {
  ++counters_.errors;
  if (now - healthy_since_ >= options_.backoff_reset_after) {
    backoff_ = options_.initial_backoff;  // the last failure was long ago: start over
  }
  const milliseconds base = backoff_;
  const double grown = static_cast<double>(backoff_.count()) * options_.backoff_factor;
  backoff_ = std::min(options_.max_backoff,
                      milliseconds(static_cast<std::int64_t>(std::min(grown, 1e12))));
  const double factor = 1.0 + options_.backoff_jitter * (2.0 * Random() - 1.0);
  const double jittered = std::max(0.0, static_cast<double>(base.count()) * factor);
  const milliseconds delay(static_cast<std::int64_t>(std::llround(jittered)));
  healthy_since_ = now + delay;  // the next attempt starts a new healthy period
  return delay;
}

std::shared_ptr<const json> WatchStateMachine::Prepare(json object) const {
  if (options_.strip_managed_fields) {
    StripManagedFields(object);
  }
  return std::make_shared<const json>(std::move(object));
}

WatchStateMachine::Step WatchStateMachine::Start(TimePoint now) {
  healthy_since_ = now;
  backoff_ = options_.initial_backoff;
  return BeginList(now, std::nullopt);
}

WatchStateMachine::Step WatchStateMachine::Resume(TimePoint now) {
  switch (state_) {
    case WatchState::kEmpty:
      return Start(now);
    case WatchState::kListing:
      ++counters_.restarts;
      return BeginList(now, std::nullopt);
    case WatchState::kListed:
    case WatchState::kWatching:
      break;
  }
  ++counters_.restarts;
  attempt_after_list_ = false;
  return Rewatch(now, std::nullopt);
}

WatchStateMachine::Step WatchStateMachine::BeginList(
    TimePoint now, std::optional<std::chrono::milliseconds> delay) {
  state_ = WatchState::kListing;
  rv_.clear();
  continue_.clear();
  items_.clear();
  items_.shrink_to_fit();
  ++counters_.lists_started;
  attempt_started_ = now + delay.value_or(milliseconds(0));
  Step step;
  step.next_request = ListRequest("");
  step.delay = delay;
  return step;
}

WatchStateMachine::Step WatchStateMachine::RetryListPage(TimePoint now) {
  if (continue_.empty()) {
    // The first page failed: the whole list starts over (nothing kept).
    const milliseconds delay = NextBackoff(now);
    ++counters_.restarts;
    return BeginList(now, delay);
  }
  // A later page failed: its continue token stays valid until etcd compacts past the list, so
  // retry that page. An expired token answers 410, which restarts the list.
  const milliseconds delay = NextBackoff(now);
  attempt_started_ = now + delay;
  Step step;
  step.next_request = ListRequest(continue_);
  step.delay = delay;
  return step;
}

WatchStateMachine::Step WatchStateMachine::Rewatch(TimePoint now,
                                                   std::optional<std::chrono::milliseconds> delay) {
  state_ = WatchState::kListed;
  attempt_started_ = now + delay.value_or(milliseconds(0));
  attempt_had_lines_ = false;
  Step step;
  step.next_request = WatchRequest(rv_, JitteredWatchTimeout());
  step.delay = delay;
  return step;
}

WatchStateMachine::Step WatchStateMachine::Reconnect(TimePoint now) {
  ++counters_.restarts;
  const milliseconds delay = NextBackoff(now);
  attempt_after_list_ = false;
  return Rewatch(now, delay);
}

WatchStateMachine::Step WatchStateMachine::Gone(TimePoint now) {
  ++counters_.relists_gone;
  ++counters_.restarts;
  // A 410 on the very first watch after a list, before any line, means the list itself was
  // already too old: relist after a backoff rather than at once, so this can never spin.
  std::optional<milliseconds> delay;
  if (attempt_after_list_ && !attempt_had_lines_) {
    delay = NextBackoff(now);
  }
  attempt_after_list_ = false;
  state_ = WatchState::kEmpty;
  return BeginList(now, delay);
}

WatchStateMachine::Step WatchStateMachine::OnListPage(json list, TimePoint now) {
  if (state_ != WatchState::kListing) {
    return {};
  }
  ++counters_.list_pages;
  if (!list.is_object()) {
    return RetryListPage(now);
  }
  const auto items = list.find("items");
  if (items != list.end() && items->is_array()) {
    items_.reserve(items_.size() + items->size());
    for (json& item : *items) {
      if (item.is_object()) {
        items_.push_back(Prepare(std::move(item)));
      }
    }
  } else if (items != list.end() && !items->is_null()) {
    return RetryListPage(now);
  }
  const std::string next = MetadataString(list, "continue");
  if (!next.empty()) {
    continue_ = next;
    attempt_started_ = now;
    Step step;
    step.next_request = ListRequest(continue_);
    return step;
  }
  std::string rv = MetadataString(list, "resourceVersion");
  if (rv.empty()) {
    // Without the list's resourceVersion there is nothing safe to watch from.
    continue_.clear();
    return RetryListPage(now);
  }
  rv_ = std::move(rv);
  continue_.clear();
  Step step;
  WatchEvent done;
  done.type = WatchEventType::kRestarted;
  done.objects = std::move(items_);
  items_ = {};
  step.events.push_back(std::move(done));
  attempt_after_list_ = true;
  Step watch = Rewatch(now, std::nullopt);
  step.next_request = std::move(watch.next_request);
  return step;
}

WatchStateMachine::Step WatchStateMachine::OnWatchLine(std::string_view line, TimePoint now) {
  if (state_ != WatchState::kListed && state_ != WatchState::kWatching) {
    return {};
  }
  json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    ++counters_.malformed_lines;
    return {};
  }
  const auto type_it = parsed.find("type");
  const auto object_it = parsed.find("object");
  if (type_it == parsed.end() || !type_it->is_string() || object_it == parsed.end() ||
      !object_it->is_object()) {
    ++counters_.malformed_lines;
    return {};
  }
  const std::string& type = type_it->get_ref<const std::string&>();
  if (type == "ERROR") {
    // Not counted as a healthy line: a 410 as the first line after a list must not spin.
    if (IsGoneStatus(*object_it)) {
      return Gone(now);
    }
    return Reconnect(now);
  }
  WatchEventType event_type;
  if (type == "ADDED") {
    event_type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    event_type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    event_type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    std::string rv = MetadataString(*object_it, "resourceVersion");
    if (rv.empty()) {
      ++counters_.malformed_lines;
      return {};
    }
    rv_ = std::move(rv);
    ++counters_.bookmarks;
    state_ = WatchState::kWatching;
    attempt_had_lines_ = true;
    return {};
  } else {
    ++counters_.malformed_lines;
    return {};
  }
  if (MetadataString(*object_it, "name").empty()) {
    ++counters_.malformed_lines;
    return {};
  }
  std::string rv = MetadataString(*object_it, "resourceVersion");
  if (!rv.empty()) {
    rv_ = std::move(rv);
  }
  state_ = WatchState::kWatching;
  attempt_had_lines_ = true;
  ++counters_.events;
  Step step;
  WatchEvent event;
  event.type = event_type;
  event.object = Prepare(std::move(*object_it));
  step.events.push_back(std::move(event));
  return step;
}

WatchStateMachine::Step WatchStateMachine::OnStreamEnd(TimePoint now) {
  if (state_ != WatchState::kListed && state_ != WatchState::kWatching) {
    return {};
  }
  if (!attempt_had_lines_ && now - attempt_started_ < options_.min_watch_duration) {
    return Reconnect(now);  // "very short watch": the server closes at once, back off
  }
  ++counters_.restarts;
  attempt_after_list_ = false;
  return Rewatch(now, std::nullopt);
}

WatchStateMachine::Step WatchStateMachine::OnHttpStatus(int status, TimePoint now) {
  if (status >= 200 && status < 300) {
    return {};
  }
  switch (state_) {
    case WatchState::kEmpty:
      return {};
    case WatchState::kListing:
      if (status == 410) {
        // The continue token expired (etcd compacted during a long list): start over.
        ++counters_.relists_gone;
        ++counters_.restarts;
        return BeginList(now, NextBackoff(now));
      }
      return RetryListPage(now);
    case WatchState::kListed:
    case WatchState::kWatching:
      if (status == 410) {
        return Gone(now);
      }
      return Reconnect(now);
  }
  return {};
}

WatchStateMachine::Step WatchStateMachine::OnTransportError(const Error& error, TimePoint now) {
  if (error.http_status == 410) {
    return OnHttpStatus(410, now);
  }
  switch (state_) {
    case WatchState::kEmpty:
      return {};
    case WatchState::kListing:
      return RetryListPage(now);
    case WatchState::kListed:
    case WatchState::kWatching:
      return Reconnect(now);
  }
  return {};
}

}  // namespace tenantdb::kube
