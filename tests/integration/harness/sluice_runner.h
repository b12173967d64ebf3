// Runs the product end to end: one sluice-control for a whole test suite and one sluice-dataplane
// per capture. Each data plane run gets its own data plane id (--id), which picks its records out
// of the shared JSON-lines file. sluice-control flushes a batch to the file before it
// acknowledges it, and sluice-dataplane exits 0 only after every batch is acknowledged. So the
// file holds all of a run's records as soon as that run has exited 0.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/harness/jsonl.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {

// The PII fingerprint key every RunDataplane run gets, so tests can compute the pseudonyms the
// data plane writes (HMAC-SHA256 with this key).
inline constexpr char kIntegrationPiiKey[] = "sluice integration test key 0123456789";

// Paths of the programs under test, from the environment that meson's test() sets:
// SLUICE_CONTROL, SLUICE_DATAPLANE, SLUICE_CORPUS_DIR and SLUICE_SAMPLES_DIR.
struct SluicePaths {
  std::string control;
  std::string dataplane;
  std::string corpus_dir;
  std::string samples_dir;

  // Reads the variables; returns an empty string when the binaries are set, else what is missing.
  static std::string FromEnvironment(SluicePaths* paths);
};

// Every *.pcap and *.pcapng under `directory`, recursively, sorted by path.
std::vector<std::string> FindCaptures(const std::string& directory);

// A short name for a capture: its path relative to `root`, for messages and test names.
std::string CaptureName(const std::string& path, const std::string& root);

struct DataplaneRun {
  std::string capture;
  std::string dataplane_id;
  ProcessResult process;
  std::vector<JsonRecord> records;  // every record this run wrote, in file order
  std::string records_error;        // set when the JSON-lines file could not be read

  // The records whose sluice.record_type is `type` ("transaction", "flow").
  std::vector<const rapidjson::Document*> RecordsOfType(const std::string& type) const;
  // A counter from the end-of-run summary on stdout ("response without request"), or -1 when the
  // summary has no line with that label.
  int64_t SummaryCounter(const std::string& label) const;
};

// One sluice-control on a free loopback port, writing to a JSON-lines file in its own directory.
class ControlServer {
 public:
  explicit ControlServer(SluicePaths paths);
  ~ControlServer();

  // Starts sluice-control and waits until it logs that it listens. Returns an empty string on
  // success, else the reason (with its log).
  std::string Start();

  // Sends SIGTERM and waits for a clean exit (0). Returns an empty string on success.
  std::string Stop();

  // Runs sluice-dataplane on `capture` against this control, then collects its records.
  // `extra_arguments` go after the standard ones (--pcap, --control, --id, --workers, --progress).
  DataplaneRun RunDataplane(const std::string& capture, unsigned workers,
                            const std::vector<std::string>& extra_arguments = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(120));

  const std::string& endpoint() const { return endpoint_; }
  // sluice-control's log so far, for failure messages.
  std::string Log() const;

 private:
  // Moves the records added to the file since the last call into per-id buckets.
  std::string CollectNewRecords();

  SluicePaths paths_;
  TempDir directory_;
  std::string endpoint_;
  BackgroundProcess process_;
  std::unique_ptr<JsonlTail> tail_;
  std::map<std::string, std::vector<JsonRecord>> records_by_id_;
  unsigned runs_ = 0;
};

}  // namespace sluice::testing
