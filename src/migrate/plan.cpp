#include "migrate/plan.h"

#include <map>
#include <set>

namespace tenantdb::migrate {
namespace {

// Characters (code points) of a UTF-8 string.
std::size_t Chars(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
  }
  return n;
}

std::string FirstChars(std::string_view s, std::size_t count) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0U) != 0x80U && n++ == count) {
      return std::string(s.substr(0, i));
    }
  }
  return std::string(s);
}

bool Synthetic(const AppliedMigration& a) {
  return a.type == "BASELINE" || a.type == "SCHEMA" || a.type == "DELETE";
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string Name(const InfoEntry& e) {
  const std::string file = e.File();
  const std::string version = e.Version();
  if (!version.empty()) {
    return file + " (version " + version + ")";
  }
  return file.empty() ? "repeatable " + Quote(e.Description()) : file;
}

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kPending:
      return "Pending";
    case State::kIgnored:
      return "Ignored";
    case State::kBelowBaseline:
      return "Below Baseline";
    case State::kBaselineIgnored:
      return "Ignored (Baseline)";
    case State::kBaseline:
      return "Baseline";
    case State::kSuccess:
      return "Success";
    case State::kFailed:
      return "Failed";
    case State::kOutOfOrder:
      return "Out of Order";
    case State::kOutdated:
      return "Outdated";
    case State::kSuperseded:
      return "Superseded";
    case State::kMissing:
      return "Missing";
    case State::kMissingFailed:
      return "Failed (Missing)";
    case State::kFuture:
      return "Future";
    case State::kFutureFailed:
      return "Failed (Future)";
    case State::kDeleted:
      return "Deleted";
  }
  return "Unknown";
}

std::string AbbreviateDescription(std::string_view description) {
  if (Chars(description) <= 200) {
    return std::string(description);
  }
  return FirstChars(description, 197) + "...";
}

std::string InfoEntry::Version() const {
  if (applied != nullptr) {
    return applied->version.value_or("");
  }
  return script != nullptr && script->versioned() ? script->name.version->Text() : "";
}
std::string InfoEntry::Description() const {
  return applied != nullptr ? applied->description : script->name.description;
}
std::string InfoEntry::Type() const { return applied != nullptr ? applied->type : "SQL"; }
std::string InfoEntry::File() const {
  if (script != nullptr) {
    return script->file_name;
  }
  return applied != nullptr ? applied->script : "";
}

Expected<Info> ComputeInfo(const std::vector<Script>& scripts,
                           const std::vector<AppliedMigration>& applied,
                           const InfoOptions& options) {
  Info info;
  std::vector<std::optional<migrate::Version>> versions(applied.size());
  std::vector<bool> deleted(applied.size(), false);
  for (std::size_t i = 0; i < applied.size(); ++i) {
    if (applied[i].version) {
      auto v = migrate::Version::Parse(*applied[i].version);
      if (!v) {
        return Error::Invalid("the history table holds version '" + *applied[i].version +
                              "' (installed_rank " + std::to_string(applied[i].installed_rank) +
                              "), which is no version: " + v.error().message);
      }
      versions[i] = std::move(*v);
    }
    if (applied[i].type == "DELETE") {  // Flyway's repair marks the latest earlier run deleted
      for (std::size_t k = i; k-- > 0;) {
        const bool same = versions[i]
                              ? (versions[k] && *versions[k] == *versions[i])
                              : (!versions[k] && applied[k].description == applied[i].description);
        if (same && applied[k].type != "DELETE" && !deleted[k]) {
          deleted[k] = true;
          break;
        }
      }
    }
  }

  // The current version and which rows were applied out of order, in installed_rank order.
  std::optional<migrate::Version> applied_baseline;
  std::vector<bool> out_of_order(applied.size(), false);
  std::map<std::string, std::size_t> latest_repeatable;
  for (std::size_t i = 0; i < applied.size(); ++i) {
    if (applied[i].type == "DELETE" || deleted[i]) {
      continue;
    }
    if (versions[i]) {
      if (applied[i].type == "BASELINE") {
        applied_baseline = versions[i];
      }
      if (!info.current || *versions[i] > *info.current) {
        info.current = versions[i];
      } else {
        out_of_order[i] = true;
      }
    } else if (applied[i].type != "SCHEMA") {
      latest_repeatable[applied[i].description] = i;
    }
  }

  std::map<migrate::Version, const Script*> versioned;
  std::map<std::string, const Script*> repeatable;
  std::optional<migrate::Version> last_resolved;
  for (const Script& s : scripts) {
    if (s.versioned()) {
      versioned.emplace(*s.name.version, &s);
      last_resolved = *s.name.version;  // scripts are in version order
    } else {
      repeatable.emplace(s.name.description, &s);
    }
  }

  std::set<const Script*> matched;
  for (std::size_t i = 0; i < applied.size(); ++i) {
    const AppliedMigration& a = applied[i];
    InfoEntry e{.applied = &a};
    if (a.type != "DELETE" && !deleted[i]) {
      if (versions[i]) {
        if (auto it = versioned.find(*versions[i]); it != versioned.end()) {
          e.script = it->second;
        }
      } else if (a.type != "SCHEMA") {
        if (auto it = repeatable.find(a.description); it != repeatable.end()) {
          e.script = it->second;
        }
      }
    }
    const bool latest_run = !versions[i] && latest_repeatable.contains(a.description) &&
                            latest_repeatable[a.description] == i;
    if (a.type == "DELETE" || a.type == "SCHEMA") {
      e.state = State::kSuccess;
    } else if (deleted[i]) {
      e.state = State::kDeleted;
    } else if (a.type == "BASELINE") {
      e.state = State::kBaseline;
    } else if (e.script == nullptr && (versions[i] || latest_run)) {
      const bool older = !versions[i] || (last_resolved && *versions[i] < *last_resolved);
      e.state = older ? (a.success ? State::kMissing : State::kMissingFailed)
                      : (a.success ? State::kFuture : State::kFutureFailed);
    } else if (!a.success) {
      e.state = State::kFailed;
    } else if (!versions[i]) {
      e.state = !latest_run                                                 ? State::kSuperseded
                : (e.script != nullptr && a.checksum == e.script->checksum) ? State::kSuccess
                                                                            : State::kOutdated;
    } else {
      e.state = out_of_order[i] ? State::kOutOfOrder : State::kSuccess;
    }
    if (e.script != nullptr && (versions[i] || latest_run)) {
      matched.insert(e.script);
    }
    if (e.state == State::kFailed || e.state == State::kMissingFailed ||
        e.state == State::kFutureFailed) {
      info.has_failed = true;
    }
    info.entries.push_back(e);
  }

  std::vector<const Script*> pending_repeatables;
  for (const Script& s : scripts) {
    if (s.versioned()) {
      if (matched.contains(&s)) {
        continue;
      }
      InfoEntry e{.script = &s, .state = State::kPending};
      const migrate::Version& v = *s.name.version;
      if (applied_baseline && v < *applied_baseline) {
        e.state = State::kBelowBaseline;
      } else if (applied_baseline && v == *applied_baseline) {
        e.state = State::kBaselineIgnored;
      } else if (info.current && v < *info.current && !options.out_of_order) {
        e.state = State::kIgnored;
        info.ignored.push_back(&s);
      } else {
        info.pending.push_back(&s);
      }
      info.entries.push_back(e);
    } else {
      const auto it = latest_repeatable.find(s.name.description);
      if (it == latest_repeatable.end() || applied[it->second].checksum != s.checksum) {
        info.entries.push_back(InfoEntry{.script = &s, .state = State::kPending});
        pending_repeatables.push_back(&s);
      }
    }
  }
  info.pending.insert(info.pending.end(), pending_repeatables.begin(), pending_repeatables.end());
  return info;
}

std::vector<std::string> Validate(const Info& info, bool ignore_pending) {
  std::vector<std::string> errors;
  for (const InfoEntry& e : info.entries) {
    const std::string name = Name(e);
    switch (e.state) {
      case State::kFailed:
      case State::kMissingFailed:
        errors.push_back(name + " failed when it ran on " + e.applied->installed_on +
                         ": remove any half-completed changes, then run `tenantdb migrate "
                         "repair` to remove its failed row from the history table");
        continue;
      case State::kMissing:
        if (!Synthetic(*e.applied)) {
          errors.push_back(name + " was applied on " + e.applied->installed_on +
                           " but is no longer among the migration files: applied migrations "
                           "must stay (restore the file)");
        }
        continue;
      case State::kIgnored:
        errors.push_back(name + " was never applied and is older than the current version " +
                         info.current->Text() +
                         ": give it a later version, or allow it with --out-of-order "
                         "(spec.outOfOrder)");
        continue;
      case State::kPending:
        if (!ignore_pending) {
          errors.push_back(name + " is not applied yet (run `tenantdb migrate`)");
        }
        continue;
      case State::kOutdated:
        if (!ignore_pending) {
          errors.push_back(name + " changed since it last ran (run `tenantdb migrate`)");
        }
        continue;
      default:
        break;
    }
    if (e.applied == nullptr || e.script == nullptr || Synthetic(*e.applied) ||
        e.state == State::kDeleted || e.state == State::kSuperseded) {
      continue;
    }
    if (e.applied->type != "SQL") {
      errors.push_back(name + " was applied as a migration of type " + e.applied->type +
                       ", but the file is a SQL migration");
    } else if (e.script->versioned() && e.applied->checksum != e.script->checksum) {
      errors.push_back(
          name + " changed since it was applied: its checksum is " +
          std::to_string(e.script->checksum) + ", the history table has " +
          (e.applied->checksum ? std::to_string(*e.applied->checksum) : std::string("none")) +
          "; revert the file (an applied migration must not change), or run `tenantdb migrate "
          "repair` to accept it as applied");
    } else if (e.applied->description != AbbreviateDescription(e.script->name.description)) {
      errors.push_back(name + " has the description '" + e.script->name.description +
                       "', the history table '" + e.applied->description +
                       "': rename the file back, or run `tenantdb migrate repair`");
    }
  }
  return errors;
}

}  // namespace tenantdb::migrate
