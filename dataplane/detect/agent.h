// The detectors' side of one worker. For each call it parses, it names the client, templates the
// endpoint, attaches the findings in force for that client and sends a CallEvent to the worker
// that owns the client (itself, or over that worker's ring). As an owner it drains its ring,
// runs the Engine, writes finding and inventory records and tells every worker about findings.
//
// Ownership: one Agent per worker lcore. Its rings are multi-producer, single-consumer: any
// worker enqueues, only the owner dequeues. A full ring drops the message and counts it; no
// worker ever waits on another.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/engine.h"
#include "dataplane/detect/flagged_clients.h"
#include "dataplane/inspect/inspector.h"
#include "dataplane/record/record_builder.h"
#include "dataplane/session/call_observer.h"
#include "matchers/pii/fingerprint.h"

struct rte_ring;

namespace sluice::detect {

struct AgentCounters {
  uint64_t events_local = 0;       // calls whose client this worker owns
  uint64_t events_sent = 0;        // calls sent to the owning worker's ring
  uint64_t events_dropped = 0;     // calls lost because the owner's ring was full
  uint64_t events_received = 0;
  uint64_t notices_sent = 0;       // finding notices sent to other workers
  uint64_t notices_dropped = 0;    // finding notices lost to a full ring
  uint64_t notices_received = 0;
  uint64_t identity_fallbacks = 0; // calls without the configured identity: named by address
  uint64_t flagged_calls = 0;      // calls that carried at least one finding
  uint64_t blocked_calls = 0;      // inline: calls blocked because of a finding
  uint64_t would_block_calls = 0;  // offline and passive: calls a finding would have blocked
  uint64_t flagged_evicted = 0;
  uint64_t policy_swaps = 0;
};

class Agent final : public session::CallObserver, public FindingSink, public InventorySink {
 public:
  // `policy` must outlive the agent (the pipeline keeps every policy it handed out).
  Agent(uint16_t worker_id, uint32_t workers, const DetectorPolicy* policy, std::string_view hmac_key,
        bool can_block, record::RecordBuilder* records, inspect::Inspector* inspector);

  // `inbound[i]` is worker i's ring. Without rings (one worker, or tests) every call is local.
  void SetRings(std::vector<rte_ring*> inbound) { rings_ = std::move(inbound); }
  // Processes up to `budget` messages from this worker's ring. Returns how many.
  uint32_t Poll(uint32_t budget);
  // Main lcore: offers a policy of the same shape; the worker adopts it in AdoptPendingPolicy.
  void OfferPolicy(const DetectorPolicy* policy) { pending_.store(policy, std::memory_order_release); }
  bool AdoptPendingPolicy();
  // Exports the inventory when its period has passed (packet time), or now with `force`.
  void Tick(uint64_t now_ns, bool force) { engine_.MaybeExportInventory(now_ns, force, this); }

  const AgentCounters& counters() const { return counters_; }
  AgentCounters counters_with_evictions() const;
  const Engine& engine() const { return engine_; }

  // session::CallObserver
  bool WantsHeader(std::string_view name) const override;
  void OnRequestHeaders(const flow::Flow& flow, session::Transaction* txn) override;
  void OnCallEnd(const flow::Flow& flow, session::Transaction* txn) override;
  // FindingSink
  void OnFinding(const Finding& finding) override;
  // InventorySink
  void OnEndpoint(const EndpointStats& stats, uint64_t p50, uint64_t p90, uint64_t p99,
                  uint32_t distinct_clients) override;
  void OnInventoryEnd(uint64_t window_start_ns, uint64_t window_end_ns) override;

 private:
  void Identify(const flow::Flow& flow, session::Transaction* txn);
  void ApplyFindings(session::Transaction* txn, uint64_t now_ns);
  void BuildEvent(const flow::Flow& flow, const session::Transaction& txn, CallEvent* event);
  void Route(const DetectMessage& message, uint32_t worker);

  uint16_t worker_id_;
  uint32_t workers_;
  const DetectorPolicy* policy_;
  std::atomic<const DetectorPolicy*> pending_{nullptr};
  matchers::Fingerprinter fingerprinter_;
  bool can_block_;
  record::RecordBuilder* records_;
  inspect::Inspector* inspector_;
  Engine engine_;
  FlaggedClients flagged_;
  std::vector<rte_ring*> rings_;
  std::vector<char> normalized_;   // scratch: the request path as the server resolves it
  std::vector<record::InventoryEntry> inventory_;  // reserved once
  AgentCounters counters_;
};

}  // namespace sluice::detect
