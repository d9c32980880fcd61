#include "kube/watch_framer.h"

#include <utility>

namespace tenantdb::kube {

void WatchFramer::EmitLine(std::string_view line, std::vector<std::string>& out) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
    return;  // blank line
  }
  out.emplace_back(line);
}

std::vector<std::string> WatchFramer::Feed(std::string_view chunk) {
  std::vector<std::string> lines;
  while (!chunk.empty()) {
    const std::size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (discarding_) {
        return lines;
      }
      if (buffer_.size() + chunk.size() > max_line_bytes_) {
        buffer_.clear();
        buffer_.shrink_to_fit();
        discarding_ = true;
        ++dropped_lines_;
        return lines;
      }
      buffer_.append(chunk);
      return lines;
    }
    const std::string_view head = chunk.substr(0, nl);
    chunk.remove_prefix(nl + 1);
    if (discarding_) {
      discarding_ = false;
      continue;
    }
    if (buffer_.empty()) {
      if (head.size() > max_line_bytes_) {
        ++dropped_lines_;
        continue;
      }
      EmitLine(head, lines);  // the common case: no copy into the buffer
      continue;
    }
    if (buffer_.size() + head.size() > max_line_bytes_) {
      ++dropped_lines_;
    } else {
      buffer_.append(head);
      EmitLine(buffer_, lines);
    }
    buffer_.clear();
  }
  return lines;
}

std::optional<std::string> WatchFramer::Finish() {
  std::vector<std::string> lines;
  if (!discarding_ && !buffer_.empty()) {
    EmitLine(buffer_, lines);
  }
  Reset();
  if (lines.empty()) {
    return std::nullopt;
  }
  return std::move(lines.front());
}

void WatchFramer::Reset() {
  buffer_.clear();
  if (buffer_.capacity() > (std::size_t{1} << 20)) {
    buffer_.shrink_to_fit();  // do not keep a large object's buffer for the life of the watch
  }
  discarding_ = false;
}

}  // namespace tenantdb::kube
