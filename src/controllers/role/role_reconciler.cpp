#include "controllers/role/role_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "common/logging.h"
#include "controllers/common/cleanup_login.h"
#include "controllers/common/namespace_policy.h"
#include "controllers/common/status_writer.h"
#include "controllers/common/tenancy.h"
#include "controllers/role/credentials.h"
#include "controllers/role/role_plan.h"
#include "controllers/server/server_connection.h"
#include "kube/gvr.h"
#include "runtime/controller.h"
#include "runtime/finalizer.h"
#include "sql/actions.h"
#include "sql/catalog.h"

namespace tenantdb::controllers::role {

namespace v1 = api::v1alpha1;
using nlohmann::json;

namespace {

// The relations of every user schema of the connected database, as the privilege planner wants
// them.
Expected<DatabaseObjects> ReadObjects(sql::SqlExecutor& session) {
  DatabaseObjects objects;
  TENANTDB_TRY(const auto schemas, sql::ReadSchemas(session));
  for (const auto& s : schemas) {
    objects[s.name];
  }
  TENANTDB_TRY(const auto relations, sql::ReadRelations(session));
  for (const auto& r : relations) {
    auto& schema = objects[r.schema];
    (r.kind == 'S' ? schema.sequences : schema.tables).insert(r.name);
  }
  return objects;
}

// A refusal as the error Converge returns: waiting (InProgress) for DependencyNotReady, else
// stuck until a person changes the spec (Stalled, slow retry).
Error Refused(const Refusal& refusal) {
  if (refusal.reason == v1::reason::kDependencyNotReady) {
    return Error::Dependency(refusal.message, refusal.reason);
  }
  return Error::Permission(refusal.message, refusal.reason);
}

Error WithReason(Error e, std::string_view reason) {
  e.reason = std::string(reason);
  return e;
}

}  // namespace

RoleReconciler::RoleReconciler(kube::CacheView roles, kube::CacheView databases,
                               kube::CacheView servers, kube::KubeApi& kube, sql::SqlConnector& sql,
                               runtime::Clock& clock, EventSink events,
                               std::function<std::string()> generate_password, Settings settings)
    : roles_(std::move(roles)),
      databases_(std::move(databases)),
      servers_(std::move(servers)),
      kube_(kube),
      sql_(sql),
      clock_(clock),
      events_(std::move(events)),
      generate_password_(std::move(generate_password)),
      settings_(std::move(settings)) {}

void RoleReconciler::Event(const json& obj, std::string_view type, std::string_view reason,
                           const std::string& note) {
  if (events_) {
    events_(obj, type, reason, note);
  }
}

Expected<void> RoleReconciler::Execute(const json& obj, sql::SqlExecutor& session,
                                       const std::string& database,
                                       const std::vector<sql::SqlAction>& transaction,
                                       std::string_view event_reason) {
  std::vector<sql::Statement> statements;
  std::string described;
  for (const auto& action : transaction) {
    TENANTDB_TRY(const sql::RenderedAction rendered, sql::RenderChecked(action));
    spdlog::info("Applying SQL action {} action={} database={} statement={}",
                 runtime::ReconcileLogFields(), sql::ActionKind(action), database,
                 rendered.redacted);
    if (settings_.count_statement) {
      settings_.count_statement(sql::ActionKind(action));
    }
    statements.push_back(rendered.statement);
    described += (described.empty() ? "" : ", then ") + sql::Describe(action);
  }
  if (auto done = session.ExecuteInTransaction(statements); !done) {
    Error e = std::move(done).error();
    e.message = described + ": " + e.message;
    return e;
  }
  for (const auto& action : transaction) {
    Event(obj, "Normal", event_reason, sql::Describe(action));
  }
  return {};
}

Expected<runtime::Result> RoleReconciler::Reconcile(const runtime::ObjectKey& key) {
  const auto obj = roles_.Get(key.ns, key.name);
  if (!obj) {
    return runtime::Result{};  // gone: the finalizer already ran
  }
  return runtime::RunWithFinalizer(
      kube_, kube::DatabaseRolesGvr(), *obj, kRoleFinalizer,
      [this](const json& o) { return Apply(o); }, [this](const json& o) { return Cleanup(o); });
}

Expected<runtime::Result> RoleReconciler::Apply(const json& obj) {
  v1::DatabaseRole role;
  TENANTDB_TRY_VOID(v1::Decode(obj, "", role));
  v1::ApplyDefaults(role);

  RoleOutcome outcome;
  outcome.privileges =
      std::string(v1::ToString(role.spec.privileges.value_or(v1::kDefaultPrivileges)));
  auto requeue = Converge(obj, role, outcome);
  if (!requeue) {
    outcome.error = requeue.error();
  }
  const v1::DatabaseRoleStatus status =
      ComputeRoleStatus(role, outcome, v1::ToTimestamp(clock_.Now()));
  const json current = obj.value("status", json::object());
  TENANTDB_TRY(const bool written,
               WriteStatusIfChanged(kube_, kube::DatabaseRolesGvr(), role.metadata.ns,
                                    role.metadata.name, current, v1::Encode(status)));
  const auto* before = v1::FindStatusCondition(role.status.conditions, v1::kReady);
  const auto* after = v1::FindStatusCondition(status.conditions, v1::kReady);
  if (written && after != nullptr &&
      (before == nullptr || before->status != after->status || before->reason != after->reason)) {
    Event(obj, after->status == v1::ConditionStatus::kTrue ? "Normal" : "Warning", after->reason,
          after->message);
  }
  if (!requeue) {
    return requeue.error();
  }
  return runtime::Result{.requeue_after = std::chrono::milliseconds(*requeue)};
}

Expected<void> RoleReconciler::CheckTenancy(const v1::DatabaseRole& role, const v1::Database& db,
                                            const v1::DatabaseServer& server,
                                            const std::string& database, const std::string& owner,
                                            const std::string& marker,
                                            const std::optional<sql::ObservedRole>& observed,
                                            const std::string& admin, sql::SqlExecutor& session) {
  TenancyInputs in{.ns = role.metadata.ns,
                   .database = database,
                   .database_marker = Marker(role.metadata.ns, kDatabaseKind, db.metadata.name),
                   .role_marker = marker,
                   .role = observed,
                   .adopt = role.spec.adopt.value_or(false),
                   .server = server.spec,
                   .admin = admin};
  TENANTDB_TRY(in.observed_database, sql::ReadDatabase(session, database));
  TENANTDB_TRY(in.owner_role, sql::ReadRole(session, owner));
  for (const auto& name : role.spec.in_roles) {
    TENANTDB_TRY(in.in_roles[name], sql::ReadRole(session, name));
  }
  if (auto refusal = CheckRoleTenancy(in)) {
    return Refused(*refusal);
  }
  return {};
}

Expected<std::chrono::seconds> RoleReconciler::Converge(const json& obj,
                                                        const v1::DatabaseRole& role,
                                                        RoleOutcome& outcome) {
  const std::string& ns = role.metadata.ns;
  const auto& spec = role.spec;
  const auto now = clock_.Now();
  TENANTDB_TRY(outcome.role_name, v1::EffectiveRoleName(role));
  TENANTDB_TRY(outcome.secret_name, v1::EffectiveSecretName(role));
  const std::string& role_name = outcome.role_name;
  const std::string& secret_name = outcome.secret_name;

  // AlternatingUsers: <role>_a and <role>_b must fit in 63 bytes (InPlace cleans them up when
  // they exist, so their names are needed whenever they can exist).
  const auto strategy =
      spec.password_rotation
          ? spec.password_rotation->strategy.value_or(v1::kDefaultRotationStrategy)
          : v1::RotationStrategy::kInPlace;
  std::optional<std::pair<std::string, std::string>> logins;
  if (auto names = AlternatingLogins(role_name)) {
    logins = std::move(*names);
  } else if (strategy == v1::RotationStrategy::kAlternatingUsers) {
    return names.error();
  }

  // The Database and its server, from the caches.
  const auto db_obj = databases_.Get(ns, spec.database_ref.name);
  if (!db_obj) {
    return Error::Dependency("Database " + ns + "/" + spec.database_ref.name +
                             " (spec.databaseRef) does not exist: create it or fix "
                             "spec.databaseRef.name.");
  }
  v1::Database db;
  TENANTDB_TRY_VOID(v1::Decode(*db_obj, "", db));
  v1::ApplyDefaults(db);
  if (!v1::IsStatusConditionTrue(db.status.conditions, v1::kReady)) {
    const auto* ready = v1::FindStatusCondition(db.status.conditions, v1::kReady);
    return Error::Dependency(
        "Database " + ns + "/" + spec.database_ref.name + " is not Ready yet" +
        (ready != nullptr ? " (" + ready->reason + ": " + ready->message + ")" : std::string()) +
        "; tenantdb waits for it.");
  }
  TENANTDB_TRY(outcome.database_name, v1::EffectiveDatabaseName(db));
  TENANTDB_TRY(const std::string owner, v1::EffectiveOwner(db));
  const std::string server_name = v1::EffectiveServerName(db);
  const auto server_obj = servers_.Get("", server_name);
  if (!server_obj) {
    return Error::Dependency("DatabaseServer \"" + server_name + "\" of Database " + ns + "/" +
                             db.metadata.name + " does not exist.");
  }
  v1::DatabaseServer server;
  TENANTDB_TRY_VOID(v1::Decode(*server_obj, "", server));
  v1::ApplyDefaults(server);
  TENANTDB_TRY(const bool admitted, NamespaceAdmitted(kube_, server, ns));
  if (!admitted) {
    return Error::Permission(NamespaceNotAllowedMessage(server, ns),
                             std::string(v1::reason::kNamespaceNotAllowed));
  }

  // The credentials Secret (direct GET): ours, absent, or someone else's.
  TENANTDB_TRY(const auto existing, kube_.Get(kube::SecretsGvr(), ns, secret_name));
  const SecretOwnership ownership = ClassifySecret(existing, role.metadata.uid);
  if (ownership == SecretOwnership::kForeign) {
    return Error::Dependency(
        "Secret " + ns + "/" + secret_name +
            " exists and is not owned by this DatabaseRole; tenantdb leaves it untouched. Set "
            "spec.secretName to another name, or delete that Secret.",
        std::string(v1::reason::kConflictingResource));
  }
  const bool ours = ownership == SecretOwnership::kOurs;

  // The password: brought by the user, kept from the Secret, or new (first time, rotation,
  // switch of login). First what the Secret holds.
  std::optional<std::chrono::system_clock::time_point> next_rotation;
  std::optional<v1::Timestamp> changed_at = role.status.password_changed_at;
  std::string secret_password;
  std::optional<std::string> secret_login;
  if (ours) {
    if (auto a = Annotation(*existing, kPasswordChangedAtAnnotation)) {
      if (auto t = v1::ParseRfc3339(*a)) {
        changed_at = *t;
      }
    }
    if (auto value = SecretValue(*existing, "password"); value && !value->empty()) {
      secret_password = std::move(*value);
    }
    secret_login = Annotation(*existing, kActiveLoginAnnotation);
    if (!secret_login || secret_login->empty()) {
      if (auto value = SecretValue(*existing, "username"); value && !value->empty()) {
        secret_login = std::move(*value);
      }
    }
  }
  const bool known_login =
      secret_login && (*secret_login == role_name || (logins && (*secret_login == logins->first ||
                                                                 *secret_login == logins->second)));
  std::optional<std::string> byo_password;
  if (spec.password_secret_ref) {
    const auto& ref = *spec.password_secret_ref;
    const std::string key = ref.key.value_or(std::string(v1::kDefaultPasswordSecretKey));
    TENANTDB_TRY(const auto secret, kube_.Get(kube::SecretsGvr(), ns, ref.name));
    if (!secret) {
      return Error::Dependency("Secret " + ns + "/" + ref.name +
                                   " (spec.passwordSecretRef) does not exist: create it, or fix "
                                   "spec.passwordSecretRef.name.",
                               std::string(v1::reason::kPasswordSecretNotFound));
    }
    // A service-account token is a credential to the Kubernetes API, not a password: copying it
    // into a PostgreSQL role (and into a credentials Secret) would hand it to every reader.
    if (secret->value("type", "") == kServiceAccountTokenType) {
      return Error::Invalid("Secret " + ns + "/" + ref.name +
                                " (spec.passwordSecretRef) is a service-account token "
                                "(type kubernetes.io/service-account-token), which tenantdb never "
                                "uses as a password: name a Secret that holds a password.",
                            std::string(v1::reason::kPasswordSecretNotAllowed));
    }
    auto value = SecretValue(*secret, key);
    if (!value) {
      return WithReason(value.error(), v1::reason::kPasswordSecretNotFound);
    }
    if (value->empty()) {
      return Error::Dependency("Secret " + ns + "/" + ref.name + " key \"" + key +
                                   "\" (spec.passwordSecretRef) is empty: put a password in it.",
                               std::string(v1::reason::kPasswordSecretNotFound));
    }
    byo_password = std::move(*value);
  }
  bool rotation_due = false;
  if (spec.password_rotation && !byo_password && !secret_password.empty()) {
    TENANTDB_TRY(const auto every, v1::ParseGoDuration(spec.password_rotation->every));
    const RotationDecision rotation = DecideRotation(every, changed_at, now);
    rotation_due = rotation.rotate_now;
    if (!rotation.rotate_now) {
      next_rotation = rotation.next_rotation;
    }
  }

  // The role's state (and its logins'), in a session on its database.
  TENANTDB_TRY(auto params, ServerConnectionParams(kube_, server, settings_.ca_dir));
  params.dbname = outcome.database_name;
  TENANTDB_TRY(const auto session, sql_.Connect(params));
  ObservedState observed;
  TENANTDB_TRY(observed.role, sql::ReadRole(*session, role_name));
  const std::string marker = Marker(ns, kDatabaseRoleKind, role.metadata.name);
  TENANTDB_TRY_VOID(CheckTenancy(role, db, server, outcome.database_name, owner, marker,
                                 observed.role, params.user, *session));
  outcome.server_name = server_name;
  if (observed.role) {
    TENANTDB_TRY(observed.privileges, sql::ReadPrivileges(*session, role_name));
    TENANTDB_TRY(observed.default_privileges, sql::ReadDefaultPrivileges(*session, role_name));
  }
  TENANTDB_TRY(observed.objects, ReadObjects(*session));
  if (ours) {
    observed.managed_memberships =
        SplitNames(Annotation(*existing, kManagedMembershipsAnnotation).value_or(""));
  }
  LoginInputs login_inputs{
      .strategy = strategy,
      .role = role_name,
      .active = !secret_password.empty() && known_login ? secret_login : std::nullopt,
      .rotation_due = rotation_due};
  login_inputs.observed[role_name].role = observed.role;
  if (logins) {
    for (const auto* name : {&logins->first, &logins->second}) {
      TENANTDB_TRY(auto login, sql::ReadRole(*session, *name));
      if (login && login->comment != marker) {
        // Not this object's login: AlternatingUsers cannot use the name; InPlace leaves it alone.
        if (strategy == v1::RotationStrategy::kAlternatingUsers) {
          return Error::Dependency("role \"" + *name +
                                       "\" exists on the server and was not created by tenantdb "
                                       "for this DatabaseRole: tenantdb does not take it over as a "
                                       "login of AlternatingUsers. Set spec.roleName to another "
                                       "name.",
                                   std::string(v1::reason::kConflictingResource));
        }
        continue;
      }
      login_inputs.observed[*name].role = std::move(login);
    }
  }
  for (auto& [name, login] : login_inputs.observed) {
    // Sessions matter only for roles that may have to retire (never the Secret's own login).
    if (login.role && name != login_inputs.active) {
      TENANTDB_TRY(login.sessions, sql::CountSessions(*session, name));
    }
  }
  TENANTDB_TRY(const LoginDecision logins_decision, DecideLogins(login_inputs));
  const std::string& active = logins_decision.active;
  if (logins_decision.rotation_postponed) {
    spdlog::info("Password rotation postponed {} login={} reason={}", runtime::ReconcileLogFields(),
                 active, "the login to switch to still has sessions");
  }
  std::string password;
  if (byo_password) {
    password = std::move(*byo_password);
  } else if (logins_decision.new_password || secret_password.empty()) {
    password = generate_password_();
  } else {
    password = secret_password;
  }

  // Plan: the role (the group with AlternatingUsers), then its logins.
  const std::string password_sha = Sha256Hex(password);
  const std::optional<std::string> recorded_sha =
      ours && login_inputs.active == active ? Annotation(*existing, kPasswordSha256Annotation)
                                            : std::nullopt;
  const auto is_retiring = [&](const std::string& name) {
    return std::find(logins_decision.retiring.begin(), logins_decision.retiring.end(), name) !=
           logins_decision.retiring.end();
  };
  const bool login_wanted = spec.login.value_or(v1::kDefaultLogin);
  DesiredRole desired{.role = role_name,
                      .marker = marker,
                      .database = outcome.database_name,
                      .owner = owner,
                      .login = active == role_name ? login_wanted : is_retiring(role_name),
                      .connection_limit = spec.connection_limit.value_or(-1),
                      .valid_until = spec.valid_until,
                      .in_roles = spec.in_roles,
                      .preset = spec.privileges.value_or(v1::kDefaultPrivileges),
                      .grants = spec.grants,
                      .preset_schemas = {"public"}};
  for (const auto& s : db.spec.schemas) {
    if (s.ensure.value_or(v1::Ensure::kPresent) == v1::Ensure::kPresent &&
        std::find(desired.preset_schemas.begin(), desired.preset_schemas.end(), s.name) ==
            desired.preset_schemas.end()) {
      desired.preset_schemas.push_back(s.name);
    }
  }
  std::optional<std::string> verifier;
  if (PasswordChangeNeeded(login_inputs.observed[active].role.has_value(), password_sha,
                           recorded_sha)) {
    TENANTDB_TRY(verifier, session->EncryptPassword(active, password));
  }
  if (active == role_name) {
    desired.password_verifier = verifier;
  }
  TENANTDB_TRY(const RolePlan plan, PlanRole(desired, observed));
  // The role's own actions in one transaction: a new role is never left without its marker.
  std::vector<std::vector<sql::SqlAction>> transactions;
  if (!plan.actions.empty()) {
    transactions.push_back(plan.actions);
  }
  if (logins) {
    for (const auto* name : {&logins->first, &logins->second}) {
      const auto& login_observed = login_inputs.observed[*name].role;
      const bool is_active = *name == active;
      if (!is_active && !login_observed) {
        continue;
      }
      const bool dropped = std::find(logins_decision.drop.begin(), logins_decision.drop.end(),
                                     *name) != logins_decision.drop.end();
      const bool managed =
          login_observed &&
          std::find(login_observed->member_of.begin(), login_observed->member_of.end(),
                    role_name) != login_observed->member_of.end();
      if (dropped || (!is_active && !managed)) {
        continue;  // dropped below; or not ours (InPlace never touches such a role)
      }
      const DesiredLogin login{.login = *name,
                               .marker = marker,
                               .group = role_name,
                               .database = outcome.database_name,
                               .owner = owner,
                               .owner_preset = desired.preset == v1::PrivilegePreset::kOwner,
                               .enabled = is_active ? login_wanted : is_retiring(*name),
                               .connection_limit = desired.connection_limit,
                               .valid_until = desired.valid_until,
                               .password_verifier = is_active ? verifier : std::nullopt};
      for (auto& t : PlanLogin(login, login_observed)) {
        transactions.push_back(std::move(t));
      }
    }
  }
  for (const auto& name : logins_decision.drop) {
    for (auto& action : PlanObservedRoleDeletion(*login_inputs.observed[name].role,
                                                 outcome.database_name, owner, params.user)) {
      transactions.push_back({std::move(action)});
    }
  }

  // Act: each transaction logged redacted (a verifier never reaches a log).
  for (const auto& transaction : transactions) {
    TENANTDB_TRY_VOID(
        Execute(obj, *session, outcome.database_name, transaction, v1::reason::kReconciled));
    if (settings_.crash_after_role_created &&
        std::any_of(transaction.begin(), transaction.end(), [](const sql::SqlAction& a) {
          return std::holds_alternative<sql::CreateRole>(a);
        })) {
      spdlog::warn("Fault injection: exiting after CREATE ROLE {} role={}",
                   runtime::ReconcileLogFields(), role_name);
      spdlog::default_logger()->flush();
      std::_Exit(137);
    }
  }
  const bool sets_password = verifier.has_value();
  if (sets_password && settings_.crash_after_password_set) {
    spdlog::warn("Fault injection: exiting after setting a password {} login={}",
                 runtime::ReconcileLogFields(), active);
    spdlog::default_logger()->flush();
    std::_Exit(137);
  }
  if (sets_password) {
    changed_at = v1::ToTimestamp(now);
    if (spec.password_rotation && !spec.password_secret_ref) {
      TENANTDB_TRY(const auto every, v1::ParseGoDuration(spec.password_rotation->every));
      next_rotation = *changed_at + every;
    }
  }
  outcome.missing_targets = plan.missing_targets;
  outcome.password_changed_at = changed_at;
  outcome.active_login = active;
  outcome.retiring_logins = logins_decision.retiring;

  // The credentials Secret, after the password is on the server.
  const ConnectionValues values{
      .username = active,
      .password = password,
      .host = server.spec.host,
      .port = server.spec.port.value_or(v1::kDefaultPort),
      .dbname = outcome.database_name,
      .sslmode = std::string(v1::ToString(server.spec.ssl_mode.value_or(v1::kDefaultSslMode)))};
  TENANTDB_TRY(const auto data, CredentialsData(values, spec.secret_template));
  std::map<std::string, std::string> annotations = {
      {std::string(kPasswordSha256Annotation), password_sha},
      {std::string(kManagedMembershipsAnnotation), JoinNames(plan.managed_memberships)},
      {std::string(kActiveLoginAnnotation), active}};
  if (!logins_decision.retiring.empty()) {
    annotations.emplace(std::string(kRetiringLoginAnnotation), JoinNames(logins_decision.retiring));
  }
  if (changed_at) {
    annotations.emplace(std::string(kPasswordChangedAtAnnotation), v1::FormatRfc3339(*changed_at));
  }
  const json desired_secret = DesiredCredentialsSecret(obj, secret_name, data, annotations);
  if (!existing || !SecretUpToDate(*existing, desired_secret)) {
    kube::PatchOptions opts;
    opts.field_manager = "tenantdb";
    opts.force = true;
    TENANTDB_TRY_VOID(kube_.Patch(kube::SecretsGvr(), ns, secret_name, kube::PatchType::kApply,
                                  desired_secret, opts));
    spdlog::info("Applied credentials Secret {} secret={}", runtime::ReconcileLogFields(),
                 ns + "/" + secret_name);
    Event(
        obj, "Normal", v1::reason::kReconciled,
        std::string(existing ? "Updated" : "Created") + " credentials Secret " + secret_name + ".");
  }
  outcome.secret_written = true;

  std::chrono::seconds requeue = settings_.resync_period;
  if (next_rotation) {
    const auto until = std::chrono::ceil<std::chrono::seconds>(*next_rotation - now);
    requeue = std::clamp(until, std::chrono::seconds(1), requeue);
  }
  return requeue;
}

Expected<runtime::Result> RoleReconciler::Cleanup(const json& obj) {
  v1::DatabaseRole role;
  TENANTDB_TRY_VOID(v1::Decode(obj, "", role));
  v1::ApplyDefaults(role);
  const auto role_name = v1::EffectiveRoleName(role);
  if (!role_name) {
    return runtime::Result{};  // no valid name: nothing can have been created
  }
  const std::string& ns = role.metadata.ns;
  if (role.spec.reclaim_policy.value_or(v1::kDefaultRoleReclaimPolicy) ==
      v1::ReclaimPolicy::kRetain) {
    Event(obj, "Normal", v1::reason::kDeleting,
          "Role \"" + *role_name + "\" kept on the server (reclaimPolicy Retain).");
    return runtime::Result{};
  }
  const auto warn = [&](const std::string& note) {
    Event(obj, "Warning", v1::reason::kDeleting, note);
  };
  const std::string left = "role \"" + *role_name + "\" (and its login roles _a/_b, if any)";
  // Where the role lives: from its Database, or, once that is gone (a namespace deleted at once),
  // from what the last reconcile recorded in status. Either way every marker is checked below.
  std::string server_name;
  std::string database;
  if (const auto db_obj = databases_.Get(ns, role.spec.database_ref.name)) {
    v1::Database db;
    TENANTDB_TRY_VOID(v1::Decode(*db_obj, "", db));
    v1::ApplyDefaults(db);
    TENANTDB_TRY(database, v1::EffectiveDatabaseName(db));
    server_name = v1::EffectiveServerName(db);
  } else if (role.status.server && role.status.database_name) {
    server_name = *role.status.server;
    database = *role.status.database_name;
  } else {
    warn("Database " + ns + "/" + role.spec.database_ref.name +
         " no longer exists and the role was never reconciled, so tenantdb cannot tell which "
         "server holds it: " +
         left + " was left on the server, if it exists; drop it by hand.");
    return runtime::Result{};
  }
  TENANTDB_TRY(auto login,
               LogInForCleanup(servers_, kube_, settings_.ca_dir, server_name, left, warn));
  if (!login) {
    return runtime::Result{};
  }
  // Verify before acting: a finalizer trusts none of the names it reads from objects.
  TENANTDB_TRY(const bool admitted, NamespaceAdmitted(kube_, login->server, ns));
  if (!admitted) {
    warn("Did not drop " + left + ": namespace \"" + ns +
         "\" is no longer admitted by the DatabaseServer; it was left on the server.");
    return runtime::Result{};
  }
  sql::ConnectionParams params = login->params;
  params.dbname = database;
  auto session = sql_.Connect(params);
  std::string target_database = database;
  if (!session && session.error().code == ErrorCode::kDependency) {
    // The database is gone (dropped with its Database): the role holds nothing there any more.
    params.dbname = "postgres";
    target_database.clear();
    session = sql_.Connect(params);
  }
  if (!session) {
    return session.error();
  }
  const std::string marker = Marker(ns, kDatabaseRoleKind, role.metadata.name);
  TENANTDB_TRY(const auto observed, sql::ReadRole(**session, *role_name));
  if (!observed) {
    return runtime::Result{};
  }
  if (HolderOf(observed->comment, marker) != Holder::kThis) {
    warn("Did not drop role \"" + *role_name + "\": it does not carry this object's marker (" +
         marker + "), so it is not tenantdb's to drop; it was left on the server.");
    return runtime::Result{};
  }
  // REASSIGN OWNED moves the role's objects to the database's owner, in that database: the
  // database and its owner must carry the marker of the Database of spec.databaseRef, or nothing
  // is reassigned nor dropped there.
  std::string owner;
  if (!target_database.empty()) {
    const std::string db_marker = Marker(ns, kDatabaseKind, role.spec.database_ref.name);
    TENANTDB_TRY(const auto observed_db, sql::ReadDatabase(**session, target_database));
    std::optional<sql::ObservedRole> owner_role;
    if (observed_db) {
      TENANTDB_TRY(owner_role, sql::ReadRole(**session, observed_db->owner));
    }
    if (!HeldByDatabase(observed_db, owner_role, db_marker)) {
      warn("Did not drop " + left + ": PostgreSQL database \"" + target_database +
           "\" or its owner does not carry the marker of Database " + ns + "/" +
           role.spec.database_ref.name +
           ", so nothing was reassigned or dropped; drop the role by hand.");
      return runtime::Result{};
    }
    owner = observed_db->owner;
  }
  // The login roles of AlternatingUsers (marked members of the role) first, then the role itself.
  std::map<std::string, sql::ObservedRole> existing{{*role_name, *observed}};
  if (auto logins = AlternatingLogins(*role_name)) {
    for (const auto* name : {&logins->first, &logins->second}) {
      TENANTDB_TRY(auto found, sql::ReadRole(**session, *name));
      if (found) {
        existing.emplace(*name, std::move(*found));
      }
    }
  }
  for (const auto& action :
       PlanDeletionWithLogins(*role_name, marker, existing, target_database, owner, params.user)) {
    if (auto done = Execute(obj, **session, database, {action}, v1::reason::kDeleting); !done) {
      warn(done.error().message +
           " (tenantdb retries; set spec.reclaimPolicy: Retain to release the object without "
           "dropping the role).");
      return done.error();
    }
  }
  return runtime::Result{};
}

}  // namespace tenantdb::controllers::role
