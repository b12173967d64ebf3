// SIGINT and SIGTERM handling for the daemon.
#pragma once

#include <csignal>

namespace sluice::control {

// Set to 1 by SIGINT or SIGTERM; the ingest loop polls it between zmq_poll timeouts.
extern volatile std::sig_atomic_t g_stop_requested;

// Installs handlers for SIGINT and SIGTERM that set g_stop_requested, without SA_RESTART so that
// a blocked zmq_poll returns EINTR at once. Returns false when sigaction fails.
bool InstallStopHandlers();

}  // namespace sluice::control
