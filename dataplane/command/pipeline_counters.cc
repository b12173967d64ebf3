// The data plane's counter list for the command channel: every worker's counters summed, with a
// sentence each. Read on the main lcore while the workers run.
//
// NOTE: the workers write these plain uint64_t fields without atomics. An aligned 64-bit load
// is not torn on x86-64 and arm64, but a report may mix values from neighbouring bursts. End-of-run totals (stats_report.cc) are read after the workers stopped and are exact.
#include <rte_cycles.h>

#include <string>

#include "dataplane/command/pipeline_commands.h"
#include "dataplane/decode/packet_decoder.h"
#include "dataplane/http/http_anomaly.h"

namespace sluice::command_channel {

namespace {

constexpr const char* kFlowEndNames[flow::kFlowEndCount] = {"open", "fin", "rst", "idle_timeout",
                                                            "evicted", "half_fin", "blocked"};

class CounterSink {
 public:
  explicit CounterSink(std::vector<NamedCounter>* counters) : counters_(counters) {}
  void Add(std::string name, uint64_t value, std::string meaning, bool gauge = false) {
    counters_->push_back({std::move(name), value, std::move(meaning), gauge});
  }

 private:
  std::vector<NamedCounter>* counters_;
};

// Sums field `member` of the struct that `get` returns for each worker.
template <typename Get>
uint64_t SumWorkers(app::Pipeline& pipeline, Get get) {
  uint64_t total = 0;
  for (const auto& worker : pipeline.worker_list()) total += get(*worker);
  return total;
}

void AddWorkerCounters(app::Pipeline& pipeline, CounterSink& out) {
  auto sum = [&pipeline](auto member) {
    return SumWorkers(pipeline, [member](const worker::Worker& w) { return w.counters().*member; });
  };
  using W = worker::WorkerCounters;
  out.Add("worker.packets", sum(&W::packets), "Frames the workers processed.");
  out.Add("worker.bytes", sum(&W::bytes), "Captured frame bytes the workers processed.");
  for (int i = 0; i < static_cast<int>(decode::DecodeResult::kCount); ++i) {
    const uint64_t value = SumWorkers(pipeline, [i](const worker::Worker& w) { return w.counters().decode[i]; });
    out.Add(std::string("worker.") + decode::DecodeResultName(static_cast<decode::DecodeResult>(i)),
            value, "Frames with this decode result; error results are frames not inspected.");
  }

  out.Add("worker.ip_checksum_bad", sum(&W::ip_checksum_bad), "IPv4 headers with a bad checksum.");
  out.Add("worker.tcp_checksum_bad", sum(&W::tcp_checksum_bad),
          "TCP segments with a bad checksum, offloaded ones included.");
  out.Add("worker.tcp_checksum_offloaded", sum(&W::tcp_checksum_offloaded),
          "Bad TCP checksums left to the sender's NIC; these segments are parsed.");
  out.Add("worker.bad_checksum_skipped", sum(&W::bad_checksum_skipped),
          "Segments not reassembled because of a bad checksum; the receiver drops them too.");
  out.Add("worker.tcp_without_flow", sum(&W::tcp_without_flow),
          "ACK, FIN or RST segments of connections not tracked (started before capture).");
  out.Add("worker.flows_created", sum(&W::flows_created), "TCP connections tracked.");
  for (int i = 0; i < flow::kFlowEndCount; ++i) {
    const uint64_t value = SumWorkers(pipeline, [i](const worker::Worker& w) { return w.counters().flows_ended[i]; });
    out.Add(std::string("worker.flows_ended.") + kFlowEndNames[i], value,
            "Connections that ended this way; a high evicted count means the flow table is too small.");
  }

  out.Add("worker.flow_table_full", sum(&W::flow_table_full),
          "Connections not tracked even after eviction; their traffic went uninspected.");
  out.Add("worker.forwarded", sum(&W::forwarded), "Inline: frames sent on to the peer port.");
  out.Add("worker.dropped_verdict", sum(&W::dropped_verdict),
          "Inline: frames dropped because their connection was blocked.");
  out.Add("worker.blocked_flows", sum(&W::blocked_flows), "Connections stopped by a block verdict.");
  out.Add("worker.block_frames_failed", sum(&W::block_frames_failed),
          "Resets or error responses not sent for lack of an mbuf.");
  out.Add("worker.uninspected", sum(&W::uninspected),
          "Inline fail-open: frames forwarded without inspection under overload.");
  out.Add("worker.gapped_flows", sum(&W::gapped_flows),
          "Inline: connections whose stream skipped a hole.");
  uint64_t tx_dropped = 0;
  for (const auto& runtime : pipeline.runtimes()) tx_dropped += runtime->tx_dropped;
  out.Add("worker.tx_dropped", tx_dropped, "Frames the transmit queue did not take and that were freed.");
}

void AddSessionCounters(app::Pipeline& pipeline, CounterSink& out) {
  auto sum = [&pipeline](auto member) {
    return SumWorkers(pipeline, [member](const worker::Worker& w) { return w.session_counters().*member; });
  };
  using S = session::SessionCounters;
  out.Add("session.requests", sum(&S::requests), "HTTP requests parsed.");
  out.Add("session.responses", sum(&S::responses), "HTTP final responses parsed.");
  out.Add("session.transactions", sum(&S::transactions), "Transaction records emitted.");
  out.Add("session.unanswered_requests", sum(&S::unanswered_requests),
          "Requests emitted without a response (connection ended first).");
  out.Add("session.unexpected_responses", sum(&S::unexpected_responses),
          "Responses with no request; a high value means missed traffic.");
  out.Add("session.transaction_pool_exhausted", sum(&S::transaction_pool_exhausted),
          "Requests not tracked because no transaction slot was free.");
  out.Add("session.http_flows", sum(&S::http_flows), "Connections parsed as HTTP.");
  for (int i = 0; i < static_cast<int>(http::Anomaly::kCount); ++i) {
    const uint64_t value = SumWorkers(pipeline, [i](const worker::Worker& w) { return w.session_counters().anomalies[i]; });
    out.Add(std::string("session.anomaly.") + http::AnomalyName(static_cast<http::Anomaly>(i)), value,
            "HTTP messages with this protocol anomaly, recorded in their records.");
  }
}

void AddStreamCounters(app::Pipeline& pipeline, CounterSink& out) {
  auto reassembly = [&pipeline](auto member) {
    return SumWorkers(pipeline, [member](const worker::Worker& w) { return w.reassembly_counters().*member; });
  };
  using R = reassembly::ReassemblyCounters;
  out.Add("reassembly.out_of_order_segments", reassembly(&R::out_of_order_segments),
          "Segments held until the bytes before them arrived.");
  out.Add("reassembly.retransmitted_segments", reassembly(&R::retransmitted_segments),
          "Segments that carried no new byte.");
  out.Add("reassembly.overlap_conflicts", reassembly(&R::overlap_conflicts),
          "Segments whose bytes differ from an earlier copy: possible evasion, recorded.");
  out.Add("reassembly.gaps", reassembly(&R::gaps), "Holes skipped in a stream: bytes never seen.");
  out.Add("reassembly.gap_bytes", reassembly(&R::gap_bytes), "Bytes in skipped holes.");
  out.Add("reassembly.pool_exhausted", reassembly(&R::pool_exhausted),
          "Segments dropped from reassembly for lack of a free chunk.");

  auto fragments = [&pipeline](auto member) {
    return SumWorkers(pipeline, [member](const worker::Worker& w) { return w.fragment_counters().*member; });
  };
  using F = fragment::FragmentCounters;
  out.Add("fragments.fragments", fragments(&F::fragments), "IP fragments received.");
  out.Add("fragments.datagrams", fragments(&F::datagrams), "IP datagrams reassembled from fragments.");
  out.Add("fragments.unsupported", fragments(&F::unsupported),
          "Fragments not reassembled (chained mbuf or IPv6 extension before the fragment header).");
}

void AddRecordCounters(app::Pipeline& pipeline, CounterSink& out) {
  auto records = [&pipeline](auto member) {
    return SumWorkers(pipeline, [member](const worker::Worker& w) { return w.record_counters().*member; });
  };
  using C = record::RecordCounters;
  out.Add("records.transactions", records(&C::transactions), "Transaction records built.");
  out.Add("records.flows", records(&C::flows), "Flow summary records built.");
  out.Add("records.dropped", records(&C::dropped),
          "Records lost because every batch buffer was in flight; sluice-control is too slow or away.");
  out.Add("records.batches", records(&C::batches), "Batches handed to the exporter.");
  out.Add("records.buffer_waits", records(&C::buffer_waits),
          "Offline: times a worker waited for a free batch buffer because sluice-control was behind.");
  out.Add("records.buffer_wait_ms", records(&C::buffer_wait_cycles) / (rte_get_tsc_hz() / 1000),
          "Offline: milliseconds workers spent in those waits.");

  const exporter::ExporterCounters& e = pipeline.exporter().counters();
  out.Add("export.batches_sent", e.batches_sent, "Batches sent to sluice-control.");
  out.Add("export.records_sent", e.records_sent, "Records sent to sluice-control.");
  out.Add("export.batches_acked", e.batches_acked, "Batches sluice-control acknowledged.");
  out.Add("export.records_acked", e.records_acked, "Records sluice-control acknowledged.");
  out.Add("export.batches_rejected", e.batches_rejected, "Batches sluice-control could not verify.");
  out.Add("export.send_retries", e.send_retries, "Sends retried because the socket was full.");
  out.Add("export.batches_resent", e.batches_resent,
          "Batches sent again after no acknowledgement came in time.");
  out.Add("export.in_flight", pipeline.exporter().in_flight(),
          "Batches sent and not acknowledged yet.", true);

  uint64_t tx_dropped = 0;
  for (const auto& runtime : pipeline.runtimes()) tx_dropped += runtime->tx_dropped;
  const uint64_t drops = records(&C::dropped) + tx_dropped +
                         SumWorkers(pipeline, [](const worker::Worker& w) { return w.counters().flow_table_full; }) +
                         SumWorkers(pipeline, [](const worker::Worker& w) { return w.session_counters().transaction_pool_exhausted; }) +
                         SumWorkers(pipeline, [](const worker::Worker& w) { return w.reassembly_counters().pool_exhausted; }) +
                         e.batches_rejected;
  out.Add("dropped.total", drops,
          "Sum of records.dropped, worker.tx_dropped, worker.flow_table_full, "
          "session.transaction_pool_exhausted, reassembly.pool_exhausted and "
          "export.batches_rejected: anything not seen or not delivered. Above 0 means a limit "
          "was hit.");
}

// The matchers' counters as last published by each worker (refreshed every few milliseconds).
void AddInspectionCounters(app::Pipeline& pipeline, CounterSink& out) {
  auto sum = [&pipeline](auto get) {
    return SumWorkers(pipeline, [get](const worker::Worker& w) {
      const inspect::InspectionCounters* counters = w.inspection_counters();
      return counters != nullptr ? get(*counters) : uint64_t{0};
    });
  };
  using I = inspect::InspectionCounters;

  out.Add("inspect.rule_scans", sum([](const I& c) { return c.rules.scans; }),
          "Fields and body pieces matched against the rules.");
  out.Add("inspect.rule_bytes_scanned", sum([](const I& c) { return c.rules.bytes_scanned; }),
          "Bytes matched against the rules.");
  out.Add("inspect.rule_scan_errors", sum([](const I& c) { return c.rules.scan_errors; }),
          "Pieces Hyperscan failed on; they were not matched.");
  out.Add("inspect.bodies_unscanned", sum([](const I& c) { return c.rules.stream_pool_exhausted; }),
          "Bodies not matched against the rules because no stream was free: raise "
          "dataplane.limits.body_streams_per_worker.");
  out.Add("inspect.bodies_done_early", sum([](const I& c) { return c.rules.bodies_done_early; }),
          "Bodies whose scan stopped once every body pattern had matched.");
  out.Add("inspect.inflaters_unavailable", sum([](const I& c) { return c.inflaters_unavailable; }),
          "Compressed bodies matched as sent because no decoder was free: raise dataplane.limits.inflaters_per_worker.");

  out.Add("inspect.pii_candidates", sum([](const I& c) { return c.pii.candidates; }),
          "Possible personal data values found before validation.");
  out.Add("inspect.pii_rejected", sum([](const I& c) { return c.pii.rejected; }),
          "Possible values that failed validation (checksum, length, format).");
  out.Add("inspect.pii_split_values_lost", sum([](const I& c) { return c.pii.split_values_lost; }),
          "Body bytes carried between chunks that were cut; a value across the cut may be missed.");
  out.Add("inspect.pii_values_too_long", sum([](const I& c) { return c.pii.values_too_long; }),
          "Possible values longer than the longest one checked; not reported.");
  out.Add("inspect.pii_clean_values_skipped", sum([](const I& c) { return c.pii.clean_values_skipped; }),
          "Header values and queries not scanned again because the same value held no candidate before.");
  out.Add("inspect.pii_scans_reused", sum([](const I& c) { return c.pii.scans_reused; }),
          "Header values and queries with candidates not scanned again: the outcome of an earlier scan of the same text (values, candidates, rejections) was used again.");
}

}  // namespace

void CollectPipelineCounters(app::Pipeline& pipeline, std::vector<NamedCounter>* counters) {
  CounterSink out(counters);
  AddWorkerCounters(pipeline, out);
  AddSessionCounters(pipeline, out);
  AddStreamCounters(pipeline, out);
  AddRecordCounters(pipeline, out);
  AddInspectionCounters(pipeline, out);
}

}  // namespace sluice::command_channel
