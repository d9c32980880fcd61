#include "runtime/event_recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "common/encoding.h"
#include "common/logging.h"
#include "kube/gvr.h"
#include "runtime/leader_election.h"

namespace tenantdb::runtime {

namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxNoteBytes = 1024;
constexpr std::size_t kMaxNameBytes = 253;
constexpr std::size_t kMaxActionBytes = 128;

std::string MetaString(const json& obj, const char* key) {
  const auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) {
    return {};
  }
  const auto it = meta->find(key);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string TopString(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return std::string(text);
  }
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

// <object>.<stamp in hex>, cut to a valid name length.
std::string EventName(std::string_view object_name, std::uint64_t stamp) {
  char suffix[24];
  std::snprintf(suffix, sizeof(suffix), ".%llx", static_cast<unsigned long long>(stamp));
  const std::string_view suffix_view(suffix);
  return std::string(object_name.substr(0, kMaxNameBytes - suffix_view.size())) +
         std::string(suffix_view);
}

// The first 128 bits of SHA-256(text).
std::array<std::uint64_t, 2> Digest128(const std::string& text) {
  const std::string hex = Sha256Hex(text);
  return {std::stoull(hex.substr(0, 16), nullptr, 16),
          std::stoull(hex.substr(16, 16), nullptr, 16)};
}

}  // namespace

bool IsValidEventReason(std::string_view reason) {
  const auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (reason.empty() || reason.size() > 128 || !alpha(reason.front())) {
    return false;
  }
  for (std::size_t i = 1; i < reason.size(); ++i) {
    const char c = reason[i];
    const bool last = i + 1 == reason.size();
    const bool word = alpha(c) || digit(c) || c == '_';
    if (!word && (last || (c != ',' && c != ':'))) {
      return false;
    }
  }
  return true;
}

KubeEventRecorder::KubeEventRecorder(kube::KubeApi& api, Clock& clock, Settings settings)
    : api_(api), clock_(clock), settings_(std::move(settings)) {}

std::uint64_t KubeEventRecorder::NewStampLocked() {
  // client-go: <object>.<unix nanos in hex>, kept unique within this recorder.
  const auto nanos = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
          .count());
  last_stamp_ = std::max(nanos, last_stamp_ + 1);
  return last_stamp_;
}

void KubeEventRecorder::PruneLocked(std::chrono::steady_clock::time_point now) {
  if (aggregates_.size() > settings_.max_tracked) {
    std::erase_if(aggregates_, [&](const auto& entry) {
      return now - entry.second.last_observed > settings_.aggregation_window;
    });
    while (aggregates_.size() > settings_.max_tracked) {
      aggregates_.erase(aggregates_.begin());
    }
  }
  if (buckets_.size() > settings_.max_tracked) {
    // A bucket idle this long is full again: forgetting it changes nothing.
    const auto refill_all = settings_.spam_refill_interval * settings_.spam_burst;
    std::erase_if(buckets_,
                  [&](const auto& entry) { return now - entry.second.last_used > refill_all; });
    while (buckets_.size() > settings_.max_tracked) {
      buckets_.erase(buckets_.begin());
    }
  }
}

void KubeEventRecorder::Record(const json& regarding, EventType type, std::string_view reason,
                               std::string_view action, std::string_view note) {
  if (!IsValidEventReason(reason)) {
    spdlog::warn("Event with an invalid reason dropped reason={}", reason);
    return;
  }
  const std::string api_version = TopString(regarding, "apiVersion");
  const std::string kind = TopString(regarding, "kind");
  const std::string object_ns = MetaString(regarding, "namespace");
  const std::string object_name = MetaString(regarding, "name");
  const std::string uid = MetaString(regarding, "uid");
  if (kind.empty() || object_name.empty()) {
    spdlog::warn("Event about an object without kind or name dropped reason={}", reason);
    return;
  }
  const std::string type_name = type == EventType::kWarning ? "Warning" : "Normal";
  const std::string action_text =
      action.empty() ? std::string("Reconcile") : TruncateUtf8(action, kMaxActionBytes);
  const std::string note_text = TruncateUtf8(note, kMaxNoteBytes);
  const std::string object_key =
      api_version + '\n' + kind + '\n' + object_ns + '\n' + object_name + '\n' + uid;
  const Digest object_digest = Digest128(object_key);
  const Digest aggregate_digest =
      Digest128(object_key + '\n' + type_name + '\n' + std::string(reason) + '\n' + action_text +
                '\n' + note_text);

  const auto now = clock_.SteadyNow();
  const std::string wall = FormatMicroTime(clock_.Now());

  enum class Write { kCreate, kPatchSeries };
  Write write = Write::kCreate;
  const std::string event_ns = object_ns.empty() ? "default" : object_ns;
  std::uint64_t stamp = 0;
  json event;
  int count = 1;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    PruneLocked(now);
    auto aggregate = aggregates_.find(aggregate_digest);
    if (aggregate != aggregates_.end() &&
        now - aggregate->second.last_observed > settings_.aggregation_window) {
      aggregates_.erase(aggregate);
      aggregate = aggregates_.end();
    }
    auto [bucket, inserted] = buckets_.try_emplace(object_digest);
    if (inserted) {
      bucket->second.tokens = TokenCount::Full(settings_.spam_burst, now);
    }
    bucket->second.last_used = now;
    const bool allowed = bucket->second.tokens.Allow(
        now, 1.0 / static_cast<double>(settings_.spam_refill_interval.count()),
        static_cast<double>(settings_.spam_burst));
    if (aggregate != aggregates_.end()) {
      Aggregate& entry = aggregate->second;
      ++entry.count;
      entry.last_observed = now;
      if (!allowed) {
        spdlog::debug("Event suppressed by the spam filter reason={} object={}", reason,
                      object_name);
        return;
      }
      write = Write::kPatchSeries;
      stamp = entry.stamp;
      count = entry.count;
    } else {
      if (!allowed) {
        spdlog::debug("Event suppressed by the spam filter reason={} object={}", reason,
                      object_name);
        return;
      }
      stamp = NewStampLocked();
      aggregates_[aggregate_digest] = Aggregate{stamp, 1, now};
    }
  }
  const std::string event_name = EventName(object_name, stamp);

  json regarding_ref = {{"apiVersion", api_version}, {"kind", kind}, {"name", object_name}};
  if (!object_ns.empty()) {
    regarding_ref["namespace"] = object_ns;
  }
  if (!uid.empty()) {
    regarding_ref["uid"] = uid;
  }
  if (const std::string rv = MetaString(regarding, "resourceVersion"); !rv.empty()) {
    regarding_ref["resourceVersion"] = rv;
  }
  event = {
      {"apiVersion", "events.k8s.io/v1"},
      {"kind", "Event"},
      {"metadata", {{"name", event_name}, {"namespace", event_ns}}},
      {"eventTime", wall},
      {"reportingController", settings_.reporting_controller},
      {"reportingInstance", settings_.reporting_instance.empty() ? std::string("tenantdb")
                                                                 : settings_.reporting_instance},
      {"action", action_text},
      {"reason", std::string(reason)},
      {"note", note_text},
      {"type", type_name},
      {"regarding", std::move(regarding_ref)}};
  const kube::Gvr gvr = kube::EventsGvr();
  if (write == Write::kPatchSeries) {
    const json series = {{"count", count}, {"lastObservedTime", wall}};
    const Expected<json> patched =
        api_.Patch(gvr, event_ns, event_name, kube::PatchType::kMerge, {{"series", series}});
    if (patched) {
      return;
    }
    if (patched.error().code != ErrorCode::kNotFound) {
      spdlog::warn("Event update failed event={} reason={} error={}", event_name, reason,
                   patched.error().message);
      return;
    }
    // The Event expired on the server (1 h TTL): write it again with its series.
    event["series"] = series;
  }
  const Expected<json> created = api_.Create(gvr, event_ns, event);
  if (!created) {
    spdlog::warn("Event create failed event={} reason={} error={}", event_name, reason,
                 created.error().message);
  }
}

}  // namespace tenantdb::runtime
