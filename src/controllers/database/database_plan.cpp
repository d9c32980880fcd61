#include "controllers/database/database_plan.h"

#include <algorithm>
#include <cctype>
#include <utility>

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
      drift.Found(field, "present", "absent",
                  {sql::CreateExtension{.database = desired.name,
                                        .name = ext.name,
                                        .schema = ext.schema,
                                        .version = ext.version}});
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

void PlanCreate(const DesiredDatabase& desired, const ObservedState& observed, DatabasePlan& plan) {
  plan.creates_database = true;
  if (!observed.owner_role) {
    plan.actions.push_back(sql::CreateRole{.role = desired.owner, .login = false});
  }
  plan.actions.push_back(sql::CreateDatabase{.name = desired.name,
                                             .owner = desired.owner,
                                             .encoding = desired.encoding,
                                             .locale = desired.locale,
                                             .template_name = desired.template_name,
                                             .connection_limit = desired.connection_limit});
  plan.actions.push_back(sql::CommentOnDatabase{.name = desired.name, .comment = desired.marker});
  plan.actions.push_back(RevokeDatabaseFromPublic(desired.name));
  plan.actions.push_back(RevokePublicSchemaCreate(desired.name));
  // A new database holds what its template holds; the declared objects are created (IF NOT
  // EXISTS), and anything declared absent that a template brought is handled on the next pass.
  for (const auto& ext : desired.extensions) {
    if (ext.ensure.value_or(v1::Ensure::kPresent) == v1::Ensure::kPresent) {
      plan.actions.push_back(sql::CreateExtension{.database = desired.name,
                                                  .name = ext.name,
                                                  .schema = ext.schema,
                                                  .version = ext.version});
    }
  }
  for (const auto& schema : desired.schemas) {
    if (schema.ensure == v1::Ensure::kPresent) {
      plan.actions.push_back(
          sql::CreateSchema{.database = desired.name, .name = schema.name, .owner = schema.owner});
    }
  }
}

void PlanExisting(const DesiredDatabase& desired, const ObservedState& observed,
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
      fix.push_back(sql::CreateRole{.role = desired.owner, .login = false});
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

bool AdminNeedsMembership(const DesiredDatabase& desired, const ObservedState& observed) {
  if (!observed.admin_role || observed.admin_role->superuser ||
      observed.admin_role->name == desired.owner) {
    return false;
  }
  return !observed.owner_role || !Contains(observed.owner_role->members, observed.admin_role->name);
}

// The admin must be a member of the owner role before acting as its owner: right after the
// owner role is created, or first.
void InsertMembership(const DesiredDatabase& desired, const ObservedState& observed,
                      DatabasePlan& plan) {
  if (plan.actions.empty() || !AdminNeedsMembership(desired, observed)) {
    return;
  }
  auto at = plan.actions.begin();
  for (auto it = plan.actions.begin(); it != plan.actions.end(); ++it) {
    if (const auto* create = std::get_if<sql::CreateRole>(&*it);
        create != nullptr && create->role == desired.owner) {
      at = it + 1;
      break;
    }
  }
  plan.actions.insert(
      at, sql::GrantMembership{.role = desired.owner, .member = observed.admin_role->name});
}

}  // namespace

std::string OwnershipMarker(std::string_view ns, std::string_view name) {
  return std::string(kMarkerPrefix) + std::string(ns) + "/" + std::string(name);
}

Expected<DesiredDatabase> Desire(const v1::Database& database) {
  v1::Database db = database;
  v1::ApplyDefaults(db);
  DesiredDatabase d;
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

Ownership ClassifyOwnership(const DesiredDatabase& desired,
                            const std::optional<sql::ObservedDatabase>& database) {
  if (!database) {
    return Ownership::kAbsent;
  }
  const std::string comment = database->comment.value_or("");
  if (comment == desired.marker) {
    return Ownership::kOurs;
  }
  if (comment.starts_with(kMarkerPrefix)) {
    return Ownership::kConflict;  // another object's: adopt never steals it
  }
  return desired.adopt ? Ownership::kAdoptable : Ownership::kConflict;
}

DatabasePlan PlanDatabase(const DesiredDatabase& desired, const ObservedState& observed) {
  DatabasePlan plan;
  const Ownership ownership = ClassifyOwnership(desired, observed.database);
  switch (ownership) {
    case Ownership::kAbsent:
      PlanCreate(desired, observed, plan);
      break;
    case Ownership::kConflict: {
      const std::string comment = observed.database->comment.value_or("");
      const std::string where = "PostgreSQL database \"" + desired.name +
                                "\" on DatabaseServer \"" + desired.server + "\" already exists";
      if (comment.starts_with(kMarkerPrefix)) {
        plan.conflict = where + " and belongs to Database " + comment.substr(kMarkerPrefix.size()) +
                        " (its comment is \"" + comment +
                        "\"); nothing was changed. Choose another spec.name, or delete that "
                        "Database first.";
      } else {
        plan.conflict = where +
                        " and was not created by tenantdb (it has no tenantdb marker); nothing "
                        "was changed. Set spec.adopt: true to take it over, or choose another "
                        "spec.name.";
      }
      return plan;
    }
    case Ownership::kOurs:
    case Ownership::kAdoptable:
      PlanExisting(desired, observed, ownership, plan);
      break;
  }
  InsertMembership(desired, observed, plan);
  return plan;
}

bool OwnerRoleIsOurs(const v1::Database& database,
                     const std::optional<sql::ObservedRole>& owner_role) {
  return !database.spec.owner.has_value() && owner_role && !owner_role->login &&
         !owner_role->superuser;
}

}  // namespace tenantdb::controllers::database
