#include "api/v1alpha1/cron.h"

#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace tenantdb::api::v1alpha1 {
namespace {

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::array<std::string_view, 12>* names;  // value = index + names_offset
  int names_offset;
};

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri",
                                                        "sat", "",    "",    "",    "",    ""};

constexpr FieldSpec kStepSpec = {"step", 0, 0, nullptr, 0};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day of month", 1, 31, nullptr, 0},
    {"month", 1, 12, &kMonthNames, 1},
    {"day of week", 0, 6, &kDayNames, 0},
}};

// Splits on runs of spaces (not tabs, as the CRD's pattern requires); drops empty parts.
std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') {
      ++i;
    }
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ') {
      ++i;
    }
    if (i > start) {
      parts.push_back(text.substr(start, i - start));
    }
  }
  return parts;
}

// Keeps empty parts, so that "1,,2" is refused.
std::vector<std::string_view> SplitCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
}

std::optional<int> ParseValue(std::string_view text, const FieldSpec& field) {
  if (text.empty()) {
    return std::nullopt;
  }
  if (field.names != nullptr && std::isalpha(static_cast<unsigned char>(text[0]))) {
    std::string lower;
    for (const char c : text) {
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    for (std::size_t i = 0; i < field.names->size(); ++i) {
      if (!(*field.names)[i].empty() && (*field.names)[i] == lower) {
        return static_cast<int>(i) + field.names_offset;
      }
    }
    return std::nullopt;
  }
  if (text.size() > 4) {
    return std::nullopt;
  }
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

Error CronFieldError(const FieldSpec& field, std::string_view part, std::string_view why) {
  return Error::Invalid("invalid cron " + std::string(field.name) + " field \"" +
                        std::string(part) + "\": " + std::string(why));
}

// Parses one comma-separated field into `bits`; sets `star` when it is a bare * or ?.
template <std::size_t N>
Expected<void> ParseField(std::string_view text, const FieldSpec& field, std::bitset<N>& bits,
                          bool& star) {
  star = false;
  for (std::string_view part : SplitCommas(text)) {
    std::string_view range = part;
    int step = 1;
    bool has_step = false;
    if (const std::size_t slash = part.find('/'); slash != std::string_view::npos) {
      const std::optional<int> s = ParseValue(part.substr(slash + 1), kStepSpec);
      if (!s || *s == 0) {
        return CronFieldError(field, part, "step must be a positive number");
      }
      step = *s;
      has_step = true;
      range = part.substr(0, slash);
    }
    int low = 0;
    int high = 0;
    if (range == "*" || range == "?") {
      low = field.min;
      high = field.max;
      if (!has_step) {
        star = true;
      }
    } else {
      const std::size_t dash = range.find('-');
      const std::optional<int> first = ParseValue(range.substr(0, dash), field);
      if (!first) {
        return CronFieldError(field, part, "not a number or name");
      }
      low = *first;
      if (dash != std::string_view::npos) {
        const std::optional<int> last = ParseValue(range.substr(dash + 1), field);
        if (!last) {
          return CronFieldError(field, part, "not a number or name");
        }
        high = *last;
      } else {
        high = has_step ? field.max : low;
      }
    }
    if (low < field.min || high > field.max) {
      return CronFieldError(
          field, part,
          "out of range " + std::to_string(field.min) + "-" + std::to_string(field.max));
    }
    if (low > high) {
      return CronFieldError(field, part, "range start is after its end");
    }
    for (int v = low; v <= high; v += step) {
      bits.set(static_cast<std::size_t>(v));
    }
  }
  if (bits.none()) {
    return CronFieldError(field, text, "empty");
  }
  return {};
}

}  // namespace

Expected<CronSchedule> ParseCronSchedule(std::string_view text) {
  std::string_view spec = text;
  if (text == "@yearly") {
    spec = "0 0 1 1 *";
  } else if (text == "@monthly") {
    spec = "0 0 1 * *";
  } else if (text == "@weekly") {
    spec = "0 0 * * 0";
  } else if (text == "@daily") {
    spec = "0 0 * * *";
  } else if (text == "@hourly") {
    spec = "0 * * * *";
  } else if (text.starts_with("@")) {
    return Error::Invalid("unsupported cron macro \"" + std::string(text) +
                          "\": use @hourly, @daily, @weekly, @monthly or @yearly");
  }
  const std::vector<std::string_view> fields = SplitFields(spec);
  if (fields.size() != 5) {
    return Error::Invalid("\"" + std::string(text) +
                          "\" is not a cron schedule: expected 5 fields (minute hour "
                          "day-of-month month day-of-week), got " +
                          std::to_string(fields.size()));
  }
  CronSchedule out;
  bool star = false;
  TENANTDB_TRY_VOID(ParseField(fields[0], kFields[0], out.minutes, star));
  TENANTDB_TRY_VOID(ParseField(fields[1], kFields[1], out.hours, star));
  TENANTDB_TRY_VOID(ParseField(fields[2], kFields[2], out.days_of_month, star));
  out.day_of_month_restricted = !star;
  TENANTDB_TRY_VOID(ParseField(fields[3], kFields[3], out.months, star));
  TENANTDB_TRY_VOID(ParseField(fields[4], kFields[4], out.days_of_week, star));
  out.day_of_week_restricted = !star;
  return out;
}

}  // namespace tenantdb::api::v1alpha1
