#include "backup/checksum.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "backup/backup.h"

namespace tenantdb::backup {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->ctx); }

void Sha256::Update(const void* data, std::size_t size) {
  EVP_DigestUpdate(state_->ctx, data, size);
}

std::string Sha256::HexDigest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx, digest.data(), &size);
  std::string out;
  out.reserve(2 * size);
  std::array<char, 3> hex{};
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(hex.data(), hex.size(), "%02x", digest[i]);
    out += hex.data();
  }
  return out;
}

Expected<Digest> FileDigest(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error::NotFound("cannot read " + path + ": " + std::strerror(errno),
                           kReasonStorageError);
  }
  Sha256 sha;
  Digest d;
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return Error::Transient("reading " + path + ": " + std::strerror(e), kReasonStorageError);
    }
    if (n == 0) {
      break;
    }
    sha.Update(buf.data(), static_cast<std::size_t>(n));
    d.size_bytes += n;
  }
  ::close(fd);
  d.sha256 = sha.HexDigest();
  return d;
}

Expected<std::string> DirectoryListing(const std::string& path, std::int64_t* size_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      files.push_back(fs::relative(it->path(), path, ec).generic_string());
    }
  }
  if (ec) {
    return Error::NotFound("cannot list " + path + ": " + ec.message(), kReasonStorageError);
  }
  std::sort(files.begin(), files.end());
  std::string listing;
  std::int64_t total = 0;
  for (const std::string& f : files) {
    TENANTDB_TRY(Digest d, FileDigest(path + "/" + f));
    total += d.size_bytes;
    listing += d.sha256 + "  " + f + "\n";
  }
  if (size_bytes != nullptr) {
    *size_bytes = total;
  }
  return listing;
}

Expected<Digest> DirectoryDigest(const std::string& path) {
  Digest d;
  TENANTDB_TRY(std::string listing, DirectoryListing(path, &d.size_bytes));
  Sha256 sha;
  sha.Update(listing.data(), listing.size());
  d.sha256 = sha.HexDigest();
  return d;
}

}  // namespace tenantdb::backup
