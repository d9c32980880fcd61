#include "controllers/role/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tenantdb::controllers::role {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kHostile[] = "p@ss:/?#%&+ \"'w\xC3\xB6rd";  // p@ss:/?#%&+ "'wörd
constexpr char kHostileEncoded[] = "p%40ss%3A%2F%3F%23%25%26%2B%20%22%27w%C3%B6rd";

ConnectionValues Values(std::string password = kHostile) {
  return {.username = "shop_app",
          .password = std::move(password),
          .host = "pg.db.svc",
          .port = 5432,
          .dbname = "shop",
          .sslmode = "require"};
}

TEST(PercentEncodeTest, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode(kHostile), kHostileEncoded);
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PgpassEscapeTest, EscapesColonAndBackslash) {
  EXPECT_EQ(PgpassEscape(R"(a:b\c)"), R"(a\:b\\c)");
}

TEST(StandardCredentialsTest, HasEveryClientsKeys) {
  const auto data = StandardCredentials(Values());
  std::vector<std::string> keys;
  for (const auto& [k, v] : data) {
    keys.push_back(k);
  }
  EXPECT_THAT(
      keys, ElementsAre("DATABASE_URL", "PGDATABASE", "PGHOST", "PGPASSWORD", "PGPORT", "PGSSLMODE",
                        "PGUSER", "SPRING_DATASOURCE_PASSWORD", "SPRING_DATASOURCE_URL",
                        "SPRING_DATASOURCE_USERNAME", "dbname", "host", "jdbc-uri", "password",
                        "pgpass", "port", "sslmode", "uri", "username"));
}

struct KeyCase {
  std::string key;
  std::string value;
};

class CredentialKeyTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(CredentialKeyTest, ValueWithAHostilePassword) {
  const auto data = StandardCredentials(Values());
  EXPECT_EQ(data.at(GetParam().key), GetParam().value);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, CredentialKeyTest,
    ::testing::Values(
        KeyCase{"username", "shop_app"}, KeyCase{"password", kHostile},
        KeyCase{"host", "pg.db.svc"}, KeyCase{"port", "5432"}, KeyCase{"dbname", "shop"},
        KeyCase{"sslmode", "require"},
        KeyCase{"uri", std::string("postgresql://shop_app:") + kHostileEncoded +
                           "@pg.db.svc:5432/shop?sslmode=require"},
        KeyCase{"DATABASE_URL", std::string("postgresql://shop_app:") + kHostileEncoded +
                                    "@pg.db.svc:5432/shop?sslmode=require"},
        KeyCase{"jdbc-uri", std::string("jdbc:postgresql://pg.db.svc:5432/shop?user=shop_app"
                                        "&password=") +
                                kHostileEncoded + "&sslmode=require"},
        KeyCase{"pgpass", "pg.db.svc:5432:shop:shop_app:p@ss\\:/?#%&+ \"'w\xC3\xB6rd"},
        KeyCase{"PGHOST", "pg.db.svc"}, KeyCase{"PGPORT", "5432"}, KeyCase{"PGUSER", "shop_app"},
        KeyCase{"PGPASSWORD", kHostile}, KeyCase{"PGDATABASE", "shop"},
        KeyCase{"PGSSLMODE", "require"},
        KeyCase{"SPRING_DATASOURCE_URL", "jdbc:postgresql://pg.db.svc:5432/shop?sslmode=require"},
        KeyCase{"SPRING_DATASOURCE_USERNAME", "shop_app"},
        KeyCase{"SPRING_DATASOURCE_PASSWORD", kHostile}),
    [](const auto& info) {
      std::string name;
      for (const char c : info.param.key) {
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      }
      return name;
    });

TEST(StandardCredentialsTest, Ipv6HostGoesInBracketsInUrls) {
  auto v = Values("pw");
  v.host = "fd00::1";
  const auto data = StandardCredentials(v);
  EXPECT_EQ(data.at("uri"), "postgresql://shop_app:pw@[fd00::1]:5432/shop?sslmode=require");
  EXPECT_EQ(data.at("PGHOST"), "fd00::1");
}

TEST(CredentialsDataTest, ExpandsTheTemplate) {
  const auto data = CredentialsData(
      Values("pw"), {{"DSN", "{{ .uri }}&max_conns=20"},
                     {"KC_DB_URL", "jdbc:postgresql://{{.host}}:{{ .port }}/{{ .dbname }}"}});
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->at("DSN"),
            "postgresql://shop_app:pw@pg.db.svc:5432/shop?sslmode=require"
            "&max_conns=20");
  EXPECT_EQ(data->at("KC_DB_URL"), "jdbc:postgresql://pg.db.svc:5432/shop");
}

TEST(CredentialsDataTest, UnknownPlaceholderIsInvalidSpecNamingIt) {
  const auto data = CredentialsData(Values("pw"), {{"X", "{{ .user }}"}});
  ASSERT_FALSE(data.has_value());
  EXPECT_EQ(data.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(data.error().reason, "InvalidSpec");
  EXPECT_NE(data.error().message.find("{{ .user }}"), std::string::npos);
  EXPECT_NE(data.error().message.find("\"X\""), std::string::npos);
}

TEST(CredentialsDataTest, TemplateCannotReplaceAStandardKey) {
  const auto data = CredentialsData(Values("pw"), {{"password", "x"}});
  ASSERT_FALSE(data.has_value());
  EXPECT_EQ(data.error().code, ErrorCode::kInvalid);
}

json RoleObject() {
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "DatabaseRole"},
          {"metadata", {{"name", "app"}, {"namespace", "shop"}, {"uid", "uid-1"}}}};
}

TEST(DesiredCredentialsSecretTest, IsAnOwnedBasicAuthSecret) {
  const json s = DesiredCredentialsSecret(RoleObject(), "app-credentials", {{"password", "pw"}},
                                          {{"tenantdb.io/password-sha256", "h"}});
  EXPECT_EQ(s["type"], "kubernetes.io/basic-auth");
  EXPECT_EQ(s["metadata"]["name"], "app-credentials");
  EXPECT_EQ(s["metadata"]["namespace"], "shop");
  EXPECT_EQ(s["metadata"]["labels"]["app.kubernetes.io/managed-by"], "tenantdb");
  EXPECT_EQ(s["metadata"]["annotations"]["tenantdb.io/password-sha256"], "h");
  EXPECT_EQ(s["data"]["password"], "cHc=");
  const json& ref = s["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["kind"], "DatabaseRole");
  EXPECT_EQ(ref["uid"], "uid-1");
  EXPECT_EQ(ref["controller"], true);
  EXPECT_EQ(ref["blockOwnerDeletion"], true);
  EXPECT_EQ(ClassifySecret(s, "uid-1"), SecretOwnership::kOurs);
  EXPECT_EQ(ClassifySecret(s, "uid-2"), SecretOwnership::kForeign);
  EXPECT_EQ(ClassifySecret(std::nullopt, "uid-1"), SecretOwnership::kAbsent);
  EXPECT_EQ(ClassifySecret(json{{"metadata", {{"name", "x"}}}}, "uid-1"),
            SecretOwnership::kForeign);
}

TEST(SecretUpToDateTest, ComparesWhatTenantdbSets) {
  const json desired =
      DesiredCredentialsSecret(RoleObject(), "app-credentials", {{"password", "pw"}}, {{"a", "1"}});
  json existing = desired;
  existing["metadata"]["resourceVersion"] = "42";
  existing["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied"] = "x";
  EXPECT_TRUE(SecretUpToDate(existing, desired));
  json changed = existing;
  changed["data"]["password"] = "eA==";
  EXPECT_FALSE(SecretUpToDate(changed, desired));
  changed = existing;
  changed["data"]["extra"] = "eA==";
  EXPECT_FALSE(SecretUpToDate(changed, desired));  // a removed template key
  changed = existing;
  changed["metadata"]["annotations"]["a"] = "2";
  EXPECT_FALSE(SecretUpToDate(changed, desired));
  changed = existing;
  changed["metadata"]["ownerReferences"] = json::array();
  EXPECT_FALSE(SecretUpToDate(changed, desired));
}

TEST(SecretUpToDateTest, AManagedAnnotationLeftOutIsAChange) {
  // The retiring-login annotation disappears once the old login is disabled: server-side apply
  // removes it, so its presence means the Secret must be applied again. Other annotations (not
  // tenantdb's) do not count.
  const json desired =
      DesiredCredentialsSecret(RoleObject(), "app-credentials", {{"password", "pw"}},
                               {{std::string(kActiveLoginAnnotation), "app_b"}});
  json existing = desired;
  existing["metadata"]["annotations"]["example.com/other"] = "x";
  EXPECT_TRUE(SecretUpToDate(existing, desired));
  existing["metadata"]["annotations"][std::string(kRetiringLoginAnnotation)] = "app_a";
  EXPECT_FALSE(SecretUpToDate(existing, desired));
}

TEST(NamesTest, JoinAndSplit) {
  EXPECT_EQ(JoinNames({"a", "b"}), "a,b");
  EXPECT_EQ(JoinNames({}), "");
  EXPECT_EQ(SplitNames("a,,b"), (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitNames("").empty());
}

TEST(Sha256HexTest, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Base64EncodeTest, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(AnnotationTest, ReadsStringAnnotations) {
  const json s = {{"metadata", {{"annotations", {{"k", "v"}, {"n", 1}}}}}};
  EXPECT_EQ(Annotation(s, "k"), "v");
  EXPECT_EQ(Annotation(s, "n"), std::nullopt);
  EXPECT_EQ(Annotation(json::object(), "k"), std::nullopt);
}

}  // namespace
}  // namespace tenantdb::controllers::role
