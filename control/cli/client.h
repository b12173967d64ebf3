// sluicectl's side of the command channel: a CURVE DEALER socket that sends one Request and waits
// for its Response.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commands_generated.h"

namespace sluice::cli {

struct ClientOptions {
  std::string endpoint;             // sluice-control's command_listen
  std::string key_directory;        // client.public, client.secret, server.public
  double connect_timeout_s = 5;     // until the CURVE handshake succeeds
  double reply_timeout_s = 90;      // after the handshake, until the Response arrives
};

struct ClientResult {
  int exit_code = 0;                // kExitOk when `response` contains a Response
  std::string error;                // why not, one line with the fix
  std::vector<uint8_t> response;    // a verified Response buffer
  const command::Response* Get() const {
    return flatbuffers::GetRoot<command::Response>(response.data());
  }
};

// Sends `request` (a finished Request buffer) and waits for the reply. Every failure maps to
// kExitUsage (keys missing or unreadable) or kExitUnreachable (no route, key rejected, timeout).
ClientResult SendRequest(const ClientOptions& options, const std::vector<uint8_t>& request);

}  // namespace sluice::cli
