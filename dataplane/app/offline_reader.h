// Offline input on the main lcore: reads a capture with libpcap, copies each frame into mbufs,
// and spreads frames over the workers' input rings by the symmetric IP-pair hash, so both
// directions of a connection reach the same worker. A file can wait, so full rings and an empty
// mbuf pool make the reader wait (and keep exporting); nothing is dropped.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/app/pipeline.h"
#include "dataplane/capture/pcap_reader.h"

namespace sluice::app {

struct ReaderCounters {
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t ring_waits = 0;   // a worker's input ring was full
  uint64_t mbuf_waits = 0;   // the mbuf pool was empty
};

// Reads the whole file into the pipeline. Returns false on a read error (`error` names the file
// and offset); frames read before the error have been processed.
bool ReadCapture(capture::PcapReader& reader, Pipeline& pipeline, bool show_progress,
                 ReaderCounters* counters, std::string* error);

}  // namespace sluice::app
