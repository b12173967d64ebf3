// Packet time for workers fed from a capture. Each worker sees only its own share of the frames,
// so its newest timestamp depends on how frames were spread, and idle expiry driven by it would
// differ between one and two workers. The reader instead sends every worker the same clock ticks,
// in order with the frames, once per second of packet time: every worker expires flows at the
// same packet times, whatever the worker count and however fast each one runs.
//
// Ownership: one PacketClock per reader, on the main lcore.
#pragma once

#include <cstdint>

namespace sluice::app {

class PacketClock {
 public:
  static constexpr uint64_t kTickNs = 1000ull * 1000 * 1000;

  // True when a frame stamped `ts_ns` moves packet time a tick or more past the last tick; the
  // reader then sends a tick stamped `ts_ns` to every worker before the frame. Timestamps that go
  // backwards (captures merged out of order) send none.
  bool TickDue(uint64_t ts_ns) {
    if (ts_ns < next_tick_ns_) return false;
    next_tick_ns_ = ts_ns + kTickNs;
    return true;
  }

 private:
  uint64_t next_tick_ns_ = 0;
};

}  // namespace sluice::app
