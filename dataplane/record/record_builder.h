// Turns finished transactions and flows into FlatBuffers records, grouped in batches that carry
// the header of the wire contract (data plane id, run id, worker id, sequence number).
//
// Ownership: one RecordBuilder per worker lcore. It fills batch buffers taken from its
// BatchChannel; it never allocates once the buffers have grown to their working size.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/detect/finding.h"
#include "dataplane/export/batch_channel.h"
#include "dataplane/flow/flow.h"
#include "dataplane/inspect/inspector.h"
#include "dataplane/session/transaction.h"
#include "matchers/pii/value_memo.h"
#include "records_generated.h"

namespace sluice::record {

struct RecordCounters {
  uint64_t transactions = 0;   // transaction records built
  uint64_t flows = 0;          // flow summary records built
  uint64_t findings = 0;       // finding records built
  uint64_t inventories = 0;    // inventory records built
  uint64_t dropped = 0;        // records lost because every batch buffer was in flight (live mode)
  uint64_t batches = 0;        // batches handed to the exporter
  uint64_t buffer_waits = 0;   // times a worker waited for a free buffer (offline mode)
  uint64_t buffer_wait_cycles = 0;  // TSC cycles spent in those waits

  RecordCounters& operator+=(const RecordCounters& other) {
    transactions += other.transactions;
    flows += other.flows;
    findings += other.findings;
    inventories += other.inventories;
    dropped += other.dropped;
    batches += other.batches;
    buffer_waits += other.buffer_waits;
    buffer_wait_cycles += other.buffer_wait_cycles;
    return *this;
  }
};

// One endpoint of the inventory; the strings point into the owner's endpoint table.
struct InventoryEntry {
  std::string_view host;
  std::string_view method;
  std::string_view endpoint;
  uint64_t calls = 0;
  uint64_t status_classes[6] = {};
  uint64_t response_bytes = 0;
  uint64_t p50 = 0;
  uint64_t p90 = 0;
  uint64_t p99 = 0;
  uint32_t distinct_clients = 0;
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
  bool learned = false;
};

struct RecordBuilderOptions {
  std::string dataplane_id;
  uint64_t run_id = 0;
  uint16_t worker_id = 0;
  uint32_t records_per_batch = 256;
  // Offline input can wait for the exporter; live input cannot, so records are counted as dropped.
  bool wait_for_buffers = true;
  // Replace detected personal data in recorded URL and header fields by its fingerprint.
  bool redact = true;
};

class RecordBuilder {
 public:
  RecordBuilder(exporter::BatchChannel* channel, RecordBuilderOptions options);
  // Names the rules and finds the personal data to redact. Null: no inspection.
  void SetInspector(inspect::Inspector* inspector) { inspector_ = inspector; }
  // At shutdown a live worker may wait for buffers too: the exporter still runs, and dropping
  // the records of every open flow would lose what a restart needs.
  void WaitForBuffers() { options_.wait_for_buffers = true; }

  // Builds one record. Returns false when it was dropped (counted).
  bool AddTransaction(const flow::Flow& flow, const session::Transaction& transaction);
  bool AddFlowSummary(const flow::Flow& flow, flow::FlowEnd end);
  // `can_block`: inline, where a block action stops the client; elsewhere it is would_block.
  bool AddFinding(const detect::Finding& finding, bool can_block);
  bool AddInventory(uint64_t window_start_ns, uint64_t window_end_ns, const InventoryEntry* entries, size_t count);

  // Hands over the current batch if it holds any record.
  void Flush();
  bool has_pending() const { return batch_ != nullptr && !records_.empty(); }
  const RecordCounters& counters() const { return counters_; }

  // Splits a request target into path and query (the query without '?'). Absolute-form targets
  // (RFC 9112 section 3.2.2) give the path after the authority; "*" gives "*".
  static void SplitTarget(const char* target, uint32_t length, std::string_view* path,
                          std::string_view* query);

 private:
  bool EnsureBatch();
  void Commit(flatbuffers::Offset<wire::Record> record);
  // Widens the current batch's time range, which a Gap record reports if the batch is lost.
  void NoteTime(uint64_t ts_ns);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> Anomalies(
      uint32_t anomaly_set);
  // The names of a transaction's anomalies: the HTTP set, the flags of url.path normalisation,
  // the body flags, and record.field_truncated when a recorded field was cut.
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> TransactionAnomalies(
      http::AnomalySet anomaly_set, uint16_t url_flags, uint32_t body_flags, bool fields_truncated);
  // Writes `name`, a string constant, once per batch and returns its offset.
  flatbuffers::Offset<flatbuffers::String> SharedName(const char* name);
  bool Redacting() const;
  // The kind of a field, for the secrets that only their place in a URL marks (url_secrets.h).
  // A path is a kTarget: its path parameters are looked at, and it has no query.
  enum class UrlText { kNone, kTarget, kQuery };
  // Finds the PII values in `text`, and for a target or query its URL secrets, into spans_ as
  // offsets in `text`, sorted and merged where they overlap. Returns false when it contains more
  // than spans_ has room for.
  bool FindSpans(std::string_view text, UrlText kind, size_t* count);
  // `text` with each span replaced by its marker; withheld when the result does not fit.
  flatbuffers::Offset<flatbuffers::String> WriteRedacted(std::string_view text, const matchers::PiiSpan* spans,
                                                         size_t count);
  flatbuffers::Offset<flatbuffers::String> RedactedString(std::string_view text, UrlText kind = UrlText::kNone);
  // url.original, url.path and url.query from one scan of the target. The query takes the
  // target's values after the '?', clipped to it (only a private key's block can cross the '?').
  // When normalising left the path as it was, the path takes the target's values before the '?',
  // which include any a scan of the path finds.
  struct UrlOffsets {
    flatbuffers::Offset<flatbuffers::String> original;
    flatbuffers::Offset<flatbuffers::String> path;
    flatbuffers::Offset<flatbuffers::String> query;
  };
  UrlOffsets RedactedUrl(std::string_view target, std::string_view path, std::string_view query,
                         std::string_view normalized);
  // `part`, a piece of `target`, redacted with the target's spans (url_spans_) that lie in it.
  flatbuffers::Offset<flatbuffers::String> RedactedPart(std::string_view target, std::string_view part);
  std::string BlockReason(const session::Transaction& transaction) const;
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::RuleMatch>>> Rules(
      const session::Transaction& transaction);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>> Pii(
      const matchers::PiiSummary& summary);

  exporter::BatchChannel* channel_;
  RecordBuilderOptions options_;
  exporter::ExportBatch* batch_ = nullptr;
  uint64_t next_sequence_ = 0;
  std::vector<flatbuffers::Offset<wire::Record>> records_;
  std::vector<flatbuffers::Offset<flatbuffers::String>> anomaly_names_;
  RecordCounters counters_;
  inspect::Inspector* inspector_ = nullptr;
  std::vector<char> redact_buffer_;             // sized once for the longest recorded field
  std::vector<char> decode_buffer_;             // the field percent-decoded, for detection
  std::vector<uint32_t> origin_;                // decoded byte -> offset in the field
  std::vector<matchers::PiiSpan> spans_;        // sized once
  std::vector<matchers::PiiSpan> url_spans_;    // the target's, while its parts are written
  std::vector<matchers::PiiSpan> part_spans_;   // those of one part, shifted to its start
  // Short field values (hosts, media types, endpoint templates) in which FindSpans found nothing,
  // so that their repeats skip it. It keeps no personal data, because it keeps only those values.
  matchers::ValueMemo<uint8_t, 256, 96> clean_fields_;
  std::vector<flatbuffers::Offset<wire::RuleMatch>> rule_offsets_;
  std::vector<flatbuffers::Offset<wire::PiiCount>> pii_offsets_;
  std::vector<flatbuffers::Offset<flatbuffers::String>> fingerprint_offsets_;
  std::vector<flatbuffers::Offset<wire::InventoryEntry>> inventory_offsets_;
  // Names already in the current batch (anomalies, PII types, rule actions...), by address:
  // an open-addressing table, emptied when a batch starts.
  struct SharedNameSlot {
    const char* name;
    uint32_t offset;
  };
  static constexpr size_t kSharedNameSlots = 256;
  std::array<SharedNameSlot, kSharedNameSlots> shared_names_{};
  size_t shared_name_count_ = 0;
  uint64_t shared_names_sequence_ = UINT64_MAX;  // the batch they were written to
};

}  // namespace sluice::record
