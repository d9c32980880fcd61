#include "sql/actions.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sql/quoting.h"

namespace tenantdb::sql {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr std::string_view kScramPrefix = "SCRAM-SHA-256$";
constexpr std::string_view kRedactedPassword = "'***'";

// The only privilege text that ever reaches SQL: these constants, chosen by table lookup.
constexpr std::string_view kAll = "ALL";
constexpr std::array<std::string_view, 4> kDatabasePrivileges = {"CREATE", "CONNECT", "TEMPORARY",
                                                                 kAll};
constexpr std::array<std::string_view, 3> kSchemaPrivileges = {"USAGE", "CREATE", kAll};
constexpr std::array<std::string_view, 8> kTablePrivileges = {
    "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", kAll};
constexpr std::array<std::string_view, 4> kSequencePrivileges = {"USAGE", "SELECT", "UPDATE", kAll};
constexpr std::array<std::string_view, 2> kFunctionPrivileges = {"EXECUTE", kAll};
constexpr std::array<std::string_view, 2> kTypePrivileges = {"USAGE", kAll};

std::span<const std::string_view> AllowedPrivileges(PrivilegeTarget target) {
  switch (target) {
    case PrivilegeTarget::kDatabase:
      return kDatabasePrivileges;
    case PrivilegeTarget::kSchema:
      return kSchemaPrivileges;
    case PrivilegeTarget::kTable:
    case PrivilegeTarget::kAllTablesInSchema:
      return kTablePrivileges;
    case PrivilegeTarget::kSequence:
    case PrivilegeTarget::kAllSequencesInSchema:
      return kSequencePrivileges;
  }
  return {};
}

std::span<const std::string_view> AllowedPrivileges(DefaultPrivilegeObject objects) {
  switch (objects) {
    case DefaultPrivilegeObject::kTables:
      return kTablePrivileges;
    case DefaultPrivilegeObject::kSequences:
      return kSequencePrivileges;
    case DefaultPrivilegeObject::kFunctions:
      return kFunctionPrivileges;
    case DefaultPrivilegeObject::kTypes:
      return kTypePrivileges;
  }
  return {};
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// The keyword constant for `input`, or nullopt when it is not allowed here.
std::optional<std::string_view> CanonicalPrivilege(std::string_view input,
                                                   std::span<const std::string_view> allowed) {
  const std::string_view wanted = EqualsIgnoreCase(input, "TEMP") ? "TEMPORARY" : input;
  for (const std::string_view keyword : allowed) {
    if (EqualsIgnoreCase(wanted, keyword)) {
      return keyword;
    }
  }
  return std::nullopt;
}

Expected<std::vector<std::string_view>> CanonicalPrivileges(
    const std::vector<std::string>& privileges, std::span<const std::string_view> allowed,
    std::string_view on_what) {
  if (privileges.empty()) {
    return Error::Invalid("no privileges given for " + std::string(on_what));
  }
  std::vector<std::string_view> out;
  out.reserve(privileges.size());
  for (const std::string& p : privileges) {
    const auto keyword = CanonicalPrivilege(p, allowed);
    if (!keyword) {
      std::string allowed_list;
      for (const std::string_view k : allowed) {
        allowed_list += allowed_list.empty() ? "" : ", ";
        allowed_list += k;
      }
      return Error::Invalid("privilege " + QuoteLiteral(p) + " is not valid for " +
                            std::string(on_what) + " (allowed: " + allowed_list + ")");
    }
    if (std::find(out.begin(), out.end(), *keyword) == out.end()) {
      out.push_back(*keyword);
    }
  }
  if (out.size() > 1 && std::find(out.begin(), out.end(), kAll) != out.end()) {
    return Error::Invalid("privilege ALL cannot be combined with other privileges on " +
                          std::string(on_what));
  }
  return out;
}

constexpr std::array<std::string_view, 13> kKnownPrivileges = {
    "SELECT", "INSERT", "UPDATE",  "DELETE",    "TRUNCATE", "REFERENCES", "TRIGGER",
    "USAGE",  "CREATE", "CONNECT", "TEMPORARY", "EXECUTE",  kAll};

// A known keyword as its constant; anything else quoted, so it cannot forge text in a log line.
std::string DescribePrivilege(std::string_view p) {
  if (const auto keyword = CanonicalPrivilege(p, kKnownPrivileges)) {
    return std::string(*keyword);
  }
  return QuoteLiteral(p);
}

std::string_view TargetName(PrivilegeTarget target) {
  switch (target) {
    case PrivilegeTarget::kDatabase:
      return "a database";
    case PrivilegeTarget::kSchema:
      return "a schema";
    case PrivilegeTarget::kTable:
      return "a table";
    case PrivilegeTarget::kSequence:
      return "a sequence";
    case PrivilegeTarget::kAllTablesInSchema:
      return "all tables in a schema";
    case PrivilegeTarget::kAllSequencesInSchema:
      return "all sequences in a schema";
  }
  return "an unknown target";
}

std::string_view ObjectsKeyword(DefaultPrivilegeObject objects) {
  switch (objects) {
    case DefaultPrivilegeObject::kTables:
      return "TABLES";
    case DefaultPrivilegeObject::kSequences:
      return "SEQUENCES";
    case DefaultPrivilegeObject::kFunctions:
      return "FUNCTIONS";
    case DefaultPrivilegeObject::kTypes:
      return "TYPES";
  }
  return "";
}

// --- validation helpers ------------------------------------------------------------------------

class Checker {
 public:
  void Name(std::string_view field, std::string_view value) {
    if (error_) {
      return;
    }
    if (value.empty()) {
      error_ = Error::Invalid(std::string(field) + " must not be empty");
    } else if (value.find('\0') != std::string_view::npos) {
      error_ = Error::Invalid(std::string(field) + " must not contain a NUL byte");
    }
  }
  void OptionalName(std::string_view field, const std::optional<std::string>& value) {
    if (value) {
      Name(field, *value);
    }
  }
  // Literal values: may be empty unless said otherwise, never hold NUL.
  void Text(std::string_view field, std::string_view value, bool allow_empty) {
    if (error_) {
      return;
    }
    if (!allow_empty && value.empty()) {
      error_ = Error::Invalid(std::string(field) + " must not be empty");
    } else if (value.find('\0') != std::string_view::npos) {
      error_ = Error::Invalid(std::string(field) + " must not contain a NUL byte");
    }
  }
  void Verifier(const std::optional<std::string>& verifier) {
    if (error_ || !verifier) {
      return;
    }
    // The value itself is never quoted in the message: it might be a clear password.
    if (!verifier->starts_with(kScramPrefix) || verifier->find('\0') != std::string::npos) {
      error_ = Error::Invalid("password_verifier is not a SCRAM-SHA-256 verifier");
    }
  }
  void ConnectionLimit(std::int32_t limit) {
    if (!error_ && limit < -1) {
      error_ = Error::Invalid("connection limit must be -1 (unlimited) or more");
    }
  }
  void Privileges(const std::vector<std::string>& privileges,
                  std::span<const std::string_view> allowed, std::string_view on_what) {
    if (error_) {
      return;
    }
    auto result = CanonicalPrivileges(privileges, allowed, on_what);
    if (!result) {
      error_ = std::move(result).error();
    }
  }
  void Grantee(std::string_view grantee) { Name("grantee", grantee); }

  Expected<void> Result() && {
    if (error_) {
      return std::move(*error_);
    }
    return {};
  }

 private:
  std::optional<Error> error_;
};

template <class A>
void CheckPrivilegeAction(Checker& c, const A& a) {
  c.Name("database", a.database);
  switch (a.target) {
    case PrivilegeTarget::kDatabase:
      break;
    case PrivilegeTarget::kSchema:
    case PrivilegeTarget::kAllTablesInSchema:
    case PrivilegeTarget::kAllSequencesInSchema:
      c.Name("schema", a.schema);
      break;
    case PrivilegeTarget::kTable:
    case PrivilegeTarget::kSequence:
      c.Name("schema", a.schema);
      c.Name("object", a.object);
      break;
  }
  c.Privileges(a.privileges, AllowedPrivileges(a.target), TargetName(a.target));
  c.Grantee(a.grantee);
}

// --- rendering helpers -------------------------------------------------------------------------

std::string Grantee(const std::string& grantee) {
  return grantee == "PUBLIC" ? std::string("PUBLIC") : QuoteIdent(grantee);
}

std::string PrivilegeList(const std::vector<std::string>& privileges,
                          std::span<const std::string_view> allowed) {
  // Only called after validation: every element maps to a constant.
  auto canonical = CanonicalPrivileges(privileges, allowed, "");
  std::string out;
  if (!canonical) {
    return out;
  }
  for (const std::string_view k : *canonical) {
    out += out.empty() ? "" : ", ";
    out += k;
  }
  return out;
}

std::string OnTarget(PrivilegeTarget target, const std::string& database, const std::string& schema,
                     const std::string& object) {
  switch (target) {
    case PrivilegeTarget::kDatabase:
      return "DATABASE " + QuoteIdent(database);
    case PrivilegeTarget::kSchema:
      return "SCHEMA " + QuoteIdent(schema);
    case PrivilegeTarget::kTable:
      return "TABLE " + QuoteIdent(schema) + "." + QuoteIdent(object);
    case PrivilegeTarget::kSequence:
      return "SEQUENCE " + QuoteIdent(schema) + "." + QuoteIdent(object);
    case PrivilegeTarget::kAllTablesInSchema:
      return "ALL TABLES IN SCHEMA " + QuoteIdent(schema);
    case PrivilegeTarget::kAllSequencesInSchema:
      return "ALL SEQUENCES IN SCHEMA " + QuoteIdent(schema);
  }
  return "";
}

std::string DescribeTarget(PrivilegeTarget target, const std::string& database,
                           const std::string& schema, const std::string& object) {
  switch (target) {
    case PrivilegeTarget::kDatabase:
      return "database " + QuoteIdent(database);
    case PrivilegeTarget::kSchema:
      return "schema " + QuoteIdent(schema) + " in database " + QuoteIdent(database);
    case PrivilegeTarget::kTable:
      return "table " + QuoteIdent(schema) + "." + QuoteIdent(object) + " in database " +
             QuoteIdent(database);
    case PrivilegeTarget::kSequence:
      return "sequence " + QuoteIdent(schema) + "." + QuoteIdent(object) + " in database " +
             QuoteIdent(database);
    case PrivilegeTarget::kAllTablesInSchema:
      return "all tables in schema " + QuoteIdent(schema) + " in database " + QuoteIdent(database);
    case PrivilegeTarget::kAllSequencesInSchema:
      return "all sequences in schema " + QuoteIdent(schema) + " in database " +
             QuoteIdent(database);
  }
  return "";
}

// Builds `text` and `redacted` side by side; secrets go only to `text`.
class Builder {
 public:
  Builder& Add(std::string_view s) {
    text_ += s;
    redacted_ += s;
    return *this;
  }
  Builder& Secret(const std::string& literal) {
    text_ += literal;
    redacted_ += kRedactedPassword;
    return *this;
  }
  RenderedAction Done() && {
    return RenderedAction{Statement{std::move(text_), {}}, std::move(redacted_)};
  }

 private:
  std::string text_;
  std::string redacted_;
};

RenderedAction Plain(std::string text) {
  std::string redacted = text;
  return RenderedAction{Statement{std::move(text), {}}, std::move(redacted)};
}

std::string Limit(std::int32_t n) { return " CONNECTION LIMIT " + std::to_string(n); }

}  // namespace

Expected<void> ValidateAction(const SqlAction& action) {
  Checker c;
  std::visit(Overloaded{
                 [&](const CreateRole& a) {
                   c.Name("role", a.role);
                   c.ConnectionLimit(a.connection_limit);
                   if (a.valid_until) {
                     c.Text("valid_until", *a.valid_until, false);
                   }
                   c.Verifier(a.password_verifier);
                 },
                 [&](const AlterRole& a) {
                   c.Name("role", a.role);
                   if (a.connection_limit) {
                     c.ConnectionLimit(*a.connection_limit);
                   }
                   if (a.valid_until) {
                     c.Text("valid_until", *a.valid_until, false);
                   }
                   c.Verifier(a.password_verifier);
                 },
                 [&](const DropRole& a) { c.Name("role", a.role); },
                 [&](const ReassignOwned& a) {
                   c.Name("database", a.database);
                   c.Name("role", a.role);
                   c.Name("new_owner", a.new_owner);
                 },
                 [&](const DropOwned& a) {
                   c.Name("database", a.database);
                   c.Name("role", a.role);
                 },
                 [&](const GrantMembership& a) {
                   c.Name("role", a.role);
                   c.Name("member", a.member);
                 },
                 [&](const RevokeMembership& a) {
                   c.Name("role", a.role);
                   c.Name("member", a.member);
                 },
                 [&](const SetRoleConfig& a) {
                   c.Name("role", a.role);
                   c.OptionalName("database", a.database);
                   c.Name("parameter", a.parameter);
                   if (a.value) {
                     c.Text("value", *a.value, true);
                   }
                 },
                 [&](const CreateDatabase& a) {
                   c.Name("name", a.name);
                   c.Name("owner", a.owner);
                   c.Text("encoding", a.encoding, false);
                   if (a.locale) {
                     c.Text("locale", *a.locale, false);
                   }
                   c.Name("template_name", a.template_name);
                   c.ConnectionLimit(a.connection_limit);
                 },
                 [&](const AlterDatabaseOwner& a) {
                   c.Name("name", a.name);
                   c.Name("owner", a.owner);
                 },
                 [&](const AlterDatabaseConnectionLimit& a) {
                   c.Name("name", a.name);
                   c.ConnectionLimit(a.connection_limit);
                 },
                 [&](const CommentOnDatabase& a) {
                   c.Name("name", a.name);
                   c.Text("comment", a.comment, true);
                 },
                 [&](const DropDatabase& a) { c.Name("name", a.name); },
                 [&](const CommentOnRole& a) {
                   c.Name("role", a.role);
                   c.Text("comment", a.comment, true);
                 },
                 [&](const AlterDatabaseAllowConnections& a) { c.Name("name", a.name); },
                 [&](const CreateExtension& a) {
                   c.Name("database", a.database);
                   c.Name("name", a.name);
                   c.OptionalName("schema", a.schema);
                   if (a.version) {
                     c.Text("version", *a.version, false);
                   }
                 },
                 [&](const UpdateExtension& a) {
                   c.Name("database", a.database);
                   c.Name("name", a.name);
                   c.Text("version", a.version, false);
                 },
                 [&](const DropExtension& a) {
                   c.Name("database", a.database);
                   c.Name("name", a.name);
                 },
                 [&](const CreateSchema& a) {
                   c.Name("database", a.database);
                   c.Name("name", a.name);
                   c.Name("owner", a.owner);
                 },
                 [&](const AlterSchemaOwner& a) {
                   c.Name("database", a.database);
                   c.Name("name", a.name);
                   c.Name("owner", a.owner);
                 },
                 [&](const DropSchema& a) {
                   c.Name("database", a.database);
                   c.Name("name", a.name);
                 },
                 [&](const GrantPrivileges& a) { CheckPrivilegeAction(c, a); },
                 [&](const RevokePrivileges& a) { CheckPrivilegeAction(c, a); },
                 [&](const AlterDefaultPrivileges& a) {
                   c.Name("database", a.database);
                   c.Name("for_role", a.for_role);
                   c.OptionalName("schema", a.schema);
                   c.Privileges(
                       a.privileges, AllowedPrivileges(a.objects), "default privileges on " + [&] {
                         std::string s(ObjectsKeyword(a.objects));
                         std::transform(s.begin(), s.end(), s.begin(), [](char ch) {
                           return static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                         });
                         return s;
                       }());
                   c.Grantee(a.grantee);
                 },
             },
             action);
  return std::move(c).Result();
}

RenderedAction Render(const SqlAction& action) {
  if (!ValidateAction(action).has_value()) {
    return RenderedAction{};  // nothing spliced; PqxxExecutor refuses an empty statement
  }
  return std::visit(
      Overloaded{
          [](const CreateRole& a) {
            Builder b;
            b.Add("CREATE ROLE " + QuoteIdent(a.role) + (a.login ? " LOGIN" : " NOLOGIN") +
                  Limit(a.connection_limit));
            if (a.valid_until) {
              b.Add(" VALID UNTIL " + QuoteLiteral(*a.valid_until));
            }
            if (a.password_verifier) {
              b.Add(" PASSWORD ").Secret(QuoteLiteral(*a.password_verifier));
            }
            return std::move(b).Done();
          },
          [](const AlterRole& a) {
            Builder b;
            b.Add("ALTER ROLE " + QuoteIdent(a.role));
            if (a.login) {
              b.Add(*a.login ? " LOGIN" : " NOLOGIN");
            }
            if (a.connection_limit) {
              b.Add(Limit(*a.connection_limit));
            }
            if (a.valid_until) {
              b.Add(" VALID UNTIL " + QuoteLiteral(*a.valid_until));
            }
            if (a.password_verifier) {
              b.Add(" PASSWORD ").Secret(QuoteLiteral(*a.password_verifier));
            }
            return std::move(b).Done();
          },
          [](const DropRole& a) { return Plain("DROP ROLE IF EXISTS " + QuoteIdent(a.role)); },
          [](const ReassignOwned& a) {
            return Plain("REASSIGN OWNED BY " + QuoteIdent(a.role) + " TO " +
                         QuoteIdent(a.new_owner));
          },
          [](const DropOwned& a) { return Plain("DROP OWNED BY " + QuoteIdent(a.role)); },
          [](const GrantMembership& a) {
            return Plain("GRANT " + QuoteIdent(a.role) + " TO " + QuoteIdent(a.member));
          },
          [](const RevokeMembership& a) {
            return Plain("REVOKE " + QuoteIdent(a.role) + " FROM " + QuoteIdent(a.member));
          },
          [](const SetRoleConfig& a) {
            std::string s = "ALTER ROLE " + QuoteIdent(a.role);
            if (a.database) {
              s += " IN DATABASE " + QuoteIdent(*a.database);
            }
            if (a.value) {
              s += " SET " + QuoteIdent(a.parameter) + " = " + QuoteLiteral(*a.value);
            } else {
              s += " RESET " + QuoteIdent(a.parameter);
            }
            return Plain(std::move(s));
          },
          [](const CreateDatabase& a) {
            std::string s = "CREATE DATABASE " + QuoteIdent(a.name) + " OWNER " +
                            QuoteIdent(a.owner) + " ENCODING " + QuoteLiteral(a.encoding);
            if (a.locale) {
              s += " LOCALE " + QuoteLiteral(*a.locale);
            }
            s += " TEMPLATE " + QuoteIdent(a.template_name) + Limit(a.connection_limit);
            if (!a.allow_connections) {
              s += " ALLOW_CONNECTIONS false";
            }
            return Plain(std::move(s));
          },
          [](const AlterDatabaseAllowConnections& a) {
            return Plain("ALTER DATABASE " + QuoteIdent(a.name) + " WITH ALLOW_CONNECTIONS " +
                         (a.allow ? "true" : "false"));
          },
          [](const CommentOnRole& a) {
            return Plain("COMMENT ON ROLE " + QuoteIdent(a.role) + " IS " +
                         QuoteLiteral(a.comment));
          },
          [](const AlterDatabaseOwner& a) {
            return Plain("ALTER DATABASE " + QuoteIdent(a.name) + " OWNER TO " +
                         QuoteIdent(a.owner));
          },
          [](const AlterDatabaseConnectionLimit& a) {
            return Plain("ALTER DATABASE " + QuoteIdent(a.name) + " WITH" +
                         Limit(a.connection_limit));
          },
          [](const CommentOnDatabase& a) {
            return Plain("COMMENT ON DATABASE " + QuoteIdent(a.name) + " IS " +
                         QuoteLiteral(a.comment));
          },
          [](const DropDatabase& a) {
            return Plain("DROP DATABASE IF EXISTS " + QuoteIdent(a.name) +
                         (a.force ? " WITH (FORCE)" : ""));
          },
          [](const CreateExtension& a) {
            std::string s = "CREATE EXTENSION IF NOT EXISTS " + QuoteIdent(a.name);
            if (a.schema) {
              s += " SCHEMA " + QuoteIdent(*a.schema);
            }
            if (a.version) {
              s += " VERSION " + QuoteLiteral(*a.version);
            }
            return Plain(std::move(s));
          },
          [](const UpdateExtension& a) {
            return Plain("ALTER EXTENSION " + QuoteIdent(a.name) + " UPDATE TO " +
                         QuoteLiteral(a.version));
          },
          [](const DropExtension& a) {
            return Plain("DROP EXTENSION IF EXISTS " + QuoteIdent(a.name) + " RESTRICT");
          },
          [](const CreateSchema& a) {
            return Plain("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(a.name) + " AUTHORIZATION " +
                         QuoteIdent(a.owner));
          },
          [](const AlterSchemaOwner& a) {
            return Plain("ALTER SCHEMA " + QuoteIdent(a.name) + " OWNER TO " + QuoteIdent(a.owner));
          },
          [](const DropSchema& a) {
            return Plain("DROP SCHEMA IF EXISTS " + QuoteIdent(a.name) + " RESTRICT");
          },
          [](const GrantPrivileges& a) {
            return Plain("GRANT " + PrivilegeList(a.privileges, AllowedPrivileges(a.target)) +
                         " ON " + OnTarget(a.target, a.database, a.schema, a.object) + " TO " +
                         Grantee(a.grantee));
          },
          [](const RevokePrivileges& a) {
            return Plain("REVOKE " + PrivilegeList(a.privileges, AllowedPrivileges(a.target)) +
                         " ON " + OnTarget(a.target, a.database, a.schema, a.object) + " FROM " +
                         Grantee(a.grantee));
          },
          [](const AlterDefaultPrivileges& a) {
            std::string s = "ALTER DEFAULT PRIVILEGES FOR ROLE " + QuoteIdent(a.for_role);
            if (a.schema) {
              s += " IN SCHEMA " + QuoteIdent(*a.schema);
            }
            s += a.grant ? " GRANT " : " REVOKE ";
            s += PrivilegeList(a.privileges, AllowedPrivileges(a.objects));
            s += " ON ";
            s += ObjectsKeyword(a.objects);
            s += a.grant ? " TO " : " FROM ";
            s += Grantee(a.grantee);
            return Plain(std::move(s));
          },
      },
      action);
}

Expected<RenderedAction> RenderChecked(const SqlAction& action) {
  TENANTDB_TRY_VOID(ValidateAction(action));
  return Render(action);
}

std::string Describe(const SqlAction& action) {
  const auto join = [](const std::vector<std::string>& privileges) {
    std::string out;
    for (const std::string& p : privileges) {
      out += out.empty() ? "" : ", ";
      out += DescribePrivilege(p);
    }
    return out;
  };
  return std::visit(
      Overloaded{
          [](const CreateRole& a) {
            return "create role " + QuoteIdent(a.role) + (a.login ? " with login" : "") +
                   (a.password_verifier ? " and a password" : "");
          },
          [](const AlterRole& a) {
            std::string s = "alter role " + QuoteIdent(a.role);
            std::string what;
            const auto add = [&what](const std::string& part) {
              what += what.empty() ? "" : ", ";
              what += part;
            };
            if (a.login) {
              add(*a.login ? "login" : "nologin");
            }
            if (a.connection_limit) {
              add("connection limit " + std::to_string(*a.connection_limit));
            }
            if (a.valid_until) {
              add("valid until " + QuoteLiteral(*a.valid_until));
            }
            if (a.password_verifier) {
              add("new password");
            }
            return what.empty() ? s : s + ": " + what;
          },
          [](const DropRole& a) { return "drop role " + QuoteIdent(a.role); },
          [](const ReassignOwned& a) {
            return "reassign objects owned by " + QuoteIdent(a.role) + " to " +
                   QuoteIdent(a.new_owner) + " in database " + QuoteIdent(a.database);
          },
          [](const DropOwned& a) {
            return "drop objects and privileges of " + QuoteIdent(a.role) + " in database " +
                   QuoteIdent(a.database);
          },
          [](const GrantMembership& a) {
            return "grant membership in " + QuoteIdent(a.role) + " to " + QuoteIdent(a.member);
          },
          [](const RevokeMembership& a) {
            return "revoke membership in " + QuoteIdent(a.role) + " from " + QuoteIdent(a.member);
          },
          [](const SetRoleConfig& a) {
            std::string s = (a.value ? "set " : "reset ") + QuoteIdent(a.parameter) + " for role " +
                            QuoteIdent(a.role);
            if (a.database) {
              s += " in database " + QuoteIdent(*a.database);
            }
            if (a.value) {
              s += " to " + QuoteLiteral(*a.value);
            }
            return s;
          },
          [](const CreateDatabase& a) {
            return "create database " + QuoteIdent(a.name) + " owned by " + QuoteIdent(a.owner);
          },
          [](const AlterDatabaseOwner& a) {
            return "change owner of database " + QuoteIdent(a.name) + " to " + QuoteIdent(a.owner);
          },
          [](const AlterDatabaseConnectionLimit& a) {
            return "set connection limit of database " + QuoteIdent(a.name) + " to " +
                   std::to_string(a.connection_limit);
          },
          [](const CommentOnDatabase& a) {
            return "set comment of database " + QuoteIdent(a.name);
          },
          [](const CommentOnRole& a) { return "set comment of role " + QuoteIdent(a.role); },
          [](const AlterDatabaseAllowConnections& a) {
            return std::string(a.allow ? "allow" : "refuse") + " connections to database " +
                   QuoteIdent(a.name);
          },
          [](const DropDatabase& a) {
            return std::string(a.force ? "force-drop" : "drop") + " database " + QuoteIdent(a.name);
          },
          [](const CreateExtension& a) {
            return "create extension " + QuoteIdent(a.name) + " in database " +
                   QuoteIdent(a.database);
          },
          [](const UpdateExtension& a) {
            return "update extension " + QuoteIdent(a.name) + " to version " +
                   QuoteLiteral(a.version) + " in database " + QuoteIdent(a.database);
          },
          [](const DropExtension& a) {
            return "drop extension " + QuoteIdent(a.name) + " in database " +
                   QuoteIdent(a.database);
          },
          [](const CreateSchema& a) {
            return "create schema " + QuoteIdent(a.name) + " owned by " + QuoteIdent(a.owner) +
                   " in database " + QuoteIdent(a.database);
          },
          [](const AlterSchemaOwner& a) {
            return "change owner of schema " + QuoteIdent(a.name) + " to " + QuoteIdent(a.owner) +
                   " in database " + QuoteIdent(a.database);
          },
          [](const DropSchema& a) {
            return "drop schema " + QuoteIdent(a.name) + " in database " + QuoteIdent(a.database);
          },
          [&join](const GrantPrivileges& a) {
            return "grant " + join(a.privileges) + " on " +
                   DescribeTarget(a.target, a.database, a.schema, a.object) + " to " +
                   Grantee(a.grantee);
          },
          [&join](const RevokePrivileges& a) {
            return "revoke " + join(a.privileges) + " on " +
                   DescribeTarget(a.target, a.database, a.schema, a.object) + " from " +
                   Grantee(a.grantee);
          },
          [&join](const AlterDefaultPrivileges& a) {
            std::string objects(ObjectsKeyword(a.objects));
            std::transform(objects.begin(), objects.end(), objects.begin(), [](char ch) {
              return static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            });
            std::string s = std::string(a.grant ? "grant " : "revoke ") + join(a.privileges) +
                            " on future " + objects + " of " + QuoteIdent(a.for_role);
            if (a.schema) {
              s += " in schema " + QuoteIdent(*a.schema);
            }
            s += (a.grant ? " to " : " from ") + Grantee(a.grantee) + " in database " +
                 QuoteIdent(a.database);
            return s;
          },
      },
      action);
}

std::optional<std::string> TargetDatabase(const SqlAction& action) {
  return std::visit(
      [](const auto& a) -> std::optional<std::string> {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, GrantPrivileges> || std::is_same_v<T, RevokePrivileges>) {
          if (a.target == PrivilegeTarget::kDatabase) {
            return std::nullopt;
          }
          return a.database;
        } else if constexpr (std::is_same_v<T, ReassignOwned> || std::is_same_v<T, DropOwned> ||
                             std::is_same_v<T, CreateExtension> ||
                             std::is_same_v<T, UpdateExtension> ||
                             std::is_same_v<T, DropExtension> || std::is_same_v<T, CreateSchema> ||
                             std::is_same_v<T, AlterSchemaOwner> || std::is_same_v<T, DropSchema> ||
                             std::is_same_v<T, AlterDefaultPrivileges>) {
          return a.database;
        } else {
          return std::nullopt;
        }
      },
      action);
}

bool MustRunOutsideTransaction(const SqlAction& action) {
  return std::holds_alternative<CreateDatabase>(action) ||
         std::holds_alternative<DropDatabase>(action);
}

std::string_view ActionKind(const SqlAction& action) {
  static constexpr std::array<std::string_view, std::variant_size_v<SqlAction>> kKinds = {
      "CreateRole",
      "AlterRole",
      "DropRole",
      "ReassignOwned",
      "DropOwned",
      "GrantMembership",
      "RevokeMembership",
      "SetRoleConfig",
      "CreateDatabase",
      "AlterDatabaseOwner",
      "AlterDatabaseConnectionLimit",
      "CommentOnDatabase",
      "DropDatabase",
      "CreateExtension",
      "UpdateExtension",
      "DropExtension",
      "CreateSchema",
      "AlterSchemaOwner",
      "DropSchema",
      "GrantPrivileges",
      "RevokePrivileges",
      "AlterDefaultPrivileges",
      "CommentOnRole",
      "AlterDatabaseAllowConnections",
  };
  return kKinds[action.index()];
}

}  // namespace tenantdb::sql
