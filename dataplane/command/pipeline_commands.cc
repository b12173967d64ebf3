#include "dataplane/command/pipeline_commands.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "dataplane/command/detector_policy.h"

namespace sluice::command_channel {

std::string RulesVersionOf(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string version = "sha256:";
  for (unsigned int i = 0; i < 6 && i < length; ++i) {
    version += kHex[digest[i] >> 4];
    version += kHex[digest[i] & 15];
  }
  return version;
}

PipelineCommands::PipelineCommands(app::Pipeline& pipeline, const app::DataplaneConfig& config)
    : pipeline_(pipeline), rules_path_(config.rules) {
  RefreshVersion();
}

void PipelineCommands::RefreshVersion() const {
  const void* current = pipeline_.rules().get();
  if (current == versioned_rules_) return;
  versioned_rules_ = current;
  if (current == nullptr || rules_path_.empty()) {
    rules_version_ = "none";
    return;
  }
  // NOTE: a file edited after it was loaded and before this call gets the new text's version.
  std::ifstream in(rules_path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  rules_version_ = RulesVersionOf(text.str());
}

PipelineCommands::~PipelineCommands() {
  if (compile_thread_.joinable()) compile_thread_.join();
}

RuleSetState PipelineCommands::Rules() const {
  RefreshVersion();
  RuleSetState state;
  state.version = rules_version_;
  if (pipeline_.rules() != nullptr) {
    for (const auto& rule : pipeline_.rules()->rules()) state.ids.push_back(rule.id);
  }
  return state;
}

bool PipelineCommands::StartRulesUpdate(uint64_t update_id, const std::string& version,
                                        const std::string& text, std::vector<std::string>* errors) {
  if (compiling_) {
    errors->push_back("another rule set is still compiling on this data plane; retry when "
                      "`sluicectl show status` no longer says reloading");
    return false;
  }
  compiling_ = true;
  done_.store(false);
  update_id_ = update_id;
  pending_version_ = version;
  prepared_ = {};
  compile_errors_.clear();
  const size_t workers = pipeline_.workers();
  const matchers::ScannerConfig scanner_config = pipeline_.scanner_config();
  // The thread inherits the main lcore's CPU set, so compiling never takes a worker core.
  compile_thread_ = std::thread([this, text, workers, scanner_config] {
    compiled_ = app::Pipeline::PrepareRulesText(text, workers, scanner_config, &prepared_, &compile_errors_);
    done_.store(true, std::memory_order_release);
  });
  return true;
}

bool PipelineCommands::PollRulesUpdate(UpdateOutcome* outcome) {
  if (!compiling_ || !done_.load(std::memory_order_acquire)) return false;
  compile_thread_.join();
  compiling_ = false;
  outcome->update_id = update_id_;
  outcome->errors = std::move(compile_errors_);
  outcome->applied = false;
  if (compiled_) {
    std::string error;
    outcome->applied = pipeline_.AdoptPreparedRules(std::move(prepared_), &error);
    if (!outcome->applied) outcome->errors.push_back(error);
  }
  if (outcome->applied) {
    rules_version_ = pending_version_;
    versioned_rules_ = pipeline_.rules().get();
    std::fprintf(stderr, "sluice-dataplane: rule set %s from sluice-control swapped in: %zu rule(s); "
                         "new transactions use them, open ones finish on the old rules\n",
                 rules_version_.c_str(), pipeline_.rule_count());
  } else {
    std::fprintf(stderr, "sluice-dataplane: error: rule set %s from sluice-control rejected with %zu "
                         "error(s), old rules %s stay in force\n",
                 pending_version_.c_str(), outcome->errors.size(), rules_version_.c_str());
  }
  return true;
}

bool PipelineCommands::ApplyPolicy(const std::string& text, std::string* error) {
  return ApplyDetectorPolicy(pipeline_, text, error);
}

void PipelineCommands::CollectCounters(std::vector<NamedCounter>* counters) {
  CollectPipelineCounters(pipeline_, counters);
}

}  // namespace sluice::command_channel
