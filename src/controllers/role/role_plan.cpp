#include "controllers/role/role_plan.h"

#include <algorithm>
#include <utility>

#include "api/v1alpha1/time.h"

namespace tenantdb::controllers::role {

namespace v1 = api::v1alpha1;

namespace {

// "2030-01-01 00:00:00+00" / "2030-01-01 00:00:00.5+05:30" -> RFC 3339, for ParseRfc3339.
std::optional<v1::Timestamp> ParsePgTimestamp(std::string text) {
  if (auto t = v1::ParseRfc3339(text)) {
    return *t;
  }
  if (text.size() > 10 && text[10] == ' ') {
    text[10] = 'T';
  }
  // A numeric offset "+HH" or "+HHMM" becomes "+HH:MM".
  const auto sign = text.find_last_of("+-");
  if (sign != std::string::npos && sign > 10) {
    std::string offset = text.substr(sign + 1);
    if (offset.size() == 2) {
      offset += ":00";
    } else if (offset.size() == 4) {
      offset.insert(2, ":");
    }
    text = text.substr(0, sign + 1) + offset;
  }
  if (auto t = v1::ParseRfc3339(text)) {
    return *t;
  }
  return std::nullopt;
}

std::optional<std::string> RoleSetting(const sql::ObservedRole& role, const std::string& database,
                                       const std::string& parameter) {
  for (const auto& [db, setting] : role.settings) {
    if (db != database) {
      continue;
    }
    const auto eq = setting.find('=');
    if (eq != std::string::npos && setting.substr(0, eq) == parameter) {
      return setting.substr(eq + 1);
    }
  }
  return std::nullopt;
}

}  // namespace

bool SameValidUntil(const std::optional<std::string>& observed,
                    const std::optional<std::string>& desired) {
  const bool observed_none = !observed || *observed == "infinity";
  if (!desired) {
    return observed_none;
  }
  if (observed_none) {
    return *desired == "infinity";
  }
  const auto a = ParsePgTimestamp(*observed);
  const auto b = ParsePgTimestamp(*desired);
  if (a && b) {
    return *a == *b;
  }
  return *observed == *desired;
}

RotationDecision DecideRotation(std::chrono::seconds every,
                                std::optional<std::chrono::system_clock::time_point> changed_at,
                                std::chrono::system_clock::time_point now) {
  if (!changed_at || *changed_at + every <= now) {
    return {.rotate_now = true, .next_rotation = now + every};
  }
  return {.rotate_now = false, .next_rotation = *changed_at + every};
}

bool PasswordChangeNeeded(bool role_exists, const std::string& desired_sha256,
                          const std::optional<std::string>& recorded_sha256) {
  return !role_exists || !recorded_sha256 || *recorded_sha256 != desired_sha256;
}

Expected<RolePlan> PlanRole(const DesiredRole& d, const ObservedState& o) {
  RolePlan plan;
  plan.sets_password = d.password_verifier.has_value();

  // Attributes and password.
  if (!o.role) {
    plan.actions.emplace_back(sql::CreateRole{.role = d.role,
                                              .login = d.login,
                                              .connection_limit = d.connection_limit,
                                              .valid_until = d.valid_until,
                                              .password_verifier = d.password_verifier});
  } else {
    sql::AlterRole alter{.role = d.role};
    if (o.role->login != d.login) {
      alter.login = d.login;
    }
    if (o.role->connection_limit != d.connection_limit) {
      alter.connection_limit = d.connection_limit;
    }
    if (!SameValidUntil(o.role->valid_until, d.valid_until)) {
      alter.valid_until = d.valid_until.value_or("infinity");
    }
    alter.password_verifier = d.password_verifier;
    if (alter.login || alter.connection_limit || alter.valid_until || alter.password_verifier) {
      plan.actions.emplace_back(std::move(alter));
    }
  }

  // Memberships.
  const bool owner_preset = d.preset == v1::PrivilegePreset::kOwner;
  std::set<std::string> wanted(d.in_roles.begin(), d.in_roles.end());
  if (owner_preset) {
    wanted.insert(d.owner);
  }
  std::set<std::string> member_of;
  if (o.role) {
    member_of.insert(o.role->member_of.begin(), o.role->member_of.end());
  }
  for (const auto& m : member_of) {
    const bool managed = o.managed_memberships.contains(m) || m == d.owner;
    if (managed && !wanted.contains(m)) {
      plan.actions.emplace_back(sql::RevokeMembership{.role = m, .member = d.role});
    }
  }
  for (const auto& m : wanted) {
    if (!member_of.contains(m)) {
      plan.actions.emplace_back(sql::GrantMembership{.role = m, .member = d.role});
    }
  }
  plan.managed_memberships.assign(wanted.begin(), wanted.end());

  // The Owner preset's sessions act as the owner role, so that what they create belongs to it.
  const std::optional<std::string> set_role =
      o.role ? RoleSetting(*o.role, d.database, "role") : std::nullopt;
  if (owner_preset && set_role != d.owner) {
    plan.actions.emplace_back(sql::SetRoleConfig{
        .role = d.role, .database = d.database, .parameter = "role", .value = d.owner});
  } else if (!owner_preset && set_role) {
    plan.actions.emplace_back(sql::SetRoleConfig{
        .role = d.role, .database = d.database, .parameter = "role", .value = std::nullopt});
  }

  // Privileges and default privileges.
  const PrivilegeInputs inputs{.database = d.database,
                               .owner = d.owner,
                               .preset = d.preset,
                               .grants = d.grants,
                               .preset_schemas = d.preset_schemas};
  TENANTDB_TRY(const DesiredPrivileges desired, DesiredPrivilegesFor(inputs, o.objects));
  plan.missing_targets = desired.missing_targets;
  const PrivilegeSet observed_privileges = o.role ? FromObserved(o.privileges) : PrivilegeSet{};
  const DefaultPrivilegeSet observed_defaults =
      o.role ? FromObserved(o.default_privileges) : DefaultPrivilegeSet{};
  for (auto& a :
       DiffPrivileges(d.database, d.role, desired.privileges, observed_privileges, o.objects)) {
    plan.actions.push_back(std::move(a));
  }
  for (auto& a :
       DiffDefaultPrivileges(d.database, d.role, desired.default_privileges, observed_defaults)) {
    plan.actions.push_back(std::move(a));
  }
  return plan;
}

std::vector<sql::SqlAction> PlanRoleDeletion(const std::string& role, const std::string& database,
                                             const std::string& owner, const std::string& admin) {
  std::vector<sql::SqlAction> out;
  if (!database.empty()) {
    if (!admin.empty() && admin != role) {
      out.emplace_back(sql::GrantMembership{.role = role, .member = admin});
    }
    out.emplace_back(sql::ReassignOwned{.database = database, .role = role, .new_owner = owner});
    out.emplace_back(sql::DropOwned{.database = database, .role = role});
  }
  out.emplace_back(sql::DropRole{.role = role});
  return out;
}

}  // namespace tenantdb::controllers::role
