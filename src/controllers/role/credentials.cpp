#include "controllers/role/credentials.h"

#include <array>
#include <cstdio>
#include <utility>

#include "api/v1alpha1/gvk.h"
#include "api/v1alpha1/secret_template.h"

namespace tenantdb::controllers::role {

namespace v1 = api::v1alpha1;
using nlohmann::json;

namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// An IPv6 literal goes in brackets inside a URL.
std::string UrlHost(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return "[" + host + "]";
  }
  return host;
}

}  // namespace

std::string PercentEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (Unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string PgpassEscape(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == ':' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::map<std::string, std::string> StandardCredentials(const ConnectionValues& v) {
  const std::string port = std::to_string(v.port);
  const std::string host_port = UrlHost(v.host) + ":" + port;
  const std::string db = PercentEncode(v.dbname);
  const std::string ssl = PercentEncode(v.sslmode);
  const std::string uri = "postgresql://" + PercentEncode(v.username) + ":" +
                          PercentEncode(v.password) + "@" + host_port + "/" + db +
                          "?sslmode=" + ssl;
  const std::string jdbc = "jdbc:postgresql://" + host_port + "/" + db;
  return {
      {"username", v.username},
      {"password", v.password},
      {"host", v.host},
      {"port", port},
      {"dbname", v.dbname},
      {"sslmode", v.sslmode},
      {"uri", uri},
      {"jdbc-uri", jdbc + "?user=" + PercentEncode(v.username) +
                       "&password=" + PercentEncode(v.password) + "&sslmode=" + ssl},
      {"pgpass", PgpassEscape(v.host) + ":" + port + ":" + PgpassEscape(v.dbname) + ":" +
                     PgpassEscape(v.username) + ":" + PgpassEscape(v.password)},
      {"DATABASE_URL", uri},
      {"PGHOST", v.host},
      {"PGPORT", port},
      {"PGUSER", v.username},
      {"PGPASSWORD", v.password},
      {"PGDATABASE", v.dbname},
      {"PGSSLMODE", v.sslmode},
      {"SPRING_DATASOURCE_URL", jdbc + "?sslmode=" + ssl},
      {"SPRING_DATASOURCE_USERNAME", v.username},
      {"SPRING_DATASOURCE_PASSWORD", v.password},
  };
}

Expected<std::map<std::string, std::string>> CredentialsData(
    const ConnectionValues& values, const std::map<std::string, std::string>& secret_template) {
  auto data = StandardCredentials(values);
  const std::map<std::string, std::string> placeholders = {
      {"username", values.username}, {"password", values.password},
      {"host", values.host},         {"port", std::to_string(values.port)},
      {"dbname", values.dbname},     {"sslmode", values.sslmode},
      {"uri", data.at("uri")}};
  for (const auto& [key, value] : secret_template) {
    if (data.contains(key)) {
      return Error::Invalid("spec.secretTemplate key \"" + key +
                            "\" would replace a key tenantdb writes itself: choose another name.");
    }
    auto expanded = v1::ExpandSecretTemplate(value, placeholders);
    if (!expanded) {
      Error e = expanded.error();
      e.message = "spec.secretTemplate[\"" + key + "\"]: " + e.message;
      return e;
    }
    data.emplace(key, std::move(*expanded));
  }
  return data;
}

SecretOwnership ClassifySecret(const std::optional<json>& secret, const std::string& role_uid) {
  if (!secret) {
    return SecretOwnership::kAbsent;
  }
  const json md = secret->value("metadata", json::object());
  for (const auto& ref : md.value("ownerReferences", json::array())) {
    if (ref.value("controller", false) && ref.value("uid", "") == role_uid &&
        ref.value("kind", "") == "DatabaseRole") {
      return SecretOwnership::kOurs;
    }
  }
  return SecretOwnership::kForeign;
}

json DesiredCredentialsSecret(const json& role, const std::string& name,
                              const std::map<std::string, std::string>& data,
                              const std::map<std::string, std::string>& annotations) {
  const json& md = role.at("metadata");
  json encoded = json::object();
  for (const auto& [k, v] : data) {
    encoded[k] = Base64Encode(v);
  }
  json ann = json::object();
  for (const auto& [k, v] : annotations) {
    ann[k] = v;
  }
  return json{
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata",
       {{"name", name},
        {"namespace", md.value("namespace", "")},
        {"labels", {{std::string(kManagedByLabel), std::string(kManagedByValue)}}},
        {"annotations", ann},
        {"ownerReferences",
         json::array({{{"apiVersion", role.value("apiVersion", "tenantdb.io/v1alpha1")},
                       {"kind", "DatabaseRole"},
                       {"name", md.value("name", "")},
                       {"uid", md.value("uid", "")},
                       {"controller", true},
                       {"blockOwnerDeletion", true}}})}}},
      {"type", std::string(kCredentialsSecretType)},
      {"data", encoded},
  };
}

bool SecretUpToDate(const json& existing, const json& desired) {
  if (existing.value("type", "") != desired.value("type", "")) {
    return false;
  }
  if (existing.value("data", json::object()) != desired.value("data", json::object())) {
    return false;
  }
  const json emd = existing.value("metadata", json::object());
  const json dmd = desired.value("metadata", json::object());
  for (const char* field : {"labels", "annotations"}) {
    const json have = emd.value(field, json::object());
    const json want = dmd.value(field, json::object());
    for (const auto& [k, v] : want.items()) {
      if (!have.contains(k) || have.at(k) != v) {
        return false;
      }
    }
  }
  const json have_annotations = emd.value("annotations", json::object());
  const json want_annotations = dmd.value("annotations", json::object());
  for (const std::string_view key :
       {kPasswordSha256Annotation, kPasswordChangedAtAnnotation, kManagedMembershipsAnnotation,
        kActiveLoginAnnotation, kRetiringLoginAnnotation}) {
    if (have_annotations.contains(key) && !want_annotations.contains(key)) {
      return false;
    }
  }
  const json have_refs = emd.value("ownerReferences", json::array());
  for (const auto& want : dmd.value("ownerReferences", json::array())) {
    bool found = false;
    for (const auto& ref : have_refs) {
      found = found ||
              (ref.value("uid", "") == want.value("uid", "") &&
               ref.value("controller", false) == want.value("controller", false) &&
               ref.value("blockOwnerDeletion", false) == want.value("blockOwnerDeletion", false) &&
               ref.value("apiVersion", "") == want.value("apiVersion", "") &&
               ref.value("name", "") == want.value("name", ""));
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> Annotation(const json& object, std::string_view key) {
  const json md = object.value("metadata", json::object());
  const json ann = md.value("annotations", json::object());
  const auto it = ann.find(std::string(key));
  if (it == ann.end() || !it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ",") + n;
  }
  return out;
}

std::set<std::string> SplitNames(std::string_view text) {
  std::set<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    if (!part.empty()) {
      out.emplace(part);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace tenantdb::controllers::role
