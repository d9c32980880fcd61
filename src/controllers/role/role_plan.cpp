#include "controllers/role/role_plan.h"

#include <algorithm>
#include <utility>

#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/time.h"
#include "api/v1alpha1/validation.h"

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
      offset = offset.substr(0, 2) + ":" + offset.substr(2);
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

bool HeldByDatabase(const std::optional<sql::ObservedDatabase>& database,
                    const std::optional<sql::ObservedRole>& owner_role,
                    std::string_view database_marker) {
  return database && HolderOf(database->comment, database_marker) == Holder::kThis && owner_role &&
         HolderOf(owner_role->comment, database_marker) == Holder::kThis;
}

std::optional<Refusal> CheckRoleTenancy(const TenancyInputs& in) {
  if (!HeldByDatabase(in.observed_database, in.owner_role, in.database_marker)) {
    return Refusal{std::string(v1::reason::kConflictingResource),
                   "PostgreSQL database \"" + in.database +
                       "\" or its owner role does not carry the marker of its Database (" +
                       in.database_marker +
                       "): tenantdb grants nothing in it. Fix the Database "
                       "(see its status) first."};
  }
  if (in.role) {
    switch (HolderOf(in.role->comment, in.role_marker)) {
      case Holder::kThis:
        break;
      case Holder::kOther:
        return Refusal{std::string(v1::reason::kConflictingResource),
                       "PostgreSQL role \"" + in.role->name +
                           "\" belongs to another tenantdb object; nothing was changed. Set "
                           "spec.roleName to another name."};
      case Holder::kUnmarked:
        if (auto refusal =
                RefuseRoleAdoption(*in.role, in.adopt, in.server, in.admin, "spec.roleName")) {
          return refusal;
        }
        break;
    }
  }
  for (const auto& [name, target] : in.in_roles) {
    if (auto refusal = RefuseMembership(name, target, in.ns, in.server, in.admin)) {
      return refusal;
    }
  }
  return std::nullopt;
}

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

namespace {

// CREATE ROLE with its marker, or the ALTER ROLE that makes the attributes and password match.
void PlanAttributes(const DesiredRole& d, const ObservedState& o,
                    std::vector<sql::SqlAction>& actions) {
  if (!o.role) {
    actions.emplace_back(sql::CreateRole{.role = d.role,
                                         .login = d.login,
                                         .connection_limit = d.connection_limit,
                                         .valid_until = d.valid_until,
                                         .password_verifier = d.password_verifier});
    actions.emplace_back(sql::CommentOnRole{.role = d.role, .comment = d.marker});
  } else {
    if (o.role->comment != d.marker) {
      // Adopted (the reconciler refuses a role it may not take over before planning).
      actions.emplace_back(sql::CommentOnRole{.role = d.role, .comment = d.marker});
    }
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
      actions.emplace_back(std::move(alter));
    }
  }
}

// Memberships: revoke only those tenantdb manages (role_plan.h), grant the missing ones.
// Returns the memberships managed after the plan.
std::set<std::string> PlanMemberships(const DesiredRole& d, const ObservedState& o,
                                      std::vector<sql::SqlAction>& actions) {
  std::set<std::string> wanted(d.in_roles.begin(), d.in_roles.end());
  if (d.preset == v1::PrivilegePreset::kOwner) {
    wanted.insert(d.owner);
  }
  std::set<std::string> member_of;
  if (o.role) {
    member_of.insert(o.role->member_of.begin(), o.role->member_of.end());
  }
  for (const auto& m : member_of) {
    const bool managed = o.managed_memberships.contains(m) || m == d.owner;
    if (managed && !wanted.contains(m)) {
      actions.emplace_back(sql::RevokeMembership{.role = m, .member = d.role});
    }
  }
  for (const auto& m : wanted) {
    if (!member_of.contains(m)) {
      actions.emplace_back(sql::GrantMembership{.role = m, .member = d.role});
    }
  }
  return wanted;
}

}  // namespace

Expected<RolePlan> PlanRole(const DesiredRole& d, const ObservedState& o) {
  RolePlan plan;
  plan.sets_password = d.password_verifier.has_value();

  PlanAttributes(d, o, plan.actions);
  const std::set<std::string> managed = PlanMemberships(d, o, plan.actions);
  plan.managed_memberships.assign(managed.begin(), managed.end());
  const bool owner_preset = d.preset == v1::PrivilegePreset::kOwner;

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

Expected<std::pair<std::string, std::string>> AlternatingLogins(const std::string& role) {
  std::pair<std::string, std::string> logins{role + std::string(kLoginSuffixA),
                                             role + std::string(kLoginSuffixB)};
  if (logins.first.size() > v1::kMaxIdentifierBytes) {
    return Error::Invalid("spec.roleName \"" + role + "\" is " + std::to_string(role.size()) +
                          " bytes: passwordRotation strategy AlternatingUsers needs the login "
                          "roles \"" +
                          logins.first + "\" and \"" + logins.second + "\", over PostgreSQL's " +
                          std::to_string(v1::kMaxIdentifierBytes) +
                          "-byte limit; set spec.roleName to at most " +
                          std::to_string(v1::kMaxIdentifierBytes - kLoginSuffixA.size()) +
                          " bytes, or use strategy InPlace.");
  }
  return logins;
}

Expected<LoginDecision> DecideLogins(const LoginInputs& in) {
  const bool alternating = in.strategy == v1::RotationStrategy::kAlternatingUsers;
  const auto logins = AlternatingLogins(in.role);
  if (!logins && alternating) {
    return logins.error();
  }
  // InPlace with a name too long for logins: there cannot be any <role>_a/_b to clean up.
  const std::string login_a = logins ? logins->first : std::string();
  const std::string login_b = logins ? logins->second : std::string();
  const auto observed = [&](const std::string& name) -> const ObservedLogin* {
    const auto it = in.observed.find(name);
    return it == in.observed.end() || !it->second.role ? nullptr : &it->second;
  };
  const auto ours = [&](const std::string& name) {
    const ObservedLogin* o = observed(name);
    return o != nullptr &&
           (name == in.role || std::find(o->role->member_of.begin(), o->role->member_of.end(),
                                         in.role) != o->role->member_of.end());
  };
  const auto enabled = [&](const std::string& name) {
    const ObservedLogin* o = observed(name);
    return o != nullptr && o->role->login;
  };
  const auto busy = [&](const std::string& name) {
    return enabled(name) && observed(name)->sessions > 0;
  };

  LoginDecision d;
  if (alternating) {
    for (const auto* name : {&login_a, &login_b}) {
      if (observed(*name) != nullptr && !ours(*name)) {
        return Error::Dependency(
            "role \"" + *name + "\" exists on the server and is not a member of \"" + in.role +
                "\": tenantdb does not take it over as a login of AlternatingUsers. Set "
                "spec.roleName to another name, or drop that role.",
            std::string(v1::reason::kConflictingResource));
      }
    }
    if (in.active == login_a || in.active == login_b) {
      const std::string other = *in.active == login_a ? login_b : login_a;
      d.active = *in.active;
      if (in.rotation_due) {
        if (busy(other)) {
          d.rotation_postponed = true;
        } else {
          d.active = other;
          d.new_password = true;
        }
      }
    } else {
      // First time, a lost Secret, or a switch from InPlace (the Secret names the role).
      d.active = busy(login_a) && !busy(login_b) ? login_b : login_a;
      d.new_password = true;
    }
  } else {
    d.active = in.role;
    d.new_password = !in.active || *in.active != in.role || in.rotation_due;
  }

  for (const auto* name : {&in.role, &login_a, &login_b}) {
    if (name->empty() || *name == d.active || !ours(*name)) {
      continue;
    }
    const bool is_login = *name != in.role;
    if (enabled(*name)) {
      if (*name == in.active || busy(*name)) {
        d.retiring.push_back(*name);  // just switched away from, or still in use
      } else {
        d.disable.push_back(*name);
      }
    } else if (!alternating && is_login && observed(*name)->sessions == 0) {
      d.drop.push_back(*name);
    }
  }
  return d;
}

std::vector<std::vector<sql::SqlAction>> PlanLogin(
    const DesiredLogin& d, const std::optional<sql::ObservedRole>& observed) {
  std::vector<std::vector<sql::SqlAction>> out;
  const bool login = d.enabled || d.password_verifier.has_value();
  if (!observed) {
    out.push_back({sql::CreateRole{.role = d.login,
                                   .login = login,
                                   .connection_limit = d.connection_limit,
                                   .valid_until = d.valid_until,
                                   .password_verifier = d.password_verifier},
                   sql::CommentOnRole{.role = d.login, .comment = d.marker},
                   sql::GrantMembership{.role = d.group, .member = d.login}});
  } else {
    sql::AlterRole alter{.role = d.login};
    if (observed->login != login) {
      alter.login = login;
    }
    if (observed->connection_limit != d.connection_limit) {
      alter.connection_limit = d.connection_limit;
    }
    if (!SameValidUntil(observed->valid_until, d.valid_until)) {
      alter.valid_until = d.valid_until.value_or("infinity");
    }
    alter.password_verifier = d.password_verifier;
    if (alter.login || alter.connection_limit || alter.valid_until || alter.password_verifier) {
      out.push_back({std::move(alter)});
    }
    if (std::find(observed->member_of.begin(), observed->member_of.end(), d.group) ==
        observed->member_of.end()) {
      out.push_back({sql::GrantMembership{.role = d.group, .member = d.login}});
    }
  }
  const std::optional<std::string> set_role =
      observed ? RoleSetting(*observed, d.database, "role") : std::nullopt;
  if (d.owner_preset && set_role != d.owner) {
    out.push_back({sql::SetRoleConfig{
        .role = d.login, .database = d.database, .parameter = "role", .value = d.owner}});
  } else if (!d.owner_preset && set_role) {
    out.push_back({sql::SetRoleConfig{
        .role = d.login, .database = d.database, .parameter = "role", .value = std::nullopt}});
  }
  return out;
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

std::vector<sql::SqlAction> PlanObservedRoleDeletion(const sql::ObservedRole& role,
                                                     const std::string& database,
                                                     const std::string& owner,
                                                     const std::string& admin) {
  std::vector<sql::SqlAction> out;
  for (auto& action : PlanRoleDeletion(role.name, database, owner, admin)) {
    if (const auto* grant = std::get_if<sql::GrantMembership>(&action);
        grant != nullptr &&
        std::find(role.members.begin(), role.members.end(), grant->member) != role.members.end()) {
      continue;
    }
    out.push_back(std::move(action));
  }
  return out;
}

std::vector<sql::SqlAction> PlanDeletionWithLogins(
    const std::string& role, const std::string& marker,
    const std::map<std::string, sql::ObservedRole>& observed, const std::string& database,
    const std::string& owner, const std::string& admin) {
  std::vector<sql::SqlAction> out;
  const auto group = observed.find(role);
  if (group == observed.end() || group->second.comment != marker) {
    return out;
  }
  if (const auto logins = AlternatingLogins(role)) {
    for (const auto* name : {&logins->first, &logins->second}) {
      const auto it = observed.find(*name);
      if (it == observed.end() || it->second.comment != marker ||
          std::find(it->second.member_of.begin(), it->second.member_of.end(), role) ==
              it->second.member_of.end()) {
        continue;
      }
      for (auto& a : PlanObservedRoleDeletion(it->second, database, owner, admin)) {
        out.push_back(std::move(a));
      }
    }
  }
  for (auto& a : PlanObservedRoleDeletion(group->second, database, owner, admin)) {
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace tenantdb::controllers::role
