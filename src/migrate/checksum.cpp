#include "migrate/checksum.h"

#include <array>

namespace tenantdb::migrate {
namespace {

constexpr std::array<std::uint32_t, 256> MakeCrcTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    }
    table[i] = c;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kCrcTable = MakeCrcTable();

std::uint32_t CrcUpdate(std::uint32_t crc, unsigned char byte) {
  return kCrcTable[(crc ^ byte) & 0xFFU] ^ (crc >> 8);
}

}  // namespace

std::uint32_t Crc32(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFU;
  for (const char c : data) {
    crc = CrcUpdate(crc, static_cast<unsigned char>(c));
  }
  return crc ^ 0xFFFFFFFFU;
}

std::int32_t FlywayChecksum(std::string_view content) {
  // The lines joined without their terminators are the content without any CR or LF byte (in
  // UTF-8 these bytes never occur inside a multi-byte character); empty lines add nothing.
  if (content.substr(0, 3) == "\xEF\xBB\xBF") {
    content.remove_prefix(3);
  }
  std::uint32_t crc = 0xFFFFFFFFU;
  for (const char c : content) {
    if (c != '\r' && c != '\n') {
      crc = CrcUpdate(crc, static_cast<unsigned char>(c));
    }
  }
  return static_cast<std::int32_t>(crc ^ 0xFFFFFFFFU);
}

std::int32_t JavaStringHash(std::string_view utf8) {
  std::uint32_t h = 0;
  const auto add = [&h](std::uint32_t unit) { h = 31U * h + unit; };
  for (std::size_t i = 0; i < utf8.size();) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = b;
    std::size_t len = 1;
    if (b >= 0xF0) {
      len = 4;
      cp = b & 0x07U;
    } else if (b >= 0xE0) {
      len = 3;
      cp = b & 0x0FU;
    } else if (b >= 0xC0) {
      len = 2;
      cp = b & 0x1FU;
    }
    for (std::size_t k = 1; k < len && i + k < utf8.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3FU);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800U + (cp >> 10));
      add(0xDC00U + (cp & 0x3FFU));
    } else {
      add(cp);
    }
  }
  return static_cast<std::int32_t>(h);
}

std::int64_t FlywayLockKey(std::string_view quoted_table) {
  // "Flyway" in ASCII, as the high bytes of a 64-bit number, plus the table's Java hash code.
  constexpr std::int64_t kMagic =
      (0x46LL << 40) + (0x6CLL << 32) + (0x79LL << 24) + (0x77LL << 16) + (0x61LL << 8) + 0x79LL;
  return kMagic + JavaStringHash(quoted_table);
}

}  // namespace tenantdb::migrate
