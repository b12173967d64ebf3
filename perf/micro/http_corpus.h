// HTTP/1.1 message streams for the parser benchmarks: the sample capture's request and response
// streams, plus synthetic keep-alive streams that isolate one message shape each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::perf {

struct HttpCorpus {
  const char* name;
  bool requests;
  std::vector<std::string> streams;  // one per connection direction, parsed from a fresh parser
  uint64_t bytes = 0;
};

enum CorpusId : int {
  kSampleRequests,
  kSampleResponses,  // without connections that sent HEAD, because the sinks do not pair responses with requests
  kSmallRequests,
  kLargeHeaderRequests,
  kSmallResponses,
  kLargeHeaderResponses,
  kChunkedResponses,
  kCorpusCount
};

// Builds the corpus on first use.
const HttpCorpus& GetHttpCorpus(CorpusId id);
const char* HttpCorpusName(CorpusId id);

// TCP delivers the stream to the parser in pieces of at most one MSS.
inline constexpr uint32_t kPieceBytes = 1460;

}  // namespace sluice::perf
