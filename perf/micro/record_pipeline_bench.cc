// The record path alone: RecordBuilder -> BatchChannel -> Exporter (ZeroMQ DEALER over TCP
// loopback) -> sluice-control's IngestServer (ROUTER, FlatBuffers verification, ECS formatting)
// -> JSON-lines file. The builder and exporter share this thread, as a worker and the main lcore
// would share one core. The ingest server runs on its own thread. After each run the records
// sluice-control wrote must equal the records built.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <zmq.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control/daemon/stats.h"
#include "control/sinks/jsonl_sink.h"
#include "control/transport/delivery_state.h"
#include "control/transport/ingest_server.h"
#include "dataplane/export/batch_channel.h"
#include "dataplane/export/exporter.h"
#include "dataplane/record/record_builder.h"
#include "perf/micro/bench_main.h"
#include "perf/micro/record_fixture.h"

namespace sluice::perf {
namespace {

constexpr uint32_t kBuffers = 64;
constexpr uint32_t kFlows = 256;
constexpr auto kDrainTimeout = std::chrono::seconds(20);

// IngestServer::Run takes a signal-style stop flag; the benchmark thread sets it.
volatile std::sig_atomic_t g_stop_server = 0;

// sluice-control's ingest side on a thread of its own, writing to a temporary JSON-lines file.
class ControlSide {
 public:
  ~ControlSide() { Stop(); }

  // Binds a free loopback port, as a CURVE server when `curve_secret_z85` is set. Returns an
  // empty string or an error message.
  std::string Start(const std::string& curve_secret_z85 = "") {
    char path[] = "/tmp/sluice-bench-records-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return "cannot create a temporary JSON-lines file in /tmp";
    close(fd);
    path_ = path;
    std::string error = sink_.Open(path_);
    if (!error.empty()) return error;
    for (int attempt = 0; attempt < 50; ++attempt) {
      endpoint_ = "tcp://127.0.0.1:" + std::to_string(20000 + (getpid() * 13 + attempt * 101) % 30000);
      server_ = std::make_unique<control::IngestServer>(sink_, stats_);
      server_->SetCurveSecretKey(curve_secret_z85);
      error = server_->Bind(endpoint_);
      if (error.empty()) break;
    }
    if (!error.empty()) return error;
    // As sluice-control does: acknowledgements wait for fdatasync and the delivery state file.
    control::RecoveryReport report;
    error = server_->RecoverDelivery(control::DeliveryStatePath(path_), report);
    if (!error.empty()) return error;
    g_stop_server = 0;
    thread_ = std::thread([this] { server_->Run(g_stop_server); });
    return "";
  }

  // Stops the server thread; the statistics are safe to read afterwards.
  void Stop() {
    if (thread_.joinable()) {
      g_stop_server = 1;
      thread_.join();
    }
    server_.reset();
    if (!path_.empty()) {
      std::remove(path_.c_str());
      std::remove(control::DeliveryStatePath(path_).c_str());
      path_.clear();
    }
  }

  const std::string& endpoint() const { return endpoint_; }
  const control::ControlStats& stats() const { return stats_; }

 private:
  control::JsonlSink sink_;
  control::ControlStats stats_;
  std::unique_ptr<control::IngestServer> server_;
  std::thread thread_;
  std::string endpoint_;
  std::string path_;
};

// Argument 1: the record channel is CURVE-encrypted (control.dataplane_curve), 0: plain.
void BM_RecordPipeline(benchmark::State& state) {
  const bool curve = state.range(0) != 0;
  char server_public[41] = {};
  char server_secret[41] = {};
  if (curve && zmq_curve_keypair(server_public, server_secret) != 0) {
    state.SkipWithError("libzmq has no CURVE support");
    return;
  }
  ControlSide control_side;
  std::string error = control_side.Start(curve ? server_secret : "");
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  exporter::BatchChannel channel;
  if (!channel.Init(0, kBuffers, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  exporter::ExporterOptions exporter_options;
  exporter_options.endpoint = control_side.endpoint();
  exporter_options.dataplane_id = "bench";
  exporter_options.run_id = 0x5eed0000u + static_cast<uint64_t>(getpid()) + (curve ? 1 : 0);
  if (curve) exporter_options.server_key_z85 = server_public;
  exporter::Exporter exporter;
  if (!exporter.Connect(exporter_options, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  record::RecordBuilderOptions options;
  options.dataplane_id = exporter_options.dataplane_id;
  options.run_id = exporter_options.run_id;
  options.wait_for_buffers = false;  // this thread is also the exporter: never spin inside
  record::RecordBuilder builder(&channel, options);
  const std::vector<exporter::BatchChannel*> channels = {&channel};

  std::vector<flow::Flow> flows(kFlows);
  std::vector<session::Transaction> transactions(kFlows);
  for (uint32_t i = 0; i < kFlows; ++i) {
    MakeRecordFlow(i, &flows[i]);
    MakeRecordTransaction(i, &transactions[i]);
  }

  uint32_t next = 0;
  for (auto _ : state) {
    builder.AddTransaction(flows[next], transactions[next]);
    if (++next == kFlows) {  // a batch was handed over: send it, and wait while the spool is full
      next = 0;
      exporter.Poll(channels);
      while (exporter.in_flight() >= kBuffers - 1) exporter.Poll(channels);
    }
  }
  builder.Flush();
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  do {
    exporter.Poll(channels);
  } while (exporter.in_flight() != 0 && std::chrono::steady_clock::now() < deadline);
  control_side.Stop();

  const uint64_t built = builder.counters().transactions;
  const control::ControlStats& stats = control_side.stats();
  state.SetItemsProcessed(static_cast<int64_t>(built));
  state.counters["records_sent"] = static_cast<double>(built);
  state.counters["records_written"] = static_cast<double>(stats.records_written);
  state.counters["batches"] = static_cast<double>(stats.batches_written);
  if (builder.counters().dropped != 0 || stats.records_written != built ||
      exporter.counters().records_acked != built) {
    state.SkipWithError("sluice-control wrote a different number of records than were built");
  }
}
BENCHMARK(BM_RecordPipeline)->ArgName("curve")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) {
  return sluice::perf::RunBenchmarkMain(argc, argv, {.start_eal = true});
}
