#include "controllers/role/role_visit.h"

#include <algorithm>
#include <utility>

#include "controllers/common/namespace_policy.h"
#include "controllers/common/tenancy.h"
#include "controllers/role/credentials.h"
#include "controllers/server/server_connection.h"

namespace tenantdb::controllers::role {

namespace v1 = api::v1alpha1;
using nlohmann::json;

namespace {

RoleStop Blocked(Error error) { return RoleStop{std::move(error), /*blocked=*/true}; }
RoleStop Failed(Error error) { return RoleStop{std::move(error), /*blocked=*/false}; }

// What Observe did not read: its error (a planner that needs more than Observe read is a bug).
RoleStop NotRead(const ObservedRoleState& o) {
  return Failed(o.error.value_or(Error::Internal("the DatabaseRole's state was not observed")));
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A tenancy refusal: a missing spec.inRoles role clears by itself (another DatabaseRole creates
// it, and no watch brings this one back), so it is retried with backoff; the others wait for a
// person.
RoleStop Refused(const Refusal& refusal) {
  if (refusal.reason == v1::reason::kDependencyNotReady) {
    return Failed(Error::Dependency(refusal.message, refusal.reason));
  }
  return Blocked(Error::Permission(refusal.message, refusal.reason));
}

// The Database Ready, its names, and its server admitting the namespace.
std::optional<RoleStop> CheckDependencies(const v1::DatabaseRole& role, const ObservedRoleState& o,
                                          CredentialsPlan& plan) {
  const std::string& ns = role.metadata.ns;
  const std::string& ref = role.spec.database_ref.name;
  if (o.reached < ObserveStage::kObjects) {
    return NotRead(o);
  }
  if (!o.database) {
    return Blocked(Error::Dependency("Database " + ns + "/" + ref +
                                     " (spec.databaseRef) does not exist: create it or fix "
                                     "spec.databaseRef.name."));
  }
  const v1::Database& db = *o.database;
  if (!v1::IsStatusConditionTrue(db.status.conditions, v1::kReady)) {
    const auto* ready = v1::FindStatusCondition(db.status.conditions, v1::kReady);
    return Blocked(Error::Dependency(
        "Database " + ns + "/" + ref + " is not Ready yet" +
        (ready != nullptr ? " (" + ready->reason + ": " + ready->message + ")" : std::string()) +
        "; tenantdb waits for it."));
  }
  auto database = v1::EffectiveDatabaseName(db);
  if (!database) {
    return Blocked(database.error());
  }
  plan.database = plan.outcome.database_name = *database;
  auto owner = v1::EffectiveOwner(db);
  if (!owner) {
    return Blocked(owner.error());
  }
  plan.owner = *owner;
  if (!o.server) {
    return Blocked(Error::Dependency("DatabaseServer \"" + v1::EffectiveServerName(db) +
                                     "\" of Database " + ns + "/" + db.metadata.name +
                                     " does not exist."));
  }
  if (o.reached < ObserveStage::kAdmission) {
    return NotRead(o);
  }
  if (!o.namespace_admitted) {
    return Blocked(Error::Permission(NamespaceNotAllowedMessage(*o.server, ns),
                                     std::string(v1::reason::kNamespaceNotAllowed)));
  }
  return std::nullopt;
}

// The password brought by spec.passwordSecretRef. Its Secret is not watched: a missing one is
// retried with backoff, so that creating it after the DatabaseRole converges soon.
Expected<std::string> ByoPassword(const v1::DatabaseRole& role, const ObservedRoleState& o) {
  const std::string& ns = role.metadata.ns;
  const auto& ref = *role.spec.password_secret_ref;
  const std::string key = ref.key.value_or(std::string(v1::kDefaultPasswordSecretKey));
  if (!o.password_secret) {
    return Error::Dependency("Secret " + ns + "/" + ref.name +
                                 " (spec.passwordSecretRef) does not exist: create it, or fix "
                                 "spec.passwordSecretRef.name.",
                             std::string(v1::reason::kPasswordSecretNotFound));
  }
  // A service-account token is a credential to the Kubernetes API, not a password: copying it
  // into a PostgreSQL role (and into a credentials Secret) would hand it to every reader.
  if (o.password_secret->value("type", "") == kServiceAccountTokenType) {
    return Error::Invalid("Secret " + ns + "/" + ref.name +
                              " (spec.passwordSecretRef) is a service-account token "
                              "(type kubernetes.io/service-account-token), which tenantdb never "
                              "uses as a password: name a Secret that holds a password.",
                          std::string(v1::reason::kPasswordSecretNotAllowed));
  }
  auto value = SecretValue(*o.password_secret, key);
  if (!value) {
    Error e = std::move(value).error();
    e.reason = std::string(v1::reason::kPasswordSecretNotFound);
    return e;
  }
  if (value->empty()) {
    return Error::Dependency("Secret " + ns + "/" + ref.name + " key \"" + key +
                                 "\" (spec.passwordSecretRef) is empty: put a password in it.",
                             std::string(v1::reason::kPasswordSecretNotFound));
  }
  return std::move(*value);
}

// The credentials Secret (ours, absent, or someone else's), what it holds, and the rotation.
std::optional<RoleStop> ReadSecrets(const v1::DatabaseRole& role, const ObservedRoleState& o,
                                    std::string& secret_password, CredentialsPlan& plan) {
  if (o.reached < ObserveStage::kSecrets) {
    return NotRead(o);
  }
  const SecretOwnership ownership = ClassifySecret(o.credentials_secret, role.metadata.uid);
  if (ownership == SecretOwnership::kForeign) {
    return Blocked(Error::Dependency(
        "Secret " + role.metadata.ns + "/" + plan.names.secret +
            " exists and is not owned by this DatabaseRole; tenantdb leaves it untouched. Set "
            "spec.secretName to another name, or delete that Secret.",
        std::string(v1::reason::kConflictingResource)));
  }
  plan.secret_ours = ownership == SecretOwnership::kOurs;
  plan.changed_at = role.status.password_changed_at;
  if (plan.secret_ours) {
    const json& secret = *o.credentials_secret;
    if (auto a = Annotation(secret, kPasswordChangedAtAnnotation)) {
      if (auto t = v1::ParseRfc3339(*a)) {
        plan.changed_at = *t;
      }
    }
    if (auto value = SecretValue(secret, "password"); value && !value->empty()) {
      secret_password = std::move(*value);
    }
    plan.managed_memberships =
        SplitNames(Annotation(secret, kManagedMembershipsAnnotation).value_or(""));
  }
  plan.kept_login = KeptLogin(role, plan.names, o.credentials_secret);
  if (role.spec.password_secret_ref) {
    auto byo = ByoPassword(role, o);
    if (!byo) {
      return Failed(byo.error());
    }
    plan.byo_password = true;
    plan.password = std::move(*byo);
  }
  return std::nullopt;
}

// spec.passwordRotation (InPlace and AlternatingUsers): is the kept password due?
std::optional<RoleStop> DecideRotationDue(const v1::DatabaseRole& role,
                                          const std::string& secret_password, CredentialsPlan& plan,
                                          bool& rotation_due,
                                          std::chrono::system_clock::time_point now) {
  const auto& rotation = role.spec.password_rotation;
  if (!rotation || plan.byo_password || secret_password.empty()) {
    return std::nullopt;
  }
  const auto every = v1::ParseGoDuration(rotation->every);
  if (!every) {
    return Blocked(every.error());
  }
  const RotationDecision decision = DecideRotation(*every, plan.changed_at, now);
  rotation_due = decision.rotate_now;
  if (!decision.rotate_now) {
    plan.next_rotation = decision.next_rotation;
  }
  return std::nullopt;
}

std::optional<RoleStop> CheckTenancy(const v1::DatabaseRole& role, const ObservedRoleState& o,
                                     const CredentialsPlan& plan) {
  if (o.reached < ObserveStage::kTenancy) {
    return NotRead(o);
  }
  const TenancyInputs in{
      .ns = role.metadata.ns,
      .database = plan.database,
      .database_marker = Marker(role.metadata.ns, kDatabaseKind, o.database->metadata.name),
      .observed_database = o.observed_database,
      .owner_role = o.owner_role,
      .role_marker = plan.names.marker,
      .role = o.role,
      .adopt = role.spec.adopt.value_or(false),
      .in_roles = o.in_roles,
      .server = o.server->spec,
      .admin = o.admin};
  if (auto refusal = CheckRoleTenancy(in)) {
    return Refused(*refusal);
  }
  return std::nullopt;
}

// The logins (the role itself, and this object's <role>_a/_b) and what happens to them.
std::optional<RoleStop> DecideLoginsOf(const ObservedRoleState& o, bool rotation_due,
                                       CredentialsPlan& plan) {
  if (o.reached < ObserveStage::kCatalog) {
    return NotRead(o);
  }
  const RoleNames& names = plan.names;
  LoginInputs in{.strategy = names.strategy,
                 .role = names.role,
                 .active = plan.kept_login,
                 .rotation_due = rotation_due};
  in.observed[names.role].role = o.role;
  for (const auto& [name, login] : o.logins) {
    if (login && login->comment != names.marker) {
      // Not this object's login: AlternatingUsers cannot use the name; InPlace leaves it alone.
      if (names.strategy == v1::RotationStrategy::kAlternatingUsers) {
        return Blocked(Error::Dependency(
            "role \"" + name +
                "\" exists on the server and was not created by tenantdb for this "
                "DatabaseRole: tenantdb does not take it over as a login of AlternatingUsers. Set "
                "spec.roleName to another name.",
            std::string(v1::reason::kConflictingResource)));
      }
      continue;
    }
    in.observed[name].role = login;
  }
  for (auto& [name, login] : in.observed) {
    // Sessions matter only for roles that may have to retire (never the Secret's own login).
    if (const auto it = o.sessions.find(name);
        login.role && name != in.active && it != o.sessions.end()) {
      login.sessions = it->second;
    }
  }
  auto decision = DecideLogins(in);
  if (!decision) {
    return Blocked(decision.error());
  }
  plan.logins = std::move(*decision);
  plan.observed_logins = std::move(in.observed);
  return std::nullopt;
}

// The password the Secret holds after this visit, and whether the server must get its verifier:
// the SHA-256 recorded on the Secret is the password's last set for the login it still names.
void ChoosePassword(const ObservedRoleState& o, const std::string& secret_password,
                    std::string candidate, CredentialsPlan& plan) {
  if (!plan.byo_password) {
    plan.password = plan.logins.new_password || secret_password.empty() ? std::move(candidate)
                                                                        : secret_password;
  }
  plan.password_sha = Sha256Hex(plan.password);
  const std::optional<std::string> recorded_sha =
      plan.secret_ours && plan.kept_login == plan.logins.active
          ? Annotation(*o.credentials_secret, kPasswordSha256Annotation)
          : std::nullopt;
  const auto active = plan.observed_logins.find(plan.logins.active);
  const bool exists = active != plan.observed_logins.end() && active->second.role.has_value();
  plan.set_password = PasswordChangeNeeded(exists, plan.password_sha, recorded_sha);
}

// What the role itself must be (the group with AlternatingUsers).
DesiredRole DesiredRoleOf(const v1::DatabaseRole& role, const ObservedRoleState& o,
                          const CredentialsPlan& c, const std::optional<std::string>& verifier) {
  const auto& spec = role.spec;
  const std::string& active = c.logins.active;
  DesiredRole desired{.role = c.names.role,
                      .marker = c.names.marker,
                      .database = c.database,
                      .owner = c.owner,
                      .login = active == c.names.role ? spec.login.value_or(v1::kDefaultLogin)
                                                      : Contains(c.logins.retiring, c.names.role),
                      .connection_limit = spec.connection_limit.value_or(-1),
                      .valid_until = spec.valid_until,
                      .in_roles = spec.in_roles,
                      .preset = spec.privileges.value_or(v1::kDefaultPrivileges),
                      .grants = spec.grants,
                      .preset_schemas = {"public"},
                      .password_verifier = active == c.names.role ? verifier : std::nullopt};
  for (const auto& s : o.database->spec.schemas) {
    if (s.ensure.value_or(v1::Ensure::kPresent) == v1::Ensure::kPresent &&
        !Contains(desired.preset_schemas, s.name)) {
      desired.preset_schemas.push_back(s.name);
    }
  }
  return desired;
}

// AlternatingUsers: the transactions of the logins <role>_a/_b, then the drops (InPlace).
void PlanLogins(const v1::DatabaseRole& role, const ObservedRoleState& o, const CredentialsPlan& c,
                const DesiredRole& desired, const std::optional<std::string>& verifier,
                std::vector<SqlTransaction>& transactions) {
  const bool login_wanted = role.spec.login.value_or(v1::kDefaultLogin);
  if (c.names.logins) {
    for (const auto* name : {&c.names.logins->first, &c.names.logins->second}) {
      const auto found = c.observed_logins.find(*name);
      const std::optional<sql::ObservedRole> none;
      const auto& observed = found == c.observed_logins.end() ? none : found->second.role;
      const bool is_active = *name == c.logins.active;
      const bool managed = observed && Contains(observed->member_of, c.names.role);
      if ((!is_active && !observed) || Contains(c.logins.drop, *name) || (!is_active && !managed)) {
        continue;  // absent; dropped below; or not ours (InPlace never touches such a role)
      }
      const DesiredLogin login{
          .login = *name,
          .marker = c.names.marker,
          .group = c.names.role,
          .database = c.database,
          .owner = c.owner,
          .owner_preset = desired.preset == v1::PrivilegePreset::kOwner,
          .enabled = is_active ? login_wanted : Contains(c.logins.retiring, *name),
          .connection_limit = desired.connection_limit,
          .valid_until = desired.valid_until,
          .password_verifier = is_active ? verifier : std::nullopt};
      for (auto& t : PlanLogin(login, observed)) {
        transactions.push_back(std::move(t));
      }
    }
  }
  for (const auto& name : c.logins.drop) {
    for (auto& action :
         PlanObservedRoleDeletion(*c.observed_logins.at(name).role, c.database, c.owner, o.admin)) {
      transactions.push_back({std::move(action)});
    }
  }
}

// The credentials Secret, written after the password is on the server; absent when up to date.
void PlanSecret(const v1::DatabaseRole& role, const ObservedRoleState& o, const CredentialsPlan& c,
                const RolePlan& role_plan, const std::optional<v1::Timestamp>& changed_at,
                RoleActionsPlan& out) {
  const auto& server = o.server->spec;
  const ConnectionValues values{
      .username = c.logins.active,
      .password = c.password,
      .host = server.host,
      .port = server.port.value_or(v1::kDefaultPort),
      .dbname = c.database,
      .sslmode = std::string(v1::ToString(server.ssl_mode.value_or(v1::kDefaultSslMode)))};
  auto data = CredentialsData(values, role.spec.secret_template);
  if (!data) {
    out.secret_stop = Blocked(data.error());
    return;
  }
  std::map<std::string, std::string> annotations = {
      {std::string(kPasswordSha256Annotation), c.password_sha},
      {std::string(kManagedMembershipsAnnotation), JoinNames(role_plan.managed_memberships)},
      {std::string(kActiveLoginAnnotation), c.logins.active}};
  if (!c.logins.retiring.empty()) {
    annotations.emplace(std::string(kRetiringLoginAnnotation), JoinNames(c.logins.retiring));
  }
  if (changed_at) {
    annotations.emplace(std::string(kPasswordChangedAtAnnotation), v1::FormatRfc3339(*changed_at));
  }
  const json owner = {{"apiVersion", std::string(v1::kApiVersion)},
                      {"metadata",
                       {{"name", role.metadata.name},
                        {"namespace", role.metadata.ns},
                        {"uid", role.metadata.uid}}}};
  json desired = DesiredCredentialsSecret(owner, c.names.secret, *data, annotations);
  out.secret_exists = o.credentials_secret.has_value();
  if (!o.credentials_secret || !SecretUpToDate(*o.credentials_secret, desired)) {
    out.secret = std::move(desired);
  }
}

}  // namespace

Expected<RoleNames> NamesOf(const v1::DatabaseRole& role) {
  RoleNames names;
  TENANTDB_TRY(names.role, v1::EffectiveRoleName(role));
  TENANTDB_TRY(names.secret, v1::EffectiveSecretName(role));
  names.marker = Marker(role.metadata.ns, kDatabaseRoleKind, role.metadata.name);
  const auto& rotation = role.spec.password_rotation;
  names.strategy = rotation ? rotation->strategy.value_or(v1::kDefaultRotationStrategy)
                            : v1::RotationStrategy::kInPlace;
  // AlternatingUsers: <role>_a and <role>_b must fit in 63 bytes (InPlace cleans them up when
  // they exist, so their names are needed whenever they can exist).
  if (auto logins = AlternatingLogins(names.role)) {
    names.logins = std::move(*logins);
  } else if (names.strategy == v1::RotationStrategy::kAlternatingUsers) {
    return logins.error();
  }
  return names;
}

std::optional<std::string> KeptLogin(const v1::DatabaseRole& role, const RoleNames& names,
                                     const std::optional<json>& secret) {
  if (ClassifySecret(secret, role.metadata.uid) != SecretOwnership::kOurs) {
    return std::nullopt;
  }
  if (auto value = SecretValue(*secret, "password"); !value || value->empty()) {
    return std::nullopt;
  }
  std::optional<std::string> login = Annotation(*secret, kActiveLoginAnnotation);
  if (!login || login->empty()) {
    login.reset();
    if (auto value = SecretValue(*secret, "username"); value && !value->empty()) {
      login = std::move(*value);
    }
  }
  const bool known =
      login && (*login == names.role || (names.logins && (*login == names.logins->first ||
                                                          *login == names.logins->second)));
  return known ? login : std::nullopt;
}

CredentialsPlan PlanCredentials(const v1::DatabaseRole& role, const ObservedRoleState& o,
                                std::string candidate, std::chrono::system_clock::time_point now) {
  CredentialsPlan plan;
  plan.outcome.privileges =
      std::string(v1::ToString(role.spec.privileges.value_or(v1::kDefaultPrivileges)));
  const auto stopped = [&plan](RoleStop stop) {
    plan.outcome.error = stop.error;
    plan.stop = std::move(stop);
    return std::move(plan);
  };
  if (auto name = v1::EffectiveRoleName(role)) {
    plan.outcome.role_name = *name;
    if (auto secret = v1::EffectiveSecretName(role)) {
      plan.outcome.secret_name = *secret;
    }
  }
  auto names = NamesOf(role);
  if (!names) {
    return stopped(Blocked(names.error()));
  }
  plan.names = std::move(*names);
  std::string secret_password;
  bool rotation_due = false;
  std::optional<RoleStop> stop = CheckDependencies(role, o, plan);
  if (!stop) {
    stop = ReadSecrets(role, o, secret_password, plan);
  }
  if (!stop) {
    stop = DecideRotationDue(role, secret_password, plan, rotation_due, now);
  }
  if (!stop) {
    stop = CheckTenancy(role, o, plan);
  }
  if (!stop) {
    plan.outcome.server_name = v1::EffectiveServerName(*o.database);
    stop = DecideLoginsOf(o, rotation_due, plan);
  }
  if (stop) {
    return stopped(std::move(*stop));
  }
  ChoosePassword(o, secret_password, std::move(candidate), plan);
  return plan;
}

RoleActionsPlan PlanRoleActions(const v1::DatabaseRole& role, const ObservedRoleState& o,
                                const CredentialsPlan& c,
                                const std::optional<std::string>& verifier,
                                std::chrono::system_clock::time_point now,
                                std::chrono::seconds resync_period) {
  RoleActionsPlan out;
  out.outcome = c.outcome;
  const DesiredRole desired = DesiredRoleOf(role, o, c, verifier);
  const ObservedState observed{.role = o.role,
                               .privileges = o.privileges,
                               .default_privileges = o.default_privileges,
                               .objects = o.objects,
                               .managed_memberships = c.managed_memberships};
  auto role_plan = PlanRole(desired, observed);
  if (!role_plan) {
    out.stop = Blocked(role_plan.error());
    out.outcome.error = out.stop->error;
    return out;
  }
  // The role's own actions in one transaction: a new role is never left without its marker.
  if (!role_plan->actions.empty()) {
    out.transactions.push_back(role_plan->actions);
  }
  PlanLogins(role, o, c, desired, verifier, out.transactions);
  out.sets_password = verifier.has_value();
  std::optional<v1::Timestamp> changed_at = c.changed_at;
  std::optional<std::chrono::system_clock::time_point> next_rotation = c.next_rotation;
  const auto& rotation = role.spec.password_rotation;
  if (out.sets_password) {
    changed_at = v1::ToTimestamp(now);
    if (rotation && !role.spec.password_secret_ref) {
      if (const auto every = v1::ParseGoDuration(rotation->every)) {
        next_rotation = *changed_at + *every;
      }
    }
  }
  out.outcome.missing_targets = role_plan->missing_targets;
  out.outcome.password_changed_at = changed_at;
  out.outcome.active_login = c.logins.active;
  out.outcome.retiring_logins = c.logins.retiring;
  PlanSecret(role, o, c, *role_plan, changed_at, out);
  out.outcome.secret_written = !out.secret_stop;
  if (out.secret_stop) {
    out.outcome.error = out.secret_stop->error;
  }
  out.requeue = resync_period;
  if (next_rotation) {
    const auto until = std::chrono::ceil<std::chrono::seconds>(*next_rotation - now);
    out.requeue = std::clamp(until, std::chrono::seconds(1), resync_period);
  }
  return out;
}

CleanupPlan PlanRoleCleanup(const v1::DatabaseRole& role, const std::string& role_name,
                            const ObservedRoleCleanup& o) {
  CleanupPlan plan;
  const std::string& ns = role.metadata.ns;
  const std::string marker = Marker(ns, kDatabaseRoleKind, role.metadata.name);
  if (!o.role) {
    return plan;
  }
  if (HolderOf(o.role->comment, marker) != Holder::kThis) {
    plan.warning = "Did not drop role \"" + role_name +
                   "\": it does not carry this object's marker (" + marker +
                   "), so it is not tenantdb's to drop; it was left on the server.";
    return plan;
  }
  // REASSIGN OWNED moves the role's objects to the database's owner, in that database: the
  // database and its owner must carry the marker of the Database of spec.databaseRef, or nothing
  // is reassigned nor dropped there.
  std::string owner;
  if (!o.database.empty()) {
    const std::string db_marker = Marker(ns, kDatabaseKind, role.spec.database_ref.name);
    if (!HeldByDatabase(o.observed_database, o.owner_role, db_marker)) {
      plan.warning = "Did not drop " + CleanupLeftBehind(role_name) + ": PostgreSQL database \"" +
                     o.database + "\" or its owner does not carry the marker of Database " + ns +
                     "/" + role.spec.database_ref.name +
                     ", so nothing was reassigned or dropped; drop the role by hand.";
      return plan;
    }
    owner = o.observed_database->owner;
  }
  // The login roles of AlternatingUsers (marked members of the role) first, then the role itself.
  std::map<std::string, sql::ObservedRole> existing = o.logins;
  existing.emplace(role_name, *o.role);
  for (auto& action :
       PlanDeletionWithLogins(role_name, marker, existing, o.database, owner, o.admin)) {
    plan.transactions.push_back({std::move(action)});
  }
  return plan;
}

std::string CleanupLeftBehind(const std::string& role_name) {
  return "role \"" + role_name + "\" (and its login roles _a/_b, if any)";
}

}  // namespace tenantdb::controllers::role
