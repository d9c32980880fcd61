#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tenantdb::kube {

// Splits a chunked watch body into complete JSON lines (STYLE.md R9). The transport hands over
// bytes as they arrive, so a line may be split across any number of chunks and one chunk may
// carry several lines. A line ends at '\n'; a '\r' before it is dropped; blank lines are skipped.
// Bytes after the last '\n' are kept until more arrive (Feed) or the body ends (Finish).
//
// A line longer than `max_line_bytes` (a broken or hostile server) is dropped up to its newline
// and counted, so the buffer never grows without bound.
class WatchFramer {
 public:
  static constexpr std::size_t kDefaultMaxLineBytes = std::size_t{64} << 20;  // 64 MiB

  explicit WatchFramer(std::size_t max_line_bytes = kDefaultMaxLineBytes)
      : max_line_bytes_(max_line_bytes) {}

  // Appends `chunk` and returns the lines it completed, in order, without their terminators.
  std::vector<std::string> Feed(std::string_view chunk);

  // The body ended: returns the trailing unterminated line, if any (the server may omit the last
  // newline), and empties the buffer.
  std::optional<std::string> Finish();

  // Drops any partial line (a new stream starts).
  void Reset();

  // Bytes of an incomplete line held back.
  std::size_t BufferedBytes() const { return buffer_.size(); }
  // Lines dropped because they exceeded max_line_bytes.
  std::size_t DroppedLines() const { return dropped_lines_; }

 private:
  void EmitLine(std::string_view line, std::vector<std::string>& out);

  std::size_t max_line_bytes_;
  std::string buffer_;
  bool discarding_ = false;  // inside an over-long line: skip up to the next '\n'
  std::size_t dropped_lines_ = 0;
};

}  // namespace tenantdb::kube
