#include "dataplane/app/replay_reader.h"

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <cstring>

#include "dataplane/app/packet_clock.h"
#include "dataplane/decode/packet_decoder.h"

namespace sluice::app {

namespace {

constexpr uint32_t kStage = 32;

// RFC 1624 incremental checksum update for one 16-bit word changing from `old_word` to `new_word`.
void UpdateChecksum(uint8_t* checksum, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~((checksum[0] << 8) | checksum[1]));
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  const auto folded = static_cast<uint16_t>(~sum);
  checksum[0] = static_cast<uint8_t>(folded >> 8);
  checksum[1] = static_cast<uint8_t>(folded);
}

// Adds `shift` to the 16-bit word at `word` and updates the checksums that cover it.
void ShiftWord(uint8_t* word, uint16_t shift, uint8_t* ip_checksum, uint8_t* l4_checksum) {
  const auto old_word = static_cast<uint16_t>((word[0] << 8) | word[1]);
  const auto new_word = static_cast<uint16_t>(old_word + shift);
  word[0] = static_cast<uint8_t>(new_word >> 8);
  word[1] = static_cast<uint8_t>(new_word);
  if (ip_checksum != nullptr) UpdateChecksum(ip_checksum, old_word, new_word);
  if (l4_checksum != nullptr) UpdateChecksum(l4_checksum, old_word, new_word);
}

}  // namespace

bool ReplayReader::Load(capture::PcapReader& reader, uint64_t max_bytes, std::string* error) {
  link_type_ = reader.link_type();
  uint64_t first_ts = 0;
  uint64_t last_ts = 0;
  for (;;) {
    const uint8_t* data = nullptr;
    uint32_t length = 0;
    uint64_t ts_ns = 0;
    const auto status = reader.Next(&data, &length, &ts_ns);
    if (status == capture::PcapReader::Status::kEnd) break;
    if (status == capture::PcapReader::Status::kError) {
      *error = reader.error();
      return false;
    }
    if (length == 0) continue;
    if (bytes_.size() + length > max_bytes) {
      *error = "capture is larger than the replay limit of " + std::to_string(max_bytes >> 20) + " MiB";
      return false;
    }
    Frame frame{static_cast<uint32_t>(bytes_.size()), length, ts_ns, 0, 0, 0, 0, 0};
    decode::DecodedPacket packet;
    const auto result = decode::DecodeFrame(link_type_, data, length, decode::DecodeOptions{}, &packet);
    if (result == decode::DecodeResult::kTcp || result == decode::DecodeResult::kOtherL4) {
      frame.l3_offset = static_cast<uint16_t>(packet.l3 - data);
      frame.ip_version = packet.ip_version;
      frame.l4_protocol = packet.l4_protocol;
    }
    frame.spread_hash = decode::SpreadHash(link_type_, data, length);
    bytes_.insert(bytes_.end(), data, data + length);
    if (frames_.empty()) first_ts = ts_ns;
    last_ts = ts_ns > last_ts ? ts_ns : last_ts;
    frames_.push_back(frame);
  }
  // Locate the TCP header from the IP header itself: the decoder reports the payload, not the header.
  for (Frame& frame : frames_) {
    if (frame.ip_version == 0) continue;
    const uint8_t* ip = bytes_.data() + frame.offset + frame.l3_offset;
    if (frame.ip_version == 4) {
      frame.l4_offset = static_cast<uint16_t>(frame.l3_offset + (ip[0] & 0x0f) * 4);
    } else {
      frame.l4_offset = frame.l4_protocol == ip[6] ? static_cast<uint16_t>(frame.l3_offset + 40) : 0;
    }
    if (frame.l4_protocol != 6 && frame.l4_protocol != 17) frame.l4_offset = 0;
  }
  duration_ns_ = last_ts - first_ts + 1000000000ull;
  if (frames_.empty()) {
    *error = "capture holds no frames to replay";
    return false;
  }
  return true;
}

void ReplayReader::Rewrite(const Frame& frame, uint8_t* data, uint16_t shift) const {
  if (frame.ip_version == 0 || shift == 0) return;
  uint8_t* ip = data + frame.l3_offset;
  uint8_t* l4_checksum = nullptr;
  if (frame.l4_offset != 0) {
    uint8_t* l4 = data + frame.l4_offset;
    l4_checksum = frame.l4_protocol == 6 ? l4 + 16 : l4 + 6;
    if (frame.l4_protocol == 17 && l4_checksum[0] == 0 && l4_checksum[1] == 0) l4_checksum = nullptr;
  }
  if (frame.ip_version == 4) {
    ShiftWord(ip + 12, shift, ip + 10, l4_checksum);  // source, second word
    ShiftWord(ip + 16, shift, ip + 10, l4_checksum);  // destination
  } else {
    ShiftWord(ip + 8 + 12, shift, nullptr, l4_checksum);
    ShiftWord(ip + 24 + 12, shift, nullptr, l4_checksum);
  }
}

void ReplayReader::Run(Pipeline& pipeline, double seconds, ReaderCounters* counters) {
  const uint32_t workers = pipeline.workers();
  std::vector<std::vector<rte_mbuf*>> stages(workers);
  for (auto& stage : stages) stage.reserve(kStage);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  PacketClock clock;
  do {
    const auto shift = static_cast<uint16_t>(loops_ & 0xffff);
    const uint64_t ts_shift = loops_ * duration_ns_;
    for (const Frame& frame : frames_) {
      rte_mbuf* mbuf = rte_pktmbuf_alloc(pipeline.mbufs());
      for (uint32_t spins = 0; mbuf == nullptr;) {
        ++counters->mbuf_waits;
        ReaderWait(pipeline, &spins);
        mbuf = rte_pktmbuf_alloc(pipeline.mbufs());
      }
      const uint32_t room = rte_pktmbuf_tailroom(mbuf);
      const uint32_t length = frame.length < room ? frame.length : room;  // jumbo frames are cut
      auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(length)));
      std::memcpy(data, bytes_.data() + frame.offset, length);
      if (length == frame.length) Rewrite(frame, data, shift);
      const uint64_t ts_ns = frame.ts_ns + ts_shift;
      if (clock.TickDue(ts_ns)) StageClockTicks(pipeline, ts_ns, stages, counters);
      worker::MbufTimestamp(mbuf) = ts_ns;
      const uint32_t worker = workers == 1 ? 0 : frame.spread_hash % workers;
      stages[worker].push_back(mbuf);
      if (stages[worker].size() == kStage) EnqueueStage(pipeline, worker, stages[worker], counters);
      ++counters->frames;
      counters->bytes += frame.length;
      if ((counters->frames & 1023) == 0) pipeline.PollExporter();
    }
    ++loops_;
  } while (std::chrono::steady_clock::now() < deadline);
  for (uint32_t worker = 0; worker < workers; ++worker) {
    EnqueueStage(pipeline, worker, stages[worker], counters);
  }
  pipeline.input_done.store(true, std::memory_order_release);
}

}  // namespace sluice::app
