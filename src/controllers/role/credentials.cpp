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

std::uint32_t Rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

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

std::string Sha256Hex(std::string_view data) {
  static constexpr std::array<std::uint32_t, 64> kK = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  std::array<std::uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string msg(data);
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  msg += static_cast<char>(0x80);
  while (msg.size() % 64 != 56) {
    msg += '\0';
  }
  for (int i = 7; i >= 0; --i) {
    msg += static_cast<char>((bits >> (i * 8)) & 0xFF);
  }
  for (std::size_t chunk = 0; chunk < msg.size(); chunk += 64) {
    std::array<std::uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + chunk + i * 4);
      w[i] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
             (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    }
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    auto [a, b, c, d, e, f, g, hh] = h;
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
      const std::uint32_t ch = (e & f) ^ (~e & g);
      const std::uint32_t t1 = hh + s1 + ch + kK[i] + w[i];
      const std::uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
      const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      const std::uint32_t t2 = s0 + maj;
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  std::string out;
  char buf[9];
  for (const auto word : h) {
    std::snprintf(buf, sizeof(buf), "%08x", word);
    out += buf;
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(data[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(data[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(data[i])} << 16;
    if (rest == 2) {
      n |= std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8;
    }
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace tenantdb::controllers::role
