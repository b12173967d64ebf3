// HTTP/1.x parsing: Sluice's HttpParser beside Node's http-parser (Debian libhttp-parser 2.9), on
// the same streams cut into the same MSS-sized pieces. Both sinks only count, so the figures are
// parser cost alone. A self-check first requires both parsers to find the same messages and body
// bytes in every corpus.
#include <benchmark/benchmark.h>
#include <http_parser.h>

#include <algorithm>
#include <cstdio>

#include "dataplane/http/http_parser.h"
#include "perf/micro/bench_main.h"
#include "perf/micro/http_corpus.h"

namespace sluice::perf {
namespace {

struct ParseTotals {
  uint64_t messages = 0;
  uint64_t body_bytes = 0;
  uint64_t problems = 0;  // Sluice: anomalies; http-parser: errors
};

class CountingSink : public http::MessageSink {
 public:
  void OnRequestLine(http::Span method, http::Span target, uint8_t) override {
    benchmark::DoNotOptimize(method);
    benchmark::DoNotOptimize(target);
  }
  void OnStatusLine(uint16_t status, uint8_t, http::Span) override {
    benchmark::DoNotOptimize(status);
  }
  void OnHeader(http::Span name, http::Span value) override {
    benchmark::DoNotOptimize(name);
    benchmark::DoNotOptimize(value);
  }
  http::ResponseContext OnHeadersComplete(const http::MessageInfo&) override {
    return http::ResponseContext::kNormal;
  }
  void OnBody(const uint8_t*, uint32_t length) override { totals.body_bytes += length; }
  void OnMessageComplete(const http::MessageInfo&) override { ++totals.messages; }
  void OnAnomaly(http::Anomaly) override { ++totals.problems; }
  ParseTotals totals;
};

// Parses every stream of `corpus` with Sluice's parser, a fresh parser state per stream.
void ParseWithSluice(const HttpCorpus& corpus, http::LinePool& pool, CountingSink& sink) {
  const http::ParserLimits limits;
  for (const std::string& stream : corpus.streams) {
    http::HttpParser parser;
    parser.Reset(corpus.requests);
    const auto* data = reinterpret_cast<const uint8_t*>(stream.data());
    for (size_t at = 0; at < stream.size(); at += kPieceBytes) {
      const auto piece = static_cast<uint32_t>(std::min<size_t>(kPieceBytes, stream.size() - at));
      parser.Feed(data + at, piece, pool, limits, sink);
    }
    parser.Finish(pool, sink);
  }
}

int OnNodeBody(http_parser* parser, const char*, size_t length) {
  static_cast<ParseTotals*>(parser->data)->body_bytes += length;
  return 0;
}
int OnNodeMessageComplete(http_parser* parser) {
  ++static_cast<ParseTotals*>(parser->data)->messages;
  return 0;
}
int OnNodeData(http_parser*, const char* at, size_t) {
  benchmark::DoNotOptimize(at);
  return 0;
}

http_parser_settings NodeSettings() {
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = OnNodeData;
  settings.on_status = OnNodeData;
  settings.on_header_field = OnNodeData;
  settings.on_header_value = OnNodeData;
  settings.on_body = OnNodeBody;
  settings.on_message_complete = OnNodeMessageComplete;
  return settings;
}

// Parses every stream of `corpus` with http-parser; a stream stops at its first error.
void ParseWithNode(const HttpCorpus& corpus, const http_parser_settings& settings,
                   ParseTotals* totals) {
  for (const std::string& stream : corpus.streams) {
    http_parser parser;
    http_parser_init(&parser, corpus.requests ? HTTP_REQUEST : HTTP_RESPONSE);
    parser.data = totals;
    bool failed = false;
    for (size_t at = 0; at < stream.size() && !failed; at += kPieceBytes) {
      const size_t piece = std::min<size_t>(kPieceBytes, stream.size() - at);
      http_parser_execute(&parser, &settings, stream.data() + at, piece);
      failed = HTTP_PARSER_ERRNO(&parser) != HPE_OK;
    }
    if (!failed) http_parser_execute(&parser, &settings, nullptr, 0);  // end of stream
    totals->problems += failed || HTTP_PARSER_ERRNO(&parser) != HPE_OK;
  }
}

void SetRates(benchmark::State& state, const HttpCorpus& corpus, uint64_t messages) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(messages));  // items = HTTP messages
}

void BM_HttpSluice(benchmark::State& state, CorpusId id) {
  const HttpCorpus& corpus = GetHttpCorpus(id);
  http::LinePool pool(64, 8192);
  CountingSink sink;
  for (auto _ : state) ParseWithSluice(corpus, pool, sink);
  SetRates(state, corpus, sink.totals.messages);
  if (sink.totals.problems != 0) state.SkipWithError("anomalies on a well-formed corpus");
}

void BM_HttpNodeParser(benchmark::State& state, CorpusId id) {
  const HttpCorpus& corpus = GetHttpCorpus(id);
  const http_parser_settings settings = NodeSettings();
  ParseTotals totals;
  for (auto _ : state) ParseWithNode(corpus, settings, &totals);
  SetRates(state, corpus, totals.messages);
  if (totals.problems != 0) state.SkipWithError("http-parser reported an error");
}

// Registers sluice and http-parser next to each other for every corpus.
[[maybe_unused]] const bool kRegistered = [] {
  for (int id = 0; id < kCorpusCount; ++id) {
    const auto corpus = static_cast<CorpusId>(id);
    const std::string name = HttpCorpusName(corpus);
    benchmark::RegisterBenchmark(("BM_HttpParse/sluice/" + name).c_str(), BM_HttpSluice, corpus);
    benchmark::RegisterBenchmark(("BM_HttpParse/http_parser/" + name).c_str(), BM_HttpNodeParser,
                                 corpus);
  }
  return true;
}();

bool SelfCheck() {
  bool ok = true;
  const http_parser_settings settings = NodeSettings();
  http::LinePool pool(64, 8192);
  for (int id = 0; id < kCorpusCount; ++id) {
    const HttpCorpus& corpus = GetHttpCorpus(static_cast<CorpusId>(id));
    CountingSink sink;
    ParseWithSluice(corpus, pool, sink);
    ParseTotals node;
    ParseWithNode(corpus, settings, &node);
    const bool agree = sink.totals.messages == node.messages &&
                       sink.totals.body_bytes == node.body_bytes && sink.totals.problems == 0 &&
                       node.problems == 0 && node.messages > 0;
    if (!agree) {
      std::fprintf(stderr,
                   "%s: sluice %lu messages %lu body bytes %lu anomalies; http-parser %lu "
                   "messages %lu body bytes %lu errors\n",
                   corpus.name, static_cast<unsigned long>(sink.totals.messages),
                   static_cast<unsigned long>(sink.totals.body_bytes),
                   static_cast<unsigned long>(sink.totals.problems),
                   static_cast<unsigned long>(node.messages),
                   static_cast<unsigned long>(node.body_bytes),
                   static_cast<unsigned long>(node.problems));
      ok = false;
    }
  }
  return ok;
}

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) {
  return sluice::perf::RunBenchmarkMain(argc, argv, {.self_check = sluice::perf::SelfCheck});
}
