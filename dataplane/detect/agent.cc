#include "dataplane/detect/agent.h"

#include <arpa/inet.h>
#include <rte_ring.h>
#include <strings.h>

#include <algorithm>
#include <cstring>

#include "dataplane/detect/client_identity.h"
#include "dataplane/detect/endpoint_template.h"
#include "dataplane/http/url_normalize.h"
#include "matchers/pii/percent_decode.h"
#include "matchers/pii/pii_finder.h"

namespace sluice::detect {

namespace {

constexpr uint64_t kNsPerSecond = 1000000000ull;
constexpr uint32_t kInventoryEntriesPerRecord = 256;

// wire::Verdict values, kept here so this library does not depend on the generated schema.
constexpr uint8_t kVerdictPass = 0;
constexpr uint8_t kVerdictTag = 1;
constexpr uint8_t kVerdictBlock = 2;
constexpr uint8_t kVerdictWouldBlock = 3;

// Longest path segment that is percent-decoded and scanned for personal data. A longer one is
// taken as personal: an object id, pseudonymised in samples.
constexpr size_t kMaxScannedSegmentBytes = 512;

struct SegmentTest {
  matchers::PiiScanner* scanner;
  // The end of the path when the target was cut inside its last segment: that segment may hold
  // part of a value that no scan can find, so it is taken as personal. Null otherwise.
  const char* cut_end;
};

// PersonalDataTest over the PII scanner's pattern types, on the percent-decoded segment.
bool SegmentHasPii(void* context, std::string_view segment) {
  const auto* test = static_cast<const SegmentTest*>(context);
  if (test->cut_end != nullptr && segment.data() + segment.size() == test->cut_end) return true;
  if (!matchers::MayContainPii(segment)) return false;
  if (segment.size() > kMaxScannedSegmentBytes) return true;
  char decoded[kMaxScannedSegmentBytes];
  const size_t length = matchers::PercentDecode(segment, decoded, sizeof(decoded), nullptr);
  return test->scanner->ContainsPii(std::string_view(decoded, length));
}

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// FNV-1a, then mixed: stable across workers and runs, so ownership does not depend on a seed.
uint64_t Hash(std::string_view text, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (const char c : text) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return Mix(h);
}

uint8_t CopyBounded(char* to, uint32_t capacity, std::string_view from) {
  const uint32_t length = from.size() < capacity ? static_cast<uint32_t>(from.size()) : capacity;
  std::memcpy(to, from.data(), length);
  return static_cast<uint8_t>(length);
}

bool KeyIs(std::string_view key, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const size_t length = std::strlen(name);
    if (key.size() == length && strncasecmp(key.data(), name, length) == 0) return true;
  }
  return false;
}

bool ParseUnsigned(std::string_view text, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t number = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = number;
  return true;
}

// Page, offset and cursor parameters (the first one wins) and page size parameters of a query.
void ReadPaging(std::string_view query, CallEvent* event) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq + 1 == pair.size()) continue;
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = pair.substr(eq + 1);
    uint64_t number = 0;
    if (event->page_hash == 0 &&
        KeyIs(key, {"page", "offset", "cursor", "after", "start", "skip", "from", "page_token", "pagetoken",
                    "next", "since_id", "starting_after", "marker", "continuation", "startindex", "$skip"})) {
      event->page_hash = Hash(value, 7) | 1;
      if (ParseUnsigned(value, &number)) {
        event->page_number = number;
        event->flags |= kPageIsNumber;
      }
    } else if (event->page_size == 0 &&
               KeyIs(key, {"limit", "per_page", "perpage", "size", "page_size", "pagesize", "count", "max",
                           "max_results", "maxresults", "take", "first", "$top", "top", "rows"}) &&
               ParseUnsigned(value, &number)) {
      event->page_size = number > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(number);
    }
  }
}

}  // namespace

Agent::Agent(uint16_t worker_id, uint32_t workers, const DetectorPolicy* policy, std::string_view hmac_key,
             bool can_block, record::RecordBuilder* records, inspect::Inspector* inspector)
    : worker_id_(worker_id),
      workers_(workers == 0 ? 1 : workers),
      policy_(policy),
      fingerprinter_(hmac_key),
      can_block_(can_block),
      records_(records),
      inspector_(inspector),
      engine_(worker_id, *policy),
      flagged_(policy->flagged_per_worker) {
  normalized_.resize(3 * 4096);  // NormalizeTarget writes at most 3 bytes per target byte
  inventory_.reserve(policy->endpoints_per_worker);
}

AgentCounters Agent::counters_with_evictions() const {
  AgentCounters counters = counters_;
  counters.flagged_evicted = flagged_.evictions();
  return counters;
}

bool Agent::AdoptPendingPolicy() {
  const DetectorPolicy* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
  if (next == nullptr) return false;
  policy_ = next;
  engine_.SetPolicy(next);
  ++counters_.policy_swaps;
  return true;
}

bool Agent::WantsHeader(std::string_view name) const {
  switch (policy_->identity.kind) {
    case ClientKind::kIp:
      return false;
    case ClientKind::kApiKey:
      return name.size() == policy_->identity.header.size() &&
             strncasecmp(name.data(), policy_->identity.header.data(), name.size()) == 0;
    default:
      return name.size() == 13 && strncasecmp(name.data(), "authorization", 13) == 0;
  }
}

// Names the client. Token kinds are pseudonymised with the keyed fingerprint; addresses stay as
// they are. Without the configured header the address names the client, as kind ip_fallback.
void Agent::Identify(const flow::Flow& flow, session::Transaction* txn) {
  session::CallAnnotation& note = txn->detect;
  note.present = true;
  note.identified = true;

  ClientKind kind = policy_->identity.kind;
  if (kind != ClientKind::kIp) {
    char raw[kMaxIdentityBytes];
    const uint32_t length = ExtractIdentity(
        kind, std::string_view(txn->identity_header.data, txn->identity_header.length), raw);
    if (length > 0) {
      const matchers::Fingerprint fingerprint = fingerprinter_.Compute(std::string_view(raw, length));
      matchers::FingerprintToHex(fingerprint, note.client_id);
      note.client_id_length = 2 * matchers::kFingerprintBytes;
      uint64_t hash = 0;
      std::memcpy(&hash, fingerprint.data(), sizeof(hash));
      note.client_hash = Mix(hash ^ static_cast<uint64_t>(kind)) | 1;
      note.client_kind = static_cast<uint8_t>(kind);
      return;
    }
    kind = ClientKind::kIpFallback;
    ++counters_.identity_fallbacks;
  }

  const uint8_t* ip = flow.client_is_a ? flow.key.ip_a : flow.key.ip_b;
  static_assert(session::CallAnnotation::kClientIdBytes >= INET6_ADDRSTRLEN);
  if (flow.key.ip_version == 4) {
    note.client_id_length = FormatIpv4(ip, note.client_id);
  } else {
    if (inet_ntop(AF_INET6, ip, note.client_id, session::CallAnnotation::kClientIdBytes) == nullptr) {
      note.client_id[0] = 0;
    }
    note.client_id_length = static_cast<uint32_t>(std::strlen(note.client_id));
  }
  // Both address kinds hash alike, so a fallback call and a plain address call of one host are
  // one client.
  note.client_hash = Hash(std::string_view(reinterpret_cast<const char*>(ip), flow.key.ip_version == 6 ? 16 : 4),
                          flow.key.ip_version) | 1;
  note.client_kind = static_cast<uint8_t>(kind);
}

void Agent::ApplyFindings(session::Transaction* txn, uint64_t now_ns) {
  session::CallAnnotation& note = txn->detect;
  const FlaggedClient* flagged = flagged_.Find(note.client_hash, now_ns);
  note.finding_count = 0;
  if (flagged == nullptr) return;
  for (uint32_t i = 0; i < flagged->finding_count && note.finding_count < session::CallAnnotation::kMaxFindings; ++i) {
    if (flagged->finding_until_ns[i] >= now_ns) note.findings[note.finding_count++] = flagged->findings[i];
  }
  if (note.finding_count == 0) return;
  const auto action = static_cast<Action>(flagged->action);
  uint8_t verdict = kVerdictPass;
  if (action == Action::kBlock) verdict = can_block_ ? kVerdictBlock : kVerdictWouldBlock;
  if (action == Action::kTag) verdict = kVerdictTag;
  if (verdict > note.verdict || note.verdict == kVerdictPass) note.verdict = verdict;
  note.block_detector = flagged->block_detector;
}

void Agent::OnRequestHeaders(const flow::Flow& flow, session::Transaction* txn) {
  if (!policy_->enabled) return;
  Identify(flow, txn);
  ApplyFindings(txn, txn->request_ts_ns);
  if (txn->detect.verdict == kVerdictBlock) ++counters_.blocked_calls;
}

void Agent::BuildEvent(const flow::Flow& flow, const session::Transaction& txn, CallEvent* event) {
  const session::CallAnnotation& note = txn.detect;
  std::memset(event, 0, sizeof(*event));
  event->ts_ns = txn.request_ts_ns;
  event->client_hash = note.client_hash;
  event->flow_id = flow.flow_id;
  event->index = txn.index;
  event->status = txn.has_response ? txn.status_code : 0;
  event->response_bytes = txn.response_body_bytes;
  if (txn.has_response) event->flags |= kHasResponse;
  if (inspector_ != nullptr && inspector_->active()) {
    for (const matchers::PiiTypeSummary& type : txn.inspection.pii[1].summary.types) event->pii_items += type.count;
  }
  event->client_kind = note.client_kind;
  event->ip_version = flow.key.ip_version;
  std::memcpy(event->client_ip, flow.client_is_a ? flow.key.ip_a : flow.key.ip_b, 16);
  event->client_id_length = CopyBounded(event->client_id, kClientIdBytes, std::string_view(note.client_id, note.client_id_length));
  event->method_length = CopyBounded(event->method, kEventMethodBytes, std::string_view(txn.method.data, txn.method.length));
  event->host_length = CopyBounded(event->host, kEventHostBytes, std::string_view(txn.host.data, txn.host.length));
}

void Agent::OnCallEnd(const flow::Flow& flow, session::Transaction* txn) {
  if (!policy_->enabled) return;
  if (!txn->detect.identified) Identify(flow, txn);
  ApplyFindings(txn, txn->request_ts_ns);
  session::CallAnnotation& note = txn->detect;
  if (note.finding_count > 0) ++counters_.flagged_calls;
  if (note.verdict == kVerdictWouldBlock) ++counters_.would_block_calls;

  DetectMessage message;
  message.kind = MessageKind::kCall;
  message.parts = kBothParts;
  CallEvent& event = message.call;
  BuildEvent(flow, *txn, &event);

  std::string_view path;
  std::string_view query;
  record::RecordBuilder::SplitTarget(txn->target.data, txn->target.length, &path, &query);
  const char* resolved_data = nullptr;
  const http::NormalizedPath normalized = session::NormalizedPathOf(
      *txn, normalized_.data(), static_cast<uint32_t>(normalized_.size()), &resolved_data);
  const std::string_view resolved(resolved_data, normalized.length);
  const uint32_t capacity = policy_->max_template_bytes < kEventTemplateBytes ? policy_->max_template_bytes
                                                                               : kEventTemplateBytes;
  matchers::PiiScanner* pii = inspector_ != nullptr ? inspector_->pii() : nullptr;
  const std::string_view shaped = resolved.empty() ? path : resolved;
  const bool last_segment_cut =
      txn->target.cut && path.data() + path.size() == txn->target.data + txn->target.length;
  SegmentTest test{pii, last_segment_cut ? shaped.data() + shaped.size() : nullptr};
  const TemplateResult shape =
      TemplatePath(shaped, note.endpoint, capacity, pii != nullptr ? &SegmentHasPii : nullptr, &test);
  note.endpoint_length = shape.length;
  std::memcpy(event.endpoint, note.endpoint, shape.length);
  event.endpoint_length = static_cast<uint8_t>(shape.length);
  event.endpoint_hash = Hash(std::string_view(event.host, event.host_length), 1) ^
                        Hash(std::string_view(event.method, event.method_length), 2) ^
                        Hash(std::string_view(event.endpoint, event.endpoint_length), 3);
  if (shape.ids > 0) {
    event.object_hash = Hash(shape.object_id, 5) | 1;
    if (shape.object_is_number) {
      event.object_number = shape.object_number;
      event.flags |= kObjectIsNumber;
    }
    if (shape.object_is_personal) {
      // Personal data or a secret: the sample is its pseudonym.
      matchers::FingerprintToHex(fingerprinter_.Compute(shape.object_id), event.sample);
      event.sample_length = 2 * matchers::kFingerprintBytes;
    } else {
      event.sample_length = CopyBounded(event.sample, kSampleIdBytes, shape.object_id);
    }
  }
  ReadPaging(query, &event);

  if (rings_.empty()) {
    ++counters_.events_local;
    engine_.Process(event, kBothParts, this);
    return;
  }
  // The client's owner and the endpoint's owner each get the call; one message when they are one.
  const uint32_t client_owner = OwnerOf(event.client_hash, workers_);
  const uint32_t endpoint_owner = OwnerOf(event.endpoint_hash, workers_);
  if (client_owner == endpoint_owner) {
    Route(message, client_owner);
    return;
  }
  message.parts = kClientPart;
  Route(message, client_owner);
  message.parts = kEndpointPart;
  Route(message, endpoint_owner);
}

void Agent::Route(const DetectMessage& message, uint32_t worker) {
  if (worker == worker_id_) {
    ++counters_.events_local;
    engine_.Process(message.call, message.parts, this);
    return;
  }
  // rte_ring takes a non-const pointer but only copies from it.
  if (rte_ring_mp_enqueue_elem(rings_[worker], const_cast<DetectMessage*>(&message), sizeof(message)) == 0) {
    ++counters_.events_sent;
  } else {
    ++counters_.events_dropped;
  }
}

uint32_t Agent::Poll(uint32_t budget) {
  if (rings_.empty()) return 0;
  rte_ring* inbound = rings_[worker_id_];
  DetectMessage messages[8];
  uint32_t done = 0;
  while (done < budget) {
    const unsigned count = rte_ring_sc_dequeue_burst_elem(inbound, messages, sizeof(DetectMessage), 8, nullptr);
    if (count == 0) break;
    for (unsigned i = 0; i < count; ++i) {
      if (messages[i].kind == MessageKind::kCall) {
        ++counters_.events_received;
        engine_.Process(messages[i].call, messages[i].parts, this);
      } else if (messages[i].kind == MessageKind::kFinding) {
        ++counters_.notices_received;
        flagged_.Add(messages[i].finding);
      }
    }
    done += count;
  }
  return done;
}

void Agent::OnFinding(const Finding& finding) {
  records_->AddFinding(finding, can_block_);
  DetectMessage message;
  std::memset(&message, 0, sizeof(message));
  message.kind = MessageKind::kFinding;
  FindingNotice& notice = message.finding;
  // The finding covers the client, whichever template it was found on.
  notice.client_hash = finding.client_hash;
  notice.finding_id = finding.finding_id;
  notice.until_ns = finding.last_ts_ns + static_cast<uint64_t>(policy_->finding_ttl_s) * kNsPerSecond;
  notice.action = static_cast<uint8_t>(finding.action);
  notice.detector = static_cast<uint8_t>(finding.detector);
  flagged_.Add(notice);
  for (uint32_t worker = 0; worker < rings_.size(); ++worker) {
    if (worker == worker_id_) continue;
    if (rte_ring_mp_enqueue_elem(rings_[worker], &message, sizeof(message)) == 0) {
      ++counters_.notices_sent;
    } else {
      ++counters_.notices_dropped;
    }
  }
}

void Agent::OnEndpoint(const EndpointStats& stats, uint64_t p50, uint64_t p90, uint64_t p99,
                       uint32_t distinct_clients) {
  record::InventoryEntry entry;
  entry.host = std::string_view(stats.host, stats.host_length);
  entry.method = std::string_view(stats.method, stats.method_length);
  entry.endpoint = std::string_view(stats.endpoint, stats.endpoint_length);
  entry.calls = stats.calls;
  std::memcpy(entry.status_classes, stats.status_classes, sizeof(entry.status_classes));
  entry.response_bytes = stats.response_bytes;
  entry.p50 = p50;
  entry.p90 = p90;
  entry.p99 = p99;
  entry.distinct_clients = distinct_clients;
  entry.first_ts_ns = stats.first_ts_ns;
  entry.last_ts_ns = stats.last_ts_ns;
  entry.learned = stats.learned;
  inventory_.push_back(entry);
}

void Agent::OnInventoryEnd(uint64_t window_start_ns, uint64_t window_end_ns) {
  // Records of at most kInventoryEntriesPerRecord entries keep each batch buffer small.
  for (size_t at = 0; at < inventory_.size(); at += kInventoryEntriesPerRecord) {
    const size_t count = std::min<size_t>(kInventoryEntriesPerRecord, inventory_.size() - at);
    records_->AddInventory(window_start_ns, window_end_ns, inventory_.data() + at, count);
  }
  inventory_.clear();
}

}  // namespace sluice::detect
