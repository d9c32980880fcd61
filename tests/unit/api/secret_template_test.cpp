#include "api/v1alpha1/secret_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tenantdb::api::v1alpha1 {
namespace {

using ::testing::HasSubstr;

const std::map<std::string, std::string> kValues = {
    {"username", "app"},
    {"password", "s3cr{{t"},
    {"host", "pg.db"},
    {"port", "5432"},
    {"dbname", "shop_orders"},
    {"sslmode", "require"},
    {"uri", "postgresql://app:s3cr%7B%7Bt@pg.db:5432/shop_orders?sslmode=require"}};

TEST(SecretTemplateTest, AcceptsEveryKnownPlaceholder) {
  for (const std::string_view name : kSecretTemplatePlaceholders) {
    EXPECT_EQ(CheckSecretTemplateValue("{{ ." + std::string(name) + " }}"), std::nullopt) << name;
    EXPECT_EQ(CheckSecretTemplateValue("x{{." + std::string(name) + "}}y"), std::nullopt) << name;
  }
  EXPECT_EQ(kSecretTemplatePlaceholders.size(), 7u);
}

TEST(SecretTemplateTest, RefusesUnknownPlaceholdersByName) {
  const std::optional<std::string> foo = CheckSecretTemplateValue("a {{ .foo }} b");
  ASSERT_TRUE(foo.has_value());
  EXPECT_THAT(*foo, HasSubstr("unknown placeholder \"{{ .foo }}\""));
  EXPECT_THAT(*foo, HasSubstr("{{ .username }}"));
  EXPECT_TRUE(CheckSecretTemplateValue("{{ .USERNAME }}").has_value());
  EXPECT_TRUE(CheckSecretTemplateValue("{{ username }}").has_value());
  EXPECT_TRUE(CheckSecretTemplateValue("{{ .username | upper }}").has_value());
  EXPECT_TRUE(CheckSecretTemplateValue("{{- .username }}").has_value());
  EXPECT_TRUE(CheckSecretTemplateValue("{{}}").has_value());
  EXPECT_THAT(*CheckSecretTemplateValue("ok {{ .uri }} then {{ .uri"), HasSubstr("unterminated"));
}

TEST(SecretTemplateTest, ExpandsBySubstitutionOnly) {
  EXPECT_EQ(*ExpandSecretTemplate("{{ .uri }}&max_conns=20", kValues),
            "postgresql://app:s3cr%7B%7Bt@pg.db:5432/shop_orders?sslmode=require&max_conns=20");
  EXPECT_EQ(*ExpandSecretTemplate("jdbc:postgresql://{{.host}}:{{ .port }}/{{ .dbname }}", kValues),
            "jdbc:postgresql://pg.db:5432/shop_orders");
  // Substituted values are not expanded again.
  EXPECT_EQ(*ExpandSecretTemplate("{{ .password }}", kValues), "s3cr{{t");
  EXPECT_EQ(*ExpandSecretTemplate("plain", kValues), "plain");
  EXPECT_EQ(*ExpandSecretTemplate("", kValues), "");
}

TEST(SecretTemplateTest, ExpandReportsErrors) {
  const Expected<std::string> unknown = ExpandSecretTemplate("{{ .foo }}", kValues);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalid);
  const Expected<std::string> missing = ExpandSecretTemplate("{{ .uri }}", {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
