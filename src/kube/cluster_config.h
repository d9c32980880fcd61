#pragma once

// Where the Kubernetes API server is and how to authenticate to it: kubeconfig files (as kubectl
// reads them) and the in-cluster service account. Pure data plus file reading; no network.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace tenantdb::kube {

// Returns the bearer token to send with the next request ("" for none). Called before every
// request, from any thread; implementations must be thread-safe and cheap.
using TokenSource = std::function<Expected<std::string>()>;

// A token that never changes (kubeconfig `token`).
TokenSource StaticTokenSource(std::string token);

// A token read from a file and re-read at most every `refresh` (kubeconfig `tokenFile`, the
// in-cluster service-account token, which the kubelet rotates). When a re-read fails the last
// token read is kept; when no read ever succeeded, `fallback` (may be "") is used if set, else
// the read error is returned.
class FileTokenSource {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  FileTokenSource(std::filesystem::path path, std::chrono::seconds refresh,
                  std::string fallback = "", Clock clock = {});

  Expected<std::string> Token();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::chrono::seconds refresh_;
  std::string fallback_;
  Clock clock_;
  std::mutex mu_;
  bool have_token_ = false;
  std::string token_;
  std::chrono::steady_clock::time_point read_at_;
};

TokenSource MakeTokenSource(std::shared_ptr<FileTokenSource> source);

struct ClusterConfig {
  std::string server;           // https://host:port[/prefix], no trailing slash
  std::string ca_pem;           // "" => the system's trust store
  std::string client_cert_pem;  // client certificate (chain), PEM; "" for none
  std::string client_key_pem;   // its private key, PEM
  TokenSource token_source;     // empty => no Authorization header
  bool insecure_skip_tls_verify = false;
  std::string ns = "default";  // the context's namespace, or the pod's in-cluster
  // Where this came from, for logs and error messages: "kubeconfig /x (context foo)",
  // "in-cluster service account". Never contains credentials.
  std::string source;
};

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";
inline constexpr std::chrono::seconds kTokenRefreshPeriod{60};

// Reads one kubeconfig file. `context` "" means current-context. Relative file paths in it are
// resolved against the file's directory.
Expected<ClusterConfig> LoadKubeconfig(const std::filesystem::path& path,
                                       const std::string& context = "");

// Reads several kubeconfig files merged as kubectl merges $KUBECONFIG: for every named cluster,
// user and context, and for current-context, the first file that defines it wins. Files that do
// not exist are skipped; an error if none exists.
Expected<ClusterConfig> LoadKubeconfigFiles(const std::vector<std::filesystem::path>& paths,
                                            const std::string& context = "");

// Parses kubeconfig text. `base_dir` resolves relative paths; `name` names the file in errors.
Expected<ClusterConfig> ParseKubeconfig(std::string_view yaml,
                                        const std::filesystem::path& base_dir,
                                        std::string_view name, const std::string& context = "");

struct InClusterSettings {
  std::string service_host;  // $KUBERNETES_SERVICE_HOST
  std::string service_port;  // $KUBERNETES_SERVICE_PORT
  std::filesystem::path service_account_dir{kServiceAccountDir};
  std::chrono::seconds token_refresh = kTokenRefreshPeriod;
};

// The pod's service account: token (re-read every `token_refresh`), ca.crt and namespace.
Expected<ClusterConfig> LoadInCluster(const InClusterSettings& settings);

// Everything LoadClusterConfig looks at; FromEnvironment() fills it from the process.
struct ConfigLocations {
  std::string kubeconfig_flag;  // --kubeconfig
  std::string context;          // --context (kubeconfig files only)
  std::string kubeconfig_env;   // $KUBECONFIG, a ':'-separated list
  InClusterSettings in_cluster;
  std::string home;  // $HOME, for ~/.kube/config

  static ConfigLocations FromEnvironment(std::string kubeconfig_flag, std::string context);
};

// The loading order of `tenantdb run`: --kubeconfig, else $KUBECONFIG, else in-cluster (when
// KUBERNETES_SERVICE_HOST/PORT are set and it loads), else ~/.kube/config.
Expected<ClusterConfig> LoadClusterConfig(const ConfigLocations& where);

// Strict base64 (RFC 4648, standard alphabet, padding optional, whitespace ignored).
Expected<std::string> DecodeBase64(std::string_view text);

}  // namespace tenantdb::kube
