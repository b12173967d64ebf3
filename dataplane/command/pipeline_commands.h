// The data plane's CommandTarget: rule updates compiled on a helper thread of the main lcore,
// the live counters of every worker, and detector policies.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/app/config.h"
#include "dataplane/app/pipeline.h"
#include "dataplane/command/command_client.h"

namespace sluice::command_channel {

// "sha256:" and the first 12 hex digits of the SHA-256 of rule text; sluice-control derives the
// same version from the same text.
std::string RulesVersionOf(const std::string& text);

// Owned by the main lcore. The compile thread touches only its own PreparedRules until it sets
// done_; the main lcore then joins it and hands the result to the workers.
class PipelineCommands : public CommandTarget {
 public:
  // Reads the rule file named in `config` to version the rules in force at start.
  PipelineCommands(app::Pipeline& pipeline, const app::DataplaneConfig& config);
  ~PipelineCommands() override;

  RuleSetState Rules() const override;
  void CollectCounters(std::vector<NamedCounter>* counters) override;
  bool StartRulesUpdate(uint64_t update_id, const std::string& version, const std::string& text,
                        std::vector<std::string>* errors) override;
  bool PollRulesUpdate(UpdateOutcome* outcome) override;
  bool ApplyPolicy(const std::string& text, std::string* error) override;

 private:
  // Versions the rules in force when they were not adopted through this class (at start, after
  // a SIGHUP reload of the rule file): the hash of the configured file.
  void RefreshVersion() const;

  app::Pipeline& pipeline_;
  std::string rules_path_;
  mutable std::string rules_version_ = "none";
  mutable const void* versioned_rules_ = nullptr;  // the rule set rules_version_ belongs to

  std::thread compile_thread_;
  std::atomic<bool> done_{false};
  bool compiling_ = false;
  uint64_t update_id_ = 0;
  std::string pending_version_;
  app::Pipeline::PreparedRules prepared_;
  std::vector<std::string> compile_errors_;
  bool compiled_ = false;
};

// Appends every counter of the running pipeline: worker totals, sessions, reassembly, records
// and the exporter. Main lcore only.
void CollectPipelineCounters(app::Pipeline& pipeline, std::vector<NamedCounter>* counters);

}  // namespace sluice::command_channel
