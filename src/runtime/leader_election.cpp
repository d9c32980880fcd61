#include "runtime/leader_election.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <utility>

#include "common/logging.h"
#include "kube/gvr.h"

namespace tenantdb::runtime {

namespace {

using json = nlohmann::json;

std::string StringField(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int IntField(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int>() : 0;
}

}  // namespace

std::string FormatMicroTime(std::chrono::system_clock::time_point t) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  long fraction = static_cast<long>(micros % 1'000'000);
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];  // room for any int fields: keeps -Wformat-truncation quiet
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return buf;
}

std::string DefaultLeaderIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    return pod;
  }
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "tenantdb");
  }
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%08x", static_cast<unsigned>(random()));
  return std::string(host) + "_" + suffix;
}

LeaderElector::LeaderElector(kube::KubeApi& api, Clock& clock, Settings settings,
                             Callbacks callbacks)
    : api_(api),
      clock_(clock),
      settings_(std::move(settings)),
      callbacks_(std::move(callbacks)),
      waiter_(clock, mu_, cv_) {
  if (settings_.identity.empty()) {
    settings_.identity = DefaultLeaderIdentity();
  }
}

LeaderElector::Record LeaderElector::RecordOf(const json& lease) {
  Record record;
  const auto spec = lease.find("spec");
  if (spec == lease.end() || !spec->is_object()) {
    return record;
  }
  record.holder = StringField(*spec, "holderIdentity");
  record.lease_duration_seconds = IntField(*spec, "leaseDurationSeconds");
  record.acquire_time = StringField(*spec, "acquireTime");
  record.renew_time = StringField(*spec, "renewTime");
  record.transitions = IntField(*spec, "leaseTransitions");
  return record;
}

json LeaderElector::LeaseSpec(const Record& record) const {
  json spec = {{"holderIdentity", record.holder},
               {"leaseDurationSeconds", record.lease_duration_seconds},
               {"leaseTransitions", record.transitions}};
  if (!record.acquire_time.empty()) {
    spec["acquireTime"] = record.acquire_time;
  }
  if (!record.renew_time.empty()) {
    spec["renewTime"] = record.renew_time;
  }
  return spec;
}

bool LeaderElector::IsLeader() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

void LeaderElector::SetLeader(bool leader) {
  const std::lock_guard<std::mutex> lock(mu_);
  leader_ = leader;
}

void LeaderElector::ReportHolder(const std::string& holder) {
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (holder == last_reported_holder_) {
      return;
    }
    last_reported_holder_ = holder;
  }
  if (!holder.empty()) {
    spdlog::info("Lease holder observed lease={} holder={}", settings_.lease_name, holder);
  }
  if (callbacks_.on_new_leader && !holder.empty()) {
    callbacks_.on_new_leader(holder);
  }
}

bool LeaderElector::TryAcquireOrRenew() {
  const std::lock_guard<std::mutex> attempt(attempt_mu_);
  const kube::Gvr gvr = kube::LeasesGvr();
  const auto now = clock_.SteadyNow();
  const std::string wall = FormatMicroTime(clock_.Now());
  const int duration_s = static_cast<int>(settings_.lease_duration.count());

  const Expected<std::optional<json>> got =
      api_.Get(gvr, settings_.lease_namespace, settings_.lease_name);
  if (!got) {
    spdlog::warn("Lease read failed lease={} code={} error={}", settings_.lease_name,
                 ErrorCodeName(got.error().code), got.error().message);
    return false;
  }

  if (!got->has_value()) {
    const Record record{settings_.identity, duration_s, wall, wall, 0};
    const json lease = {
        {"apiVersion", gvr.ApiVersion()},
        {"kind", gvr.kind},
        {"metadata", {{"name", settings_.lease_name}, {"namespace", settings_.lease_namespace}}},
        {"spec", LeaseSpec(record)}};
    const Expected<json> created = api_.Create(gvr, settings_.lease_namespace, lease);
    if (!created) {
      spdlog::warn("Lease create failed lease={} code={} error={}", settings_.lease_name,
                   ErrorCodeName(created.error().code), created.error().message);
      return false;
    }
    {
      const std::lock_guard<std::mutex> lock(mu_);
      observed_ = record;
      observed_time_ = now;
      leader_ = true;
    }
    ReportHolder(settings_.identity);
    return true;
  }

  const json& lease = **got;
  const Record old = RecordOf(lease);
  std::chrono::steady_clock::time_point observed_time;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (!observed_ || *observed_ != old) {
      observed_ = old;
      observed_time_ = now;
    }
    observed_time = observed_time_;
  }
  ReportHolder(old.holder);

  const bool held_by_other = !old.holder.empty() && old.holder != settings_.identity;
  if (held_by_other && observed_time + std::chrono::seconds(old.lease_duration_seconds) > now) {
    SetLeader(false);
    return false;
  }

  Record next = old;
  next.holder = settings_.identity;
  next.lease_duration_seconds = duration_s;
  next.renew_time = wall;
  if (old.holder != settings_.identity) {
    next.acquire_time = wall;
    next.transitions = old.transitions + 1;
  }
  json updated = lease;
  updated["spec"] = LeaseSpec(next);
  const Expected<json> written = api_.Update(gvr, updated);
  if (!written) {
    spdlog::warn("Lease update failed lease={} code={} error={}", settings_.lease_name,
                 ErrorCodeName(written.error().code), written.error().message);
    return false;
  }
  {
    const std::lock_guard<std::mutex> lock(mu_);
    observed_ = next;
    observed_time_ = now;
    leader_ = true;
  }
  ReportHolder(settings_.identity);
  return true;
}

Expected<void> LeaderElector::Release() {
  const std::lock_guard<std::mutex> attempt(attempt_mu_);
  if (!IsLeader()) {
    return {};
  }
  const kube::Gvr gvr = kube::LeasesGvr();
  const Expected<std::optional<json>> got =
      api_.Get(gvr, settings_.lease_namespace, settings_.lease_name);
  if (!got) {
    return got.error();
  }
  if (!got->has_value() || RecordOf(**got).holder != settings_.identity) {
    SetLeader(false);
    return {};
  }
  const Record old = RecordOf(**got);
  const std::string wall = FormatMicroTime(clock_.Now());
  const Record released{"", 1, wall, wall, old.transitions};
  json updated = **got;
  updated["spec"] = LeaseSpec(released);
  const Expected<json> written = api_.Update(gvr, updated);
  if (!written) {
    return written.error();
  }
  SetLeader(false);
  spdlog::info("Lease released lease={} identity={}", settings_.lease_name, settings_.identity);
  return {};
}

bool LeaderElector::SleepUntil(std::chrono::steady_clock::time_point deadline,
                               const std::stop_token& stop) {
  // Declared before the lock: its destructor may wait for a running callback that takes mu_.
  const std::stop_callback wake(stop, [this] {
    const std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu_);
  return waiter_.WaitUntil(lock, deadline, [&stop] { return stop.stop_requested(); });
}

void LeaderElector::Run(std::stop_token stop) {
  const auto lost = [this] {
    SetLeader(false);
    if (callbacks_.on_lost) {
      callbacks_.on_lost();
    }
  };
  if (settings_.lease_namespace.empty() || settings_.lease_name.empty() ||
      settings_.retry_period <= std::chrono::seconds::zero() ||
      settings_.renew_deadline <= settings_.retry_period ||
      settings_.lease_duration <= settings_.renew_deadline) {
    spdlog::error(
        "Invalid leader election settings lease={} lease_duration_s={} renew_deadline_s={} "
        "retry_period_s={}",
        settings_.lease_name, settings_.lease_duration.count(), settings_.renew_deadline.count(),
        settings_.retry_period.count());
    lost();
    return;
  }
  spdlog::info("Leader election started lease={} namespace={} identity={}", settings_.lease_name,
               settings_.lease_namespace, settings_.identity);
  while (!TryAcquireOrRenew()) {
    if (SleepUntil(clock_.SteadyNow() + settings_.retry_period, stop)) {
      return;
    }
  }
  if (stop.stop_requested()) {
    if (settings_.release_on_stop) {
      Release().IgnoreError();
    }
    return;
  }
  spdlog::info("Became leader lease={} identity={}", settings_.lease_name, settings_.identity);
  if (callbacks_.on_started_leading) {
    callbacks_.on_started_leading();
  }
  auto last_renew = clock_.SteadyNow();
  while (true) {
    if (SleepUntil(clock_.SteadyNow() + settings_.retry_period, stop)) {
      if (settings_.release_on_stop) {
        if (const Expected<void> released = Release(); !released) {
          spdlog::warn("Lease release failed lease={} error={}", settings_.lease_name,
                       released.error().message);
        }
      }
      return;
    }
    if (TryAcquireOrRenew()) {
      last_renew = clock_.SteadyNow();
      continue;
    }
    if (clock_.SteadyNow() - last_renew >= settings_.renew_deadline) {
      spdlog::error("Leadership lost lease={} identity={}", settings_.lease_name,
                    settings_.identity);
      lost();
      return;
    }
  }
}

}  // namespace tenantdb::runtime
