// Loopback TCP ports for daemons under test.
#pragma once

#include <cstdint>

namespace sluice::testing {

// Returns a TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it for a socket
// bound to port 0, which is then closed), or 0 on error. Another process can take it before the
// caller binds it, so callers retry a failed bind with a new port.
uint16_t FreeLoopbackPort();

}  // namespace sluice::testing
