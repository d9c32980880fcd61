#include "backup/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "backup/backup.h"

extern char** environ;  // NOLINT: POSIX

namespace tenantdb::backup {

namespace {

constexpr std::size_t kStderrLimit = 16 * 1024;
constexpr std::size_t kChunk = 256 * 1024;

void CloseFd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

void Keep(std::string& text, const char* data, std::size_t n) {
  if (text.size() < kStderrLimit) {
    text.append(data, std::min(n, kStderrLimit - text.size()));
  }
}

pid_t WaitPid(pid_t pid, int& status) {
  pid_t r;
  do {
    r = ::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  return r;
}

ChildResult Finish(pid_t pid, std::string stderr_text) {
  ChildResult result;
  result.stderr_text = std::move(stderr_text);
  int status = 0;
  if (WaitPid(pid, status) < 0) {
    result.exit_code = -1;
    return result;
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace

std::string ChildResult::Describe() const {
  std::string text = stderr_text;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  std::string head = signal != 0 ? "killed by signal " + std::to_string(signal)
                                 : "exit code " + std::to_string(exit_code);
  return text.empty() ? head : head + ": " + text;
}

Expected<pid_t> Spawn(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd,
                      int& stderr_fd) {
  stderr_fd = -1;
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    return Error::Transient(std::string("pipe: ") + std::strerror(errno), kReasonStorageError);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  // The child starts with default signal handling (a test runner or a shell may ignore SIGPIPE).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn's signature
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const bool search = argv[0].find('/') == std::string::npos;
  const int rc = search
                     ? ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ)
                     : ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(err_pipe[0]);
    return Error::NotFound("cannot run " + argv[0] + ": " + std::strerror(rc), kReasonToolNotFound);
  }
  stderr_fd = err_pipe[0];
  return pid;
}

ChildResult Wait(pid_t pid, int stderr_fd) {
  std::string text;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(stderr_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    Keep(text, buf.data(), static_cast<std::size_t>(n));
  }
  CloseFd(stderr_fd);
  return Finish(pid, std::move(text));
}

Expected<ChildResult> Run(const Command& command) {
  std::array<int, 2> out_pipe{-1, -1};
  if (command.stdout_sink) {
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
      return Error::Transient(std::string("pipe: ") + std::strerror(errno), kReasonStorageError);
    }
    // Fewer, larger reads while streaming a dump (best effort; the default is 64 KiB).
    ::fcntl(out_pipe[0], F_SETPIPE_SZ, 1 << 20);
  }
  int err_fd = -1;
  auto pid = Spawn(command.argv, command.stdin_fd, out_pipe[1], err_fd);
  CloseFd(out_pipe[1]);
  if (!pid) {
    CloseFd(out_pipe[0]);
    return pid.error();
  }
  std::string err_text;
  std::optional<Error> sink_error;
  std::vector<char> buf(kChunk);
  int out_fd = out_pipe[0];
  while (out_fd >= 0 || err_fd >= 0) {
    std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        CloseFd(i == 0 ? out_fd : err_fd);
        continue;
      }
      if (i == 1) {
        Keep(err_text, buf.data(), static_cast<std::size_t>(n));
      } else if (!sink_error) {
        if (auto written = command.stdout_sink(buf.data(), static_cast<std::size_t>(n)); !written) {
          sink_error = written.error();
          ::kill(*pid, SIGTERM);
        }
      }
    }
  }
  CloseFd(out_fd);
  CloseFd(err_fd);
  ChildResult result = Finish(*pid, std::move(err_text));
  if (sink_error) {
    return *sink_error;
  }
  return result;
}

Expected<ChildResult> RunCapture(const std::vector<std::string>& argv, std::string& stdout_text) {
  stdout_text.clear();
  return Run(
      Command{.argv = argv, .stdin_fd = -1, .stdout_sink = [&](const char* d, std::size_t n) {
                stdout_text.append(d, n);
                return Expected<void>{};
              }});
}

}  // namespace tenantdb::backup
