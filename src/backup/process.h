#pragma once

// Child processes (pg_dump, pg_restore, psql, gzip) by posix_spawn: argv as given (never a
// password: the child inherits the PG* environment), stdout streamed to a sink, stderr kept.

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/expected.h"

namespace tenantdb::backup {

// Receives the child's stdout as it arrives; an error stops the child (SIGTERM) and is returned.
using Sink = std::function<Expected<void>(const char* data, std::size_t size)>;

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string stderr_text;  // the first 16 KiB
  bool Succeeded() const { return exit_code == 0; }
  // "exit code 1: <stderr, trimmed>" / "killed by signal 9".
  std::string Describe() const;
};

struct Command {
  std::vector<std::string> argv;
  int stdin_fd = -1;  // -1: /dev/null
  Sink stdout_sink;   // empty: stdout goes to /dev/null
};

// Runs the command to its end. Fails (reason ToolNotFound) when it cannot be started, or with
// the sink's error.
Expected<ChildResult> Run(const Command& command);

// Runs it and returns its stdout (for --version, pg_restore --list).
Expected<ChildResult> RunCapture(const std::vector<std::string>& argv, std::string& stdout_text);

// The low-level pair, for a pipeline (gzip -dc FILE | psql): starts the child with its stdout on
// `stdout_fd` (-1: /dev/null) and stderr to a pipe whose read end is returned in `stderr_fd`.
Expected<pid_t> Spawn(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd,
                      int& stderr_fd);
// Reads stderr_fd to its end (then closes it) and waits for the child.
ChildResult Wait(pid_t pid, int stderr_fd);

}  // namespace tenantdb::backup
