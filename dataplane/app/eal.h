// Builds DPDK EAL arguments from the config and starts the EAL.
#pragma once

#include <string>
#include <vector>

#include "dataplane/app/config.h"

namespace sluice::app {

// The EAL argument list: the config's and the command line's, plus defaults for what they do not
// set (file prefix, lcore map, --no-huge when no hugepage is free, --no-pci offline, ports).
// `notes` receives one line per default that the operator should know about.
std::vector<std::string> BuildEalArguments(const DataplaneConfig& config, std::vector<std::string>* notes);

// The running EAL of this process: stopped when the session ends. When the file prefix is the
// one BuildEalArguments made up (sluice-PID), the runtime directory DPDK leaves behind (about
// 6 MB in /run) is removed too.
class EalSession {
 public:
  EalSession() = default;
  ~EalSession();
  EalSession(const EalSession&) = delete;
  EalSession& operator=(const EalSession&) = delete;

  // Starts the EAL. Fails with rte_errno's message and the arguments used.
  bool Start(const std::vector<std::string>& arguments, std::string* error);

 private:
  bool started_ = false;
  bool own_prefix_ = false;  // false: the operator chose the prefix, so its directory stays
};

// Number of free hugepages of the default size, from /proc/meminfo.
long FreeHugepages();

}  // namespace sluice::app
