#include "dataplane/command/detector_policy.h"

#include "dataplane/app/pipeline.h"

namespace sluice::command_channel {

bool ApplyDetectorPolicy(app::Pipeline& pipeline, const std::string& yaml, std::string* error) {
  return pipeline.ApplyDetectorPolicy(yaml, error);
}

}  // namespace sluice::command_channel
