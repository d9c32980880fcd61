#include "kube/cluster_config.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

namespace tenantdb::kube {
namespace {

namespace fs = std::filesystem;

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return "";
  }
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Join(const std::vector<std::string>& items) {
  if (items.empty()) {
    return "(none)";
  }
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

Expected<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Error::Invalid(path.string() + ": cannot read: " + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Error::Invalid(path.string() + ": read error");
  }
  return text.str();
}

fs::path ResolvePath(const fs::path& base_dir, const std::string& file) {
  const fs::path p(file);
  if (p.is_absolute() || base_dir.empty()) {
    return p;
  }
  return base_dir / p;
}

Expected<std::string> ReadToken(const fs::path& path) {
  TENANTDB_TRY(std::string text, ReadFile(path));
  std::string token = Trim(text);
  if (token.empty()) {
    return Error::Invalid(path.string() + ": the token file is empty");
  }
  return token;
}

// A scalar string field of a YAML map; "" when absent or null.
std::string Str(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) {
    return "";
  }
  if (!v.IsScalar()) {
    throw YAML::Exception(v.Mark(), std::string("field ") + key + " must be a string");
  }
  return v.Scalar();
}

bool Bool(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) {
    return false;
  }
  return v.as<bool>();
}

bool LooksLikePem(std::string_view text) { return text.find("-----BEGIN ") != std::string::npos; }

// One named cluster/user/context and the file it came from.
struct Entry {
  YAML::Node body;
  fs::path base_dir;
};

struct MergedKubeconfig {
  std::string name;  // the file(s), for messages
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::vector<std::string> context_names;  // in order of appearance
  std::string current_context;
};

void AddEntries(const YAML::Node& doc, const char* list_key, const char* body_key,
                const fs::path& base_dir, std::map<std::string, Entry>& into,
                std::vector<std::string>* names) {
  const YAML::Node list = doc[list_key];
  if (!list || list.IsNull()) {
    return;
  }
  if (!list.IsSequence()) {
    throw YAML::Exception(list.Mark(), std::string(list_key) + " must be a list");
  }
  for (const YAML::Node& item : list) {
    if (!item.IsMap()) {
      throw YAML::Exception(item.Mark(), std::string(list_key) + " entries must be maps");
    }
    const std::string name = Str(item, "name");
    if (name.empty()) {
      throw YAML::Exception(item.Mark(), std::string(list_key) + " entry without a name");
    }
    YAML::Node body = item[body_key];
    if (body && !body.IsNull() && !body.IsMap()) {
      throw YAML::Exception(body.Mark(), std::string(list_key) + " entry " + Quoted(name) + ": " +
                                             body_key + " must be a map");
    }
    if (!body || body.IsNull()) {
      body = YAML::Node(YAML::NodeType::Map);
    }
    if (into.emplace(name, Entry{body, base_dir}).second && names != nullptr) {
      names->push_back(name);
    }
  }
}

// Adds one file's contents; earlier files win (kubectl's merge rule).
Expected<void> MergeFile(std::string_view yaml, const fs::path& base_dir, std::string_view name,
                         MergedKubeconfig& merged) {
  try {
    const YAML::Node doc = YAML::Load(std::string(yaml));
    if (!doc || doc.IsNull()) {
      return {};  // an empty file contributes nothing
    }
    if (!doc.IsMap()) {
      return Error::Invalid("kubeconfig " + std::string(name) + ": not a YAML map");
    }
    AddEntries(doc, "clusters", "cluster", base_dir, merged.clusters, nullptr);
    AddEntries(doc, "users", "user", base_dir, merged.users, nullptr);
    AddEntries(doc, "contexts", "context", base_dir, merged.contexts, &merged.context_names);
    if (merged.current_context.empty()) {
      merged.current_context = Str(doc, "current-context");
    }
  } catch (const YAML::Exception& e) {
    return Error::Invalid("kubeconfig " + std::string(name) + ": invalid: " + e.what());
  }
  return {};
}

// Data (base64) wins over file, as in client-go.
Expected<std::string> PemFromDataOrFile(const Entry& entry, const char* data_key,
                                        const char* file_key, const std::string& where) {
  const std::string data = Str(entry.body, data_key);
  if (!data.empty()) {
    auto decoded = DecodeBase64(data);
    if (!decoded) {
      return Error::Invalid(where + ": " + data_key + " is not valid base64 (" +
                            decoded.error().message + ")");
    }
    if (!LooksLikePem(*decoded)) {
      return Error::Invalid(where + ": " + data_key + " does not decode to PEM text");
    }
    return std::move(decoded).value();
  }
  const std::string file = Str(entry.body, file_key);
  if (file.empty()) {
    return std::string();
  }
  auto text = ReadFile(ResolvePath(entry.base_dir, file));
  if (!text) {
    return Error::Invalid(where + ": " + file_key + " " + text.error().message);
  }
  if (!LooksLikePem(*text)) {
    return Error::Invalid(where + ": " + file_key + " " +
                          ResolvePath(entry.base_dir, file).string() +
                          " does not contain PEM text");
  }
  return std::move(text).value();
}

Expected<std::string> NormaliseServer(std::string server, const std::string& where) {
  server = Trim(server);
  if (server.empty()) {
    return Error::Invalid(where + " has no server");
  }
  if (server.find("://") == std::string::npos) {
    server = "https://" + server;
  }
  if (server.rfind("https://", 0) != 0 && server.rfind("http://", 0) != 0) {
    return Error::Invalid(where + ": server " + server + " must be an http:// or https:// URL");
  }
  while (!server.empty() && server.back() == '/') {
    server.pop_back();
  }
  return server;
}

Expected<ClusterConfig> ResolveContext(const MergedKubeconfig& kc,
                                       const std::string& explicit_context) {
  const std::string prefix = "kubeconfig " + kc.name;
  const std::string context_name = explicit_context.empty() ? kc.current_context : explicit_context;
  if (context_name.empty()) {
    return Error::Invalid(prefix +
                          ": no current-context is set and no context was given; contexts: " +
                          Join(kc.context_names));
  }
  const auto ctx_it = kc.contexts.find(context_name);
  if (ctx_it == kc.contexts.end()) {
    return Error::Invalid(prefix + ": context " + Quoted(context_name) +
                          " not found; contexts: " + Join(kc.context_names));
  }
  ClusterConfig config;
  config.source = prefix + " (context " + context_name + ")";
  try {
    const YAML::Node& ctx = ctx_it->second.body;
    const std::string cluster_name = Str(ctx, "cluster");
    const std::string user_name = Str(ctx, "user");
    const std::string ns = Str(ctx, "namespace");
    if (!ns.empty()) {
      config.ns = ns;
    }
    const std::string ctx_where = prefix + ": context " + Quoted(context_name);
    if (cluster_name.empty()) {
      return Error::Invalid(ctx_where + " names no cluster");
    }
    const auto cluster_it = kc.clusters.find(cluster_name);
    if (cluster_it == kc.clusters.end()) {
      std::vector<std::string> names;
      for (const auto& [name, unused] : kc.clusters) {
        names.push_back(name);
      }
      return Error::Invalid(ctx_where + " refers to cluster " + Quoted(cluster_name) +
                            ", which is not defined; clusters: " + Join(names));
    }

    // The cluster: server and how to trust it.
    const Entry& cluster = cluster_it->second;
    const std::string cluster_where = prefix + ": cluster " + Quoted(cluster_name);
    TENANTDB_TRY(config.server, NormaliseServer(Str(cluster.body, "server"), cluster_where));
    config.insecure_skip_tls_verify = Bool(cluster.body, "insecure-skip-tls-verify");
    TENANTDB_TRY(config.ca_pem, PemFromDataOrFile(cluster, "certificate-authority-data",
                                                  "certificate-authority", cluster_where));
    if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
      return Error::Invalid(cluster_where +
                            ": both a certificate authority and insecure-skip-tls-verify are set; "
                            "remove one of them");
    }

    // The user: client certificate and/or bearer token.
    if (user_name.empty()) {
      return config;  // anonymous
    }
    const auto user_it = kc.users.find(user_name);
    if (user_it == kc.users.end()) {
      std::vector<std::string> names;
      for (const auto& [name, unused] : kc.users) {
        names.push_back(name);
      }
      return Error::Invalid(ctx_where + " refers to user " + Quoted(user_name) +
                            ", which is not defined; users: " + Join(names));
    }
    const Entry& user = user_it->second;
    const std::string user_where = prefix + ": user " + Quoted(user_name);
    for (const char* unsupported : {"exec", "auth-provider"}) {
      if (user.body[unsupported] && !user.body[unsupported].IsNull()) {
        return Error::Invalid(user_where + ": " + unsupported +
                              " credentials are not supported; use a token, tokenFile or a "
                              "client certificate");
      }
    }
    if (!Str(user.body, "username").empty() || !Str(user.body, "password").empty()) {
      return Error::Invalid(user_where +
                            ": basic authentication (username/password) is not supported; use a "
                            "token, tokenFile or a client certificate");
    }
    TENANTDB_TRY(config.client_cert_pem, PemFromDataOrFile(user, "client-certificate-data",
                                                           "client-certificate", user_where));
    TENANTDB_TRY(config.client_key_pem,
                 PemFromDataOrFile(user, "client-key-data", "client-key", user_where));
    if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
      return Error::Invalid(user_where + ": " +
                            (config.client_cert_pem.empty() ? "client-key is set but no "
                                                              "client-certificate"
                                                            : "client-certificate is set but no "
                                                              "client-key"));
    }
    const std::string token = Trim(Str(user.body, "token"));
    const std::string token_file = Str(user.body, "tokenFile");
    if (!token_file.empty()) {
      // client-go: the file's last successfully read value takes precedence over `token`.
      const fs::path path = ResolvePath(user.base_dir, token_file);
      if (token.empty()) {
        auto first = ReadToken(path);
        if (!first) {
          return Error::Invalid(user_where + ": tokenFile " + first.error().message);
        }
      }
      config.token_source =
          MakeTokenSource(std::make_shared<FileTokenSource>(path, kTokenRefreshPeriod, token));
    } else if (!token.empty()) {
      config.token_source = StaticTokenSource(token);
    }
  } catch (const YAML::Exception& e) {
    return Error::Invalid(prefix + ": invalid: " + e.what());
  }
  return config;
}

fs::path BaseDirOf(const fs::path& file) {
  std::error_code ec;
  const fs::path abs = fs::absolute(file, ec);
  return ec ? file.parent_path() : abs.parent_path();
}

}  // namespace

// --- tokens ---------------------------------------------------------------------------------

TokenSource StaticTokenSource(std::string token) {
  return [token = std::move(token)]() -> Expected<std::string> { return token; };
}

FileTokenSource::FileTokenSource(std::filesystem::path path, std::chrono::seconds refresh,
                                 std::string fallback, Clock clock)
    : path_(std::move(path)),
      refresh_(refresh),
      fallback_(std::move(fallback)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

Expected<std::string> FileTokenSource::Token() {
  std::lock_guard lock(mu_);
  const auto now = clock_();
  if (have_token_ && now - read_at_ < refresh_) {
    return token_;
  }
  auto read = ReadToken(path_);
  if (read) {
    token_ = std::move(read).value();
    have_token_ = true;
    read_at_ = now;
    return token_;
  }
  if (have_token_) {
    read_at_ = now;  // keep the last good token; try again after another period
    return token_;
  }
  if (!fallback_.empty()) {
    return fallback_;
  }
  return Error::Invalid("bearer token file " + read.error().message);
}

TokenSource MakeTokenSource(std::shared_ptr<FileTokenSource> source) {
  return [source = std::move(source)]() { return source->Token(); };
}

// --- base64 ---------------------------------------------------------------------------------

Expected<std::string> DecodeBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<int, 256> value{};
  value.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    value[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned int acc = 0;
  int bits = 0;
  std::size_t symbols = 0;
  std::size_t padding = 0;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    }
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) {
      return Error::Invalid("data after '=' padding");
    }
    const int v = value[static_cast<unsigned char>(c)];
    if (v < 0) {
      return Error::Invalid(std::string("invalid character '") + c + "'");
    }
    ++symbols;
    acc = (acc << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (symbols % 4 == 1 || padding > 2 || (padding > 0 && (symbols + padding) % 4 != 0)) {
    return Error::Invalid("truncated input");
  }
  return out;
}

// --- kubeconfig -----------------------------------------------------------------------------

Expected<ClusterConfig> ParseKubeconfig(std::string_view yaml,
                                        const std::filesystem::path& base_dir,
                                        std::string_view name, const std::string& context) {
  MergedKubeconfig merged;
  merged.name = std::string(name);
  TENANTDB_TRY_VOID(MergeFile(yaml, base_dir, name, merged));
  return ResolveContext(merged, context);
}

Expected<ClusterConfig> LoadKubeconfig(const std::filesystem::path& path,
                                       const std::string& context) {
  auto text = ReadFile(path);
  if (!text) {
    return Error::Invalid("kubeconfig " + text.error().message);
  }
  return ParseKubeconfig(*text, BaseDirOf(path), path.string(), context);
}

Expected<ClusterConfig> LoadKubeconfigFiles(const std::vector<std::filesystem::path>& paths,
                                            const std::string& context) {
  MergedKubeconfig merged;
  std::vector<std::string> all;
  int found = 0;
  for (const auto& path : paths) {
    all.push_back(path.string());
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      continue;
    }
    ++found;
    auto text = ReadFile(path);
    if (!text) {
      return Error::Invalid("kubeconfig " + text.error().message);
    }
    TENANTDB_TRY_VOID(MergeFile(*text, BaseDirOf(path), path.string(), merged));
  }
  std::string joined;
  for (const auto& p : all) {
    joined += (joined.empty() ? "" : ":") + p;
  }
  if (found == 0) {
    return Error::Invalid("kubeconfig " + joined + ": no such file");
  }
  merged.name = joined;
  return ResolveContext(merged, context);
}

// --- in-cluster -----------------------------------------------------------------------------

Expected<ClusterConfig> LoadInCluster(const InClusterSettings& settings) {
  const std::string where = "in-cluster configuration";
  if (settings.service_host.empty() || settings.service_port.empty()) {
    return Error::Invalid(where +
                          ": KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
                          "(is this running in a pod?)");
  }
  ClusterConfig config;
  const bool ipv6 = settings.service_host.find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + settings.service_host + "]" : settings.service_host) +
                  ":" + settings.service_port;
  const fs::path dir = settings.service_account_dir;
  const fs::path token_path = dir / "token";
  auto token = ReadToken(token_path);
  if (!token) {
    return Error::Invalid(where + ": service-account token " + token.error().message +
                          " (is automountServiceAccountToken disabled?)");
  }
  auto ca = ReadFile(dir / "ca.crt");
  if (!ca) {
    return Error::Invalid(where + ": service-account CA " + ca.error().message);
  }
  if (!LooksLikePem(*ca)) {
    return Error::Invalid(where + ": " + (dir / "ca.crt").string() + " does not contain PEM text");
  }
  config.ca_pem = std::move(ca).value();
  auto ns = ReadFile(dir / "namespace");
  if (ns && !Trim(*ns).empty()) {
    config.ns = Trim(*ns);
  }
  config.token_source =
      MakeTokenSource(std::make_shared<FileTokenSource>(token_path, settings.token_refresh));
  config.source = "in-cluster service account (" + dir.string() + ")";
  return config;
}

// --- loading order --------------------------------------------------------------------------

ConfigLocations ConfigLocations::FromEnvironment(std::string kubeconfig_flag, std::string context) {
  const auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? "" : v;
  };
  ConfigLocations where;
  where.kubeconfig_flag = std::move(kubeconfig_flag);
  where.context = std::move(context);
  where.kubeconfig_env = env("KUBECONFIG");
  where.in_cluster.service_host = env("KUBERNETES_SERVICE_HOST");
  where.in_cluster.service_port = env("KUBERNETES_SERVICE_PORT");
  where.home = env("HOME");
  return where;
}

Expected<ClusterConfig> LoadClusterConfig(const ConfigLocations& where) {
  if (!where.kubeconfig_flag.empty()) {
    return LoadKubeconfig(where.kubeconfig_flag, where.context);
  }
  if (!where.kubeconfig_env.empty()) {
    std::vector<fs::path> paths;
    std::string_view rest = where.kubeconfig_env;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string_view item = rest.substr(0, colon);
      if (!item.empty()) {
        paths.emplace_back(item);
      }
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
    if (!paths.empty()) {
      return LoadKubeconfigFiles(paths, where.context);
    }
  }
  std::string in_cluster_error;
  if (!where.in_cluster.service_host.empty() && !where.in_cluster.service_port.empty()) {
    auto config = LoadInCluster(where.in_cluster);
    if (config) {
      return config;
    }
    in_cluster_error = "; " + config.error().message;
  }
  if (!where.home.empty()) {
    const fs::path home_config = fs::path(where.home) / ".kube" / "config";
    std::error_code ec;
    if (fs::exists(home_config, ec)) {
      return LoadKubeconfig(home_config, where.context);
    }
  }
  return Error::Invalid(
      "no Kubernetes configuration found: pass --kubeconfig, set $KUBECONFIG, run in a pod with a "
      "service account, or create ~/.kube/config" +
      in_cluster_error);
}

}  // namespace tenantdb::kube
