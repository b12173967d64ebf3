// sluicectl output: each Response as a human table or as one JSON document.
#pragma once

#include <string>

#include "commands_generated.h"
#include "matchers/compile/check_rules.h"

namespace sluice::cli {

std::string StatusText(const command::Response& response);
std::string StatusJson(const command::Response& response);

std::string StatsText(const command::Response& response);
std::string StatsJson(const command::Response& response);

std::string RulesText(const command::Response& response);
std::string RulesJson(const command::Response& response);

// The per-data-plane outcome of `rules load` or `set policy`, every error listed.
std::string UpdateText(const command::Response& response);
std::string UpdateJson(const command::Response& response);

std::string CheckJson(const std::string& path, const matchers::CheckReport& report);

// {"ok": false, "error": ...}, for every failure when --json is given.
std::string ErrorJson(const std::string& error, int exit_code);

}  // namespace sluice::cli
