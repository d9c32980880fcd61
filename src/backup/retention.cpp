#include "backup/retention.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <set>

namespace tenantdb::backup {

namespace {

std::int64_t Day(Seconds t) {
  return std::chrono::floor<std::chrono::days>(t).time_since_epoch().count();
}

// 1970-01-01 was a Thursday: shifting by 3 days makes each bucket run Monday to Sunday.
std::int64_t IsoWeek(Seconds t) {
  const std::int64_t d = Day(t) + 3;
  return d >= 0 ? d / 7 : (d - 6) / 7;
}

std::int64_t Month(Seconds t) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<std::int64_t>(static_cast<int>(ymd.year())) * 12 +
         static_cast<unsigned>(ymd.month());
}

}  // namespace

std::vector<std::string> SelectPruned(std::vector<Dated> backups, const Retention& retention) {
  if (retention.Empty() || backups.empty()) {
    return {};
  }
  std::sort(backups.begin(), backups.end(), [](const Dated& a, const Dated& b) {
    return a.time != b.time ? a.time > b.time : a.name > b.name;
  });
  std::vector<bool> keep(backups.size(), false);
  keep[0] = true;
  if (retention.keep_last) {
    for (std::size_t i = 0; i < backups.size() && static_cast<int>(i) < *retention.keep_last; ++i) {
      keep[i] = true;
    }
  }
  auto per_bucket = [&](const std::optional<int>& n,
                        const std::function<std::int64_t(Seconds)>& bucket) {
    if (!n || *n <= 0) {
      return;
    }
    std::set<std::int64_t> seen;
    for (std::size_t i = 0; i < backups.size(); ++i) {
      const std::int64_t b = bucket(backups[i].time);
      if (seen.count(b) == 0) {
        if (static_cast<int>(seen.size()) == *n) {
          return;
        }
        seen.insert(b);
        keep[i] = true;  // the newest of its bucket: the list runs newest first
      }
    }
  };
  per_bucket(retention.keep_daily, Day);
  per_bucket(retention.keep_weekly, IsoWeek);
  per_bucket(retention.keep_monthly, Month);
  std::vector<std::string> pruned;
  for (std::size_t i = 0; i < backups.size(); ++i) {
    if (!keep[i]) {
      pruned.push_back(backups[i].name);
    }
  }
  return pruned;
}

}  // namespace tenantdb::backup
