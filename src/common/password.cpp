#include "common/password.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/encoding.h"

namespace tenantdb {
namespace {

constexpr std::size_t kPasswordBytes = 32;

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

std::string GeneratePassword() {
  std::array<unsigned char, kPasswordBytes> bytes{};
  FillRandom(bytes.data(), bytes.size());
  std::string out = Base64UrlEncode(bytes.data(), bytes.size());
  explicit_bzero(bytes.data(), bytes.size());
  return out;
}

}  // namespace tenantdb
