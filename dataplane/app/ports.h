// DPDK port setup for passive mode: one receive queue per worker, symmetric RSS where the NIC
// supports it, promiscuous receive.
#pragma once

#include <string>

#include "dataplane/app/pipeline.h"

namespace sluice::app {

// Configures and starts every probed port and assigns queue `i` of each port to worker `i`.
bool SetUpPorts(Pipeline& pipeline, std::string* error);
void StopPorts();

}  // namespace sluice::app
