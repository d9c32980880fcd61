#include "kube/cluster_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace tenantdb::kube {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCaPem =
    "-----BEGIN CERTIFICATE-----\nQ0EgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
constexpr std::string_view kCertPem =
    "-----BEGIN CERTIFICATE-----\nY2xpZW50IGNlcnQ=\n-----END CERTIFICATE-----\n";
constexpr std::string_view kKeyPem =
    "-----BEGIN PRIVATE KEY-----\nY2xpZW50IGtleQ==\n-----END PRIVATE KEY-----\n";

std::string Base64(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int acc = 0;
  int bits = 0;
  for (const char c : in) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) {
    out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  }
  while (out.size() % 4 != 0) {
    out.push_back('=');
  }
  return out;
}

std::string TokenOf(const ClusterConfig& config) {
  if (!config.token_source) {
    return "<no token source>";
  }
  auto token = config.token_source();
  return token ? *token : "<error: " + token.error().message + ">";
}

class ClusterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tenantdb-kubeconfig-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path Write(const fs::path& relative, std::string_view text) {
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // A kubeconfig with one cluster "c" (server https://k.example:6443), `cluster_extra` and
  // `user_extra` (YAML lines, 4-space indented) and contexts a (current) and b.
  static std::string Kubeconfig(std::string_view cluster_extra, std::string_view user_extra,
                                std::string_view current = "a") {
    std::string yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n";
    yaml += "    server: https://k.example:6443\n";
    yaml += cluster_extra;
    yaml += "users:\n- name: u\n  user:\n";
    yaml += user_extra.empty() ? "    {}\n" : std::string(user_extra);
    yaml +=
        "contexts:\n"
        "- name: a\n  context: {cluster: c, user: u, namespace: team-a}\n"
        "- name: b\n  context: {cluster: c, user: u}\n";
    if (!current.empty()) {
      yaml += "current-context: " + std::string(current) + "\n";
    }
    return yaml;
  }

  fs::path dir_;
};

TEST_F(ClusterConfigTest, TokenAndCurrentContext) {
  const fs::path path = Write("config", Kubeconfig("", "    token: s3cr3t\n"));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server, "https://k.example:6443");
  EXPECT_EQ(config->ns, "team-a");
  EXPECT_EQ(TokenOf(*config), "s3cr3t");
  EXPECT_TRUE(config->ca_pem.empty());
  EXPECT_TRUE(config->client_cert_pem.empty());
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->source, "kubeconfig " + path.string() + " (context a)");
  EXPECT_EQ(config->source.find("s3cr3t"), std::string::npos);
}

TEST_F(ClusterConfigTest, ExplicitContextOverridesCurrentAndDefaultsNamespace) {
  const fs::path path = Write("config", Kubeconfig("", "    token: t\n"));
  auto config = LoadKubeconfig(path, "b");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->ns, "default");
  EXPECT_EQ(config->source, "kubeconfig " + path.string() + " (context b)");
}

TEST_F(ClusterConfigTest, MissingContextSaysWhichExist) {
  const fs::path path = Write("config", Kubeconfig("", "    token: t\n"));
  auto config = LoadKubeconfig(path, "foo");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(config.error().message,
            "kubeconfig " + path.string() + ": context \"foo\" not found; contexts: a, b");
}

TEST_F(ClusterConfigTest, NoCurrentContextAndNoneGiven) {
  const fs::path path = Write("config", Kubeconfig("", "    token: t\n", ""));
  auto config = LoadKubeconfig(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message, "kubeconfig " + path.string() +
                                        ": no current-context is set and no context was given; "
                                        "contexts: a, b");
}

TEST_F(ClusterConfigTest, UndefinedClusterOrUser) {
  const std::string yaml =
      "clusters: [{name: c, cluster: {server: https://x}}]\n"
      "users: [{name: u, user: {token: t}}]\n"
      "contexts:\n"
      "- {name: nocluster, context: {cluster: zz, user: u}}\n"
      "- {name: nouser, context: {cluster: c, user: yy}}\n";
  const fs::path path = Write("config", yaml);
  auto a = LoadKubeconfig(path, "nocluster");
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().message, "kubeconfig " + path.string() +
                                   ": context \"nocluster\" refers to cluster \"zz\", which is not "
                                   "defined; clusters: c");
  auto b = LoadKubeconfig(path, "nouser");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().message, "kubeconfig " + path.string() +
                                   ": context \"nouser\" refers to user \"yy\", which is not "
                                   "defined; users: u");
}

TEST_F(ClusterConfigTest, MissingFileAndInvalidYaml) {
  auto missing = LoadKubeconfig(dir_ / "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalid);
  EXPECT_NE(missing.error().message.find((dir_ / "nope").string()), std::string::npos);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);

  auto bad = LoadKubeconfig(Write("bad", "clusters: [unclosed\n"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_NE(bad.error().message.find("invalid"), std::string::npos);

  auto list = LoadKubeconfig(Write("list", "- a\n- b\n"));
  ASSERT_FALSE(list.has_value());
  EXPECT_NE(list.error().message.find("not a YAML map"), std::string::npos);
}

TEST_F(ClusterConfigTest, CertificateAuthorityData) {
  const fs::path path = Write(
      "config",
      Kubeconfig("    certificate-authority-data: " + Base64(kCaPem) + "\n", "    token: t\n"));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->ca_pem, kCaPem);
}

TEST_F(ClusterConfigTest, CertificateAuthorityFileRelativeToKubeconfig) {
  Write("sub/certs/ca.crt", kCaPem);
  const fs::path path =
      Write("sub/config", Kubeconfig("    certificate-authority: certs/ca.crt\n", ""));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_FALSE(config->token_source);
}

TEST_F(ClusterConfigTest, CertificateAuthorityAbsoluteFile) {
  const fs::path ca = Write("elsewhere/ca.pem", kCaPem);
  const fs::path path =
      Write("sub/config", Kubeconfig("    certificate-authority: " + ca.string() + "\n", ""));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->ca_pem, kCaPem);
}

TEST_F(ClusterConfigTest, CertificateAuthorityDataWinsOverFile) {
  const std::string other = "-----BEGIN CERTIFICATE-----\nb3RoZXI=\n-----END CERTIFICATE-----\n";
  const fs::path path = Write("config", Kubeconfig("    certificate-authority: missing.crt\n"
                                                   "    certificate-authority-data: " +
                                                       Base64(other) + "\n",
                                                   ""));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->ca_pem, other);
}

TEST_F(ClusterConfigTest, MissingCertificateAuthorityFileNamesIt) {
  const fs::path path = Write("config", Kubeconfig("    certificate-authority: ca.crt\n", ""));
  auto config = LoadKubeconfig(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(config.error().message.starts_with("kubeconfig " + path.string() +
                                                 ": cluster \"c\": certificate-authority " +
                                                 (dir_ / "ca.crt").string() + ": cannot read"))
      << config.error().message;
}

TEST_F(ClusterConfigTest, InvalidBase64AndNonPemData) {
  auto bad = LoadKubeconfig(
      Write("config", Kubeconfig("    certificate-authority-data: '!!notbase64'\n", "")));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("certificate-authority-data is not valid base64"),
            std::string::npos)
      << bad.error().message;
  auto not_pem = LoadKubeconfig(Write(
      "config2", Kubeconfig("    certificate-authority-data: " + Base64("hello") + "\n", "")));
  ASSERT_FALSE(not_pem.has_value());
  EXPECT_NE(not_pem.error().message.find("does not decode to PEM"), std::string::npos);
}

TEST_F(ClusterConfigTest, ClientCertificateFiles) {
  Write("pki/admin.crt", kCertPem);
  Write("pki/admin.key", kKeyPem);
  const fs::path path = Write("config", Kubeconfig("",
                                                   "    client-certificate: pki/admin.crt\n"
                                                   "    client-key: pki/admin.key\n"));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
  EXPECT_FALSE(config->token_source);
}

TEST_F(ClusterConfigTest, ClientCertificateData) {
  const fs::path path =
      Write("config", Kubeconfig("", "    client-certificate-data: " + Base64(kCertPem) +
                                         "\n    client-key-data: " + Base64(kKeyPem) + "\n"));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
}

TEST_F(ClusterConfigTest, ClientCertificateWithoutKey) {
  const fs::path path =
      Write("config", Kubeconfig("", "    client-certificate-data: " + Base64(kCertPem) + "\n"));
  auto config = LoadKubeconfig(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(
      config.error().message,
      "kubeconfig " + path.string() + ": user \"u\": client-certificate is set but no client-key");
}

TEST_F(ClusterConfigTest, TokenFileRelativeToKubeconfig) {
  Write("tokens/t", "first\n");
  const fs::path path = Write("config", Kubeconfig("", "    tokenFile: tokens/t\n"));
  auto config = LoadKubeconfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(TokenOf(*config), "first");
}

TEST_F(ClusterConfigTest, TokenFileMissing) {
  const fs::path path = Write("config", Kubeconfig("", "    tokenFile: nope\n"));
  auto config = LoadKubeconfig(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(config.error().message.starts_with("kubeconfig " + path.string() +
                                                 ": user \"u\": tokenFile " +
                                                 (dir_ / "nope").string() + ": cannot read"))
      << config.error().message;
}

TEST_F(ClusterConfigTest, TokenFileWinsOverTokenWhichIsTheFallback) {
  Write("t", "from-file");
  auto both =
      LoadKubeconfig(Write("config", Kubeconfig("", "    token: inline\n    tokenFile: t\n")));
  ASSERT_TRUE(both.has_value()) << both.error().message;
  EXPECT_EQ(TokenOf(*both), "from-file");
  auto fallback =
      LoadKubeconfig(Write("config2", Kubeconfig("", "    token: inline\n    tokenFile: gone\n")));
  ASSERT_TRUE(fallback.has_value()) << fallback.error().message;
  EXPECT_EQ(TokenOf(*fallback), "inline");
}

TEST_F(ClusterConfigTest, InsecureSkipTlsVerify) {
  auto config = LoadKubeconfig(
      Write("config", Kubeconfig("    insecure-skip-tls-verify: true\n", "    token: t\n")));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_TRUE(config->ca_pem.empty());
}

TEST_F(ClusterConfigTest, InsecureWithCertificateAuthorityIsRejected) {
  auto config = LoadKubeconfig(Write("config", Kubeconfig("    insecure-skip-tls-verify: true\n"
                                                          "    certificate-authority-data: " +
                                                              Base64(kCaPem) + "\n",
                                                          "")));
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("both a certificate authority and "
                                        "insecure-skip-tls-verify are set"),
            std::string::npos);
}

TEST_F(ClusterConfigTest, ServerNormalisation) {
  const std::string yaml =
      "clusters:\n"
      "- {name: bare, cluster: {server: 10.0.0.1:6443}}\n"
      "- {name: slash, cluster: {server: 'https://k.example/prefix/'}}\n"
      "- {name: ftp, cluster: {server: 'ftp://k.example'}}\n"
      "- {name: none, cluster: {}}\n"
      "contexts:\n"
      "- {name: bare, context: {cluster: bare}}\n"
      "- {name: slash, context: {cluster: slash}}\n"
      "- {name: ftp, context: {cluster: ftp}}\n"
      "- {name: none, context: {cluster: none}}\n";
  const fs::path path = Write("config", yaml);
  auto bare = LoadKubeconfig(path, "bare");
  ASSERT_TRUE(bare.has_value()) << bare.error().message;
  EXPECT_EQ(bare->server, "https://10.0.0.1:6443");
  EXPECT_FALSE(bare->token_source);  // a context without a user: anonymous
  auto slash = LoadKubeconfig(path, "slash");
  ASSERT_TRUE(slash.has_value()) << slash.error().message;
  EXPECT_EQ(slash->server, "https://k.example/prefix");
  EXPECT_FALSE(LoadKubeconfig(path, "ftp").has_value());
  auto none = LoadKubeconfig(path, "none");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().message,
            "kubeconfig " + path.string() + ": cluster \"none\" has no server");
}

TEST_F(ClusterConfigTest, UnsupportedCredentials) {
  auto exec = LoadKubeconfig(
      Write("exec", Kubeconfig("", "    exec:\n      command: aws\n      args: [eks]\n")));
  ASSERT_FALSE(exec.has_value());
  EXPECT_NE(exec.error().message.find("exec credentials are not supported"), std::string::npos);
  auto basic =
      LoadKubeconfig(Write("basic", Kubeconfig("", "    username: a\n    password: hunter2\n")));
  ASSERT_FALSE(basic.has_value());
  EXPECT_NE(basic.error().message.find("basic authentication"), std::string::npos);
  EXPECT_EQ(basic.error().message.find("hunter2"),
            std::string::npos);  // no password in the message
}

TEST_F(ClusterConfigTest, MergedFilesFirstDefinitionWins) {
  const fs::path first = Write("one",
                               "clusters: [{name: c, cluster: {server: https://one}}]\n"
                               "users: [{name: u, user: {token: one}}]\n"
                               "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
  const fs::path second = Write("two",
                                "clusters: [{name: c, cluster: {server: https://two}}, "
                                "{name: d, cluster: {server: https://dee}}]\n"
                                "users: [{name: u, user: {token: two}}]\n"
                                "contexts: [{name: y, context: {cluster: d, user: u}}]\n"
                                "current-context: y\n");
  auto merged = LoadKubeconfigFiles({first, dir_ / "missing", second});
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  EXPECT_EQ(merged->server, "https://dee");  // current-context y from the second file
  EXPECT_EQ(TokenOf(*merged), "one");        // user u from the first
  auto x = LoadKubeconfigFiles({first, second}, "x");
  ASSERT_TRUE(x.has_value()) << x.error().message;
  EXPECT_EQ(x->server, "https://one");
  auto none = LoadKubeconfigFiles({dir_ / "a", dir_ / "b"});
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message.find("no such file"), std::string::npos);
}

TEST_F(ClusterConfigTest, FileTokenSourceReReadsAtMostEveryPeriod) {
  const fs::path token = Write("token", "v1\n");
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  FileTokenSource source(token, std::chrono::seconds(60), "", [&now] { return now; });
  ASSERT_TRUE(source.Token().has_value());
  EXPECT_EQ(*source.Token(), "v1");
  Write("token", "v2\n");
  now += std::chrono::seconds(59);
  EXPECT_EQ(*source.Token(), "v1");
  now += std::chrono::seconds(1);
  EXPECT_EQ(*source.Token(), "v2");
  // A failed re-read keeps the last good token.
  fs::remove(token);
  now += std::chrono::seconds(61);
  EXPECT_EQ(*source.Token(), "v2");
}

TEST_F(ClusterConfigTest, FileTokenSourceWithoutAnyToken) {
  FileTokenSource source(dir_ / "none", std::chrono::seconds(60));
  auto token = source.Token();
  ASSERT_FALSE(token.has_value());
  EXPECT_NE(token.error().message.find((dir_ / "none").string()), std::string::npos);
  Write("empty", "\n");
  FileTokenSource empty(dir_ / "empty", std::chrono::seconds(60));
  ASSERT_FALSE(empty.Token().has_value());
}

TEST_F(ClusterConfigTest, InCluster) {
  Write("sa/token", "pod-token\n");
  Write("sa/ca.crt", kCaPem);
  Write("sa/namespace", "tenantdb-system");
  InClusterSettings settings{"10.96.0.1", "443", dir_ / "sa", std::chrono::seconds(0)};
  auto config = LoadInCluster(settings);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->ns, "tenantdb-system");
  EXPECT_EQ(TokenOf(*config), "pod-token");
  Write("sa/token", "rotated\n");  // the kubelet rotates the projected token
  EXPECT_EQ(TokenOf(*config), "rotated");

  settings.service_host = "fd00::1";
  auto v6 = LoadInCluster(settings);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->server, "https://[fd00::1]:443");
}

TEST_F(ClusterConfigTest, InClusterErrors) {
  auto no_env = LoadInCluster(InClusterSettings{"", "", dir_, std::chrono::seconds(60)});
  ASSERT_FALSE(no_env.has_value());
  EXPECT_NE(no_env.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);
  auto no_token = LoadInCluster(InClusterSettings{"h", "1", dir_ / "sa", std::chrono::seconds(60)});
  ASSERT_FALSE(no_token.has_value());
  EXPECT_NE(no_token.error().message.find((dir_ / "sa" / "token").string()), std::string::npos);
  Write("sa/token", "t");
  auto no_ca = LoadInCluster(InClusterSettings{"h", "1", dir_ / "sa", std::chrono::seconds(60)});
  ASSERT_FALSE(no_ca.has_value());
  EXPECT_NE(no_ca.error().message.find("ca.crt"), std::string::npos);
  Write("sa/ca.crt", kCaPem);
  auto no_ns = LoadInCluster(InClusterSettings{"h", "1", dir_ / "sa", std::chrono::seconds(60)});
  ASSERT_TRUE(no_ns.has_value());
  EXPECT_EQ(no_ns->ns, "default");
}

TEST_F(ClusterConfigTest, LoadingOrder) {
  const auto config_with_server = [this](const std::string& name, const std::string& server) {
    return Write(name, "clusters: [{name: c, cluster: {server: " + server +
                           "}}]\ncontexts: [{name: x, context: {cluster: c}}]\n"
                           "current-context: x\n");
  };
  const fs::path flag = config_with_server("flag", "https://flag");
  const fs::path env = config_with_server("env", "https://env");
  config_with_server("home/.kube/config", "https://home");
  Write("sa/token", "t");
  Write("sa/ca.crt", kCaPem);

  ConfigLocations where;
  where.kubeconfig_flag = flag.string();
  where.kubeconfig_env = env.string();
  where.in_cluster = InClusterSettings{"10.0.0.1", "443", dir_ / "sa", std::chrono::seconds(60)};
  where.home = (dir_ / "home").string();
  const auto server = [](const ConfigLocations& w) {
    auto c = LoadClusterConfig(w);
    return c ? c->server : "error: " + c.error().message;
  };
  EXPECT_EQ(server(where), "https://flag");
  where.kubeconfig_flag.clear();
  EXPECT_EQ(server(where), "https://env");
  where.kubeconfig_env = (dir_ / "missing").string() + ":" + env.string();
  EXPECT_EQ(server(where), "https://env");
  where.kubeconfig_env.clear();
  EXPECT_EQ(server(where), "https://10.0.0.1:443");
  where.in_cluster.service_account_dir = dir_ / "no-sa";  // in-cluster fails: fall through
  EXPECT_EQ(server(where), "https://home");
  where.in_cluster.service_host.clear();
  EXPECT_EQ(server(where), "https://home");
  where.home = (dir_ / "nohome").string();
  where.in_cluster.service_host = "10.0.0.1";
  const std::string none = server(where);
  EXPECT_NE(none.find("no Kubernetes configuration found"), std::string::npos) << none;
  EXPECT_NE(none.find("service-account token"), std::string::npos) << none;
}

TEST_F(ClusterConfigTest, ExplicitFlagMustExist) {
  ConfigLocations where;
  where.kubeconfig_flag = (dir_ / "missing").string();
  where.home = dir_.string();
  auto config = LoadClusterConfig(where);
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find((dir_ / "missing").string()), std::string::npos);
}

TEST(DecodeBase64Test, Table) {
  const struct {
    std::string_view in;
    std::string_view out;
  } ok[] = {{"", ""},
            {"Zg==", "f"},
            {"Zm8=", "fo"},
            {"Zm9v", "foo"},
            {"Zm9vYg", "foob"},
            {"Zm9vYmE=", "fooba"},
            {"Zm9v\nYmFy\n", "foobar"},
            {" Zg = = ", "f"}};
  for (const auto& c : ok) {
    auto decoded = DecodeBase64(c.in);
    ASSERT_TRUE(decoded.has_value()) << c.in << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, c.out) << c.in;
  }
  for (const std::string_view bad : {"Z", "Zg=a", "Zg===", "Zm9v!", "Zm9vY==="}) {
    EXPECT_FALSE(DecodeBase64(bad).has_value()) << bad;
  }
  // Binary data survives.
  auto binary = DecodeBase64("AP8QgA==");
  ASSERT_TRUE(binary.has_value());
  EXPECT_EQ(*binary, std::string("\x00\xff\x10\x80", 4));
}

}  // namespace
}  // namespace tenantdb::kube
