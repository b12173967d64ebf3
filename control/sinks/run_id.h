// The text form of a data plane run id outside the wire format: 16 lower-case hex digits, as in
// the JSON-lines records (`sluice.run_id`). A decimal run id can exceed 2^53, which JSON readers
// that use doubles cannot hold exactly.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

namespace sluice::control {

inline std::string RunIdHex(uint64_t run_id) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016" PRIx64, run_id);
  return text;
}

}  // namespace sluice::control
