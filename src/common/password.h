#pragma once

#include <string>

#include "common/encoding.h"  // Base64UrlEncode, the password's alphabet

namespace tenantdb {

// A fresh random password: 32 bytes from the kernel CSPRNG (getrandom(2)) encoded as unpadded
// base64url (RFC 4648 §5), i.e. 43 characters of [A-Za-z0-9_-]. 256 bits of entropy, and safe
// in URIs, connection strings, YAML and shell words without escaping. Aborts the process if the
// kernel cannot supply randomness (never falls back to a weak source).
std::string GeneratePassword();

}  // namespace tenantdb
