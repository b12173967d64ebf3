// The running data plane as the main lcore sees it: mbuf pool, workers, their batch channels and
// the exporter. Offline and passive modes share it; they differ only in where frames come from.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/app/config.h"
#include "matchers/compile/compiled_rules.h"
#include "matchers/pii/pii_detectors.h"
#include "dataplane/export/batch_channel.h"
#include "dataplane/export/exporter.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_loop.h"

struct rte_mempool;
struct rte_ring;

namespace sluice::app {

class Pipeline {
 public:
  Pipeline() = default;
  ~Pipeline();

  // Creates every pool, ring and worker, and compiles the rules. `link_type` is the capture's, or
  // Ethernet for ports. Fails on any bad rule: the data plane never runs a partial rule set.
  bool Build(const DataplaneConfig& config, uint32_t link_type, bool offline, std::string* error);
  // Connects to sluice-control (Hello/HelloAck).
  bool Connect(const DataplaneConfig& config, std::string* error);
  // Starts the worker lcores.
  bool Launch(std::string* error);
  // Waits until every worker finished and sluice-control acknowledged every batch, polling the
  // exporter. Returns false when no acknowledgement arrived for `timeout_s`.
  bool Drain(uint32_t timeout_s);
  void JoinWorkers();

  rte_mempool* mbufs() { return mbufs_; }
  rte_ring* input(uint32_t worker) { return inputs_[worker]; }
  uint32_t workers() const { return static_cast<uint32_t>(workers_.size()); }
  exporter::Exporter& exporter() { return exporter_; }
  // Sends ready batches and reads acknowledgements, at most every 20 us: each ZeroMQ call costs
  // system calls, and the callers poll from tight wait loops.
  void PollExporter();
  const std::vector<std::unique_ptr<worker::Worker>>& worker_list() const { return workers_; }
  std::vector<std::unique_ptr<worker::WorkerRuntime>>& runtimes() { return runtimes_; }
  std::atomic<bool> input_done{false};
  std::atomic<bool> stop{false};
  uint64_t run_id() const { return run_id_; }
  size_t rule_count() const { return rules_ ? rules_->rules().size() : 0; }
  // Compiles `path` off the workers and offers it to every worker, which switches between
  // bursts: new transactions use it, open ones finish on the old rules. A file with any error
  // changes nothing; `error` then lists every bad rule.
  bool ReloadRules(const std::string& path, std::string* error);
  // Validates a new `detectors:` section (YAML text: the mapping, or a document with a top-level
  // `detectors:` key) and offers it to every worker, which adopts it between bursts. Thresholds,
  // windows, actions, allow-lists and the identity may change; per-client state is kept.
  // Capacities and `enabled` change only with a restart. A bad policy changes nothing, and
  // `error` explains why. Main lcore only.
  bool ApplyDetectorPolicy(const std::string& yaml_text, std::string* error);
  // The policy in force (last applied), or null without detectors.
  const detect::DetectorPolicy* detector_policy() const {
    return policies_.empty() ? nullptr : policies_.back().get();
  }

  // A compiled rule set and one scanner per worker, built off the workers.
  struct PreparedRules {
    std::shared_ptr<const matchers::CompiledRuleSet> rules;
    std::vector<std::unique_ptr<matchers::Scanner>> scanners;
  };
  // Loads, validates and compiles rule YAML text for `workers` workers. Touches no Pipeline
  // state, so any thread may call it (the command thread compiles here while the main lcore
  // keeps exporting). Returns false with every error, one line each, in `errors`.
  static bool PrepareRulesText(const std::string& text, size_t workers,
                               const matchers::ScannerConfig& scanner_config, PreparedRules* prepared,
                               std::vector<std::string>* errors);
  // Scanner settings from dataplane.limits, for PrepareRulesText.
  const matchers::ScannerConfig& scanner_config() const { return scanner_config_; }
  // Main lcore: offers the prepared scanners to the workers, which switch between bursts as in
  // ReloadRules. Returns false, changing nothing, when a worker has no inspector (the data plane
  // started without rules and without PII detection).
  bool AdoptPreparedRules(PreparedRules prepared, std::string* error);
  // PrepareRulesText then AdoptPreparedRules, on the calling thread.
  bool ReloadRulesFromText(const std::string& text, std::string* error);
  const std::shared_ptr<const matchers::CompiledRuleSet>& rules() const { return rules_; }

  // Main lcore: `poller` runs on every PollExporter pass, which is how the command channel is
  // served from the same loops that export records.
  void SetCommandPoller(std::function<void()> poller) { command_poller_ = std::move(poller); }

 private:
  bool CompileInspection(const DataplaneConfig& config, std::string* error);
  bool CreateDetectRings(const DataplaneConfig& config, std::string* error);
  static std::shared_ptr<const matchers::CompiledRuleSet> CompileRules(const std::string& path,
                                                                       std::string* error);
  std::unique_ptr<inspect::Inspector> MakeInspector(bool can_block, std::string* error);

  std::shared_ptr<const matchers::CompiledRuleSet> rules_;
  matchers::ScannerConfig scanner_config_;
  uint32_t inflaters_per_worker_ = 64;
  std::shared_ptr<const matchers::PiiDetectorSet> pii_;
  std::string pii_key_;
  // Every detector policy handed to the workers, kept for the whole run: a worker may still read
  // an older one until it adopts the next, and swaps are rare, so none is freed early.
  std::vector<std::unique_ptr<const detect::DetectorPolicy>> policies_;
  std::vector<rte_ring*> detect_rings_;   // one inbound ring per worker (multi-producer)
  std::atomic<uint32_t> workers_closed_{0};
  rte_mempool* mbufs_ = nullptr;
  std::vector<rte_ring*> inputs_;
  std::vector<std::unique_ptr<exporter::BatchChannel>> channels_;
  std::vector<exporter::BatchChannel*> channel_pointers_;
  std::vector<std::unique_ptr<worker::Worker>> workers_;
  std::vector<std::unique_ptr<worker::WorkerRuntime>> runtimes_;
  exporter::Exporter exporter_;
  uint64_t run_id_ = 0;
  bool launched_ = false;
  bool offline_ = false;
  uint64_t next_poll_tsc_ = 0;
  uint64_t poll_interval_tsc_ = 0;
  std::function<void()> command_poller_;
};

}  // namespace sluice::app
