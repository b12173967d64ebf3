#include "dataplane/command/detector_policy.h"

#include "dataplane/app/pipeline.h"

namespace sluice::command_channel {

bool ApplyDetectorPolicy(app::Pipeline& pipeline, const std::string& yaml, std::string* error) {
  // TODO(lead): call pipeline.ApplyDetectorPolicy(yaml, error) once the detectors are merged.
  (void)pipeline;
  (void)yaml;
  *error = "detector policies are not supported by this data plane";
  return false;
}

}  // namespace sluice::command_channel
