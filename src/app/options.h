#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logging.h"

namespace tenantdb::app {

// Everything `tenantdb run` is configured with. Sources, strongest first: command-line flags,
// the YAML file of --config, environment variables, defaults.
struct RunOptions {
  std::string kubeconfig;                     // "" = $KUBECONFIG, in-cluster, then ~/.kube/config
  std::string context;                        // "" = the kubeconfig's current context
  std::vector<std::string> watch_namespaces;  // empty = all namespaces
  int workers = 4;
  std::chrono::seconds resync_period{600};
  std::chrono::seconds max_backoff{300};
  bool leader_elect = true;
  std::string leader_election_namespace = "tenantdb-system";
  std::string leader_election_id = "tenantdb-leader";
  std::string identity;                             // "" = $POD_NAME or hostname
  std::string metrics_bind_address = ":8080";       // "0" disables
  std::string health_probe_bind_address = ":8081";  // "0" disables
  LogFormat log_format = LogFormat::kText;
  std::string log_level = "info";
  std::chrono::seconds shutdown_timeout{10};
  // The image of the Jobs and CronJobs the operator creates (migrations, backups): its own. The
  // chart sets it to the operator's image; "" leaves Migrations and BackupSchedules waiting with a
  // message that says so.
  std::string job_image;
};

// Reads the --config YAML file (keys as the flag names without dashes' prefix, e.g.
// `workers: 2`, `watch-namespaces: [a, b]`, `resync-period: 5m`) over `options`.
Expected<void> ApplyConfigFile(const std::string& path, RunOptions& options);

// A host:port listen address (":8080" = all interfaces, "127.0.0.1:0" = a free port).
struct ListenAddress {
  std::string host;  // "" = all interfaces
  int port = 0;
};
Expected<std::optional<ListenAddress>> ParseListenAddress(const std::string& text);  // "0" = off

}  // namespace tenantdb::app
