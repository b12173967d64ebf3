// sluicectl's forensic verbs: records query, timeline and export, report scope, verify, show
// endpoints and show findings. Each sends bounded requests (one page each) to sluice-control,
// which reads its forensic store; sluicectl never opens the store files itself.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "control/cli/client.h"

namespace sluice::cli {

// The channel settings of the global options, read when a verb runs.
struct ChannelSettings {
  ClientOptions client;
  bool json = false;
};

struct ForensicOptions {
  std::string since;
  std::string until;
  std::string client;
  std::string endpoint;
  uint32_t status = 0;
  uint32_t rule_id = 0;
  uint64_t finding_id = 0;
  std::string run;  // --run: a run id as the records print it, 16 hex digits
  std::string pii_type;
  uint32_t limit = 100;
  std::string continuation;
  std::string format;
  std::string output;
  // Set by AddForensicVerbs: whether --rule and --finding were given.
  CLI::Option* rule_option = nullptr;
  CLI::Option* finding_option = nullptr;
};

// Adds `records`, `report` and `verify`, and `endpoints` and `findings` under `show`. Each verb
// stores its exit status in `status` when it runs.
void AddForensicVerbs(CLI::App& app, CLI::App& show, ForensicOptions& options,
                      std::function<ChannelSettings()> channel, int& status);

}  // namespace sluice::cli
