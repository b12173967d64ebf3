// sluicectl: the operator's command line for sluice-control. Reads (`show`, and the forensic verbs
// of forensic_verbs.h) are apart from changes (`rules load`, `set policy`); every verb takes
// --json; exit codes are in exit_codes.h.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "control/cli/client.h"
#include "control/cli/exit_codes.h"
#include "control/cli/forensic_verbs.h"
#include "control/cli/render.h"
#include "control/command/curve_keys.h"
#include "matchers/compile/check_rules.h"

namespace sluice::cli {
namespace {

constexpr char kDefaultEndpoint[] = "tcp://127.0.0.1:7751";
constexpr char kDefaultKeys[] = "/etc/sluice/keys";
// Below sluice-control's 16 MiB message bound, leaving room for the rest of the request.
constexpr size_t kMaxFileBytes = 15 << 20;

struct Options {
  std::string endpoint = kDefaultEndpoint;
  std::string keys = kDefaultKeys;
  bool json = false;
  double timeout_s = 90;
  double connect_timeout_s = 5;
  std::string file;
  std::string dataplane;
  std::string keys_init_dir;
  bool force = false;
};

int PrintError(const Options& options, const std::string& error, int exit_code) {
  if (options.json) {
    std::fputs(ErrorJson(error, exit_code).c_str(), stdout);
  }
  std::fprintf(stderr, "sluicectl: error: %s\n", error.c_str());
  return exit_code;
}

bool ReadTextFile(const std::string& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  if (text->size() > kMaxFileBytes) {
    *error = "'" + path + "' is larger than the 15 MiB limit of the command channel";
    return false;
  }
  return true;
}

std::vector<uint8_t> BuildRequest(command::Verb verb, const std::string& dataplane,
                                  const std::string& text, const std::string& source) {
  flatbuffers::FlatBufferBuilder fbb(text.size() + 256);
  const uint64_t request_id = (static_cast<uint64_t>(getpid()) << 32) | static_cast<uint32_t>(time(nullptr));
  const auto request = command::CreateRequest(
      fbb, request_id, verb, dataplane.empty() ? 0 : fbb.CreateString(dataplane),
      text.empty() ? 0 : fbb.CreateString(text), source.empty() ? 0 : fbb.CreateString(source));
  fbb.Finish(request);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// Sends one request and prints the response with `text` or `json`. Returns the exit status.
int Exchange(const Options& options, command::Verb verb, const std::string& body,
             std::string (*text)(const command::Response&),
             std::string (*json)(const command::Response&)) {
  ClientOptions client;
  client.endpoint = options.endpoint;
  client.key_directory = options.keys;
  client.connect_timeout_s = options.connect_timeout_s;
  client.reply_timeout_s = options.timeout_s;
  const ClientResult result =
      SendRequest(client, BuildRequest(verb, options.dataplane, body, options.file));
  if (result.exit_code != kExitOk) return PrintError(options, result.error, result.exit_code);

  const command::Response& response = *result.Get();
  const bool has_results = response.results() != nullptr && response.results()->size() > 0;
  if (!response.ok() && !has_results) {
    const std::string error =
        response.error() != nullptr ? response.error()->str() : "sluice-control reported a failure";
    return PrintError(options, error, kExitFailed);
  }
  std::fputs((options.json ? json(response) : text(response)).c_str(), stdout);
  return response.ok() ? kExitOk : kExitFailed;
}

int RunUpdate(const Options& options, command::Verb verb) {
  std::string body;
  std::string error;
  if (!ReadTextFile(options.file, &body, &error)) return PrintError(options, error, kExitUsage);
  return Exchange(options, verb, body, UpdateText, UpdateJson);
}

int RunRulesCheck(const Options& options) {
  if (access(options.file.c_str(), R_OK) != 0) {
    return PrintError(options, "cannot read '" + options.file + "': " + std::strerror(errno),
                      kExitUsage);
  }
  const matchers::CheckReport report = matchers::CheckRules(options.file);
  std::fputs((options.json ? CheckJson(options.file, report) : report.text).c_str(), stdout);
  return report.ok ? kExitOk : kExitFailed;
}

int RunKeysInit(const Options& options) {
  control::KeysInitResult result;
  std::string error;
  if (!control::InitKeyDirectory(options.keys_init_dir, options.force, &result, &error)) {
    return PrintError(options, error, kExitUsage);
  }
  if (options.json) {
    std::printf("{\"ok\":true,\"directory\":\"%s\",\"server_public\":\"%s\",\"client_public\":\"%s\","
                "\"allowed\":\"%s\"}\n",
                options.keys_init_dir.c_str(), result.server_public.c_str(),
                result.client_public.c_str(), result.allowed_path.c_str());
  } else {
    std::printf("wrote the keys to %s (mode 0600):\n"
                "  server.secret, server.public   sluice-control (control.command_keys: %s)\n"
                "  client.secret, client.public   sluicectl (--keys %s)\n"
                "  allowed/client.public          the client key sluice-control admits\n"
                "server public key: %s\nclient public key: %s\n"
                "restart sluice-control to load them\n",
                options.keys_init_dir.c_str(), options.keys_init_dir.c_str(),
                options.keys_init_dir.c_str(), result.server_public.c_str(),
                result.client_public.c_str());
  }
  return kExitOk;
}

void AddGlobalOptions(CLI::App& app, Options& options) {
  app.add_option("--connect", options.endpoint,
                 "ZeroMQ endpoint of sluice-control's command channel (control.command_listen)")
      ->default_val(options.endpoint);
  app.add_option("--keys", options.keys,
                 "Directory with client.secret, client.public and server.public "
                 "(env SLUICE_KEYS)")
      ->default_val(options.keys);
  app.add_flag("--json", options.json, "Print one JSON document instead of tables");
  app.add_option("--timeout", options.timeout_s,
                 "Seconds to wait for the reply once connected; rules load waits for every "
                 "data plane to compile")
      ->default_val(options.timeout_s)
      ->check(CLI::PositiveNumber);
  app.add_option("--connect-timeout", options.connect_timeout_s,
                 "Seconds to wait for the authenticated connection")
      ->default_val(options.connect_timeout_s)
      ->check(CLI::PositiveNumber);
}

// Every verb takes --json after its name too, and every group's help names the shared options.
void AddVerbOptions(CLI::App& app, Options& options) {
  for (CLI::App* group : app.get_subcommands({})) {
    group->footer("Options shared by every verb (--connect, --keys, --json, --timeout, "
                  "--connect-timeout): see sluicectl --help.");
    for (CLI::App* verb : group->get_subcommands({})) {
      verb->add_flag("--json", options.json, "Print one JSON document instead of tables");
    }
  }
}

// Prints a usage error with the command it belongs to, the commands there when one is missing,
// and where the help is. Returns the usage exit status.
int ReportUsageError(const CLI::App& app, const CLI::ParseError& error) {
  const CLI::App* at = &app;
  std::string path = "sluicectl";
  while (!at->get_subcommands().empty()) {
    at = at->get_subcommands().front();
    path += " " + at->get_name();
  }
  // CLI11 reports a missing command as "A subcommand is required".
  const bool missing_command = std::string_view(error.what()).find("subcommand") != std::string_view::npos;
  if (missing_command && at->get_subcommands().empty()) {
    std::string names;
    for (const CLI::App* command : at->get_subcommands({})) names += (names.empty() ? "" : ", ") + command->get_name();
    std::fprintf(stderr, "%s: missing command, one of: %s\n", path.c_str(), names.c_str());
  } else {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), error.what());
  }
  std::fprintf(stderr, "Run '%s --help' for its commands and options.\n", path.c_str());
  return kExitUsage;
}

}  // namespace
}  // namespace sluice::cli

int main(int argc, char** argv) {
  using namespace sluice::cli;
  using sluice::command::Verb;

  Options options;
  if (const char* keys = std::getenv("SLUICE_KEYS"); keys != nullptr && *keys != '\0') {
    options.keys = keys;
  }
  CLI::App app{"sluicectl: show the state of sluice-control and its data planes, change their "
               "rules and policies, and query the forensic store. Exit status: 0 ok, 1 the "
               "command failed or nothing matched, 2 usage or configuration error, 3 "
               "sluice-control unreachable or this key rejected."};
  app.fallthrough();
  app.require_subcommand(1);
  AddGlobalOptions(app, options);

  int status = -1;
  auto* keys = app.add_subcommand("keys", "Manage the CURVE keys of the command channel");
  keys->require_subcommand(1);
  auto* keys_init = keys->add_subcommand(
      "init", "Generate the server and a client keypair and allow the client key");
  keys_init->add_option("--dir", options.keys_init_dir, "Directory to create and fill")
      ->default_val(std::string(kDefaultKeys));
  keys_init->add_flag("--force", options.force, "Replace existing key files");
  keys_init->callback([&] { status = RunKeysInit(options); });

  auto* show = app.add_subcommand("show", "Read the state of sluice-control and its data planes");
  show->require_subcommand(1);
  show->add_subcommand("status", "Data planes connected: mode, ports, uptime, rule set, rates, drops")
      ->callback([&] { status = Exchange(options, Verb::Status, "", StatusText, StatusJson); });
  auto* stats = show->add_subcommand("stats", "Every counter, with a one-line meaning each");
  stats->add_option("--dataplane", options.dataplane, "Only this data plane's counters (its id)");
  stats->callback([&] { status = Exchange(options, Verb::Stats, "", StatsText, StatsJson); });
  show->add_subcommand("rules", "The rule set version and rule ids in force on each data plane")
      ->callback([&] { status = Exchange(options, Verb::RulesShow, "", RulesText, RulesJson); });

  auto* rules = app.add_subcommand("rules", "Check or load a rule file");
  rules->require_subcommand(1);
  auto* check = rules->add_subcommand(
      "check", "Compile a rule file here, as the data planes would, and list every error");
  check->add_option("FILE", options.file, "YAML rule file")->required();
  check->callback([&] { status = RunRulesCheck(options); });
  auto* load = rules->add_subcommand(
      "load", "Send a rule file to every data plane; each compiles it off its workers and swaps "
              "it in, or keeps its old rules on any error");
  load->add_option("FILE", options.file, "YAML rule file")->required();
  load->callback([&] { status = RunUpdate(options, Verb::RulesLoad); });

  auto* set = app.add_subcommand("set", "Change a setting on every data plane");
  set->require_subcommand(1);
  auto* policy = set->add_subcommand(
      "policy", "Send a detector policy (a YAML detectors: section) to every data plane");
  policy->add_option("FILE", options.file, "YAML file with a detectors: section")->required();
  policy->callback([&] { status = RunUpdate(options, Verb::SetPolicy); });

  ForensicOptions forensic;
  auto channel = [&options] {
    ChannelSettings settings;
    settings.client.endpoint = options.endpoint;
    settings.client.key_directory = options.keys;
    settings.client.connect_timeout_s = options.connect_timeout_s;
    settings.client.reply_timeout_s = options.timeout_s;
    settings.json = options.json;
    return settings;
  };
  AddForensicVerbs(app, *show, forensic, channel, status);

  AddVerbOptions(app, options);
  // `verify` is a verb without a group, so AddVerbOptions does not reach it.
  app.get_subcommand("verify")->add_flag("--json", options.json,
                                         "Print one JSON document instead of tables");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsageError(app, error);
  }
  return status < 0 ? kExitUsage : status;
}
