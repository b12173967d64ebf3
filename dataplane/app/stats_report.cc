#include "dataplane/app/stats_report.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <cinttypes>

#include "dataplane/http/http_anomaly.h"

namespace sluice::app {

namespace {

struct Totals {
  fragment::FragmentCounters fragments;
  worker::LatencyHistogram latency;
  uint64_t tx_dropped = 0;
  worker::WorkerCounters worker;
  session::SessionCounters session;
  reassembly::ReassemblyCounters reassembly;
  record::RecordCounters records;
  bool detectors = false;
  detect::AgentCounters detect;
  detect::EngineCounters engine;
  uint64_t clients_tracked = 0;            // client+template entries in use, all workers
  bool inspection = false;                 // some worker has rules or PII detection now
  inspect::InspectionCounters inspect;
};

void AddInspection(const worker::Worker& worker, Totals* totals) {
  const inspect::InspectionCounters* c = worker.inspection_counters();
  if (c == nullptr) return;
  if (worker.inspection_active()) totals->inspection = true;
  totals->inspect += *c;
}

void AddDetect(const worker::Worker& worker, Totals* totals) {
  const detect::Agent* agent = worker.detector();
  if (agent == nullptr) return;
  totals->detectors = true;
  const detect::AgentCounters a = agent->counters_with_evictions();
  detect::AgentCounters& d = totals->detect;
  d.events_local += a.events_local;
  d.events_sent += a.events_sent;
  d.events_dropped += a.events_dropped;
  d.events_received += a.events_received;
  d.notices_sent += a.notices_sent;
  d.notices_dropped += a.notices_dropped;
  d.notices_received += a.notices_received;
  d.identity_fallbacks += a.identity_fallbacks;
  d.flagged_calls += a.flagged_calls;
  d.blocked_calls += a.blocked_calls;
  d.would_block_calls += a.would_block_calls;
  d.flagged_evicted += a.flagged_evicted;
  const detect::EngineCounters e = agent->engine().counters();
  totals->engine.calls += e.calls;
  for (int i = 0; i < detect::kDetectorCount; ++i) totals->engine.findings[i] += e.findings[i];
  totals->engine.allowed += e.allowed;
  totals->engine.tracks_evicted += e.tracks_evicted;
  totals->engine.endpoints_evicted += e.endpoints_evicted;
  totals->clients_tracked += agent->engine().tracked();
}

Totals Sum(Pipeline& pipeline) {
  Totals totals;
  for (const auto& runtime : pipeline.runtimes()) {
    totals.latency.Merge(runtime->latency);
    totals.tx_dropped += runtime->tx_dropped;
  }
  for (const auto& worker : pipeline.worker_list()) {
    totals.worker += worker->counters();
    totals.fragments += worker->fragment_counters();
    totals.session += worker->session_counters();
    totals.reassembly += worker->reassembly_counters();
    totals.records += worker->record_counters();
    AddDetect(*worker, &totals);
    AddInspection(*worker, &totals);
  }
  return totals;
}

uint64_t CyclesToMs(uint64_t cycles) { return cycles / (rte_get_tsc_hz() / 1000); }

void Line(FILE* out, const char* name, uint64_t value, const char* note = "") {
  std::fprintf(out, "  %-28s %14" PRIu64 "%s\n", name, value, note);
}

// One line per worker: what it received, forwarded, dropped and skipped, and how long a packet took.
void PrintWorkerStats(FILE* out, Pipeline& pipeline) {
  for (size_t i = 0; i < pipeline.worker_list().size(); ++i) {
    const worker::WorkerCounters& w = pipeline.worker_list()[i]->counters();
    const worker::WorkerRuntime& runtime = *pipeline.runtimes()[i];
    std::fprintf(out, "  worker %zu: packets %" PRIu64 ", forwarded %" PRIu64 ", dropped by verdict %" PRIu64
                      ", uninspected %" PRIu64 ", dropped at transmit %" PRIu64 ", per-packet ns p50 %" PRIu64
                      " p99 %" PRIu64 " max %" PRIu64 "\n",
                 i, w.packets, w.forwarded, w.dropped_verdict, w.uninspected, runtime.tx_dropped,
                 runtime.latency.Quantile(0.50), runtime.latency.Quantile(0.99), runtime.latency.max());
  }
}

// Frames in and out per DPDK port, and what the NIC dropped because the worker was behind.
void PrintPortStats(FILE* out) {
  uint16_t port = 0;
  RTE_ETH_FOREACH_DEV(port) {
    rte_eth_stats stats{};
    if (rte_eth_stats_get(port, &stats) != 0) continue;
    std::fprintf(out, "  port %u: in %" PRIu64 ", out %" PRIu64 ", dropped by the NIC (queue full) %" PRIu64
                      ", receive errors %" PRIu64 ", transmit errors %" PRIu64 "\n",
                 port, stats.ipackets, stats.opackets, stats.imissed, stats.ierrors, stats.oerrors);
  }
}

void PrintDetectors(FILE* out, const Totals& t) {
  std::fprintf(out, "detectors\n");
  Line(out, "calls analysed", t.engine.calls);
  Line(out, "events sent to owner", t.detect.events_sent);
  Line(out, "events dropped (ring full)", t.detect.events_dropped, "  (calls the detectors never saw)");
  Line(out, "notices dropped (ring full)", t.detect.notices_dropped);
  Line(out, "client+template tracked", t.clients_tracked);
  Line(out, "client+template evicted", t.engine.tracks_evicted, "  (state lost: raise tracked_per_worker)");
  Line(out, "endpoints evicted", t.engine.endpoints_evicted);
  Line(out, "flagged clients evicted", t.detect.flagged_evicted);
  Line(out, "identity fallbacks (address)", t.detect.identity_fallbacks);
  for (int i = 0; i < detect::kDetectorCount; ++i) {
    std::fprintf(out, "  findings %-19s %14" PRIu64 "\n", detect::DetectorName(static_cast<detect::Detector>(i)),
                 t.engine.findings[i]);
  }
  Line(out, "suppressed by allow-list", t.engine.allowed);
  Line(out, "calls carrying findings", t.detect.flagged_calls);
  Line(out, "calls blocked", t.detect.blocked_calls);
  Line(out, "calls that would be blocked", t.detect.would_block_calls);
  Line(out, "finding records", t.records.findings);
  Line(out, "inventory records", t.records.inventories);
}

void PrintInspection(FILE* out, const Totals& t) {
  std::fprintf(out, "inspection\n");
  Line(out, "rule scans", t.inspect.rules.scans);
  Line(out, "bytes scanned by rules", t.inspect.rules.bytes_scanned);
  Line(out, "rule scan errors", t.inspect.rules.scan_errors, "  (pieces not matched)");
  Line(out, "bodies not rule-matched", t.inspect.rules.stream_pool_exhausted,
       "  (no free stream: raise limits.body_streams_per_worker)");
  Line(out, "bodies done early", t.inspect.rules.bodies_done_early, "  (every body pattern matched)");
  Line(out, "bodies not decompressed", t.inspect.inflaters_unavailable,
       "  (no free decoder: raise limits.inflaters_per_worker)");
  Line(out, "pii candidates", t.inspect.pii.candidates);
  Line(out, "  failed validation", t.inspect.pii.rejected);
  Line(out, "  cut at a body chunk edge", t.inspect.pii.split_values_lost);
  Line(out, "  too long to check", t.inspect.pii.values_too_long);
  Line(out, "pii values not rescanned", t.inspect.pii.clean_values_skipped, "  (header or query seen before, held none)");
  Line(out, "pii scans reused", t.inspect.pii.scans_reused, "  (header or query seen before with candidates, its outcome used again)");
}

}  // namespace

void PrintSummary(FILE* out, Pipeline& pipeline, const ReaderCounters* reader, double seconds) {
  const Totals t = Sum(pipeline);
  const auto& exported = pipeline.exporter().counters();
  std::fprintf(out, "sluice-dataplane summary (%u worker%s, %.2f s)\n", pipeline.workers(),
               pipeline.workers() == 1 ? "" : "s", seconds);
  if (reader != nullptr) {
    Line(out, "frames read", reader->frames);
  }
  Line(out, "packets", t.worker.packets);
  Line(out, "bytes", t.worker.bytes);
  if (seconds > 0) {
    std::fprintf(out, "  %-28s %14.3f\n", "packets per second (M)", static_cast<double>(t.worker.packets) / seconds / 1e6);
  }
  Line(out, "tcp packets", t.worker.decode[static_cast<int>(decode::DecodeResult::kTcp)]);
  Line(out, "other ip packets", t.worker.decode[static_cast<int>(decode::DecodeResult::kOtherL4)]);
  Line(out, "non-ip frames", t.worker.decode[static_cast<int>(decode::DecodeResult::kNotIp)]);
  Line(out, "ip fragments", t.worker.decode[static_cast<int>(decode::DecodeResult::kFragment)]);
  Line(out, "  datagrams reassembled", t.fragments.datagrams);
  Line(out, "  unsupported, not reassembled", t.fragments.unsupported);
  for (int i = static_cast<int>(decode::DecodeResult::kTruncatedL2); i < static_cast<int>(decode::DecodeResult::kCount); ++i) {
    if (t.worker.decode[i] == 0) continue;
    std::fprintf(out, "  decode error %-15s %14" PRIu64 "\n",
                 decode::DecodeResultName(static_cast<decode::DecodeResult>(i)), t.worker.decode[i]);
  }
  Line(out, "bad ip checksums", t.worker.ip_checksum_bad);
  Line(out, "bad tcp checksums", t.worker.tcp_checksum_bad);
  Line(out, "  of which offloaded", t.worker.tcp_checksum_offloaded, "  (sender left it to its NIC: parsed)");
  Line(out, "segments skipped (checksum)", t.worker.bad_checksum_skipped, "  (the receiver drops them too)");
  Line(out, "flows", t.worker.flows_created);
  Line(out, "  ended by fin", t.worker.flows_ended[static_cast<int>(flow::FlowEnd::kFin)]);
  Line(out, "  ended by rst", t.worker.flows_ended[static_cast<int>(flow::FlowEnd::kRst)]);
  Line(out, "  idle timeout", t.worker.flows_ended[static_cast<int>(flow::FlowEnd::kIdleTimeout)] +
                                  t.worker.flows_ended[static_cast<int>(flow::FlowEnd::kHalfFin)]);
  Line(out, "  evicted (table full)", t.worker.flows_ended[static_cast<int>(flow::FlowEnd::kEvicted)]);
  Line(out, "  open at end", t.worker.flows_ended[static_cast<int>(flow::FlowEnd::kOpen)]);
  Line(out, "  not tracked (table full)", t.worker.flow_table_full);
  Line(out, "http flows", t.session.http_flows);
  Line(out, "transactions", t.session.transactions);
  Line(out, "  without response", t.session.unanswered_requests);
  Line(out, "  response without request", t.session.unexpected_responses);
  Line(out, "  not tracked (pool full)", t.session.transaction_pool_exhausted);
  Line(out, "out-of-order segments", t.reassembly.out_of_order_segments);
  Line(out, "retransmitted segments", t.reassembly.retransmitted_segments);
  Line(out, "stream gaps", t.reassembly.gaps);
  Line(out, "records built", t.records.transactions + t.records.flows + t.records.findings + t.records.inventories);
  Line(out, "records sent", exported.records_sent);
  Line(out, "records acknowledged", exported.records_acked);
  Line(out, "records dropped", t.records.dropped);
  if (t.records.buffer_waits > 0) {
    Line(out, "waits for a batch buffer", t.records.buffer_waits, "  (sluice-control was behind)");
    Line(out, "  time waited (ms)", CyclesToMs(t.records.buffer_wait_cycles));
  }
  Line(out, "batches rejected by control", exported.batches_rejected);
  const exporter::SpoolCounters& spool = pipeline.exporter().spool_counters();
  if (spool.batches_given_up > 0 || exported.gap_records > 0) {
    Line(out, "records given up (spool full)", spool.records_given_up);
    Line(out, "batches given up (spool full)", spool.batches_given_up);
    Line(out, "gap records", exported.gap_records);
  }
  if (t.inspection) PrintInspection(out, t);
  if (t.detectors) PrintDetectors(out, t);
  if (t.latency.total() > 0 || t.worker.forwarded > 0) {
    std::fprintf(out, "inline and live\n");
    Line(out, "forwarded", t.worker.forwarded);
    Line(out, "dropped by verdict", t.worker.dropped_verdict);
    Line(out, "blocked connections", t.worker.blocked_flows);
    Line(out, "block frames not sent", t.worker.block_frames_failed);
    Line(out, "uninspected (fail-open)", t.worker.uninspected);
    Line(out, "connections with a skipped hole", t.worker.gapped_flows);
    Line(out, "dropped at transmit", t.tx_dropped);
    Line(out, "per-packet time p50 (ns)", t.latency.Quantile(0.50));
    Line(out, "per-packet time p99 (ns)", t.latency.Quantile(0.99));
    Line(out, "per-packet time max (ns)", t.latency.max());
    PrintPortStats(out);
    PrintWorkerStats(out, pipeline);
  }
  bool header = false;
  for (int i = 0; i < static_cast<int>(http::Anomaly::kCount); ++i) {
    if (t.session.anomalies[i] == 0) continue;
    if (!header) std::fprintf(out, "anomalies\n");
    header = true;
    Line(out, http::AnomalyName(static_cast<http::Anomaly>(i)), t.session.anomalies[i]);
  }
}

bool WriteSummaryJson(const std::string& path, Pipeline& pipeline, const ReaderCounters* reader,
                      double seconds, uint64_t replay_loops) {
  FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) return false;
  const Totals t = Sum(pipeline);
  const auto& exported = pipeline.exporter().counters();
  const auto field = [out](const char* name, uint64_t value) {
    std::fprintf(out, "  \"%s\": %" PRIu64 ",\n", name, value);
  };
  std::fprintf(out, "{\n  \"seconds\": %.6f,\n", seconds);
  field("workers", pipeline.workers());
  field("replay_loops", replay_loops);
  field("frames_read", reader != nullptr ? reader->frames : 0);
  field("packets", t.worker.packets);
  field("bytes", t.worker.bytes);
  field("tcp_packets", t.worker.decode[static_cast<int>(decode::DecodeResult::kTcp)]);
  field("ip_fragments", t.worker.decode[static_cast<int>(decode::DecodeResult::kFragment)]);
  field("fragments_reassembled_into_datagrams", t.fragments.datagrams);
  field("fragments_unsupported", t.fragments.unsupported);
  uint64_t decode_errors = 0;
  for (int i = static_cast<int>(decode::DecodeResult::kTruncatedL2); i < static_cast<int>(decode::DecodeResult::kCount); ++i) {
    decode_errors += t.worker.decode[i];
  }
  field("decode_errors", decode_errors);
  field("ip_checksum_bad", t.worker.ip_checksum_bad);
  field("tcp_checksum_bad", t.worker.tcp_checksum_bad);
  field("tcp_checksum_offloaded", t.worker.tcp_checksum_offloaded);
  field("bad_checksum_skipped", t.worker.bad_checksum_skipped);
  field("flows", t.worker.flows_created);
  field("flows_evicted", t.worker.flows_ended[static_cast<int>(flow::FlowEnd::kEvicted)]);
  field("flows_not_tracked", t.worker.flow_table_full);
  field("http_flows", t.session.http_flows);
  field("transactions", t.session.transactions);
  field("transactions_without_response", t.session.unanswered_requests);
  field("transactions_not_tracked", t.session.transaction_pool_exhausted);
  field("stream_gaps", t.reassembly.gaps);
  field("records_built", t.records.transactions + t.records.flows + t.records.findings + t.records.inventories);
  field("records_dropped", t.records.dropped);
  field("record_buffer_waits", t.records.buffer_waits);
  field("record_buffer_wait_ms", CyclesToMs(t.records.buffer_wait_cycles));
  field("records_sent", exported.records_sent);
  field("records_acknowledged", exported.records_acked);
  field("batches_sent", exported.batches_sent);
  field("batches_rejected", exported.batches_rejected);
  field("batches_resent", exported.batches_resent);
  field("batches_acknowledged", exported.batches_acked);
  field("spool_batches_given_up", pipeline.exporter().spool_counters().batches_given_up);
  field("spool_records_given_up", pipeline.exporter().spool_counters().records_given_up);
  field("spool_max_batches", pipeline.exporter().spool_counters().max_batches);
  field("gap_records", exported.gap_records);
  field("gap_batches_acknowledged", exported.gap_batches_acked);
  field("forwarded", t.worker.forwarded);
  field("dropped_verdict", t.worker.dropped_verdict);
  field("blocked_flows", t.worker.blocked_flows);
  field("block_frames_failed", t.worker.block_frames_failed);
  field("uninspected", t.worker.uninspected);
  field("gapped_flows", t.worker.gapped_flows);
  field("tx_dropped", t.tx_dropped);
  field("latency_p50_ns", t.latency.Quantile(0.50));
  field("latency_p99_ns", t.latency.Quantile(0.99));
  field("latency_max_ns", t.latency.max());
  uint64_t nic_dropped = 0;
  uint16_t port = 0;
  RTE_ETH_FOREACH_DEV(port) {
    rte_eth_stats stats{};
    if (rte_eth_stats_get(port, &stats) == 0) nic_dropped += stats.imissed;
  }
  field("nic_dropped", nic_dropped);
  field("rule_scans", t.inspect.rules.scans);
  field("rule_bytes_scanned", t.inspect.rules.bytes_scanned);
  field("rule_scan_errors", t.inspect.rules.scan_errors);
  field("bodies_unscanned", t.inspect.rules.stream_pool_exhausted);
  field("bodies_done_early", t.inspect.rules.bodies_done_early);
  field("inflaters_unavailable", t.inspect.inflaters_unavailable);
  field("pii_candidates", t.inspect.pii.candidates);
  field("pii_rejected", t.inspect.pii.rejected);
  field("pii_split_values_lost", t.inspect.pii.split_values_lost);
  field("pii_values_too_long", t.inspect.pii.values_too_long);
  field("pii_clean_values_skipped", t.inspect.pii.clean_values_skipped);
  field("pii_scans_reused", t.inspect.pii.scans_reused);
  field("detect_calls", t.engine.calls);
  field("detect_events_sent", t.detect.events_sent);
  field("detect_events_dropped", t.detect.events_dropped);
  field("detect_events_received", t.detect.events_received);
  field("detect_notices_sent", t.detect.notices_sent);
  field("detect_notices_dropped", t.detect.notices_dropped);
  field("detect_clients_tracked", t.clients_tracked);
  field("detect_clients_evicted", t.engine.tracks_evicted);
  field("detect_endpoints_evicted", t.engine.endpoints_evicted);
  field("detect_flagged_evicted", t.detect.flagged_evicted);
  field("detect_identity_fallbacks", t.detect.identity_fallbacks);
  field("detect_allowed", t.engine.allowed);
  field("detect_flagged_calls", t.detect.flagged_calls);
  field("detect_blocked_calls", t.detect.blocked_calls);
  field("detect_would_block_calls", t.detect.would_block_calls);
  field("finding_records", t.records.findings);
  field("inventory_records", t.records.inventories);
  std::fprintf(out, "  \"findings\": {");
  for (int i = 0; i < detect::kDetectorCount; ++i) {
    std::fprintf(out, "%s\"%s\": %" PRIu64, i == 0 ? "" : ", ", detect::DetectorName(static_cast<detect::Detector>(i)),
                 t.engine.findings[i]);
  }
  std::fprintf(out, "},\n");
  std::fprintf(out, "  \"anomalies\": {");
  bool first = true;
  for (int i = 0; i < static_cast<int>(http::Anomaly::kCount); ++i) {
    if (t.session.anomalies[i] == 0) continue;
    std::fprintf(out, "%s\"%s\": %" PRIu64, first ? "" : ", ", http::AnomalyName(static_cast<http::Anomaly>(i)),
                 t.session.anomalies[i]);
    first = false;
  }
  std::fprintf(out, "}\n}\n");
  return std::fclose(out) == 0;
}

}  // namespace sluice::app
