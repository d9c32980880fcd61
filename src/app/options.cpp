#include "app/options.h"

#include <yaml-cpp/yaml.h>

#include <string>

#include "api/v1alpha1/time.h"

namespace tenantdb::app {

Expected<std::optional<ListenAddress>> ParseListenAddress(const std::string& text) {
  if (text == "0" || text.empty()) {
    return std::optional<ListenAddress>();
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Error::Invalid("invalid listen address \"" + text + "\": use host:port or :port");
  }
  ListenAddress addr;
  addr.host = text.substr(0, colon);
  try {
    size_t used = 0;
    addr.port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || addr.port < 0 || addr.port > 65535) {
      throw std::out_of_range("port");
    }
  } catch (const std::exception&) {
    return Error::Invalid("invalid listen address \"" + text + "\": the port must be 0-65535");
  }
  return std::optional<ListenAddress>(addr);
}

namespace {

Expected<std::chrono::seconds> Seconds(const YAML::Node& node, const std::string& key) {
  auto d = api::v1alpha1::ParseGoDuration(node.as<std::string>());
  if (!d) {
    return Error::Invalid(key + ": " + d.error().message);
  }
  return *d;
}

}  // namespace

Expected<void> ApplyConfigFile(const std::string& path, RunOptions& o) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    return Error::Invalid("cannot read config file " + path + ": " + e.what());
  }
  if (!root.IsMap()) {
    return Error::Invalid("config file " + path + ": expected a map of option names to values");
  }
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "kubeconfig") {
        o.kubeconfig = v.as<std::string>();
      } else if (key == "context") {
        o.context = v.as<std::string>();
      } else if (key == "watch-namespaces") {
        o.watch_namespaces = v.as<std::vector<std::string>>();
      } else if (key == "workers") {
        o.workers = v.as<int>();
      } else if (key == "resync-period") {
        TENANTDB_TRY(o.resync_period, Seconds(v, key));
      } else if (key == "max-backoff") {
        TENANTDB_TRY(o.max_backoff, Seconds(v, key));
      } else if (key == "leader-elect") {
        o.leader_elect = v.as<bool>();
      } else if (key == "leader-election-namespace") {
        o.leader_election_namespace = v.as<std::string>();
      } else if (key == "leader-election-id") {
        o.leader_election_id = v.as<std::string>();
      } else if (key == "metrics-bind-address") {
        o.metrics_bind_address = v.as<std::string>();
      } else if (key == "health-probe-bind-address") {
        o.health_probe_bind_address = v.as<std::string>();
      } else if (key == "log-format") {
        const auto f = v.as<std::string>();
        if (f != "json" && f != "text") {
          return Error::Invalid("config file " + path + ": log-format must be json or text");
        }
        o.log_format = f == "json" ? LogFormat::kJson : LogFormat::kText;
      } else if (key == "log-level") {
        o.log_level = v.as<std::string>();
      } else if (key == "job-image") {
        o.job_image = v.as<std::string>();
      } else {
        return Error::Invalid("config file " + path + ": unknown option \"" + key + "\"");
      }
    }
  } catch (const YAML::Exception& e) {
    return Error::Invalid("config file " + path + ": " + e.what());
  }
  return {};
}

}  // namespace tenantdb::app
