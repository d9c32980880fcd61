#pragma once

// SHA-256 of a dump. A file's is over its bytes. A directory-format dump's is over its listing:
// one line "<sha256 of the file, hex>  <path relative to the folder>\n" per regular file, sorted
// by path bytewise — the output of
//   cd NAME.dir && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum
// whose own `| sha256sum` is the manifest's sha256.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::backup {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, std::size_t size);
  std::string HexDigest();  // once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct Digest {
  std::string sha256;
  std::int64_t size_bytes = 0;
};

Expected<Digest> FileDigest(const std::string& path);
Expected<Digest> DirectoryDigest(const std::string& path);  // size: the sum of the files
// The listing DirectoryDigest hashes (pure helper of the above, also shown by tests).
Expected<std::string> DirectoryListing(const std::string& path, std::int64_t* size_bytes);

}  // namespace tenantdb::backup
