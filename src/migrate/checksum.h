#pragma once

#include <cstdint>
#include <string_view>

namespace tenantdb::migrate {

// CRC-32 (IEEE 802.3, as java.util.zip.CRC32 and zlib compute it) of `data`.
std::uint32_t Crc32(std::string_view data);

// The checksum Flyway stores for a SQL migration: the CRC-32 of the script's lines read as
// Java's BufferedReader.readLine() gives them (line terminators \n, \r\n and \r dropped), with a
// UTF-8 byte order mark removed from the first line, as a signed 32-bit number. `content` is the
// file as read from disk and must be UTF-8 (ScanDirectory refuses other files).
std::int32_t FlywayChecksum(std::string_view content);

// java.lang.String#hashCode() of a UTF-8 string (over its UTF-16 code units).
std::int32_t JavaStringHash(std::string_view utf8);

// The key of the PostgreSQL advisory lock Flyway takes for a history table, `table` being the
// quoted qualified name as Flyway prints it (`"public"."flyway_schema_history"`): tenantdb
// takes the same key, so a tenantdb run and a Flyway run on one database also never interleave.
std::int64_t FlywayLockKey(std::string_view quoted_table);

}  // namespace tenantdb::migrate
