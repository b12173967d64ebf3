// sluice-perf-footprint: memory per tracked flow and per open transaction, measured on the real
// structures. A FlowTable is created with the requested capacity; its rte_hash cost is the DPDK
// heap growth divided by the capacity. Prints one "FOOTPRINT key=value ..." line.
#include <rte_eal.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/app/eal_cleanup.h"
#include "dataplane/flow/flow_table.h"
#include "dataplane/session/transaction.h"

namespace {

size_t DpdkHeapBytes() {
  rte_malloc_socket_stats stats{};
  rte_malloc_get_socket_stats(0, &stats);
  return stats.heap_allocsz_bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t capacity = argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 1000000;
  std::vector<std::string> arguments = {argv[0], "--no-huge", "--no-pci", "-m", "1024",
                                        "--file-prefix=sluice-footprint-" + std::to_string(getpid()),
                                        "--log-level=lib.eal:error", "-l", "0"};
  std::vector<char*> argv_eal;
  for (std::string& argument : arguments) argv_eal.push_back(argument.data());
  if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
    std::fprintf(stderr, "sluice-perf-footprint: error: rte_eal_init failed (--no-huge -m 1024)\n");
    return 1;
  }
  const size_t heap_before = DpdkHeapBytes();
  int status = 0;
  {
    sluice::flow::FlowTable table;
    std::string error;
    if (!table.Init("footprint_flows", capacity, &error)) {
      std::fprintf(stderr, "sluice-perf-footprint: error: %s\n", error.c_str());
      status = 1;
    } else {
      const double hash_per_flow =
          static_cast<double>(DpdkHeapBytes() - heap_before) / static_cast<double>(capacity);
      std::printf(
          "FOOTPRINT capacity=%u sizeof_flow=%zu sizeof_flow_key=%zu hash_bytes_per_flow=%.1f "
          "bytes_per_flow=%.1f sizeof_transaction=%zu\n",
          capacity, sizeof(sluice::flow::Flow), sizeof(sluice::flow::FlowKey), hash_per_flow,
          static_cast<double>(sizeof(sluice::flow::Flow)) + hash_per_flow,
          sizeof(sluice::session::Transaction));
    }
  }
  sluice::app::StopEalAndRemoveRuntimeDir();
  return status;
}
