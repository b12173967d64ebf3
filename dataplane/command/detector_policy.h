// The one place where a `set policy` from sluice-control reaches the detectors.
#pragma once

#include <string>

namespace sluice::app {
class Pipeline;
}

namespace sluice::command_channel {

// Applies the YAML text of a `detectors:` section to the running data plane. Returns false with
// one line in `error` when the policy is invalid, changes what cannot change at run time,
// or the detectors are off.
bool ApplyDetectorPolicy(app::Pipeline& pipeline, const std::string& yaml, std::string* error);

}  // namespace sluice::command_channel
