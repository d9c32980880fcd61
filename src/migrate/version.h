#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace tenantdb::migrate {

// A migration version as Flyway reads it: `_` stands for `.`, the parts are compared as
// (arbitrarily long) numbers, so `1.10` comes after `1.9`, `001` equals `1` and `1.0` equals `1`
// (trailing zero parts do not count).
class Version {
 public:
  // Digits and dots (or underscores) only, every part non-empty: `1`, `1.1`, `2026.11.22.1`, `1_2`.
  static Expected<Version> Parse(std::string_view text);

  // The text Flyway stores in the history table's `version` column: underscores as dots, leading
  // zeros kept (`V001_2__x.sql` is stored as `001.2`).
  const std::string& Text() const { return text_; }

  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return (a <=> b) == 0; }

 private:
  std::string text_;
  std::vector<std::string> parts_;  // decimal, no leading zeros ("0" for zero), no trailing zeros
};

}  // namespace tenantdb::migrate
