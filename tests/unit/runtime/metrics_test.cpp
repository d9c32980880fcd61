#include "runtime/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tenantdb::runtime {
namespace {

TEST(MetricsRegistryTest, RendersTheExpositionFormat) {
  MetricsRegistry registry;
  auto& requests = registry.RegisterCounter("tenantdb_api_requests_total",
                                            "Kubernetes API requests.", {"verb", "code"});
  requests.WithLabels({"get", "200"}).Inc();
  requests.WithLabels({"get", "200"}).Inc(2);
  requests.WithLabels({"create", "409"}).Inc();
  registry.RegisterGauge("tenantdb_up", "Whether the operator runs.").WithLabels({}).Set(1);
  auto& duration =
      registry.RegisterHistogram("tenantdb_reconcile_duration_seconds", "Time in one reconcile.",
                                 {"controller"}, {0.25, 0.5, 1});
  auto& db = duration.WithLabels({"database"});
  db.Observe(0.125);
  db.Observe(0.25);  // le is inclusive
  db.Observe(0.75);
  db.Observe(3);
  registry.RegisterCounter("tenantdb_unused_total", "Never incremented.", {"reason"});

  EXPECT_EQ(registry.Render(),
            "# HELP tenantdb_api_requests_total Kubernetes API requests.\n"
            "# TYPE tenantdb_api_requests_total counter\n"
            "tenantdb_api_requests_total{verb=\"create\",code=\"409\"} 1\n"
            "tenantdb_api_requests_total{verb=\"get\",code=\"200\"} 3\n"
            "# HELP tenantdb_reconcile_duration_seconds Time in one reconcile.\n"
            "# TYPE tenantdb_reconcile_duration_seconds histogram\n"
            "tenantdb_reconcile_duration_seconds_bucket{controller=\"database\",le=\"0.25\"} 2\n"
            "tenantdb_reconcile_duration_seconds_bucket{controller=\"database\",le=\"0.5\"} 2\n"
            "tenantdb_reconcile_duration_seconds_bucket{controller=\"database\",le=\"1\"} 3\n"
            "tenantdb_reconcile_duration_seconds_bucket{controller=\"database\",le=\"+Inf\"} 4\n"
            "tenantdb_reconcile_duration_seconds_sum{controller=\"database\"} 4.125\n"
            "tenantdb_reconcile_duration_seconds_count{controller=\"database\"} 4\n"
            "# HELP tenantdb_up Whether the operator runs.\n"
            "# TYPE tenantdb_up gauge\n"
            "tenantdb_up 1\n");
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.RegisterCounter("tenantdb_x_total", "Help with \\ and\nnewline.", {"v"})
      .WithLabels({"a\"b\\c\nd"})
      .Inc();
  EXPECT_EQ(registry.Render(),
            "# HELP tenantdb_x_total Help with \\\\ and\\nnewline.\n"
            "# TYPE tenantdb_x_total counter\n"
            "tenantdb_x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistryTest, CallbackGaugesAreComputedAtScrapeTimeAndMerged) {
  MetricsRegistry registry;
  double depth = 3;
  {
    auto first = registry.RegisterCallbackGauge(
        "tenantdb_workqueue_depth", "Keys waiting.", {"controller"}, [&depth] {
          return std::vector<GaugeSample>{{{"role"}, depth}};
        });
    auto second = registry.RegisterCallbackGauge(
        "tenantdb_workqueue_depth", "Keys waiting.", {"controller"}, [] {
          return std::vector<GaugeSample>{{{"database"}, 0}};
        });
    depth = 7;
    EXPECT_EQ(registry.Render(),
              "# HELP tenantdb_workqueue_depth Keys waiting.\n"
              "# TYPE tenantdb_workqueue_depth gauge\n"
              "tenantdb_workqueue_depth{controller=\"database\"} 0\n"
              "tenantdb_workqueue_depth{controller=\"role\"} 7\n");
  }
  EXPECT_EQ(registry.Render(), "");  // both registrations gone
}

TEST(MetricsRegistryTest, ReRegisteringReturnsTheSameFamily) {
  MetricsRegistry registry;
  auto& a = registry.RegisterCounter("tenantdb_a_total", "A.", {"x"});
  auto& b = registry.RegisterCounter("tenantdb_a_total", "A.", {"x"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(registry.RegisterGauge("tenantdb_a_total", "A.", {"x"}), std::invalid_argument);
  EXPECT_THROW(registry.RegisterCounter("tenantdb_a_total", "A.", {"y"}), std::invalid_argument);
  EXPECT_THROW(registry.RegisterCounter("0bad", "B."), std::invalid_argument);
  EXPECT_THROW(registry.RegisterHistogram("tenantdb_h", "H.", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(registry.RegisterHistogram("tenantdb_h", "H.", {}, {2, 1}), std::invalid_argument);
  EXPECT_THROW(a.WithLabels({"1", "2"}), std::invalid_argument);
}

TEST(MetricsRegistryTest, RuntimeMetricsUseTheDocumentedNames) {
  MetricsRegistry registry;
  RuntimeMetrics metrics(registry);
  metrics.reconcile_total.WithLabels({"database", "success"}).Inc();
  metrics.reconcile_errors_total.WithLabels({"database", "ServerUnreachable"}).Inc();
  metrics.watch_restarts_total.WithLabels({"databases"}).Inc();
  metrics.api_requests_total.WithLabels({"list", "200"}).Inc();
  metrics.reconcile_duration_seconds.WithLabels({"database"}).Observe(0.2);
  RuntimeMetrics again(registry);  // a second controller: same families
  EXPECT_EQ(&metrics.reconcile_total, &again.reconcile_total);
  const std::string text = registry.Render();
  for (const char* line :
       {"tenantdb_reconcile_total{controller=\"database\",result=\"success\"} 1\n",
        "tenantdb_reconcile_errors_total{controller=\"database\",reason=\"ServerUnreachable\"} 1\n",
        "tenantdb_watch_restarts_total{resource=\"databases\"} 1\n",
        "tenantdb_api_requests_total{verb=\"list\",code=\"200\"} 1\n",
        "tenantdb_reconcile_duration_seconds_bucket{controller=\"database\",le=\"0.25\"} 1\n",
        "# TYPE tenantdb_reconcile_duration_seconds histogram\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

TEST(MetricsRegistryTest, FormatsValuesLikePrometheusClients) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(42), "42");
  EXPECT_EQ(FormatMetricValue(-3), "-3");
  EXPECT_EQ(FormatMetricValue(0.005), "0.005");
  EXPECT_EQ(FormatMetricValue(2.5), "2.5");
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
}

TEST(MetricsRegistryTest, CountersAreThreadSafe) {
  MetricsRegistry registry;
  auto& family = registry.RegisterCounter("tenantdb_n_total", "N.", {"worker"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family] {
      for (int i = 0; i < 1000; ++i) {
        family.WithLabels({"w"}).Inc();
        family.WithLabels({std::to_string(i % 3)}).Inc();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(family.WithLabels({"w"}).Value(), 4000);
}

TEST(MetricsRegistryTest, CounterIgnoresNegativeIncrements) {
  Counter counter;
  counter.Inc(2);
  counter.Inc(-1);
  EXPECT_EQ(counter.Value(), 2);
}

}  // namespace
}  // namespace tenantdb::runtime
