#include "dataplane/app/pipeline.h"

#include <openssl/rand.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <thread>

namespace sluice::app {

namespace {

constexpr uint32_t kInputRingSize = 4096;

uint64_t RandomRunId() {
  uint64_t id = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof(id)) != 1) {
    id = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  return id;
}

worker::WorkerConfig MakeWorkerConfig(const DataplaneConfig& config, uint16_t id, uint32_t link_type,
                                      bool offline, uint64_t run_id) {
  const Limits& limits = config.limits;
  worker::WorkerConfig worker;
  worker.worker_id = id;
  worker.link_type = link_type;
  worker.max_flows = limits.flows_per_worker;
  worker.idle_timeout_ns = static_cast<uint64_t>(limits.flow_idle_timeout_s) * 1000000000ull;
  worker.transaction_slots = limits.transactions_per_worker;
  worker.segment_chunks = limits.reassembly_chunks_per_worker;
  worker.line_buffers = limits.line_buffers_per_worker;
  worker.line_bytes = limits.max_line_bytes;
  worker.limits.parser.max_headers = limits.max_headers;
  worker.limits.parser.max_header_bytes = limits.max_header_bytes;
  worker.limits.stream.max_held_bytes = limits.max_held_bytes_per_stream;
  worker.records.dataplane_id = config.id;
  worker.records.run_id = run_id;
  worker.records.worker_id = id;
  worker.records.records_per_batch = config.records_per_batch;
  worker.records.wait_for_buffers = offline;
  return worker;
}

}  // namespace

Pipeline::~Pipeline() {
  JoinWorkers();
  for (rte_ring* ring : inputs_) rte_ring_free(ring);
}

bool Pipeline::Build(const DataplaneConfig& config, uint32_t link_type, bool offline, std::string* error) {
  run_id_ = RandomRunId();
  if (rte_lcore_count() < config.workers + 1) {
    *error = "DPDK has " + std::to_string(rte_lcore_count()) + " lcores but " +
             std::to_string(config.workers) + " workers need " + std::to_string(config.workers + 1) +
             " (one main lcore plus one per worker): fix -l/--lcores or --workers";
    return false;
  }
  const uint32_t mbuf_count = config.workers * (kInputRingSize + 1024) + 4096;
  mbufs_ = rte_pktmbuf_pool_create("sl_mbufs", mbuf_count, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   static_cast<int>(rte_socket_id()));
  if (mbufs_ == nullptr) {
    *error = "cannot create the mbuf pool (" + std::to_string(mbuf_count) + " mbufs): " +
             rte_strerror(rte_errno) + "; give DPDK more memory (-m) or use fewer workers";
    return false;
  }
  if (!worker::RegisterTimestampField(error)) return false;
  for (uint16_t id = 0; id < config.workers; ++id) {
    if (offline) {
      rte_ring* ring = rte_ring_create(("sl_input_" + std::to_string(id)).c_str(), kInputRingSize,
                                       static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (ring == nullptr) {
        *error = std::string("cannot create a worker input ring: ") + rte_strerror(rte_errno);
        return false;
      }
      inputs_.push_back(ring);
    }
    auto channel = std::make_unique<exporter::BatchChannel>();
    if (!channel->Init(id, config.batch_buffers_per_worker, error)) return false;
    auto worker = std::make_unique<worker::Worker>(
        MakeWorkerConfig(config, id, link_type, offline, run_id_), channel.get());
    if (!worker->Init(error)) return false;
    auto runtime = std::make_unique<worker::WorkerRuntime>();
    runtime->worker = worker.get();
    runtime->input = offline ? inputs_.back() : nullptr;
    runtime->input_done = &input_done;
    runtime->stop = &stop;
    channel_pointers_.push_back(channel.get());
    channels_.push_back(std::move(channel));
    workers_.push_back(std::move(worker));
    runtimes_.push_back(std::move(runtime));
  }
  return true;
}

bool Pipeline::Connect(const DataplaneConfig& config, std::string* error) {
  exporter::ExporterOptions options;
  options.endpoint = config.control;
  options.dataplane_id = config.id;
  options.run_id = run_id_;
  options.workers = static_cast<uint16_t>(config.workers);
  return exporter_.Connect(options, error);
}

bool Pipeline::Launch(std::string* error) {
  uint32_t index = 0;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (index == runtimes_.size()) break;
    if (rte_eal_remote_launch(worker::RunWorker, runtimes_[index].get(), lcore) != 0) {
      *error = "cannot launch worker " + std::to_string(index) + " on lcore " + std::to_string(lcore);
      return false;
    }
    ++index;
  }
  launched_ = true;
  return true;
}

bool Pipeline::Drain(uint32_t timeout_s) {
  auto last_progress = std::chrono::steady_clock::now();
  uint64_t last_acked = exporter_.counters().batches_acked;
  for (;;) {
    PollExporter();
    bool finished = true;
    for (const auto& runtime : runtimes_) finished &= runtime->finished.load(std::memory_order_acquire);
    if (finished) {
      PollExporter();  // pick up the last batches the workers handed over
      if (exporter_.in_flight() == 0) return true;
    }
    if (exporter_.counters().batches_acked != last_acked || !finished) {
      last_acked = exporter_.counters().batches_acked;
      last_progress = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(timeout_s)) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Pipeline::JoinWorkers() {
  if (!launched_) return;
  rte_eal_mp_wait_lcore();
  launched_ = false;
}

}  // namespace sluice::app
