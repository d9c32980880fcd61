#include "common/password.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tenantdb {
namespace {

constexpr std::size_t kPasswordBytes = 32;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Fills `out` from getrandom(2). Blocks until the kernel pool is initialised (flags 0), retries
// on EINTR and on short reads. A failure here is not something a caller can handle: abort.
void FillRandom(unsigned char* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = getrandom(out + done, size - done, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      std::perror("tenantdb: getrandom");
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string Base64UrlEncode(const unsigned char* bytes, std::size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = size - i;
  if (rest == 1) {
    const unsigned v = unsigned{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string GeneratePassword() {
  std::array<unsigned char, kPasswordBytes> bytes{};
  FillRandom(bytes.data(), bytes.size());
  std::string out = Base64UrlEncode(bytes.data(), bytes.size());
  explicit_bzero(bytes.data(), bytes.size());
  return out;
}

}  // namespace tenantdb
