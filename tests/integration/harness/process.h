// Child processes for integration tests: run a command to completion with its output captured,
// or keep one running in the background (a daemon under test) and stop it with a signal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sluice::testing {

struct ProcessResult {
  int exit_code = -1;     // exit status, or -1 when the process was killed by a signal
  int signal = 0;         // the terminating signal, 0 when it exited
  bool timed_out = false; // killed with SIGKILL because it ran past the timeout
  std::string stdout_text;
  std::string stderr_text;
  std::string error;      // set when the process could not be started

  // One line for assertion messages: the exit status and the end of stderr.
  std::string Describe() const;
};

// Runs `argv` (argv[0] is a path, not searched in PATH unless it has no '/') and captures stdout
// and stderr. Kills the process with SIGKILL after `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// A process that runs while a test talks to it. stdout and stderr go to files so that a long-lived
// daemon never blocks on a full pipe. The destructor kills it (SIGKILL) if it is still running.
class BackgroundProcess {
 public:
  BackgroundProcess() = default;
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Starts `argv` with stdout and stderr appended to the given files. Returns an empty string on
  // success, or the reason it could not start.
  std::string Start(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path);

  // True until the process has exited and been reaped.
  bool Running();

  // Sends `signal` to the process; false if it is not running.
  bool Signal(int signal);

  // Waits up to `timeout` for the process to exit. Returns its result (exit_code -1 and timed_out
  // when it is still running afterwards; it is not killed).
  ProcessResult Wait(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }

 private:
  void Reap(int status);

  pid_t pid_ = -1;
  bool exited_ = false;
  ProcessResult result_;
};

}  // namespace sluice::testing
