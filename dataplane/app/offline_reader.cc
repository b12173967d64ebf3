#include "dataplane/app/offline_reader.h"

#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "dataplane/app/packet_clock.h"
#include "dataplane/decode/packet_decoder.h"

namespace sluice::app {

namespace {

constexpr uint32_t kStage = 32;

class Progress {
 public:
  Progress(bool enabled, uint64_t file_size) : enabled_(enabled), file_size_(file_size) {
    start_ = last_ = std::chrono::steady_clock::now();
  }
  void Update(uint64_t offset, uint64_t frames) {
    if (!enabled_ || file_size_ == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double share = static_cast<double>(offset) / static_cast<double>(file_size_);
    const double left = share > 0 ? seconds * (1 - share) / share : 0;
    std::fprintf(stderr, "\r  %5.1f%% read, %.2f Mpps, %.0f s left   ", share * 100,
                 static_cast<double>(frames) / seconds / 1e6, left);
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  uint64_t file_size_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

// Copies a frame into one mbuf or a chain of them. Waits for mbufs while the pool is empty.
rte_mbuf* CopyFrame(Pipeline& pipeline, const uint8_t* data, uint32_t length, ReaderCounters* counters) {
  rte_mbuf* head = nullptr;
  rte_mbuf* tail = nullptr;
  uint32_t copied = 0;
  do {
    rte_mbuf* segment = rte_pktmbuf_alloc(pipeline.mbufs());
    for (uint32_t spins = 0; segment == nullptr;) {
      ++counters->mbuf_waits;
      ReaderWait(pipeline, &spins);
      segment = rte_pktmbuf_alloc(pipeline.mbufs());
    }
    const uint32_t room = rte_pktmbuf_tailroom(segment);
    const uint32_t chunk = length - copied < room ? length - copied : room;
    std::memcpy(rte_pktmbuf_append(segment, static_cast<uint16_t>(chunk)), data + copied, chunk);
    copied += chunk;
    if (head == nullptr) {
      head = tail = segment;
    } else {
      tail->next = segment;
      tail = segment;
      head->nb_segs++;
      head->pkt_len += chunk;
    }
  } while (copied < length);
  return head;
}

}  // namespace

void ReaderWait(Pipeline& pipeline, uint32_t* spins) {
  constexpr uint32_t kSpinsBeforeSleep = 64;
  pipeline.PollExporter();
  if (++*spins <= kSpinsBeforeSleep) {
    rte_pause();
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

void EnqueueStage(Pipeline& pipeline, uint32_t worker, std::vector<rte_mbuf*>& stage,
                  ReaderCounters* counters) {
  uint32_t sent = 0;
  uint32_t spins = 0;
  while (sent < stage.size()) {
    sent += rte_ring_sp_enqueue_burst(pipeline.input(worker), reinterpret_cast<void**>(stage.data() + sent),
                                      static_cast<unsigned>(stage.size() - sent), nullptr);
    if (sent < stage.size()) {
      ++counters->ring_waits;
      ReaderWait(pipeline, &spins);
    }
  }
  stage.clear();
}

void StageClockTicks(Pipeline& pipeline, uint64_t ts_ns, std::vector<std::vector<rte_mbuf*>>& stages,
                     ReaderCounters* counters) {
  for (uint32_t worker = 0; worker < stages.size(); ++worker) {
    rte_mbuf* tick = worker::NewClockTick(pipeline.mbufs(), ts_ns);
    for (uint32_t spins = 0; tick == nullptr;) {
      ++counters->mbuf_waits;
      ReaderWait(pipeline, &spins);
      tick = worker::NewClockTick(pipeline.mbufs(), ts_ns);
    }
    stages[worker].push_back(tick);
    if (stages[worker].size() >= kStage) EnqueueStage(pipeline, worker, stages[worker], counters);
  }
}

bool ReadCapture(capture::PcapReader& reader, Pipeline& pipeline, bool show_progress,
                 ReaderCounters* counters, std::string* error) {
  const uint32_t workers = pipeline.workers();
  std::vector<std::vector<rte_mbuf*>> stages(workers);
  for (auto& stage : stages) stage.reserve(kStage);
  Progress progress(show_progress, reader.file_size());
  PacketClock clock;
  bool ok = true;
  for (;;) {
    const uint8_t* data = nullptr;
    uint32_t length = 0;
    uint64_t ts_ns = 0;
    const capture::PcapReader::Status status = reader.Next(&data, &length, &ts_ns);
    if (status != capture::PcapReader::Status::kFrame) {
      if (status == capture::PcapReader::Status::kError) {
        *error = reader.error();
        ok = false;
      }
      break;
    }
    ++counters->frames;
    counters->bytes += length;
    if (length == 0) continue;  // nothing to decode; counted as read
    if (clock.TickDue(ts_ns)) StageClockTicks(pipeline, ts_ns, stages, counters);
    const uint32_t worker =
        workers == 1 ? 0 : decode::SpreadHash(reader.link_type(), data, length) % workers;
    rte_mbuf* mbuf = CopyFrame(pipeline, data, length, counters);
    worker::MbufTimestamp(mbuf) = ts_ns;
    stages[worker].push_back(mbuf);
    if (stages[worker].size() == kStage) EnqueueStage(pipeline, worker, stages[worker], counters);
    if ((counters->frames & 255) == 0) {
      pipeline.PollExporter();
      progress.Update(reader.offset(), counters->frames);
    }
  }
  for (uint32_t worker = 0; worker < workers; ++worker) EnqueueStage(pipeline, worker, stages[worker], counters);
  pipeline.input_done.store(true, std::memory_order_release);
  progress.Done();
  return ok;
}

}  // namespace sluice::app
