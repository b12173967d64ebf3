// Stopping the EAL without leaving its runtime directory behind. DPDK keeps about 6 MB of files
// per file prefix in /run (or $XDG_RUNTIME_DIR) after rte_eal_cleanup(), so a prefix made up per
// process would leave one directory per run.
#pragma once

#include <rte_eal.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace sluice::app {

// Stops the EAL, then removes its runtime directory. For prefixes no other process shares.
inline void StopEalAndRemoveRuntimeDir() {
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ignored;  // a directory left behind costs space, not correctness
  std::filesystem::remove_all(runtime_dir, ignored);
}

}  // namespace sluice::app
