#include "tests/crafted/crafted_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <span>

#include "dataplane/export/batch_channel.h"
#include "dataplane/worker/worker.h"
#include "perf/gen/frame_builder.h"

namespace sluice::crafted {

namespace {

constexpr size_t kEthernetHeader = 14;
constexpr size_t kIpv6Header = 40;
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kDestinationOptions = 60;
constexpr uint8_t kProtocolTcp = 6;

void Put16(uint8_t* p, uint16_t value) {
  p[0] = static_cast<uint8_t>(value >> 8);
  p[1] = static_cast<uint8_t>(value);
}

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// Inserts 802.1ad/802.1Q tags after the MAC addresses; the original EtherType follows the last.
void InsertVlanTags(std::vector<uint8_t>& frame, std::initializer_list<std::pair<uint16_t, uint16_t>> tags) {
  std::vector<uint8_t> inserted;
  for (const auto& [tpid, tci] : tags) {
    uint8_t tag[4];
    Put16(tag, tpid);
    Put16(tag + 2, tci);
    inserted.insert(inserted.end(), tag, tag + 4);
  }
  frame.insert(frame.begin() + 12, inserted.begin(), inserted.end());
}

// Adds a Hop-by-Hop and a Destination Options header (each 8 bytes of PadN) in front of TCP.
// The TCP checksum stays valid: the pseudo-header carries the TCP length and protocol 6.
void InsertIpv6ExtensionHeaders(std::vector<uint8_t>& frame) {
  uint8_t* ip = frame.data() + kEthernetHeader;
  ip[6] = kHopByHop;
  Put16(ip + 4, static_cast<uint16_t>(Get16(ip + 4) + 16));
  const uint8_t headers[16] = {kDestinationOptions, 0, 1, 4, 0, 0, 0, 0,
                               kProtocolTcp,        0, 1, 4, 0, 0, 0, 0};
  frame.insert(frame.begin() + kEthernetHeader + kIpv6Header, headers, headers + 16);
}

std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> Names(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* names) {
  std::vector<std::string> out;
  if (names != nullptr) {
    for (const auto* name : *names) out.push_back(name->str());
  }
  return Sorted(out);
}

std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  return out + "]";
}

// Pieces of `payload` for one split mode: at most one MSS for kWhole (an IPv4 packet cannot carry
// more than 64 KiB), sizes 1 to 24 for kRandom.
constexpr size_t kMss = 1460;

std::vector<std::string> Pieces(const std::string& payload, Split split, std::mt19937& random) {
  std::vector<std::string> pieces;
  for (size_t at = 0; at < payload.size();) {
    size_t size = kMss;
    if (split == Split::kOneByte) size = 1;
    if (split == Split::kRandom) size = 1 + random() % 24;
    pieces.push_back(payload.substr(at, size));
    at += pieces.back().size();
  }
  if (pieces.empty()) pieces.emplace_back();
  return pieces;
}

}  // namespace

const char* SplitName(Split split) {
  switch (split) {
    case Split::kWhole: return "whole";
    case Split::kOneByte: return "one_byte";
    case Split::kRandom: return "random";
  }
  return "?";
}

void Script::Add(bool from_client, uint8_t flags, uint32_t relative_seq, const std::string& payload,
                 bool splittable) {
  ScriptSegment segment;
  segment.from_client = from_client;
  segment.flags = flags;
  segment.relative_seq = relative_seq;
  segment.relative_ack = (flags & gen::kAck) ? next(!from_client) : 0;
  segment.payload = payload;
  segment.splittable = splittable;
  segments_.push_back(std::move(segment));
}

void Script::Handshake() {
  Syn(true);
  Syn(false);
  Ack(true);
}

void Script::Syn(bool from_client, const std::string& data) {
  Add(from_client, from_client ? gen::kSyn : (gen::kSyn | gen::kAck), 0, data, false);
  if (!data.empty() && next(from_client) == 1) {
    (from_client ? client_next_ : server_next_) += static_cast<uint32_t>(data.size());
  }
}

void Script::Send(bool from_client, const std::string& data) {
  Add(from_client, gen::kAck | gen::kPsh, next(from_client), data, true);
  (from_client ? client_next_ : server_next_) += static_cast<uint32_t>(data.size());
}

void Script::SendAt(bool from_client, uint32_t relative_seq, const std::string& data) {
  Add(from_client, gen::kAck | gen::kPsh, relative_seq, data, false);
}

void Script::Lose(bool from_client, uint32_t bytes) {
  (from_client ? client_next_ : server_next_) += bytes;
}

void Script::Ack(bool from_client) { Add(from_client, gen::kAck, next(from_client), "", false); }

void Script::Fin(bool from_client) {
  Add(from_client, gen::kFin | gen::kAck, next(from_client), "", false);
  (from_client ? client_next_ : server_next_) += 1;
}

void Script::Reset(bool from_client) {
  Add(from_client, gen::kRst | gen::kAck, next(from_client), "", false);
}

std::vector<std::vector<uint8_t>> Materialize(const Script& script, uint32_t client_isn,
                                              uint32_t server_isn, Split split, uint32_t seed) {
  const bool ipv6 = script.encapsulation == Encapsulation::kIpv6 ||
                    script.encapsulation == Encapsulation::kIpv6ExtensionHeaders;
  gen::FrameSource client;
  gen::FrameSource server;
  client.mac = {0x02, 0, 0, 0, 0, 1};
  server.mac = {0x02, 0, 0, 0, 0, 2};
  client.ip.is_v6 = server.ip.is_v6 = ipv6;
  if (ipv6) {
    client.ip.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    server.ip.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  } else {
    client.ip.bytes = {198, 18, 0, 1};
    server.ip.bytes = {198, 19, 0, 1};
  }
  client.port = 40000;
  server.port = 8080;

  std::mt19937 random(seed);
  std::vector<std::vector<uint8_t>> frames;
  for (const ScriptSegment& segment : script.segments()) {
    const Split mode = segment.splittable ? split : Split::kWhole;
    uint32_t offset = 0;
    for (const std::string& piece : Pieces(segment.payload, mode, random)) {
      gen::TcpSegmentFields fields;
      const uint32_t own_isn = segment.from_client ? client_isn : server_isn;
      const uint32_t peer_isn = segment.from_client ? server_isn : client_isn;
      fields.seq = own_isn + segment.relative_seq + offset;
      fields.ack = segment.relative_ack == 0 ? 0 : peer_isn + segment.relative_ack;
      fields.flags = segment.flags;
      fields.window = 1024;
      fields.payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(piece.data()), piece.size());
      std::vector<uint8_t> frame;
      gen::AppendTcpFrame(segment.from_client ? client : server, segment.from_client ? server : client,
                          fields, frame);
      switch (script.encapsulation) {
        case Encapsulation::kVlan: InsertVlanTags(frame, {{0x8100, 100}}); break;
        case Encapsulation::kQinQ: InsertVlanTags(frame, {{0x88a8, 10}, {0x8100, 20}}); break;
        case Encapsulation::kIpv6ExtensionHeaders: InsertIpv6ExtensionHeaders(frame); break;
        default: break;
      }
      frames.push_back(std::move(frame));
      offset += static_cast<uint32_t>(piece.size());
    }
  }
  return frames;
}

RunOutput RunFrames(const std::vector<std::vector<uint8_t>>& frames,
                    const reassembly::OverlapPolicyTable& overlap_policies) {
  static int run = 0;
  exporter::BatchChannel channel;
  std::string error;
  worker::WorkerConfig config;
  config.worker_id = static_cast<uint16_t>(run++ % 1000);
  EXPECT_TRUE(channel.Init(config.worker_id, 64, &error)) << error;
  config.records.records_per_batch = 8;
  config.records.wait_for_buffers = false;
  config.max_flows = 64;
  config.transaction_slots = 64;
  config.segment_chunks = 256;
  config.line_buffers = 16;
  config.overlap_policies = overlap_policies;
  worker::Worker worker(config, &channel);
  EXPECT_TRUE(worker.Init(&error)) << error;
  uint64_t ts = 1700000000000000000ull;
  for (const auto& frame : frames) {
    worker.ProcessFrame(frame.data(), static_cast<uint32_t>(frame.size()), ts);
    ts += 1000;
  }
  worker.CloseAll();

  RunOutput out;
  out.overlap_conflicts = worker.reassembly_counters().overlap_conflicts;
  out.tcp_decoded = worker.counters().decode[static_cast<int>(decode::DecodeResult::kTcp)];
  while (exporter::ExportBatch* batch = channel.TakeReady()) {
    flatbuffers::Verifier verifier(batch->builder.GetBufferPointer(), batch->builder.GetSize());
    EXPECT_TRUE(wire::VerifyMessageBuffer(verifier));
    const auto* message = wire::GetMessage(batch->builder.GetBufferPointer());
    for (const auto* record : *message->body_as_Batch()->records()) {
      if (const auto* t = record->body_as_Transaction()) {
        TransactionView view;
        view.method = Str(t->method());
        view.original = Str(t->url_original());
        view.path = Str(t->url_path());
        view.request_body = t->request_body_bytes();
        view.has_response = t->has_response();
        view.status = t->status_code();
        view.response_body = t->response_body_bytes();
        view.anomalies = Names(t->anomalies());
        out.transactions.push_back(std::move(view));
      } else if (const auto* f = record->body_as_FlowSummary()) {
        out.flows.push_back({f->end(), f->transactions(), Names(f->anomalies())});
      }
    }
    channel.PutFree(batch);
  }
  return out;
}

std::string Describe(const TransactionView& t) {
  std::string text = t.method + " " + t.path + " req=" + std::to_string(t.request_body) + " -> ";
  text += t.has_response ? std::to_string(t.status) + " resp=" + std::to_string(t.response_body)
                         : std::string("none");
  return text + " " + JoinNames(t.anomalies);
}

std::string Describe(const FlowView& flow) {
  return std::string(wire::EnumNameFlowEnd(flow.end)) + " txns=" + std::to_string(flow.transactions) +
         " " + JoinNames(flow.anomalies);
}

}  // namespace sluice::crafted
