#include "migrate/command.h"

#include <fstream>

#include "migrate/report.h"

namespace tenantdb::migrate {

ConnectOptions ToConnectOptions(const CommandOptions& o) {
  ConnectOptions c;
  if (!o.url.empty()) {
    c.keywords.emplace_back("dbname", o.url);
  }
  const auto add = [&c](const char* key, const std::string& value) {
    if (!value.empty()) {
      c.keywords.emplace_back(key, value);
    }
  };
  add("host", o.host);
  add("port", o.port);
  add("user", o.user);
  add("dbname", o.dbname);
  add("sslmode", o.sslmode);
  c.keywords.emplace_back("fallback_application_name", "tenantdb-migrate");
  return c;
}

int RunCommand(const CommandOptions& options, Connector& connector, std::ostream& out,
               std::ostream& err) {
  Result result;
  result.command = options.command;
  const auto finish = [&](const Result& r) {
    const std::string summary = JsonSummary(r);
    if (!options.summary_file.empty()) {
      std::ofstream file(options.summary_file, std::ios::trunc);
      file << summary;
      if (!file) {
        err << "tenantdb migrate: cannot write the summary to " << options.summary_file << "\n";
      }
    }
    out << (options.json ? summary + "\n" : HumanReport(r));
    return r.success ? 0 : 1;
  };

  std::vector<Script> scripts;
  if (options.command != "baseline") {
    auto scanned = ScanDirectory(options.dir);
    if (!scanned) {
      result.failure = Failure{.message = scanned.error().message};
      return finish(result);
    }
    scripts = std::move(*scanned);
  }
  if (auto v = Version::Parse(options.engine.baseline_version); !v) {
    result.failure = Failure{.message = "--baseline-version: " + v.error().message};
    return finish(result);
  }
  auto session = connector.Connect(ToConnectOptions(options));
  if (!session) {
    result.failure = Failure{.message = session.error().message};
    return finish(result);
  }
  Engine engine(**session, options.engine, err);
  if (options.command == "info") {
    result = engine.InfoCommand(scripts);
  } else if (options.command == "validate") {
    result = engine.ValidateCommand(scripts);
  } else if (options.command == "repair") {
    result = engine.Repair(scripts);
  } else if (options.command == "baseline") {
    result = engine.Baseline();
  } else {
    result = engine.Migrate(scripts);
  }
  return finish(result);
}

}  // namespace tenantdb::migrate
