#include "controllers/role/privileges.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace tenantdb::controllers::role {

namespace v1 = api::v1alpha1;

namespace {

const std::vector<std::string> kDatabasePrivileges = {"CREATE", "CONNECT", "TEMPORARY"};
const std::vector<std::string> kSchemaPrivileges = {"USAGE", "CREATE"};
const std::vector<std::string> kTablePrivileges = {"SELECT",   "INSERT",     "UPDATE", "DELETE",
                                                   "TRUNCATE", "REFERENCES", "TRIGGER"};
const std::vector<std::string> kSequencePrivileges = {"USAGE", "SELECT", "UPDATE"};

// Canonical order of every keyword, so that actions list privileges deterministically.
int Rank(const std::string& privilege) {
  static const std::vector<std::string> kOrder = {
      "SELECT", "INSERT", "UPDATE",  "DELETE",    "TRUNCATE", "REFERENCES", "TRIGGER",
      "USAGE",  "CREATE", "CONNECT", "TEMPORARY", "EXECUTE",  "MAINTAIN"};
  const auto it = std::find(kOrder.begin(), kOrder.end(), privilege);
  return static_cast<int>(it - kOrder.begin());
}

std::vector<std::string> Canonical(std::set<std::string> privileges) {
  std::vector<std::string> out(privileges.begin(), privileges.end());
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(Rank(a), a) < std::make_pair(Rank(b), b);
  });
  return out;
}

std::string Quoted(const std::string& name) { return "\"" + name + "\""; }

std::string KindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kDatabase:
      return "database";
    case ObjectKind::kSchema:
      return "schema";
    case ObjectKind::kTable:
      return "table";
    case ObjectKind::kSequence:
      return "sequence";
  }
  return "object";
}

void AddAll(PrivilegeSet& set, ObjectKind kind, const std::string& schema,
            const std::string& object, const std::vector<std::string>& privileges) {
  for (const auto& p : privileges) {
    set.insert({kind, schema, object, p});
  }
}

void AddDefaults(DefaultPrivilegeSet& set, const std::string& owner, const std::string& schema,
                 sql::DefaultPrivilegeObject objects, const std::vector<std::string>& privileges) {
  for (const auto& p : privileges) {
    set.insert({owner, schema, objects, p});
  }
}

std::optional<sql::DefaultPrivilegeObject> ParseDefaultObjects(const std::string& text) {
  if (text == "tables") {
    return sql::DefaultPrivilegeObject::kTables;
  }
  if (text == "sequences") {
    return sql::DefaultPrivilegeObject::kSequences;
  }
  if (text == "functions") {
    return sql::DefaultPrivilegeObject::kFunctions;
  }
  if (text == "types") {
    return sql::DefaultPrivilegeObject::kTypes;
  }
  return std::nullopt;
}

sql::PrivilegeTarget TargetOf(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kDatabase:
      return sql::PrivilegeTarget::kDatabase;
    case ObjectKind::kSchema:
      return sql::PrivilegeTarget::kSchema;
    case ObjectKind::kTable:
      return sql::PrivilegeTarget::kTable;
    case ObjectKind::kSequence:
      return sql::PrivilegeTarget::kSequence;
  }
  return sql::PrivilegeTarget::kTable;
}

// One object and the privileges to change on it.
struct ObjectId {
  ObjectKind kind;
  std::string schema;
  std::string object;
  auto operator<=>(const ObjectId&) const = default;
};
using Changes = std::map<ObjectId, std::set<std::string>>;

Changes Group(const PrivilegeSet& keys) {
  Changes out;
  for (const auto& k : keys) {
    out[{k.kind, k.schema, k.object}].insert(k.privilege);
  }
  return out;
}

PrivilegeSet Minus(const PrivilegeSet& a, const PrivilegeSet& b) {
  PrivilegeSet out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

// The actions for `changes` (grant or revoke), collapsing a schema's relations of one kind into
// ON ALL ... IN SCHEMA when every relation of that kind in the schema has the same change.
template <class Action>
void EmitChanges(const std::string& database, const std::string& grantee, const Changes& changes,
                 const DatabaseObjects& objects, std::vector<sql::SqlAction>& out) {
  auto make = [&](sql::PrivilegeTarget target, const std::string& schema, const std::string& object,
                  const std::set<std::string>& privileges) {
    Action a;
    a.database = database;
    a.target = target;
    a.schema = schema;
    a.object = object;
    a.privileges = Canonical(privileges);
    a.grantee = grantee;
    out.emplace_back(std::move(a));
  };
  // Relation kinds per schema that were emitted as a whole.
  std::set<std::pair<ObjectKind, std::string>> collapsed;
  for (const auto& [id, privileges] : changes) {
    if (id.kind != ObjectKind::kTable && id.kind != ObjectKind::kSequence) {
      continue;
    }
    const auto schema = objects.find(id.schema);
    if (schema == objects.end() || collapsed.contains({id.kind, id.schema})) {
      continue;
    }
    const auto& names =
        id.kind == ObjectKind::kTable ? schema->second.tables : schema->second.sequences;
    if (names.size() < 2) {
      continue;
    }
    bool all_same = true;
    for (const auto& name : names) {
      const auto it = changes.find({id.kind, id.schema, name});
      if (it == changes.end() || it->second != privileges) {
        all_same = false;
        break;
      }
    }
    if (all_same) {
      collapsed.insert({id.kind, id.schema});
    }
  }
  for (const auto& [id, privileges] : changes) {
    if (id.kind == ObjectKind::kDatabase || id.kind == ObjectKind::kSchema) {
      make(TargetOf(id.kind), id.kind == ObjectKind::kSchema ? id.object : "",
           id.kind == ObjectKind::kSchema ? "" : id.object, privileges);
      continue;
    }
    if (!collapsed.contains({id.kind, id.schema})) {
      make(TargetOf(id.kind), id.schema, id.object, privileges);
      continue;
    }
    const bool first_of_schema = [&] {
      const auto& s = objects.at(id.schema);
      const auto& names = id.kind == ObjectKind::kTable ? s.tables : s.sequences;
      return *names.begin() == id.object;
    }();
    if (first_of_schema) {
      make(id.kind == ObjectKind::kTable ? sql::PrivilegeTarget::kAllTablesInSchema
                                         : sql::PrivilegeTarget::kAllSequencesInSchema,
           id.schema, "", privileges);
    }
  }
}

}  // namespace

const std::vector<std::string>& ApplicablePrivileges(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kDatabase:
      return kDatabasePrivileges;
    case ObjectKind::kSchema:
      return kSchemaPrivileges;
    case ObjectKind::kTable:
      return kTablePrivileges;
    case ObjectKind::kSequence:
      return kSequencePrivileges;
  }
  return kTablePrivileges;
}

Expected<std::vector<std::string>> NormalizePrivileges(
    ObjectKind kind, const std::vector<v1::Privilege>& privileges) {
  const auto& applicable = ApplicablePrivileges(kind);
  std::set<std::string> out;
  for (const v1::Privilege p : privileges) {
    if (p == v1::Privilege::kAll) {
      out.insert(applicable.begin(), applicable.end());
      continue;
    }
    const std::string name(v1::ToString(p));
    if (std::find(applicable.begin(), applicable.end(), name) == applicable.end()) {
      std::string allowed;
      for (const auto& a : applicable) {
        allowed += (allowed.empty() ? "" : ", ") + a;
      }
      return Error::Invalid("privilege " + name + " does not apply to a " + KindName(kind) +
                            " (allowed: " + allowed + ", ALL): fix spec.grants[].");
    }
    out.insert(name);
  }
  return Canonical(std::move(out));
}

Expected<DesiredPrivileges> DesiredPrivilegesFor(const PrivilegeInputs& in,
                                                 const DatabaseObjects& objects) {
  using v1::PrivilegePreset;
  DesiredPrivileges d;
  const bool has_preset = in.preset != PrivilegePreset::kNone;
  if (has_preset || !in.grants.empty()) {
    d.privileges.insert({ObjectKind::kDatabase, "", in.database, "CONNECT"});
  }
  if (in.preset == PrivilegePreset::kReadOnly || in.preset == PrivilegePreset::kReadWrite) {
    const bool rw = in.preset == PrivilegePreset::kReadWrite;
    const std::vector<std::string> table_privs =
        rw ? std::vector<std::string>{"SELECT", "INSERT", "UPDATE", "DELETE"}
           : std::vector<std::string>{"SELECT"};
    const std::vector<std::string> seq_privs =
        rw ? std::vector<std::string>{"USAGE", "SELECT", "UPDATE"}
           : std::vector<std::string>{"SELECT"};
    for (const auto& schema : in.preset_schemas) {
      const auto it = objects.find(schema);
      if (it == objects.end()) {
        continue;  // not created yet: the Database controller reports it
      }
      d.privileges.insert({ObjectKind::kSchema, "", schema, "USAGE"});
      for (const auto& t : it->second.tables) {
        AddAll(d.privileges, ObjectKind::kTable, schema, t, table_privs);
      }
      for (const auto& s : it->second.sequences) {
        AddAll(d.privileges, ObjectKind::kSequence, schema, s, seq_privs);
      }
      AddDefaults(d.default_privileges, in.owner, schema, sql::DefaultPrivilegeObject::kTables,
                  table_privs);
      AddDefaults(d.default_privileges, in.owner, schema, sql::DefaultPrivilegeObject::kSequences,
                  seq_privs);
    }
  }
  std::set<std::string> missing;
  for (const auto& g : in.grants) {
    const auto schema = objects.find(g.schema);
    if (!g.table) {
      TENANTDB_TRY(const auto privs, NormalizePrivileges(ObjectKind::kSchema, g.privileges));
      if (schema == objects.end()) {
        missing.insert("schema " + Quoted(g.schema));
        continue;
      }
      AddAll(d.privileges, ObjectKind::kSchema, "", g.schema, privs);
      continue;
    }
    TENANTDB_TRY(const auto privs, NormalizePrivileges(ObjectKind::kTable, g.privileges));
    if (schema == objects.end()) {
      missing.insert("schema " + Quoted(g.schema));
      continue;
    }
    if (*g.table == v1::kAllTables) {
      for (const auto& t : schema->second.tables) {
        AddAll(d.privileges, ObjectKind::kTable, g.schema, t, privs);
      }
      AddDefaults(d.default_privileges, in.owner, g.schema, sql::DefaultPrivilegeObject::kTables,
                  privs);
      continue;
    }
    if (!schema->second.tables.contains(*g.table)) {
      missing.insert("table " + Quoted(g.schema) + "." + Quoted(*g.table));
      continue;
    }
    AddAll(d.privileges, ObjectKind::kTable, g.schema, *g.table, privs);
  }
  d.missing_targets.assign(missing.begin(), missing.end());
  return d;
}

PrivilegeSet FromObserved(const std::vector<sql::ObservedPrivilege>& observed) {
  PrivilegeSet out;
  for (const auto& o : observed) {
    switch (o.kind) {
      case sql::ObservedObjectKind::kDatabase:
        out.insert({ObjectKind::kDatabase, "", o.object, o.privilege});
        break;
      case sql::ObservedObjectKind::kSchema:
        out.insert({ObjectKind::kSchema, "", o.object.empty() ? o.schema : o.object, o.privilege});
        break;
      case sql::ObservedObjectKind::kTable:
        out.insert({ObjectKind::kTable, o.schema, o.object, o.privilege});
        break;
      case sql::ObservedObjectKind::kSequence:
        out.insert({ObjectKind::kSequence, o.schema, o.object, o.privilege});
        break;
    }
  }
  return out;
}

DefaultPrivilegeSet FromObserved(const std::vector<sql::ObservedDefaultPrivilege>& observed) {
  DefaultPrivilegeSet out;
  for (const auto& o : observed) {
    const auto objects = ParseDefaultObjects(o.objects);
    if (!objects) {
      continue;  // a kind tenantdb never grants and cannot name in ALTER DEFAULT PRIVILEGES
    }
    out.insert({o.for_role, o.schema, *objects, o.privilege});
  }
  return out;
}

std::vector<sql::SqlAction> DiffPrivileges(const std::string& database, const std::string& grantee,
                                           const PrivilegeSet& desired,
                                           const PrivilegeSet& observed,
                                           const DatabaseObjects& objects) {
  std::vector<sql::SqlAction> out;
  EmitChanges<sql::RevokePrivileges>(database, grantee, Group(Minus(observed, desired)), objects,
                                     out);
  EmitChanges<sql::GrantPrivileges>(database, grantee, Group(Minus(desired, observed)), objects,
                                    out);
  return out;
}

std::vector<sql::SqlAction> DiffDefaultPrivileges(const std::string& database,
                                                  const std::string& grantee,
                                                  const DefaultPrivilegeSet& desired,
                                                  const DefaultPrivilegeSet& observed) {
  using Group = std::tuple<std::string, std::optional<std::string>, sql::DefaultPrivilegeObject>;
  auto group = [](const DefaultPrivilegeSet& keys) {
    std::map<Group, std::set<std::string>> out;
    for (const auto& k : keys) {
      out[{k.for_role, k.schema, k.objects}].insert(k.privilege);
    }
    return out;
  };
  auto minus = [](const DefaultPrivilegeSet& a, const DefaultPrivilegeSet& b) {
    DefaultPrivilegeSet out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
    return out;
  };
  std::vector<sql::SqlAction> out;
  for (const bool grant : {false, true}) {
    const auto changes = grant ? minus(desired, observed) : minus(observed, desired);
    for (const auto& [g, privileges] : group(changes)) {
      out.emplace_back(sql::AlterDefaultPrivileges{.database = database,
                                                   .for_role = std::get<0>(g),
                                                   .schema = std::get<1>(g),
                                                   .objects = std::get<2>(g),
                                                   .privileges = Canonical(privileges),
                                                   .grantee = grantee,
                                                   .grant = grant});
    }
  }
  return out;
}

}  // namespace tenantdb::controllers::role
