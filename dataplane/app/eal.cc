#include "dataplane/app/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "dataplane/app/eal_cleanup.h"

namespace sluice::app {

namespace {

bool HasOption(const std::vector<std::string>& arguments, std::initializer_list<const char*> names) {
  for (const std::string& argument : arguments) {
    for (const char* name : names) {
      const std::string option(name);
      if (argument == option || argument.rfind(option + "=", 0) == 0) return true;
      // Short options may carry their value attached: -l0-3, -m512.
      if (option.size() == 2 && option[1] != '-' && argument.rfind(option, 0) == 0) return true;
    }
  }
  return false;
}

std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

// Lcore 0 (main) on the first CPU, workers on the others; with fewer CPUs than lcores they share.
std::string LcoreMap(uint32_t workers) {
  const std::vector<int> cpus = AllowedCpus();
  std::string map = "0@" + std::to_string(cpus[0]);
  for (uint32_t worker = 1; worker <= workers; ++worker) {
    const int cpu = cpus.size() > 1 ? cpus[1 + (worker - 1) % (cpus.size() - 1)] : cpus[0];
    map += "," + std::to_string(worker) + "@" + std::to_string(cpu);
  }
  return map;
}

bool IsPciAddress(const std::string& port) {
  static const std::regex kPci("^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$");
  return std::regex_match(port, kPci);
}

}  // namespace

long FreeHugepages() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  long value = 0;
  while (meminfo >> key >> value) {
    if (key == "HugePages_Free:") return value;
    meminfo.ignore(256, '\n');
  }
  return 0;
}

std::vector<std::string> BuildEalArguments(const DataplaneConfig& config, std::vector<std::string>* notes) {
  std::vector<std::string> arguments = {"sluice-dataplane"};
  arguments.insert(arguments.end(), config.eal_args.begin(), config.eal_args.end());
  const std::vector<std::string> given(config.eal_args);
  if (!HasOption(given, {"--file-prefix", "--in-memory"})) {
    arguments.push_back("--file-prefix=sluice-" + std::to_string(getpid()));
  }
  if (!HasOption(given, {"--no-huge", "--in-memory"}) && FreeHugepages() <= 0) {
    arguments.push_back("--no-huge");
    if (!HasOption(given, {"-m", "--socket-mem"})) {
      arguments.push_back("-m");
      arguments.push_back("512");
    }
    notes->push_back("no free hugepages: starting DPDK with --no-huge (fine for captures; for line "
                     "rate reserve hugepages, for example with dpdk-hugepages.py --setup 2G)");
  }
  if (!HasOption(given, {"-l", "--lcores", "-c"})) {
    arguments.push_back("--lcores=" + LcoreMap(config.workers));
  }
  if (!HasOption(given, {"--log-level"})) {
    arguments.push_back("--log-level=lib.eal:warning");
    arguments.push_back("--log-level=lib.telemetry:warning");
    arguments.push_back("--log-level=user1:warning");
  }
  if (config.mode == Mode::kOffline) {
    if (!HasOption(given, {"--no-pci", "-a", "--allow", "-b", "--block"})) arguments.push_back("--no-pci");
  } else {
    bool any_pci = false;
    for (const std::string& port : config.ports) {
      any_pci |= IsPciAddress(port);
      arguments.push_back(IsPciAddress(port) ? "-a" : "--vdev");
      arguments.push_back(port);
    }
    if (config.mode == Mode::kInline) {
      for (const std::string& port : config.ports) {
        if (port.rfind("net_af_packet", 0) != 0) continue;
        notes->push_back("port '" + port + "': DPDK's net_af_packet makes the kernel reassemble IPv4 "
                         "fragments (PACKET_FANOUT_FLAG_DEFRAG), so fragments do not leave as they came "
                         "and datagrams over 2 KiB are lost; use net_pcap0,iface=... or a PCI port");
        break;
      }
    }
    // With only virtual devices, probing the PCI bus would attach NICs nobody asked for.
    if (!any_pci && !HasOption(given, {"--no-pci", "-a", "--allow", "-b", "--block"})) {
      arguments.push_back("--no-pci");
    }
  }
  return arguments;
}

bool EalSession::Start(const std::vector<std::string>& arguments, std::string* error) {
  std::vector<char*> argv;
  std::vector<std::string> copies(arguments);  // rte_eal_init may permute argv
  for (std::string& argument : copies) argv.push_back(argument.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(copies.size()), argv.data()) < 0) {
    std::string joined;
    for (const std::string& argument : arguments) joined += " " + argument;
    *error = std::string("cannot start DPDK: ") + rte_strerror(rte_errno) + " (EAL arguments:" + joined + ")";
    return false;
  }
  started_ = true;
  const std::string own_prefix = "--file-prefix=sluice-" + std::to_string(getpid());
  own_prefix_ = std::find(arguments.begin(), arguments.end(), own_prefix) != arguments.end();
  return true;
}

EalSession::~EalSession() {
  if (!started_) return;
  if (own_prefix_) {
    StopEalAndRemoveRuntimeDir();
  } else {
    rte_eal_cleanup();
  }
}

}  // namespace sluice::app
