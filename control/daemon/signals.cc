#include "control/daemon/signals.h"

namespace sluice::control {

volatile std::sig_atomic_t g_stop_requested = 0;

namespace {

void RequestStop(int) { g_stop_requested = 1; }

}  // namespace

bool InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = RequestStop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  return sigaction(SIGINT, &action, nullptr) == 0 && sigaction(SIGTERM, &action, nullptr) == 0;
}

}  // namespace sluice::control
