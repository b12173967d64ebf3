// Parses the --since and --until values of sluicectl's forensic verbs.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::cli {

// Accepts RFC 3339 ("2026-12-05T00:40:00Z", fractions and "+01:00" offsets too), a date
// ("2026-12-05", midnight UTC) or a duration before `now_ns` ("90s", "15m", "1h", "2d", "1w").
// Returns false with a message in `error` for anything else.
bool ParseTimeArgument(const std::string& text, uint64_t now_ns, uint64_t* unix_ns,
                       std::string* error);

}  // namespace sluice::cli
