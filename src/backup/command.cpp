#include "backup/command.h"

#include <fstream>

#include "backup/summary.h"

namespace tenantdb::backup {

int ReportBackup(const Expected<BackupResult>& result, const BackupCommand& command,
                 std::ostream& out, std::ostream& err) {
  const std::string json = result ? SuccessJson(*result) : FailureJson(result.error());
  if (!command.summary_file.empty()) {
    std::ofstream f(command.summary_file, std::ios::trunc);
    f << json;
    if (!f) {
      err << "tenantdb backup: cannot write the summary to " << command.summary_file << "\n";
    }
  }
  if (command.json) {
    out << json << "\n";
  } else if (result) {
    out << SuccessText(*result);
  }
  if (!result) {
    err << "tenantdb backup: "
        << (result.error().reason.empty() ? "" : result.error().reason + ": ")
        << result.error().message << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace tenantdb::backup
