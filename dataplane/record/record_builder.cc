#include "dataplane/record/record_builder.h"

#include <rte_cycles.h>
#include <rte_pause.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "dataplane/http/url_normalize.h"
#include "matchers/pii/percent_decode.h"
#include "matchers/pii/pii_finder.h"
#include "matchers/pii/redact.h"

namespace sluice::record {

namespace {

wire::Endpoint MakeEndpoint(const uint8_t* ip, uint16_t port) {
  return wire::Endpoint(flatbuffers::span<const uint8_t, 16>(ip, 16), port);
}

// Client and server endpoints of a flow, from its canonical key.
void FlowEndpoints(const flow::Flow& flow, wire::Endpoint* client, wire::Endpoint* server) {
  const flow::FlowKey& key = flow.key;
  if (flow.client_is_a) {
    *client = MakeEndpoint(key.ip_a, key.port_a);
    *server = MakeEndpoint(key.ip_b, key.port_b);
  } else {
    *client = MakeEndpoint(key.ip_b, key.port_b);
    *server = MakeEndpoint(key.ip_a, key.port_a);
  }
}

wire::IpVersion VersionOf(const flow::Flow& flow) {
  return flow.key.ip_version == 6 ? wire::IpVersion::V6 : wire::IpVersion::V4;
}

// The text of a field as it is recorded: without the value a cut may have split.
template <uint32_t kCapacity>
std::string_view Recorded(const session::BoundedText<kCapacity>& field) {
  return field.cut ? session::WithoutCutValue(field.view()) : field.view();
}

// Strips parameters from a media type: "application/json; charset=utf-8" -> "application/json".
std::string_view MimeType(std::string_view mime) {
  const size_t semicolon = mime.find(';');
  if (semicolon != std::string_view::npos) mime = mime.substr(0, semicolon);
  while (!mime.empty() && (mime.back() == ' ' || mime.back() == '\t')) mime.remove_suffix(1);
  return mime;
}

// A request target is at most 4096 bytes (session::Transaction::target), and normalising writes
// at most 3 bytes per input byte, so this buffer never truncates a stored target.
constexpr uint32_t kNormalizedPathBytes = 3 * 4096;


constexpr size_t kRedactBufferBytes = 64 * 1024;
constexpr size_t kMaxBatchBytes = 256 * 1024;
constexpr size_t kMaxSpans = 64;
// The text written in place of a field whose redacted form cannot be written.
constexpr char kWithheld[] = "[redacted]";

wire::Verdict WireVerdict(inspect::Verdict verdict) { return static_cast<wire::Verdict>(verdict); }

// Severity order of verdicts: a detector's would_block outranks a rule's tag, and block outranks all.
int VerdictRank(wire::Verdict verdict) {
  switch (verdict) {
    case wire::Verdict::Block: return 3;
    case wire::Verdict::WouldBlock: return 2;
    case wire::Verdict::Tag: return 1;
    default: return 0;
  }
}

wire::Verdict Stronger(wire::Verdict a, wire::Verdict b) { return VerdictRank(b) > VerdictRank(a) ? b : a; }

}  // namespace

RecordBuilder::RecordBuilder(exporter::BatchChannel* channel, RecordBuilderOptions options)
    : channel_(channel), options_(std::move(options)) {
  records_.reserve(options_.records_per_batch);
  anomaly_names_.reserve(32);
  redact_buffer_.resize(kRedactBufferBytes);
  decode_buffer_.resize(kRedactBufferBytes);
  origin_.resize(kRedactBufferBytes + 1);
  spans_.resize(kMaxSpans);
  url_spans_.reserve(kMaxSpans);
  part_spans_.reserve(kMaxSpans);
  rule_offsets_.reserve(matchers::EvaluateResult::kMaxRules);
  pii_offsets_.reserve(matchers::kPiiTypeCount);
  fingerprint_offsets_.reserve(matchers::kMaxFingerprintsPerType);
  inventory_offsets_.reserve(256);
}

// Built in a fixed array so no allocation happens per record.
flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
RecordBuilder::TransactionAnomalies(http::AnomalySet anomaly_set, uint16_t url_flags, uint32_t body_flags,
                                    bool fields_truncated) {
  if (anomaly_set == 0 && url_flags == 0 && body_flags == 0 && !fields_truncated) return 0;
  std::array<flatbuffers::Offset<flatbuffers::String>,
             static_cast<size_t>(http::Anomaly::kCount) + http::kUrlFlagCount + 32 + 1>
      names;
  size_t count = 0;
  for (uint8_t bit = 0; bit < static_cast<uint8_t>(http::Anomaly::kCount); ++bit) {
    if (anomaly_set & (1u << bit)) {
      names[count++] = SharedName(http::AnomalyName(static_cast<http::Anomaly>(bit)));
    }
  }
  for (int bit = 0; bit < http::kUrlFlagCount; ++bit) {
    if (url_flags & (1u << bit)) {
      names[count++] = SharedName(http::UrlFlagName(static_cast<http::UrlFlag>(1u << bit)));
    }
  }
  for (int bit = 0; bit < 32; ++bit) {
    const char* name = inspect::BodyAnomalyName(body_flags & (1u << bit));
    if (name != nullptr) names[count++] = SharedName(name);
  }
  if (fields_truncated) names[count++] = SharedName("record.field_truncated");
  return batch_->builder.CreateVector(names.data(), count);
}

flatbuffers::Offset<flatbuffers::String> RecordBuilder::SharedName(const char* name) {
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  if (shared_names_sequence_ != batch_->sequence) {
    shared_names_.fill(SharedNameSlot{});
    shared_name_count_ = 0;
    shared_names_sequence_ = batch_->sequence;
  }
  size_t slot = (reinterpret_cast<uintptr_t>(name) >> 3) % kSharedNameSlots;
  while (shared_names_[slot].name != nullptr) {
    if (shared_names_[slot].name == name) return flatbuffers::Offset<flatbuffers::String>(shared_names_[slot].offset);
    slot = (slot + 1) % kSharedNameSlots;
  }
  const flatbuffers::Offset<flatbuffers::String> offset = fbb.CreateString(name);
  // Half full at most, so probes stay short. Past that a name is written again each time.
  if (shared_name_count_ < kSharedNameSlots / 2) {
    shared_names_[slot] = SharedNameSlot{name, offset.o};
    ++shared_name_count_;
  }
  return offset;
}

bool RecordBuilder::Redacting() const {
  return options_.redact && inspector_ != nullptr && inspector_->pii() != nullptr;
}

bool RecordBuilder::FindSpans(std::string_view text, UrlText kind, size_t* count) {
  // Values hide behind percent-encoding ("a%40b.com"): detect in the decoded text, then map each
  // span back onto the bytes it came from, so the original loses the whole encoded value.
  const size_t decoded = matchers::PercentDecode(text, decode_buffer_.data(), decode_buffer_.size(), origin_.data());
  bool complete = false;
  *count = inspector_->pii()->DetectSpans(std::string_view(decode_buffer_.data(), decoded),
                                          spans_.data(), spans_.size(), &complete);
  for (size_t i = 0; i < *count; ++i) {
    spans_[i].start = origin_[spans_[i].start];
    spans_[i].end = origin_[spans_[i].end];
  }
  if (kind == UrlText::kNone || !complete) return complete;
  const size_t room = spans_.size() - *count;
  const size_t secrets =
      inspector_->pii()->DetectUrlSecrets(text, kind == UrlText::kQuery, spans_.data() + *count, room);
  if (secrets > room) return false;
  *count = matchers::JoinOverlappingSpans(spans_.data(), *count + secrets);
  return true;
}

flatbuffers::Offset<flatbuffers::String> RecordBuilder::WriteRedacted(std::string_view text,
                                                                      const matchers::PiiSpan* spans,
                                                                      size_t count) {
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  if (count == 0) return fbb.CreateString(text.data(), text.size());
  const size_t length = matchers::Redact(text, spans, count, redact_buffer_.data(), redact_buffer_.size());
  // Redact() refuses when the result would not fit: the field is then withheld, never sent raw.
  if (length == 0) return fbb.CreateString(kWithheld);
  return fbb.CreateString(redact_buffer_.data(), length);
}

flatbuffers::Offset<flatbuffers::String> RecordBuilder::RedactedString(std::string_view text, UrlText kind) {
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  if (!Redacting() || text.empty()) return fbb.CreateString(text.data(), text.size());
  // Plain fields seen clean before, or without a byte a value could start at, are written as
  // they are. URL parts always take the full path: their secrets need no such byte.
  const bool plain = kind == UrlText::kNone;
  if (plain && !matchers::MayContainPii(text)) return fbb.CreateString(text.data(), text.size());
  const uint64_t hash = plain && clean_fields_.Keeps(text) ? clean_fields_.Hash(text) : 0;
  if (hash != 0 && clean_fields_.Find(text, hash) != nullptr) return fbb.CreateString(text.data(), text.size());
  size_t count = 0;
  // A field with more values than spans_ has room for is withheld: the values past them would go raw.
  if (!FindSpans(text, kind, &count)) return fbb.CreateString(kWithheld);
  if (count == 0 && hash != 0) clean_fields_.Add(text, hash, 1);
  return WriteRedacted(text, spans_.data(), count);
}

RecordBuilder::UrlOffsets RecordBuilder::RedactedUrl(std::string_view target, std::string_view path,
                                                     std::string_view query,
                                                     std::string_view normalized) {
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  UrlOffsets out;
  size_t count = 0;
  const bool complete = !Redacting() || target.empty() || FindSpans(target, UrlText::kTarget, &count);
  if (!complete) {
    out.original = fbb.CreateString(kWithheld);
    out.query = RedactedString(query, UrlText::kQuery);
    out.path = RedactedString(normalized, UrlText::kTarget);
    return out;
  }
  out.original = WriteRedacted(target, spans_.data(), count);
  url_spans_.assign(spans_.begin(), spans_.begin() + static_cast<ptrdiff_t>(count));
  out.query = RedactedPart(target, query);
  // Normalising can change the path (dot segments, encoding): then it is scanned on its own.
  out.path = normalized == path ? RedactedPart(target, path) : RedactedString(normalized, UrlText::kTarget);
  return out;
}

flatbuffers::Offset<flatbuffers::String> RecordBuilder::RedactedPart(std::string_view target,
                                                                     std::string_view part) {
  if (part.empty()) return batch_->builder.CreateString("");
  // SplitTarget gives "/" for an absolute-form target without a path, which is not in it.
  if (part.data() < target.data() || part.data() + part.size() > target.data() + target.size()) {
    return RedactedString(part);
  }
  const uint32_t begin = static_cast<uint32_t>(part.data() - target.data());
  const uint32_t end = begin + static_cast<uint32_t>(part.size());
  part_spans_.clear();
  for (const matchers::PiiSpan& span : url_spans_) {
    if (span.end <= begin || span.start >= end) continue;
    // No value contains '?', but a private key can contain the '/' that starts the path of an
    // absolute-form target. Its piece inside the part is redacted: scanned alone, the part
    // would not show the key's start and would go out raw.
    part_spans_.push_back(span);
    part_spans_.back().start = std::max(span.start, begin) - begin;
    part_spans_.back().end = std::min(span.end, end) - begin;
  }
  return WriteRedacted(part, part_spans_.data(), part_spans_.size());
}

// "rule N" for the first block rule that matched the transaction.
std::string RecordBuilder::BlockReason(const session::Transaction& txn) const {
  if (txn.detect.present && txn.detect.verdict == static_cast<uint8_t>(wire::Verdict::Block)) {
    return std::string("detector ") + detect::DetectorName(static_cast<detect::Detector>(txn.detect.block_detector));
  }
  const matchers::CompiledRuleSet* rule_set = inspect::Inspector::rule_set(txn.inspection);
  const matchers::EvaluateResult& result = txn.inspection.result;
  for (uint32_t i = 0; rule_set != nullptr && i < result.count; ++i) {
    const matchers::Rule& rule = rule_set->source_rule(result.rule_indexes[i]);
    if (rule.action == matchers::Action::kBlock) return "rule " + std::to_string(rule.id);
  }
  return "rule";
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::RuleMatch>>> RecordBuilder::Rules(
    const session::Transaction& txn) {
  const matchers::EvaluateResult& result = txn.inspection.result;
  const matchers::CompiledRuleSet* rule_set = inspect::Inspector::rule_set(txn.inspection);
  if (rule_set == nullptr || result.count == 0) return 0;
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  rule_offsets_.clear();
  for (uint32_t i = 0; i < result.count; ++i) {
    const matchers::Rule& rule = rule_set->source_rule(result.rule_indexes[i]);
    rule_offsets_.push_back(wire::CreateRuleMatch(
        fbb, rule.id, fbb.CreateString(rule.msg), fbb.CreateString(rule_set->field_list(result.rule_indexes[i])),
        SharedName(matchers::ActionName(rule.action)), SharedName(matchers::SeverityName(rule.severity))));
  }
  return fbb.CreateVector(rule_offsets_);
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>> RecordBuilder::Pii(
    const matchers::PiiSummary& summary) {
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  pii_offsets_.clear();
  for (int type = 0; type < matchers::kPiiTypeCount; ++type) {
    const matchers::PiiTypeSummary& found = summary.types[static_cast<size_t>(type)];
    if (found.count == 0) continue;
    fingerprint_offsets_.clear();
    for (uint32_t i = 0; i < found.fingerprint_count; ++i) {
      char hex[2 * sizeof(matchers::Fingerprint) + 1] = {};
      matchers::FingerprintToHex(found.fingerprints[i], hex);
      fingerprint_offsets_.push_back(fbb.CreateString(hex));
    }
    const auto fingerprints = fbb.CreateVector(fingerprint_offsets_);
    pii_offsets_.push_back(wire::CreatePiiCount(
        fbb, SharedName(matchers::PiiTypeName(static_cast<matchers::PiiType>(type))), found.count,
        fingerprints));
  }
  return pii_offsets_.empty() ? 0 : fbb.CreateVector(pii_offsets_);
}


void RecordBuilder::SplitTarget(const char* target, uint32_t length, std::string_view* path,
                                std::string_view* query) {
  const uint32_t start = http::PathStart(target, length);
  std::string_view text(target + start, length - start);
  if (start != 0 && (text.empty() || text.front() != '/')) {
    // Absolute form without a path: the path is "/", and a query may follow the authority.
    *path = "/";
    *query = !text.empty() && text.front() == '?' ? text.substr(1) : std::string_view();
    return;
  }
  const size_t mark = text.find('?');
  if (mark == std::string_view::npos) {
    *path = text;
    *query = std::string_view();
  } else {
    *path = text.substr(0, mark);
    *query = text.substr(mark + 1);
  }
  const size_t fragment = path->find('#');
  if (fragment != std::string_view::npos) *path = path->substr(0, fragment);
}

bool RecordBuilder::EnsureBatch() {
  if (batch_ != nullptr) return true;
  batch_ = channel_->TakeFree();
  if (batch_ == nullptr && options_.wait_for_buffers) {
    // Every buffer is in flight: sluice-control is behind. Offline, waiting loses nothing.
    ++counters_.buffer_waits;
    const uint64_t start = rte_rdtsc();
    do {
      rte_pause();
      batch_ = channel_->TakeFree();
    } while (batch_ == nullptr);
    counters_.buffer_wait_cycles += rte_rdtsc() - start;
  }
  if (batch_ == nullptr) return false;
  batch_->sequence = next_sequence_++;
  records_.clear();
  return true;
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
RecordBuilder::Anomalies(uint32_t anomaly_set) {
  if (anomaly_set == 0) return 0;
  anomaly_names_.clear();
  for (uint8_t bit = 0; bit < static_cast<uint8_t>(http::Anomaly::kCount); ++bit) {
    if (anomaly_set & (1u << bit)) {
      anomaly_names_.push_back(SharedName(http::AnomalyName(static_cast<http::Anomaly>(bit))));
    }
  }
  return batch_->builder.CreateVector(anomaly_names_);
}

bool RecordBuilder::AddTransaction(const flow::Flow& flow, const session::Transaction& txn) {
  if (!EnsureBatch()) {
    ++counters_.dropped;
    return false;
  }
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  // A field cut to fit loses the value its cut may have split (session::WithoutCutValue).
  const std::string_view target = Recorded(txn.target);
  std::string_view path;
  std::string_view query;
  SplitTarget(target.data(), static_cast<uint32_t>(target.size()), &path, &query);
  // url.path is the path a server resolves (dataplane/http/url_normalize.h); url.original stays raw.
  char scratch[kNormalizedPathBytes];
  const char* normalized = nullptr;
  const http::NormalizedPath normalized_path =
      session::NormalizedPathOf(txn, scratch, sizeof(scratch), &normalized);
  std::string_view normalized_text(normalized, normalized_path.length);
  if (txn.target.cut) normalized_text = session::WithoutCutValue(normalized_text);
  const auto version = SharedName(txn.version_minor == 0 ? "1.0" : "1.1");
  const auto method = fbb.CreateString(txn.method.data, txn.method.length);
  const UrlOffsets url = RedactedUrl(target, path, query, normalized_text);
  const auto host = RedactedString(Recorded(txn.host));
  const auto agent = RedactedString(Recorded(txn.user_agent));
  const std::string_view request_mime = MimeType(Recorded(txn.request_mime));
  const std::string_view response_mime = MimeType(Recorded(txn.response_mime));
  // Content-Type is free text to a hostile client or server: it is scanned like the other fields.
  const auto request_mime_offset = RedactedString(request_mime);
  const auto response_mime_offset = RedactedString(response_mime);
  const auto anomalies =
      TransactionAnomalies(txn.anomalies, normalized_path.flags, txn.inspection.body_anomalies, txn.fields_truncated);
  const auto rules = Rules(txn);
  const bool inspected = inspector_ != nullptr && inspector_->active();
  const auto pii_request = inspected ? Pii(txn.inspection.pii[0].summary) : 0;
  const auto pii_response = inspected ? Pii(txn.inspection.pii[1].summary) : 0;
  flatbuffers::Offset<wire::BlockInfo> block = 0;
  if (txn.blocked && txn.block_packet != 0) {
    block = wire::CreateBlockInfo(fbb, txn.block_packet,
                                  SharedName(txn.block_direction == 0 ? "request" : "response"),
                                  txn.block_bytes_passed, fbb.CreateString(BlockReason(txn)),
                                  txn.block_reset_sent);
  }

  const session::CallAnnotation& note = txn.detect;
  flatbuffers::Offset<flatbuffers::String> endpoint = 0;
  flatbuffers::Offset<flatbuffers::String> client_kind = 0;
  flatbuffers::Offset<flatbuffers::String> client_id = 0;
  flatbuffers::Offset<flatbuffers::Vector<uint64_t>> findings = 0;
  if (note.present) {
    endpoint = RedactedString(std::string_view(note.endpoint, note.endpoint_length));
    client_kind = SharedName(detect::ClientKindName(static_cast<detect::ClientKind>(note.client_kind)));
    client_id = fbb.CreateString(note.client_id, note.client_id_length);
    if (note.finding_count > 0) findings = fbb.CreateVector(note.findings, note.finding_count);
  }
  wire::Verdict verdict = inspected ? WireVerdict(inspector_->RecordedVerdict(txn.inspection)) : wire::Verdict::Pass;
  if (note.present) verdict = Stronger(verdict, static_cast<wire::Verdict>(note.verdict));

  wire::Endpoint client;
  wire::Endpoint server;
  FlowEndpoints(flow, &client, &server);
  wire::TransactionBuilder builder(fbb);
  builder.add_flow_id(flow.flow_id);
  builder.add_index(txn.index);
  builder.add_ip_version(VersionOf(flow));
  builder.add_client(&client);
  builder.add_server(&server);
  NoteTime(txn.request_ts_ns);
  builder.add_request_ts_ns(txn.request_ts_ns);
  builder.add_response_end_ts_ns(txn.response_end_ts_ns);
  builder.add_http_version(version);
  builder.add_method(method);
  builder.add_url_original(url.original);
  builder.add_url_path(url.path);
  builder.add_url_query(url.query);
  builder.add_host(host);
  builder.add_host_port(txn.host_port);
  builder.add_user_agent(agent);
  builder.add_request_body_bytes(txn.request_body_bytes);
  builder.add_request_mime_type(request_mime_offset);
  builder.add_has_response(txn.has_response);
  builder.add_status_code(txn.status_code);
  builder.add_response_body_bytes(txn.response_body_bytes);
  builder.add_response_mime_type(response_mime_offset);
  if (!anomalies.IsNull()) builder.add_anomalies(anomalies);
  if (!rules.IsNull()) builder.add_rules(rules);
  builder.add_verdict(verdict);
  if (!pii_request.IsNull()) builder.add_pii_request(pii_request);
  if (!pii_response.IsNull()) builder.add_pii_response(pii_response);
  if (!block.IsNull()) builder.add_block(block);
  if (!endpoint.IsNull()) builder.add_endpoint(endpoint);
  if (!client_kind.IsNull()) builder.add_client_kind(client_kind);
  if (!client_id.IsNull()) builder.add_client_id(client_id);
  if (!findings.IsNull()) builder.add_findings(findings);
  const auto body = builder.Finish();
  Commit(wire::CreateRecord(fbb, wire::RecordBody::Transaction, body.Union()));
  ++counters_.transactions;
  return true;
}

bool RecordBuilder::AddFlowSummary(const flow::Flow& flow, flow::FlowEnd end) {
  if (!EnsureBatch()) {
    ++counters_.dropped;
    return false;
  }
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  const auto anomalies = Anomalies(flow.anomalies);
  wire::Endpoint client;
  wire::Endpoint server;
  FlowEndpoints(flow, &client, &server);
  wire::FlowSummaryBuilder builder(fbb);
  builder.add_flow_id(flow.flow_id);
  builder.add_ip_version(VersionOf(flow));
  builder.add_client(&client);
  builder.add_server(&server);
  NoteTime(flow.first_ts_ns);
  NoteTime(flow.last_ts_ns);
  builder.add_first_ts_ns(flow.first_ts_ns);
  builder.add_last_ts_ns(flow.last_ts_ns);
  builder.add_packets_to_server(flow.packets[flow::kToServer]);
  builder.add_packets_to_client(flow.packets[flow::kToClient]);
  builder.add_bytes_to_server(flow.bytes[flow::kToServer]);
  builder.add_bytes_to_client(flow.bytes[flow::kToClient]);
  builder.add_end(static_cast<wire::FlowEnd>(end));
  builder.add_http(flow.http);
  builder.add_transactions(flow.transactions);
  if (!anomalies.IsNull()) builder.add_anomalies(anomalies);
  const auto body = builder.Finish();
  Commit(wire::CreateRecord(fbb, wire::RecordBody::FlowSummary, body.Union()));
  ++counters_.flows;
  return true;
}

void RecordBuilder::NoteTime(uint64_t ts_ns) {
  if (ts_ns == 0) return;
  if (batch_->first_ts_ns == 0 || ts_ns < batch_->first_ts_ns) batch_->first_ts_ns = ts_ns;
  if (ts_ns > batch_->last_ts_ns) batch_->last_ts_ns = ts_ns;
}

bool RecordBuilder::AddFinding(const detect::Finding& finding, bool can_block) {
  if (!EnsureBatch()) {
    ++counters_.dropped;
    return false;
  }
  NoteTime(finding.first_ts_ns);
  NoteTime(finding.last_ts_ns);
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  const auto detector = fbb.CreateSharedString(detect::DetectorName(finding.detector));
  const auto client_kind = fbb.CreateSharedString(detect::ClientKindName(finding.client_kind));
  const auto client_id = fbb.CreateString(finding.client_id, finding.client_id_length);
  const auto host = RedactedString(std::string_view(finding.host, finding.host_length));
  const auto method = fbb.CreateString(finding.method, finding.method_length);
  const auto endpoint = RedactedString(std::string_view(finding.endpoint, finding.endpoint_length));
  std::array<flatbuffers::Offset<wire::Evidence>, detect::kMaxEvidence> evidence;
  for (uint32_t i = 0; i < finding.evidence_count; ++i) {
    evidence[i] = wire::CreateEvidence(fbb, fbb.CreateSharedString(finding.evidence[i].key), finding.evidence[i].value);
  }
  const auto evidence_offset = fbb.CreateVector(evidence.data(), finding.evidence_count);
  std::array<flatbuffers::Offset<flatbuffers::String>, detect::kMaxSampleIds> samples;
  for (uint32_t i = 0; i < finding.sample_count; ++i) {
    samples[i] = fbb.CreateString(finding.sample_ids[i], finding.sample_lengths[i]);
  }
  const auto samples_offset = fbb.CreateVector(samples.data(), finding.sample_count);
  std::array<wire::RecordRef, detect::kMaxRecordRefs> refs;
  for (uint32_t i = 0; i < finding.record_count; ++i) {
    refs[i] = wire::RecordRef(finding.records[i].flow_id, finding.records[i].index);
  }
  const auto refs_offset = fbb.CreateVectorOfStructs(refs.data(), finding.record_count);
  const auto action = fbb.CreateSharedString(detect::ActionName(finding.action));
  wire::Verdict verdict = wire::Verdict::Pass;
  if (finding.action == detect::Action::kTag) verdict = wire::Verdict::Tag;
  if (finding.action == detect::Action::kBlock) verdict = can_block ? wire::Verdict::Block : wire::Verdict::WouldBlock;
  const wire::Endpoint client = MakeEndpoint(finding.client_ip, 0);

  wire::FindingBuilder builder(fbb);
  builder.add_finding_id(finding.finding_id);
  builder.add_detector(detector);
  builder.add_client_kind(client_kind);
  builder.add_client_id(client_id);
  builder.add_ip_version(finding.ip_version == 6 ? wire::IpVersion::V6 : wire::IpVersion::V4);
  builder.add_client(&client);
  builder.add_host(host);
  builder.add_method(method);
  builder.add_endpoint(endpoint);
  builder.add_first_ts_ns(finding.first_ts_ns);
  builder.add_last_ts_ns(finding.last_ts_ns);
  builder.add_calls(finding.calls);
  builder.add_evidence(evidence_offset);
  builder.add_sample_ids(samples_offset);
  builder.add_records(refs_offset);
  builder.add_action(action);
  builder.add_verdict(verdict);
  const auto body = builder.Finish();
  Commit(wire::CreateRecord(fbb, wire::RecordBody::Finding, body.Union()));
  ++counters_.findings;
  return true;
}

bool RecordBuilder::AddInventory(uint64_t window_start_ns, uint64_t window_end_ns, const InventoryEntry* entries,
                                 size_t count) {
  if (!EnsureBatch()) {
    ++counters_.dropped;
    return false;
  }
  NoteTime(window_end_ns);
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  inventory_offsets_.clear();
  for (size_t i = 0; i < count; ++i) {
    const InventoryEntry& entry = entries[i];
    const auto host = RedactedString(entry.host);
    const auto method = fbb.CreateSharedString(entry.method.data(), entry.method.size());
    const auto endpoint = RedactedString(entry.endpoint);
    const auto classes = fbb.CreateVector(entry.status_classes, 6);
    inventory_offsets_.push_back(wire::CreateInventoryEntry(
        fbb, host, method, endpoint, entry.calls, classes, entry.response_bytes, entry.p50, entry.p90, entry.p99,
        entry.distinct_clients, entry.first_ts_ns, entry.last_ts_ns, entry.learned));
  }
  const auto list = fbb.CreateVector(inventory_offsets_);
  const auto body = wire::CreateInventory(fbb, window_start_ns, window_end_ns, list);
  Commit(wire::CreateRecord(fbb, wire::RecordBody::Inventory, body.Union()));
  ++counters_.inventories;
  return true;
}

void RecordBuilder::Commit(flatbuffers::Offset<wire::Record> record) {
  records_.push_back(record);
  // The byte cap bounds each buffer however long the recorded URLs are: a buffer grows once to
  // about this size and is reused from then on.
  if (records_.size() >= options_.records_per_batch || batch_->builder.GetSize() >= kMaxBatchBytes) {
    Flush();
  }
}

void RecordBuilder::Flush() {
  if (batch_ == nullptr || records_.empty()) return;
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  const auto records = fbb.CreateVector(records_);
  const auto dataplane = fbb.CreateString(options_.dataplane_id);
  const auto batch = wire::CreateBatch(fbb, dataplane, options_.run_id, options_.worker_id,
                                       batch_->sequence, records);
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Batch, batch.Union()),
             wire::MessageIdentifier());
  batch_->records = static_cast<uint32_t>(records_.size());
  records_.clear();
  channel_->PutReady(batch_);
  batch_ = nullptr;
  ++counters_.batches;
}

}  // namespace sluice::record
