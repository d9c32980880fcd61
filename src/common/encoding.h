#pragma once

// Encodings and digests over OpenSSL's libcrypto (already linked for TLS): one implementation for
// every caller (generated passwords, Secret data, password fingerprints).

#include <cstddef>
#include <string>
#include <string_view>

namespace tenantdb {

// RFC 4648 base64 with padding (Kubernetes Secret `data` values).
std::string Base64Encode(std::string_view data);

// RFC 4648 base64url without padding (URL- and shell-safe passwords).
std::string Base64UrlEncode(const unsigned char* bytes, std::size_t size);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace tenantdb
