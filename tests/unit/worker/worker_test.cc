// The worker pipeline end to end inside one process: frames built in memory go through decode,
// flow table, reassembly and HTTP parsing; the records that come out of the batch channel are
// read back from their FlatBuffers form and checked field by field.
#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/app/eal_cleanup.h"
#include "dataplane/export/batch_channel.h"
#include "dataplane/worker/worker.h"
#include "perf/gen/frame_builder.h"
#include "records_generated.h"

namespace sluice::worker {
namespace {

using gen::FrameSource;

struct Txn {
  std::string method, original, path, query, host;
  uint16_t host_port = 0;
  uint16_t status = 0;
  bool has_response = false;
  uint64_t request_body = 0, response_body = 0;
  uint32_t index = 0;
  std::vector<std::string> anomalies;
  std::string client_ip;
  uint16_t client_port = 0;
};

struct FlowRecord {
  wire::FlowEnd end;
  bool http;
  uint32_t transactions;
  uint64_t packets_to_server, packets_to_client, bytes_to_server, bytes_to_client;
};

struct Output {
  std::vector<Txn> transactions;
  std::vector<FlowRecord> flows;
};

std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

// Builds the frames of TCP conversations and runs them through a fresh worker.
class Conversation {
 public:
  Conversation(uint32_t client_isn, uint32_t server_isn, bool ipv6 = false)
      : client_seq_(client_isn), server_seq_(server_isn) {
    client_.mac = {0x02, 0, 0, 0, 0, 1};
    server_.mac = {0x02, 0, 0, 0, 0, 2};
    client_.ip.is_v6 = server_.ip.is_v6 = ipv6;
    if (ipv6) {
      client_.ip.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      server_.ip.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    } else {
      client_.ip.bytes = {198, 18, 0, 1};
      server_.ip.bytes = {198, 19, 0, 1};
    }
    client_.port = 40000;
    server_.port = 8080;
  }

  void Handshake() {
    Add(true, gen::kSyn, "");
    client_seq_ += 1;
    Add(false, gen::kSyn | gen::kAck, "");
    server_seq_ += 1;
    Add(true, gen::kAck, "");
  }
  // Sends `data` from one side in segments of at most `mss` bytes.
  void Send(bool from_client, const std::string& data, size_t mss = 1460) {
    for (size_t at = 0; at < data.size(); at += mss) {
      const std::string piece = data.substr(at, mss);
      Add(from_client, gen::kAck | gen::kPsh, piece);
      (from_client ? client_seq_ : server_seq_) += static_cast<uint32_t>(piece.size());
    }
  }
  void Close() {
    Add(true, gen::kFin | gen::kAck, "");
    client_seq_ += 1;
    Add(false, gen::kFin | gen::kAck, "");
    server_seq_ += 1;
    Add(true, gen::kAck, "");
  }
  void Reset(bool from_client) { Add(from_client, gen::kRst | gen::kAck, ""); }
  void DropFromEnd(size_t count) { frames_.resize(frames_.size() - count); }
  void set_client_port(uint16_t port) { client_.port = port; }
  // Appends every frame of `other`, a connection that runs between this one's frames so far and
  // its next ones.
  void Append(const Conversation& other) { Append(other, 0, other.frames_.size()); }
  // Appends frames [from, to) of `other`.
  void Append(const Conversation& other, size_t from, size_t to) {
    frames_.insert(frames_.end(), other.frames_.begin() + static_cast<std::ptrdiff_t>(from),
                   other.frames_.begin() + static_cast<std::ptrdiff_t>(to));
  }
  size_t frame_count() const { return frames_.size(); }
  // Sets the TCP checksum of the frame `from_end` frames before the last to `value` (IPv4).
  void SetTcpChecksum(size_t from_end, uint16_t value) {
    std::vector<uint8_t>& frame = frames_[frames_.size() - 1 - from_end];
    const size_t tcp = 14 + (frame[14] & 0x0f) * 4u;
    frame[tcp + 16] = static_cast<uint8_t>(value >> 8);
    frame[tcp + 17] = static_cast<uint8_t>(value);
  }
  void SwapLast(size_t a, size_t b) {  // swaps frames counted from the end
    std::swap(frames_[frames_.size() - 1 - a], frames_[frames_.size() - 1 - b]);
  }

  // Splits the IPv4 datagram of the last frame into fragments carrying `piece` bytes each
  // (a multiple of 8), and, when `reverse` is set, lists them last first.
  void FragmentLast(uint32_t piece, bool reverse) {
    const std::vector<uint8_t> frame = frames_.back();
    frames_.pop_back();
    const size_t l3 = 14;
    const size_t header = (frame[l3] & 0x0f) * 4u;
    const size_t total = (frame[l3 + 2] << 8) | frame[l3 + 3];
    std::vector<std::vector<uint8_t>> pieces;
    for (size_t at = 0; at < total - header; at += piece) {
      const size_t size = std::min<size_t>(piece, total - header - at);
      std::vector<uint8_t> out(frame.begin(), frame.begin() + static_cast<long>(l3 + header));
      out.insert(out.end(), frame.begin() + static_cast<long>(l3 + header + at),
                 frame.begin() + static_cast<long>(l3 + header + at + size));
      const size_t length = header + size;
      out[l3 + 2] = static_cast<uint8_t>(length >> 8);
      out[l3 + 3] = static_cast<uint8_t>(length);
      const bool more = at + size < total - header;
      const uint16_t offset = static_cast<uint16_t>((at / 8) | (more ? 0x2000 : 0));
      out[l3 + 6] = static_cast<uint8_t>(offset >> 8);
      out[l3 + 7] = static_cast<uint8_t>(offset);
      out[l3 + 10] = out[l3 + 11] = 0;
      const uint16_t checksum = gen::InternetChecksum(std::span<const uint8_t>(out.data() + l3, header));
      out[l3 + 10] = static_cast<uint8_t>(checksum >> 8);
      out[l3 + 11] = static_cast<uint8_t>(checksum);
      pieces.push_back(std::move(out));
    }
    if (reverse) std::reverse(pieces.begin(), pieces.end());
    for (auto& fragment : pieces) frames_.push_back(std::move(fragment));
  }

  // A worker with room for 64 flows and transactions, enough for any test conversation.
  static WorkerConfig SmallConfig(uint16_t worker_id) {
    WorkerConfig config;
    config.worker_id = worker_id;
    config.max_flows = 64;
    config.transaction_slots = 64;
    config.segment_chunks = 64;
    config.line_buffers = 4;
    return config;
  }

  // Runs the frames through ProcessBurst with real mbufs, as the worker lcore does.
  Output RunBursts(rte_mempool* pool) {
    exporter::BatchChannel channel;
    std::string error;
    WorkerConfig config = SmallConfig(990);
    EXPECT_TRUE(channel.Init(config.worker_id, 64, &error)) << error;
    config.records.records_per_batch = 8;
    config.records.wait_for_buffers = false;
    config.fragment_datagrams = 64;
    Worker worker(config, &channel);
    EXPECT_TRUE(worker.Init(&error)) << error;
    uint64_t ts = 1700000000000000000ull;
    std::vector<rte_mbuf*> burst;
    for (const auto& frame : frames_) {
      rte_mbuf* mbuf = rte_pktmbuf_alloc(pool);
      EXPECT_NE(mbuf, nullptr);
      std::memcpy(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
      MbufTimestamp(mbuf) = ts;
      ts += 1000;
      burst.push_back(mbuf);
    }
    for (size_t at = 0; at < burst.size(); at += 32) {
      worker.ProcessBurst(burst.data() + at, static_cast<uint16_t>(std::min<size_t>(32, burst.size() - at)));
    }
    worker.CloseAll();
    counters = worker.counters();
    fragments = worker.fragment_counters();
    return Collect(channel);
  }
  fragment::FragmentCounters fragments;

  Output Run(WorkerConfig config = {}) {
    static int run = 0;
    exporter::BatchChannel channel;
    std::string error;
    config.worker_id = static_cast<uint16_t>(run++ % 1000);
    EXPECT_TRUE(channel.Init(config.worker_id, 64, &error)) << error;
    config.records.records_per_batch = 8;
    config.records.wait_for_buffers = false;
    if (config.max_flows == 65536) config.max_flows = 1024;
    if (config.transaction_slots == WorkerConfig{}.transaction_slots) config.transaction_slots = 256;
    config.segment_chunks = 256;
    config.line_buffers = 16;
    Worker worker(config, &channel);
    EXPECT_TRUE(worker.Init(&error)) << error;
    uint64_t ts = 1700000000000000000ull;
    for (const auto& frame : frames_) {
      worker.ProcessFrame(frame.data(), static_cast<uint32_t>(frame.size()), ts);
      ts += 1000;
    }
    worker.CloseAll();
    counters = worker.counters();
    session = worker.session_counters();
    return Collect(channel);
  }

  // Runs the frames with the offline policy (wait for a free batch buffer) and `buffers` buffers,
  // one record per batch. Another thread takes the batches and gives each buffer back 2 ms later.
  Output RunWaitingForBuffers(uint32_t buffers) {
    exporter::BatchChannel channel;
    std::string error;
    WorkerConfig config = SmallConfig(991);
    EXPECT_TRUE(channel.Init(config.worker_id, buffers, &error)) << error;
    config.records.records_per_batch = 1;
    config.records.wait_for_buffers = true;
    Worker worker(config, &channel);
    EXPECT_TRUE(worker.Init(&error)) << error;

    std::atomic<bool> done{false};
    Output out;
    std::thread exporter([&] {
      while (!done.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const Output part = Collect(channel);
        out.transactions.insert(out.transactions.end(), part.transactions.begin(), part.transactions.end());
        out.flows.insert(out.flows.end(), part.flows.begin(), part.flows.end());
      }
    });
    uint64_t ts = 1700000000000000000ull;
    for (const auto& frame : frames_) {
      worker.ProcessFrame(frame.data(), static_cast<uint32_t>(frame.size()), ts);
      ts += 1000;
    }
    worker.CloseAll();
    done.store(true);
    exporter.join();
    const Output rest = Collect(channel);
    out.transactions.insert(out.transactions.end(), rest.transactions.begin(), rest.transactions.end());
    out.flows.insert(out.flows.end(), rest.flows.begin(), rest.flows.end());
    records = worker.record_counters();
    return out;
  }

  WorkerCounters counters;
  session::SessionCounters session;
  record::RecordCounters records;

 private:
  void Add(bool from_client, uint8_t flags, const std::string& payload) {
    gen::TcpSegmentFields segment;
    segment.seq = from_client ? client_seq_ : server_seq_;
    segment.ack = (flags & gen::kAck) ? (from_client ? server_seq_ : client_seq_) : 0;
    segment.flags = flags;
    segment.window = 1024;
    segment.payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    std::vector<uint8_t> frame;
    gen::AppendTcpFrame(from_client ? client_ : server_, from_client ? server_ : client_, segment, frame);
    frames_.push_back(std::move(frame));
  }

  static Output Collect(exporter::BatchChannel& channel) {
    Output out;
    while (exporter::ExportBatch* batch = channel.TakeReady()) {
      const auto* message = wire::GetMessage(batch->builder.GetBufferPointer());
      flatbuffers::Verifier verifier(batch->builder.GetBufferPointer(), batch->builder.GetSize());
      EXPECT_TRUE(wire::VerifyMessageBuffer(verifier));
      for (const auto* record : *message->body_as_Batch()->records()) {
        if (const auto* t = record->body_as_Transaction()) {
          Txn txn{Str(t->method()), Str(t->url_original()), Str(t->url_path()), Str(t->url_query()),
                  Str(t->host()), t->host_port(), t->status_code(), t->has_response(),
                  t->request_body_bytes(), t->response_body_bytes(), t->index()};
          if (t->anomalies()) {
            for (const auto* name : *t->anomalies()) txn.anomalies.push_back(name->str());
          }
          txn.client_port = t->client()->port();
          out.transactions.push_back(txn);
        } else if (const auto* f = record->body_as_FlowSummary()) {
          out.flows.push_back({f->end(), f->http(), f->transactions(), f->packets_to_server(),
                               f->packets_to_client(), f->bytes_to_server(), f->bytes_to_client()});
        }
      }
      channel.PutFree(batch);
    }
    return out;
  }

  FrameSource client_;
  FrameSource server_;
  uint32_t client_seq_;
  uint32_t server_seq_;
  std::vector<std::vector<uint8_t>> frames_;
};

const std::string kGet = "GET /api/v1/users/7?fields=name HTTP/1.1\r\nHost: api.example.com:8080\r\nUser-Agent: curl/8.0\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"id\":7,\"a\":1}";

bool HasAnomaly(const Txn& txn, const std::string& name) {
  for (const auto& a : txn.anomalies) {
    if (a == name) return true;
  }
  return false;
}

class WorkerAtIsn : public ::testing::TestWithParam<uint32_t> {};

TEST_P(WorkerAtIsn, KeepAliveTransactionsPaired) {
  Conversation c(GetParam(), GetParam() ^ 0x5555u);
  c.Handshake();
  c.Send(true, kGet);
  c.Send(false, kOk.substr(0, 70));
  c.Send(false, kOk.substr(70));
  c.Send(true, "POST /api/v1/orders HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 4\r\n\r\nabcd");
  c.Send(false, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  c.Close();
  const Output out = c.Run();
  ASSERT_EQ(out.transactions.size(), 2u);
  const Txn& get = out.transactions[0];
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.original, "/api/v1/users/7?fields=name");
  EXPECT_EQ(get.path, "/api/v1/users/7");
  EXPECT_EQ(get.query, "fields=name");
  EXPECT_EQ(get.host, "api.example.com");
  EXPECT_EQ(get.host_port, 8080);
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.response_body, 14u);
  EXPECT_EQ(get.client_port, 40000);
  EXPECT_EQ(get.index, 0u);
  const Txn& post = out.transactions[1];
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.request_body, 4u);
  EXPECT_EQ(post.status, 201);
  EXPECT_EQ(post.index, 1u);
  ASSERT_EQ(out.flows.size(), 1u);
  EXPECT_EQ(out.flows[0].end, wire::FlowEnd::Fin);
  EXPECT_TRUE(out.flows[0].http);
  EXPECT_EQ(out.flows[0].transactions, 2u);
}

TEST_P(WorkerAtIsn, PipelinedRequestsPairInOrder) {
  Conversation c(GetParam(), 77);
  c.Handshake();
  c.Send(true, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n");
  c.Send(false,
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"
         "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  c.Close();
  const Output out = c.Run();
  ASSERT_EQ(out.transactions.size(), 3u);
  EXPECT_EQ(out.transactions[0].path, "/a");
  EXPECT_EQ(out.transactions[0].status, 200);
  EXPECT_EQ(out.transactions[1].method, "HEAD");
  EXPECT_EQ(out.transactions[1].response_body, 0u);  // HEAD: Content-Length describes no body
  EXPECT_EQ(out.transactions[2].path, "/c");
  EXPECT_EQ(out.transactions[2].status, 404);
}

TEST_P(WorkerAtIsn, OutOfOrderSegmentsReassembled) {
  Conversation c(GetParam(), 0xfffffff0u);
  c.Handshake();
  c.Send(true, kGet, 10);
  c.SwapLast(0, 3);
  c.SwapLast(1, 5);
  c.Send(false, kOk, 7);
  c.SwapLast(2, 4);
  c.Close();
  const Output out = c.Run();
  ASSERT_EQ(out.transactions.size(), 1u);
  EXPECT_EQ(out.transactions[0].original, "/api/v1/users/7?fields=name");
  EXPECT_EQ(out.transactions[0].status, 200);
  EXPECT_EQ(out.transactions[0].response_body, 14u);
}

TEST_P(WorkerAtIsn, RandomSegmentSplitsGiveSameRecord) {
  std::mt19937 random(GetParam());
  for (int round = 0; round < 20; ++round) {
    Conversation c(GetParam() + static_cast<uint32_t>(round), 1000);
    c.Handshake();
    c.Send(true, kGet, 1 + random() % 40);
    c.Send(false, kOk, 1 + random() % 40);
    c.Close();
    const Output out = c.Run();
    ASSERT_EQ(out.transactions.size(), 1u) << "round " << round;
    EXPECT_EQ(out.transactions[0].host, "api.example.com");
    EXPECT_EQ(out.transactions[0].status, 200);
    EXPECT_EQ(out.transactions[0].response_body, 14u);
  }
}

INSTANTIATE_TEST_SUITE_P(InitialSequenceNumbers, WorkerAtIsn,
                         ::testing::Values(0u, 1u, 0x7fffffffu, 0xfffffff6u, 0xffffffffu));

// Offline, a worker with every buffer in flight waits instead of dropping, and counts the wait.
TEST(Worker, OfflineWaitsForBuffers) {
  Conversation c(1, 2);
  c.Handshake();
  for (int i = 0; i < 3; ++i) {
    c.Send(true, kGet);
    c.Send(false, kOk);
  }
  c.Close();
  const Output out = c.RunWaitingForBuffers(2);
  EXPECT_EQ(out.transactions.size(), 3u);
  EXPECT_EQ(out.flows.size(), 1u);
  EXPECT_EQ(c.records.dropped, 0u);
  EXPECT_GT(c.records.buffer_waits, 0u);
  // Each wait lasts until the exporter thread wakes, up to 2 ms: at least 0.1 ms in all.
  EXPECT_GT(c.records.buffer_wait_cycles, rte_get_tsc_hz() / 10000);
}

// A request that finds no free transaction slot is counted once, and its response is not counted
// again as one without a request.
TEST(Worker, UntrackedRequestCountedOnce) {
  Conversation first(1, 2);
  first.Handshake();
  first.Send(true, kGet);
  Conversation second(7, 8);
  second.set_client_port(40001);
  second.Handshake();
  second.Send(true, kGet);
  second.Send(false, kOk);
  second.Close();
  first.Append(second);
  first.Send(false, kOk);
  first.Close();

  WorkerConfig config;
  config.transaction_slots = 1;
  const Output out = first.Run(config);
  ASSERT_EQ(out.transactions.size(), 1u);
  EXPECT_EQ(out.transactions[0].client_port, 40000);
  EXPECT_TRUE(out.transactions[0].has_response);
  EXPECT_EQ(out.flows.size(), 2u);
  EXPECT_EQ(first.session.requests, 2u);
  EXPECT_EQ(first.session.transaction_pool_exhausted, 1u);
  EXPECT_EQ(first.session.unexpected_responses, 0u);
}

// Once a request of a connection went untracked, a later one is not tracked either, even when a
// slot frees up in between: it would take the untracked request's response.
TEST(Worker, UntrackedRequestKeepsPairing) {
  Conversation holder(1, 2);  // keeps the only slot until its response
  holder.Handshake();
  holder.Send(true, kGet);
  const size_t holder_request_end = holder.frame_count();
  holder.Send(false, kOk);
  holder.Close();

  Conversation pipelined(7, 8);
  pipelined.set_client_port(40001);
  pipelined.Handshake();
  pipelined.Send(true, kGet);
  const size_t first_request_end = pipelined.frame_count();
  pipelined.Send(true, kGet);
  pipelined.Send(false, kOk);
  pipelined.Send(false, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  pipelined.Close();

  Conversation merged(0, 0);
  merged.Append(holder, 0, holder_request_end);
  merged.Append(pipelined, 0, first_request_end);
  merged.Append(holder, holder_request_end, holder.frame_count());  // the slot is free again
  merged.Append(pipelined, first_request_end, pipelined.frame_count());
  WorkerConfig config;
  config.transaction_slots = 1;
  const Output out = merged.Run(config);
  ASSERT_EQ(out.transactions.size(), 1u);
  EXPECT_EQ(out.transactions[0].client_port, 40000);
  EXPECT_EQ(merged.session.transaction_pool_exhausted, 2u);
  EXPECT_EQ(merged.session.unexpected_responses, 0u);
}

TEST(Worker, RequestWithoutResponseEndsByReset) {
  Conversation c(1, 2);
  c.Handshake();
  c.Send(true, kGet);
  c.Reset(false);
  const Output out = c.Run();
  ASSERT_EQ(out.transactions.size(), 1u);
  EXPECT_FALSE(out.transactions[0].has_response);
  EXPECT_TRUE(HasAnomaly(out.transactions[0], "http.request_without_response"));
  ASSERT_EQ(out.flows.size(), 1u);
  EXPECT_EQ(out.flows[0].end, wire::FlowEnd::Rst);
}

TEST(Worker, MidstreamCaptureMarked) {
  Conversation c(5000, 9000);
  c.Send(true, kGet);
  c.Send(false, kOk);
  const Output out = c.Run();
  ASSERT_EQ(out.transactions.size(), 1u);
  EXPECT_TRUE(HasAnomaly(out.transactions[0], "tcp.midstream_start"));
  ASSERT_EQ(out.flows.size(), 1u);
  EXPECT_EQ(out.flows[0].end, wire::FlowEnd::Open);
}

TEST(Worker, NonHttpFlowGivesOnlyFlowRecord) {
  Conversation c(1, 2);
  c.Handshake();
  c.Send(true, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  c.Send(false, std::string("\x16\x03\x03\x00\x5d\x02", 6));
  c.Close();
  const Output out = c.Run();
  EXPECT_TRUE(out.transactions.empty());
  ASSERT_EQ(out.flows.size(), 1u);
  EXPECT_FALSE(out.flows[0].http);
  EXPECT_EQ(out.flows[0].bytes_to_server, 11u);
  EXPECT_EQ(out.flows[0].bytes_to_client, 6u);
}

TEST(Worker, Ipv6Transaction) {
  Conversation c(100, 200, true);
  c.Handshake();
  c.Send(true, kGet);
  c.Send(false, kOk);
  c.Close();
  const Output out = c.Run();
  ASSERT_EQ(out.transactions.size(), 1u);
  EXPECT_EQ(out.transactions[0].status, 200);
}

// Offline `auto`: a corrupt segment from a sender whose other checksums are good is not parsed
// (its receiver dropped it), while a sender whose checksums are all wrong, as on a capture taken
// on a host that offloads them, is parsed.
TEST(Worker, ChecksumPolicyJudgesEachSender) {
  WorkerConfig offline_auto;
  offline_auto.skip_bad_checksums = false;
  offline_auto.trust_offloaded = true;

  Conversation corrupt(1, 2);
  corrupt.Handshake();
  corrupt.Send(true, kGet);
  corrupt.SetTcpChecksum(0, 0x1234);  // the request's only segment, after a good handshake
  corrupt.Send(false, kOk);
  corrupt.Close();
  const Output dropped = corrupt.Run(offline_auto);
  EXPECT_TRUE(dropped.transactions.empty()) << "the corrupt request must not be parsed";
  EXPECT_EQ(corrupt.counters.bad_checksum_skipped, 1u);
  EXPECT_EQ(corrupt.counters.tcp_checksum_bad, 1u);

  Conversation offloaded(1, 2);
  offloaded.Send(true, kGet);  // no handshake: this sender never shows a good checksum
  offloaded.SetTcpChecksum(0, 0x0000);
  offloaded.Send(false, kOk);
  const Output parsed = offloaded.Run(offline_auto);
  ASSERT_EQ(parsed.transactions.size(), 1u);
  EXPECT_EQ(parsed.transactions[0].method, "GET");
  EXPECT_EQ(offloaded.counters.bad_checksum_skipped, 0u);
  EXPECT_EQ(offloaded.counters.tcp_checksum_bad, 1u);
}

TEST(Worker, StrayAckAfterCloseCreatesNoFlow) {
  Conversation c(1, 2);
  c.Handshake();
  c.Send(true, kGet);
  c.Send(false, kOk);
  c.Close();  // ends with the client's last ACK, after both FINs closed the flow
  const Output out = c.Run();
  EXPECT_EQ(out.flows.size(), 1u);
  EXPECT_EQ(c.counters.tcp_without_flow, 1u);
}

rte_mempool* TestPool() {
  static rte_mempool* pool = rte_pktmbuf_pool_create("test_mbufs", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  return pool;
}

TEST(Worker, FragmentedRequestReassembled) {
  for (const bool reverse : {false, true}) {
    Conversation c(10, 20);
    c.Handshake();
    c.Send(true, kGet + std::string(), 1460);
    c.FragmentLast(32, reverse);
    c.Send(false, kOk);
    c.Close();
    const Output out = c.RunBursts(TestPool());
    ASSERT_EQ(out.transactions.size(), 1u) << "reverse " << reverse;
    EXPECT_EQ(out.transactions[0].original, "/api/v1/users/7?fields=name");
    EXPECT_EQ(out.transactions[0].status, 200);
    EXPECT_EQ(c.fragments.datagrams, 1u);
    EXPECT_GT(c.fragments.fragments, 3u);
  }
  EXPECT_EQ(rte_mempool_in_use_count(TestPool()), 0u);
}

TEST(Worker, IncompleteFragmentsNeverParsed) {
  Conversation c(10, 20);
  c.Handshake();
  c.Send(true, kGet, 1460);
  c.FragmentLast(32, false);
  c.DropFromEnd(1);  // the last fragment never arrives
  const Output out = c.RunBursts(TestPool());
  EXPECT_TRUE(out.transactions.empty());
  EXPECT_EQ(c.fragments.datagrams, 0u);
}

TEST(Worker, FullFlowTableEvictsOldest) {
  std::vector<std::vector<uint8_t>> frames;
  WorkerConfig config;
  config.max_flows = 16;
  exporter::BatchChannel channel;
  std::string error;
  ASSERT_TRUE(channel.Init(900, 64, &error)) << error;
  config.worker_id = 900;
  config.records.records_per_batch = 64;
  config.records.wait_for_buffers = false;
  config.transaction_slots = 64;
  config.segment_chunks = 64;
  config.line_buffers = 4;
  Worker worker(config, &channel);
  ASSERT_TRUE(worker.Init(&error)) << error;
  for (uint16_t port = 0; port < 40; ++port) {
    FrameSource client;
    FrameSource server;
    client.ip.bytes = {198, 18, 1, 1};
    server.ip.bytes = {198, 19, 1, 1};
    client.port = static_cast<uint16_t>(30000 + port);
    server.port = 80;
    gen::TcpSegmentFields syn;
    syn.seq = 1;
    syn.flags = gen::kSyn;
    std::vector<uint8_t> frame;
    gen::AppendTcpFrame(client, server, syn, frame);
    worker.ProcessFrame(frame.data(), static_cast<uint32_t>(frame.size()), 1000 + port);
  }
  EXPECT_EQ(worker.counters().flows_created, 40u);
  EXPECT_EQ(worker.counters().flows_ended[static_cast<int>(flow::FlowEnd::kEvicted)], 24u);
  EXPECT_EQ(worker.flows().size(), 16u);
  worker.ExpireIdle(1000 + 40 + config.idle_timeout_ns + 1, 1000);
  EXPECT_EQ(worker.flows().size(), 0u);
  EXPECT_EQ(worker.counters().flows_ended[static_cast<int>(flow::FlowEnd::kIdleTimeout)], 16u);
}

}  // namespace
}  // namespace sluice::worker

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string prefix = "--file-prefix=sluice-unit-worker-" + std::to_string(getpid());
  std::string error;
  std::vector<std::string> arguments = {"unit_worker_test", "--no-huge", "--no-pci", "-m", "512",
                                        prefix, "--log-level=lib.eal:error", "-l", "0"};
  std::vector<char*> argv_eal;
  for (auto& argument : arguments) argv_eal.push_back(argument.data());
  if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
    std::fprintf(stderr, "cannot start DPDK for the test\n");
    return 1;
  }
  if (!sluice::worker::RegisterTimestampField(&error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  sluice::app::StopEalAndRemoveRuntimeDir();
  return rc;
}
