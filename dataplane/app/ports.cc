#include "dataplane/app/ports.h"

#include <rte_ethdev.h>

namespace sluice::app {

namespace {

// A Toeplitz key of one repeated 16-bit pattern hashes (a, b) and (b, a) alike, so both
// directions of a connection land on the same queue.
uint8_t kSymmetricKey[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};

constexpr uint16_t kRxDescriptors = 1024;

bool SetUpPort(uint16_t port, Pipeline& pipeline, bool transmit, std::string* error) {
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(port, &info) != 0) {
    *error = "cannot read port " + std::to_string(port) + " information";
    return false;
  }
  const uint16_t queues = static_cast<uint16_t>(pipeline.workers());
  if (queues > info.max_rx_queues) {
    *error = "port " + std::to_string(port) + " (" + info.driver_name + ") has " +
             std::to_string(info.max_rx_queues) + " receive queues but " + std::to_string(queues) +
             " workers need one each (for af_packet add qpairs=N to the vdev string)";
    return false;
  }
  rte_eth_conf conf{};
  const uint64_t rss = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
  if (queues > 1 && (info.flow_type_rss_offloads & rss) != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = kSymmetricKey;
    conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(kSymmetricKey);
    conf.rx_adv_conf.rss_conf.rss_hf = rss & info.flow_type_rss_offloads;
  }
  // Passive ports never transmit, and some PMDs (net_pcap replaying a file) refuse TX queues.
  const uint16_t tx_queues = transmit ? queues : 0;
  int rc = rte_eth_dev_configure(port, queues, tx_queues, &conf);
  if (rc != 0) {
    *error = "cannot configure port " + std::to_string(port) + ": " + rte_strerror(-rc);
    return false;
  }
  for (uint16_t queue = 0; queue < queues; ++queue) {
    rc = rte_eth_rx_queue_setup(port, queue, kRxDescriptors, rte_eth_dev_socket_id(port), nullptr,
                                pipeline.mbufs());
    if (rc == 0 && transmit) rc = rte_eth_tx_queue_setup(port, queue, 512, rte_eth_dev_socket_id(port), nullptr);
    if (rc != 0) {
      *error = "cannot set up queue " + std::to_string(queue) + " of port " + std::to_string(port) +
               ": " + rte_strerror(-rc);
      return false;
    }
    pipeline.runtimes()[queue]->queues.emplace_back(port, queue);
    // Inline ports pair up in order: 0<->1, 2<->3, ...
    pipeline.runtimes()[queue]->peers.push_back(static_cast<uint16_t>(port ^ 1));
  }
  rc = rte_eth_dev_start(port);
  if (rc != 0) {
    *error = "cannot start port " + std::to_string(port) + ": " + rte_strerror(-rc);
    return false;
  }
  rte_eth_promiscuous_enable(port);
  return true;
}

}  // namespace

bool SetUpPorts(Pipeline& pipeline, bool transmit, std::string* error) {
  if (rte_eth_dev_count_avail() == 0) {
    *error = "no DPDK port found: check dataplane.ports (PCI devices must be bound to vfio-pci)";
    return false;
  }
  uint16_t port = 0;
  RTE_ETH_FOREACH_DEV(port) {
    if (!SetUpPort(port, pipeline, transmit, error)) return false;
  }
  return true;
}

void StopPorts() {
  uint16_t port = 0;
  RTE_ETH_FOREACH_DEV(port) {
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
  }
}

}  // namespace sluice::app
