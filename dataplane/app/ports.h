// DPDK port setup for passive mode: one receive queue per worker, symmetric RSS where the NIC
// supports it, promiscuous receive.
#pragma once

#include <string>

#include "dataplane/app/pipeline.h"

namespace sluice::app {

// Configures and starts every probed port and assigns queue `i` of each port to worker `i`.
// `transmit`: inline mode, which sends on every port too.
bool SetUpPorts(Pipeline& pipeline, bool transmit, std::string* error);
void StopPorts();

}  // namespace sluice::app
