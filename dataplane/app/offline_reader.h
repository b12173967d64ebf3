// Offline input on the main lcore: reads a capture with libpcap, copies each frame into mbufs,
// and spreads frames over the workers' input rings by the symmetric IP-pair hash, so both
// directions of a connection reach the same worker. A file can wait, so full rings and an empty
// mbuf pool make the reader wait (and keep exporting); nothing is dropped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/app/pipeline.h"
#include "dataplane/capture/pcap_reader.h"

struct rte_mbuf;

namespace sluice::app {

struct ReaderCounters {
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t ring_waits = 0;   // a worker's input ring was full
  uint64_t mbuf_waits = 0;   // the mbuf pool was empty
};

// Waits one step for a full ring or an empty mbuf pool. Each step exports. The first 64 steps
// spin and later ones sleep 20 us, which leaves the CPU to the workers and to sluice-control.
// `spins` counts the steps of one wait and starts at 0. Only for file input: there a 4096-deep
// ring contains milliseconds of work, so no worker runs dry.
void ReaderWait(Pipeline& pipeline, uint32_t* spins);

// Hands a worker's staged mbufs to its input ring, waiting (and exporting) while the ring is full.
void EnqueueStage(Pipeline& pipeline, uint32_t worker, std::vector<rte_mbuf*>& stage,
                  ReaderCounters* counters);
// Stages a clock tick stamped `ts_ns` for every worker (see packet_clock.h).
void StageClockTicks(Pipeline& pipeline, uint64_t ts_ns, std::vector<std::vector<rte_mbuf*>>& stages,
                     ReaderCounters* counters);

// Reads the whole file into the pipeline. Returns false on a read error (`error` names the file
// and offset); frames read before the error have been processed.
bool ReadCapture(capture::PcapReader& reader, Pipeline& pipeline, bool show_progress,
                 ReaderCounters* counters, std::string* error);

}  // namespace sluice::app
