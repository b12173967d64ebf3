#include "tests/integration/harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace sluice::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> MakeArgv(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// posix_spawnp searches PATH only for names without '/', which is what a test wants for `tshark`.
std::string Spawn(const std::vector<std::string>& argv, posix_spawn_file_actions_t* actions, pid_t* pid) {
  if (argv.empty()) return "empty command line";
  std::vector<char*> pointers = MakeArgv(argv);
  const int rc = posix_spawnp(pid, pointers[0], actions, nullptr, pointers.data(), environ);
  if (rc != 0) return "cannot start " + argv[0] + ": " + std::strerror(rc);
  return "";
}

void DecodeStatus(int status, ProcessResult* result) {
  if (WIFEXITED(status)) {
    result->exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result->exit_code = -1;
    result->signal = WTERMSIG(status);
  }
}

// Reads whatever is ready on `fd` into `out`. Returns false at end of file.
bool Drain(int fd, std::string* out) {
  char buffer[65536];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n > 0) {
    out->append(buffer, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

}  // namespace

std::string ProcessResult::Describe() const {
  std::string text;
  if (!error.empty()) return "not started: " + error;
  if (timed_out) text = "timed out; ";
  if (signal != 0) {
    text += "killed by signal " + std::to_string(signal);
  } else {
    text += "exit status " + std::to_string(exit_code);
  }
  constexpr size_t kTail = 2000;
  const std::string tail = stderr_text.size() > kTail ? stderr_text.substr(stderr_text.size() - kTail) : stderr_text;
  return text + "; stderr: " + tail;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  ProcessResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  result.error = Spawn(argv, &actions, &pid);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!result.error.empty()) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return result;
  }

  const Clock::time_point deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      if (!Drain(fds[i].fd, sinks[i])) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  DecodeStatus(status, &result);
  return result;
}

BackgroundProcess::~BackgroundProcess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(5));
  }
}

std::string BackgroundProcess::Start(const std::vector<std::string>& argv, const std::string& stdout_path,
                                     const std::string& stderr_path) {
  if (pid_ > 0 && !exited_) return "already running";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  const std::string error = Spawn(argv, &actions, &pid_);
  posix_spawn_file_actions_destroy(&actions);
  exited_ = false;
  result_ = ProcessResult{};
  return error;
}

void BackgroundProcess::Reap(int status) {
  exited_ = true;
  DecodeStatus(status, &result_);
}

bool BackgroundProcess::Running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  const pid_t rc = waitpid(pid_, &status, WNOHANG);
  if (rc == pid_) Reap(status);
  return !exited_;
}

bool BackgroundProcess::Signal(int signal) { return Running() && kill(pid_, signal) == 0; }

ProcessResult BackgroundProcess::Wait(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Running()) {
    if (Clock::now() >= deadline) {
      ProcessResult still_running;
      still_running.timed_out = true;
      return still_running;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return result_;
}

}  // namespace sluice::testing
