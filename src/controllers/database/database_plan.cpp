#include "controllers/database/database_plan.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "controllers/common/namespace_policy.h"

namespace tenantdb::controllers::database {

namespace v1 = api::v1alpha1;

namespace {

constexpr std::string_view kPublic = "PUBLIC";
constexpr std::string_view kPublicSchema = "public";

// "UTF8", "utf-8", "UTF_8" all name one encoding; "en_US.UTF-8" and "en_US.utf8" one locale.
std::string Normalize(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '-' || c == '_') {
      continue;
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

bool Contains(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

// Privileges PUBLIC holds in an ACL, sorted.
std::vector<std::string> PublicPrivileges(const std::vector<sql::AclEntry>& acl) {
  std::vector<std::string> out;
  for (const auto& entry : acl) {
    if (entry.grantee == kPublic && !Contains(out, entry.privilege)) {
      out.push_back(entry.privilege);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const sql::ObservedExtension* FindExtension(const ObservedObjects& objects,
                                            const std::string& name) {
  for (const auto& e : objects.extensions) {
    if (e.name == name) {
      return &e;
    }
  }
  return nullptr;
}

const sql::ObservedSchema* FindSchema(const ObservedObjects& objects, const std::string& name) {
  for (const auto& s : objects.schemas) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

sql::RevokePrivileges RevokeDatabaseFromPublic(const std::string& database) {
  return sql::RevokePrivileges{.database = database,
                               .target = sql::PrivilegeTarget::kDatabase,
                               .schema = {},
                               .object = {},
                               .privileges = {"ALL"},
                               .grantee = std::string(kPublic)};
}

sql::RevokePrivileges RevokePublicSchemaCreate(const std::string& database) {
  return sql::RevokePrivileges{.database = database,
                               .target = sql::PrivilegeTarget::kSchema,
                               .schema = std::string(kPublicSchema),
                               .object = {},
                               .privileges = {"CREATE"},
                               .grantee = std::string(kPublic)};
}

// CREATE EXTENSION names its schema: the admin's session has search_path=pg_catalog, so an
// unnamed schema would mean pg_catalog.
sql::CreateExtension CreateExtensionAction(const DesiredDatabase& desired,
                                           const v1::DatabaseExtension& ext) {
  return sql::CreateExtension{.database = desired.name,
                              .name = ext.name,
                              .schema = ext.schema.value_or(std::string(kPublicSchema)),
                              .version = ext.version};
}

// The owner role: ours (this object's marker), absent (created), adoptable, or a refusal.
std::optional<Refusal> CheckOwnerRole(const DesiredDatabase& desired,
                                      const ObservedCatalog& observed) {
  if (!observed.owner_role) {
    return std::nullopt;
  }
  const sql::ObservedRole& role = *observed.owner_role;
  switch (HolderOf(role.comment, desired.marker)) {
    case Holder::kThis:
      return std::nullopt;
    case Holder::kOther:
      return Refusal{std::string(v1::reason::kConflictingResource),
                     "PostgreSQL role \"" + desired.owner +
                         "\" (spec.owner) belongs to another tenantdb object; nothing was "
                         "changed. Choose another spec.owner, or leave it unset."};
    case Holder::kUnmarked:
      break;
  }
  const std::string admin = observed.admin_role ? observed.admin_role->name : std::string();
  return RefuseRoleAdoption(role, desired.adopt, observed.server, admin, "spec.owner");
}

// spec.schemas[].owner other than the database owner: a role tenantdb manages for this namespace.
std::optional<Refusal> CheckSchemaOwners(const DesiredDatabase& desired,
                                         const ObservedCatalog& observed) {
  for (const auto& schema : desired.schemas) {
    if (schema.ensure != v1::Ensure::kPresent || schema.owner == desired.owner) {
      continue;
    }
    const auto it = observed.schema_owner_roles.find(schema.owner);
    const bool exists = it != observed.schema_owner_roles.end() && it->second.has_value();
    const std::string what =
        "spec.schemas[" + schema.name + "].owner names role \"" + schema.owner + "\"";
    if (!exists) {
      return Refusal{std::string(v1::reason::kDependencyNotReady),
                     what +
                         ", which does not exist (yet): create its DatabaseRole, or leave the "
                         "owner unset (the database owner)."};
    }
    if (!MarkedForNamespace(it->second->comment, desired.ns) || IsPrivilegedRole(*it->second)) {
      return Refusal{std::string(v1::reason::kRoleNotAllowed),
                     what +
                         ", which tenantdb does not manage for this namespace: name a role of "
                         "a DatabaseRole of this namespace, or leave the owner unset."};
    }
  }
  return std::nullopt;
}

// Collects differences and turns each into actions or a drift entry by driftPolicy.
class DriftCollector {
 public:
  DriftCollector(v1::DriftPolicy policy, DatabasePlan& plan) : policy_(policy), plan_(plan) {}

  void Found(std::string field, std::string expected, std::string actual,
             std::vector<sql::SqlAction> corrections) {
    switch (policy_) {
      case v1::DriftPolicy::kCorrect:
        for (auto& action : corrections) {
          plan_.actions.push_back(std::move(action));
        }
        break;
      case v1::DriftPolicy::kDetect:
        plan_.drift.push_back(v1::DriftEntry{.field = std::move(field),
                                             .expected = std::move(expected),
                                             .actual = std::move(actual)});
        break;
      case v1::DriftPolicy::kIgnore:
        break;
    }
  }

 private:
  v1::DriftPolicy policy_;
  DatabasePlan& plan_;
};

void PlanExtensions(const DesiredDatabase& desired, const ObservedObjects& objects,
                    DriftCollector& drift) {
  for (const auto& ext : desired.extensions) {
    const sql::ObservedExtension* found = FindExtension(objects, ext.name);
    const std::string field = "extensions[" + ext.name + "]";
    if (ext.ensure.value_or(v1::Ensure::kPresent) == v1::Ensure::kAbsent) {
      if (found != nullptr) {
        drift.Found(field, "absent", "present",
                    {sql::DropExtension{.database = desired.name, .name = ext.name}});
      }
      continue;
    }
    if (found == nullptr) {
      drift.Found(field, "present", "absent", {CreateExtensionAction(desired, ext)});
    } else if (ext.version && *ext.version != found->version) {
      drift.Found(field + ".version", *ext.version, found->version,
                  {sql::UpdateExtension{
                      .database = desired.name, .name = ext.name, .version = *ext.version}});
    }
  }
}

void PlanSchemas(const DesiredDatabase& desired, const ObservedObjects& objects,
                 DriftCollector& drift) {
  for (const auto& schema : desired.schemas) {
    const sql::ObservedSchema* found = FindSchema(objects, schema.name);
    const std::string field = "schemas[" + schema.name + "]";
    if (schema.ensure == v1::Ensure::kAbsent) {
      if (found != nullptr) {
        drift.Found(field, "absent", "present",
                    {sql::DropSchema{.database = desired.name, .name = schema.name}});
      }
      continue;
    }
    if (found == nullptr) {
      drift.Found(field, "present", "absent",
                  {sql::CreateSchema{
                      .database = desired.name, .name = schema.name, .owner = schema.owner}});
    } else if (found->owner != schema.owner) {
      drift.Found(field + ".owner", schema.owner, found->owner,
                  {sql::AlterSchemaOwner{
                      .database = desired.name, .name = schema.name, .owner = schema.owner}});
    }
  }
}

// The owner role with this object's marker, in one transaction (the caller groups consecutive
// role actions), so a crash never leaves an unmarked owner role behind.
void AppendCreateOwner(const DesiredDatabase& desired, std::vector<sql::SqlAction>& out) {
  out.push_back(sql::CreateRole{.role = desired.owner, .login = false});
  out.push_back(sql::CommentOnRole{.role = desired.owner, .comment = desired.marker});
}

// Marker, PUBLIC revoked, then connections opened: one transaction on the shared catalog.
void AppendFinish(const DesiredDatabase& desired, std::vector<sql::SqlAction>& out) {
  out.push_back(sql::CommentOnDatabase{.name = desired.name, .comment = desired.marker});
  out.push_back(RevokeDatabaseFromPublic(desired.name));
  out.push_back(sql::AlterDatabaseAllowConnections{.name = desired.name, .allow = true});
  out.push_back(RevokePublicSchemaCreate(desired.name));
}

// What a new (or unfinished) database gets inside: the declared extensions and schemas (IF NOT
// EXISTS); anything declared absent that a template brought is handled on the next pass.
void AppendContents(const DesiredDatabase& desired, std::vector<sql::SqlAction>& out) {
  for (const auto& ext : desired.extensions) {
    if (ext.ensure.value_or(v1::Ensure::kPresent) == v1::Ensure::kPresent) {
      out.push_back(CreateExtensionAction(desired, ext));
    }
  }
  for (const auto& schema : desired.schemas) {
    if (schema.ensure == v1::Ensure::kPresent) {
      out.push_back(
          sql::CreateSchema{.database = desired.name, .name = schema.name, .owner = schema.owner});
    }
  }
}

void PlanCreate(const DesiredDatabase& desired, const ObservedCatalog& observed,
                DatabasePlan& plan) {
  plan.creates_database = true;
  if (!observed.owner_role) {
    AppendCreateOwner(desired, plan.actions);
  }
  // Created closed: until the marker is written and PUBLIC revoked, nobody can connect.
  plan.actions.push_back(sql::CreateDatabase{.name = desired.name,
                                             .owner = desired.owner,
                                             .encoding = desired.encoding,
                                             .locale = desired.locale,
                                             .template_name = desired.template_name,
                                             .connection_limit = desired.connection_limit,
                                             .allow_connections = false});
  AppendFinish(desired, plan.actions);
  AppendContents(desired, plan.actions);
}

void PlanExisting(const DesiredDatabase& desired, const ObservedCatalog& observed,
                  Ownership ownership, DatabasePlan& plan) {
  const sql::ObservedDatabase& db = *observed.database;
  DriftCollector drift(desired.drift_policy, plan);

  if (ownership == Ownership::kAdoptable) {
    drift.Found(std::string(kDriftComment), desired.marker, db.comment.value_or(""),
                {sql::CommentOnDatabase{.name = desired.name, .comment = desired.marker}});
  }
  if (db.owner != desired.owner) {
    std::vector<sql::SqlAction> fix;
    if (!observed.owner_role) {
      AppendCreateOwner(desired, fix);
    }
    fix.push_back(sql::AlterDatabaseOwner{.name = desired.name, .owner = desired.owner});
    drift.Found(std::string(kDriftOwner), desired.owner, db.owner, std::move(fix));
  }
  if (db.connection_limit != desired.connection_limit) {
    drift.Found(std::string(kDriftConnectionLimit), std::to_string(desired.connection_limit),
                std::to_string(db.connection_limit),
                {sql::AlterDatabaseConnectionLimit{.name = desired.name,
                                                   .connection_limit = desired.connection_limit}});
  }
  if (const auto held = PublicPrivileges(db.acl); !held.empty()) {
    drift.Found(std::string(kDriftPublicDatabaseAccess), "none", Join(held),
                {RevokeDatabaseFromPublic(desired.name)});
  }
  if (!db.allow_connections) {
    drift.Found(std::string(kDriftAllowConnections), "true", "false",
                {sql::AlterDatabaseAllowConnections{.name = desired.name, .allow = true}});
  }

  // Immutable: reported, never corrected.
  if (Normalize(db.encoding) != Normalize(desired.encoding)) {
    plan.immutable_differences.push_back("the database's encoding is " + db.encoding +
                                         " but spec.encoding is " + desired.encoding +
                                         " (it cannot change after creation)");
  }
  if (desired.locale && (Normalize(db.collate) != Normalize(*desired.locale) ||
                         Normalize(db.ctype) != Normalize(*desired.locale))) {
    plan.immutable_differences.push_back("the database's locale is " + db.collate + " (ctype " +
                                         db.ctype + ") but spec.locale is " + *desired.locale +
                                         " (it cannot change after creation)");
  }

  if (!observed.objects) {
    return;
  }
  const ObservedObjects& objects = *observed.objects;
  if (const sql::ObservedSchema* pub = FindSchema(objects, std::string(kPublicSchema));
      pub != nullptr && Contains(PublicPrivileges(pub->acl), "CREATE")) {
    drift.Found(std::string(kDriftPublicSchemaCreate), "revoked", "granted",
                {RevokePublicSchemaCreate(desired.name)});
  }
  PlanExtensions(desired, objects, drift);
  PlanSchemas(desired, objects, drift);
}

bool AdminNeedsMembership(const DesiredDatabase& desired, const ObservedCatalog& observed) {
  if (!observed.admin_role || observed.admin_role->superuser ||
      observed.admin_role->name == desired.owner) {
    return false;
  }
  return !observed.owner_role || !Contains(observed.owner_role->members, observed.admin_role->name);
}

// The admin must be a member of the owner role before acting as its owner: right after the
// owner role is created, or first.
void InsertMembership(const DesiredDatabase& desired, const ObservedCatalog& observed,
                      DatabasePlan& plan) {
  if (plan.actions.empty() || !AdminNeedsMembership(desired, observed)) {
    return;
  }
  auto at = plan.actions.begin();
  for (auto it = plan.actions.begin(); it != plan.actions.end(); ++it) {
    if (const auto* comment = std::get_if<sql::CommentOnRole>(&*it);
        comment != nullptr && comment->role == desired.owner) {
      at = it + 1;
      break;
    }
  }
  plan.actions.insert(
      at, sql::GrantMembership{.role = desired.owner, .member = observed.admin_role->name});
}

}  // namespace

std::string OwnershipMarker(std::string_view ns, std::string_view name) {
  return Marker(ns, kDatabaseKind, name);
}

Expected<DesiredDatabase> Desire(const v1::Database& database) {
  v1::Database db = database;
  v1::ApplyDefaults(db);
  DesiredDatabase d;
  d.ns = db.metadata.ns;
  d.server = v1::EffectiveServerName(db);
  TENANTDB_TRY(d.name, v1::EffectiveDatabaseName(db));
  TENANTDB_TRY(d.owner, v1::EffectiveOwner(db));
  d.marker = OwnershipMarker(db.metadata.ns, db.metadata.name);
  d.encoding = db.spec.encoding.value_or(std::string(v1::kDefaultEncoding));
  d.locale = db.spec.locale;
  d.template_name = db.spec.template_name.value_or(std::string(v1::kDefaultTemplate));
  d.connection_limit = db.spec.connection_limit.value_or(v1::kDefaultConnectionLimit);
  d.extensions = db.spec.extensions;
  for (const auto& schema : db.spec.schemas) {
    TENANTDB_TRY(std::string owner, v1::EffectiveSchemaOwner(db, schema));
    d.schemas.push_back(DesiredSchema{.name = schema.name,
                                      .owner = std::move(owner),
                                      .ensure = schema.ensure.value_or(v1::kDefaultEnsure)});
  }
  d.adopt = db.spec.adopt.value_or(false);
  d.drift_policy = db.spec.drift_policy.value_or(v1::kDefaultDriftPolicy);
  return d;
}

std::optional<Refusal> CheckServerPolicy(const DesiredDatabase& desired,
                                         const v1::DatabaseServerSpec& server) {
  const std::string on = " on DatabaseServer \"" + desired.server + "\"";
  if (!TemplateAllowed(server, desired.template_name)) {
    return Refusal{std::string(v1::reason::kTemplateNotAllowed),
                   "spec.template \"" + desired.template_name + "\" is not allowed" + on +
                       " (template0, template1 and its spec.allowedTemplates are): use template0 "
                       "or template1, or ask the platform team to list the template. Nothing "
                       "was created."};
  }
  for (const auto& ext : desired.extensions) {
    if (ext.ensure.value_or(v1::Ensure::kPresent) == v1::Ensure::kPresent &&
        !ExtensionAllowed(server, ext.name)) {
      return Refusal{std::string(v1::reason::kExtensionNotAllowed),
                     "spec.extensions names \"" + ext.name + "\", which is not allowed" + on +
                         (server.allowed_extensions
                              ? std::string(" (only its spec.allowedExtensions are)")
                              : std::string(" (by default only PostgreSQL's trusted extensions "
                                            "are)")) +
                         ": remove it, or ask the platform team to add it to "
                         "spec.allowedExtensions."};
    }
  }
  if (desired.adopt && !AdoptionAllowed(server)) {
    return Refusal{std::string(v1::reason::kAdoptionNotAllowed),
                   "spec.adopt is true but DatabaseServer \"" + desired.server +
                       "\" does not allow adoption (spec.allowAdoption): remove spec.adopt, or "
                       "ask the platform team to allow adoption on that server."};
  }
  return std::nullopt;
}

Ownership ClassifyOwnership(const DesiredDatabase& desired,
                            const std::optional<sql::ObservedDatabase>& database,
                            const std::optional<sql::ObservedRole>& owner_role) {
  if (!database) {
    return Ownership::kAbsent;
  }
  switch (HolderOf(database->comment, desired.marker)) {
    case Holder::kThis:
      return Ownership::kOurs;
    case Holder::kOther:
      return Ownership::kConflict;  // another object's: adopt never steals it
    case Holder::kUnmarked:
      break;
  }
  // Only tenantdb's own CREATE DATABASE makes this object's marked owner role own an unmarked
  // database: it crashed before the marker.
  if (owner_role && database->owner == desired.owner &&
      HolderOf(owner_role->comment, desired.marker) == Holder::kThis) {
    return Ownership::kUnfinished;
  }
  return desired.adopt ? Ownership::kAdoptable : Ownership::kConflict;
}

DatabasePlan PlanDatabase(const DesiredDatabase& desired, const ObservedCatalog& observed) {
  DatabasePlan plan;
  const Ownership ownership = ClassifyOwnership(desired, observed.database, observed.owner_role);
  if (ownership == Ownership::kConflict) {
    const bool marked = HolderOf(observed.database->comment, desired.marker) == Holder::kOther;
    const std::string where = "PostgreSQL database \"" + desired.name + "\" on DatabaseServer \"" +
                              desired.server + "\" already exists";
    plan.refusal = Refusal{
        std::string(v1::reason::kConflictingResource),
        marked ? where +
                     " and belongs to another tenantdb object; nothing was changed. Choose "
                     "another spec.name."
               : where +
                     " and was not created by tenantdb (it has no tenantdb marker); nothing "
                     "was changed. Choose another spec.name, or set spec.adopt: true to take "
                     "it over where the DatabaseServer allows adoption."};
    return plan;
  }
  if (auto refusal = CheckOwnerRole(desired, observed)) {
    plan.refusal = std::move(refusal);
    return plan;
  }
  if (auto refusal = CheckSchemaOwners(desired, observed)) {
    plan.refusal = std::move(refusal);
    return plan;
  }
  // An unmarked owner role that passed CheckOwnerRole is adopted: it gets the marker.
  if (observed.owner_role &&
      HolderOf(observed.owner_role->comment, desired.marker) != Holder::kThis) {
    plan.actions.push_back(sql::CommentOnRole{.role = desired.owner, .comment = desired.marker});
  }
  switch (ownership) {
    case Ownership::kAbsent:
      PlanCreate(desired, observed, plan);
      break;
    case Ownership::kUnfinished:
      AppendFinish(desired, plan.actions);
      AppendContents(desired, plan.actions);
      break;
    case Ownership::kOurs:
    case Ownership::kAdoptable:
      PlanExisting(desired, observed, ownership, plan);
      break;
    case Ownership::kConflict:
      break;
  }
  InsertMembership(desired, observed, plan);
  return plan;
}

bool OwnerRoleIsOurs(const DesiredDatabase& desired,
                     const std::optional<sql::ObservedRole>& owner_role) {
  return owner_role && HolderOf(owner_role->comment, desired.marker) == Holder::kThis &&
         !owner_role->login && !owner_role->superuser;
}

std::optional<Readiness> WaitBeforeSession(const DesiredDatabase& desired,
                                           const ObservedDatabaseState& observed) {
  if (!observed.server) {
    return Readiness::InProgress(
        std::string(v1::reason::kDependencyNotReady),
        "DatabaseServer \"" + desired.server +
            "\" does not exist: create it (ask the platform team) or fix spec.serverRef.name.");
  }
  const v1::DatabaseServer& server = *observed.server;
  if (!observed.namespace_admitted) {
    return Readiness::Stalled(std::string(v1::reason::kNamespaceNotAllowed),
                              NamespaceNotAllowedMessage(server, desired.ns));
  }
  // What the server does not let tenants use is refused before any session is opened.
  if (auto refusal = CheckServerPolicy(desired, server.spec)) {
    return Readiness::Stalled(refusal->reason, refusal->message);
  }
  if (!v1::IsStatusConditionTrue(server.status.conditions, v1::kReady)) {
    const v1::Condition* ready = v1::FindStatusCondition(server.status.conditions, v1::kReady);
    const std::string why = ready != nullptr && !ready->message.empty()
                                ? " (" + ready->reason + ": " + ready->message + ")"
                                : " yet";
    return Readiness::InProgress(std::string(v1::reason::kDependencyNotReady),
                                 "DatabaseServer \"" + desired.server + "\" is not Ready" + why +
                                     "; tenantdb continues once it is.");
  }
  return std::nullopt;
}

DatabaseReport ReportFor(const DesiredDatabase& desired) {
  DatabaseReport report;
  report.server = desired.server;
  report.database_name = desired.name;
  report.owner = desired.owner;
  return report;
}

VisitPlan PlanVisit(const DesiredDatabase& desired, const ObservedDatabaseState& observed) {
  VisitPlan visit{.transactions = {}, .report = ReportFor(desired), .blocked = false};
  if (auto wait = WaitBeforeSession(desired, observed)) {
    visit.report.not_ready = std::move(wait);
    visit.blocked = true;
    return visit;
  }
  if (!observed.catalog) {  // Observe reads it whenever nothing above waits
    visit.report.not_ready = Readiness::InProgress(std::string(v1::reason::kReconciling),
                                                   "The server's catalog has not been read yet.");
    visit.blocked = true;
    return visit;
  }
  DatabasePlan plan = PlanDatabase(desired, *observed.catalog);
  if (plan.refusal) {
    visit.report.not_ready =
        plan.refusal->reason == v1::reason::kDependencyNotReady
            ? Readiness::InProgress(plan.refusal->reason, plan.refusal->message)
            : Readiness::Stalled(plan.refusal->reason, plan.refusal->message);
    visit.blocked = true;
    return visit;
  }
  visit.transactions = GroupIntoTransactions(plan.actions);
  visit.report.drift = std::move(plan.drift);
  visit.report.immutable_differences = std::move(plan.immutable_differences);
  return visit;
}

std::string DescribeOnServer(const DesiredDatabase& desired) {
  return "PostgreSQL database \"" + desired.name + "\" on DatabaseServer \"" + desired.server +
         "\"";
}

DeletionPlan PlanDeletion(const DesiredDatabase& desired, const ObservedDatabaseState& observed) {
  DeletionPlan plan;
  const std::string pg = DescribeOnServer(desired);
  // The namespace must still be admitted, and the database must carry this object's marker,
  // before anything is dropped: a finalizer never trusts the names it reads.
  if (!observed.namespace_admitted) {
    plan.left_behind = "Did not drop " + pg + " and role \"" + desired.owner + "\": namespace \"" +
                       desired.ns +
                       "\" is no longer admitted by the DatabaseServer; they were left on the "
                       "server.";
    return plan;
  }
  if (!observed.catalog) {
    return plan;
  }
  const ObservedCatalog& catalog = *observed.catalog;
  int others = observed.owner_databases;
  if (catalog.database) {
    const Ownership ownership = ClassifyOwnership(desired, catalog.database, catalog.owner_role);
    if (ownership != Ownership::kOurs && ownership != Ownership::kUnfinished) {
      plan.left_behind = "Did not drop " + pg + ": it does not carry this object's marker (" +
                         desired.marker + "), so it is not tenantdb's to drop.";
      return plan;
    }
    plan.drop_database = {{sql::DropDatabase{.name = desired.name, .force = true}}};
    others -= catalog.database->owner == desired.owner ? 1 : 0;
  }
  // The owner role goes with its database when it is ours and owns no other one.
  if (OwnerRoleIsOurs(desired, catalog.owner_role) && others == 0) {
    plan.drop_owner = {{sql::DropRole{.role = desired.owner}}};
  }
  return plan;
}

}  // namespace tenantdb::controllers::database
