// tshark (Wireshark 4.0) as the reference HTTP dissector for the corpus comparison.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "tests/integration/http_view.h"

namespace sluice::testing {

// The TCP ports that opened a connection in `capture` (destination port of every SYN without
// ACK). tshark dissects HTTP by port, so these are passed to TsharkHttpView as decode-as ports.
bool TsharkServerPorts(const std::string& capture, std::set<uint16_t>* ports, std::string* error);

// Runs tshark with TCP reassembly (in order and out of order) and HTTP header and body
// reassembly on, HTTP forced on `http_ports`, and reduces its HTTP requests and responses to a
// view. Responses pair with requests the way tshark pairs them (http.request_in).
bool TsharkHttpView(const std::string& capture, const std::set<uint16_t>& http_ports, CaptureView* view,
                    std::string* error);

}  // namespace sluice::testing
