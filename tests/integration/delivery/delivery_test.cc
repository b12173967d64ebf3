// End to end: sluice-control is killed with SIGKILL while a data plane replays a capture, and is
// restarted on the same files. Every record must arrive exactly once, or, when the data plane's
// spool overflowed while sluice-control was down, be reported lost in a Gap record.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/integration/harness/jsonl.h"
#include "tests/integration/harness/loopback.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/sluice_runner.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

uint64_t FileSize(const std::string& path) {
  struct stat status {};
  return stat(path.c_str(), &status) == 0 ? static_cast<uint64_t>(status.st_size) : 0;
}

// Values of the --stats-json summary ("records_built": 123).
int64_t StatsValue(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\": ";
  const size_t at = json.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(json.substr(at + key.size()));
}

// One line's identity: the batch that carried it and the record inside it.
struct RecordKey {
  std::string run;
  int64_t worker;
  int64_t sequence;
  std::string type;
  int64_t flow_id;
  int64_t transaction;
  bool operator<(const RecordKey& other) const {
    return std::tie(run, worker, sequence, type, flow_id, transaction) <
           std::tie(other.run, other.worker, other.sequence, other.type, other.flow_id,
                    other.transaction);
  }
};

struct GapLine {
  int64_t worker;
  int64_t first_sequence;
  int64_t last_sequence;
  int64_t batches_lost;
  int64_t records_lost;
};

// What the JSON-lines file holds for one data plane id.
struct Delivered {
  size_t lines = 0;
  std::set<RecordKey> keys;                                          // distinct records
  std::map<std::pair<std::string, int64_t>, std::set<int64_t>> sequences;  // (run, worker)
  std::map<std::tuple<std::string, int64_t, int64_t>, size_t> lines_per_batch;
  std::vector<GapLine> gaps;
  std::string error;
};

// Reads the file one line at a time, because its 100 MB of lines are too many to keep parsed.
Delivered ReadDelivered(const std::string& jsonl, const std::string& dataplane_id) {
  Delivered delivered;
  std::ifstream file(jsonl);
  if (!file) {
    delivered.error = "cannot open " + jsonl;
    return delivered;
  }
  size_t line_number = 0;
  for (std::string line; std::getline(file, line);) {
    ++line_number;
    auto record = std::make_unique<rapidjson::Document>();
    record->Parse(line.c_str(), line.size());
    if (record->HasParseError() || !record->IsObject()) {
      delivered.error = jsonl + ":" + std::to_string(line_number) + ": not a JSON object";
      return delivered;
    }
    if (FindString(*record, "sluice.dataplane") != dataplane_id) continue;
    const std::string type = FindString(*record, "sluice.record_type").value_or("?");
    const std::string run = FindString(*record, "sluice.run_id").value_or("?");
    if (type == "gap") {
      EXPECT_EQ(FindString(*record, "event.kind"), "event");
      EXPECT_EQ(FindString(*record, "sluice.gap.run_id"), run);
      delivered.gaps.push_back(GapLine{FindInt(*record, "sluice.gap.worker").value_or(-1),
                                       FindInt(*record, "sluice.gap.first_sequence").value_or(-1),
                                       FindInt(*record, "sluice.gap.last_sequence").value_or(-1),
                                       FindInt(*record, "sluice.gap.batches_lost").value_or(-1),
                                       FindInt(*record, "sluice.gap.records_lost").value_or(-1)});
      continue;
    }
    ++delivered.lines;
    const int64_t worker = FindInt(*record, "sluice.worker").value_or(-1);
    const int64_t sequence = FindInt(*record, "sluice.batch.sequence").value_or(-1);
    delivered.keys.insert(RecordKey{run, worker, sequence, type,
                                    FindInt(*record, "sluice.flow_id").value_or(-1),
                                    FindInt(*record, "sluice.transaction").value_or(-1)});
    delivered.sequences[{run, worker}].insert(sequence);
    ++delivered.lines_per_batch[{run, worker, sequence}];
  }
  return delivered;
}

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = SluicePaths::FromEnvironment(&paths_);
    if (!missing.empty()) GTEST_SKIP() << missing;
    port_ = FreeLoopbackPort();
    ASSERT_NE(port_, 0);
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(port_);
    jsonl_ = directory_.File("records.jsonl");
    ASSERT_TRUE(WriteFile(directory_.File("pii.key"), "sluice delivery test key 0123456789"));
  }

  // Starts sluice-control on the same endpoint and files and waits until it listens.
  void StartControl() {
    ++control_starts_;
    control_ = std::make_unique<BackgroundProcess>();
    const std::string log = directory_.File("control.log");
    // The forensic store is on, as by default: acknowledgements wait for it too.
    ASSERT_EQ(control_->Start({paths_.control, "--listen", endpoint_, "--jsonl", jsonl_, "--store",
                               directory_.File("store")},
                              log, log),
              "");
    const std::string expected = "listening on " + endpoint_;
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    std::string text;
    while (std::chrono::steady_clock::now() < deadline) {
      ReadFile(log, &text);
      if (CountOccurrences(text, expected) == control_starts_) return;
      ASSERT_TRUE(control_->Running()) << text;
      std::this_thread::sleep_for(milliseconds(20));
    }
    FAIL() << "sluice-control did not listen within 20 s:\n" << text;
  }

  void KillControl() {
    ASSERT_TRUE(control_->Signal(SIGKILL));
    control_->Wait(seconds(10));
  }

  // Stops sluice-control cleanly and returns its whole log.
  std::string StopControl() {
    control_->Signal(SIGTERM);
    const ProcessResult result = control_->Wait(seconds(20));
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    std::string text;
    ReadFile(directory_.File("control.log"), &text);
    return text;
  }

  static size_t CountOccurrences(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }

  void StartDataplane(const std::string& id, unsigned workers, double replay_seconds,
                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {
        paths_.dataplane, "--pcap", paths_.samples_dir + "/api-sample.pcap", "--control",
        endpoint_, "--id", id, "--workers", std::to_string(workers), "--progress", "off",
        "--pii-key-file", directory_.File("pii.key"), "--replay", std::to_string(replay_seconds),
        "--stats-json", directory_.File("stats.json")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_EQ(dataplane_.Start(argv, directory_.File("dataplane.out"),
                               directory_.File("dataplane.err")),
              "");
  }

  // Waits until the JSON-lines file has grown past `bytes` while the data plane runs.
  void WaitForRecords(uint64_t bytes) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(40);
    while (FileSize(jsonl_) <= bytes) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no records arrived";
      ASSERT_TRUE(dataplane_.Running()) << "the data plane ended before the kill";
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  std::string FinishDataplane() {
    const ProcessResult result = dataplane_.Wait(seconds(60));
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    std::string stats;
    EXPECT_TRUE(ReadFile(directory_.File("stats.json"), &stats));
    return stats;
  }

  SluicePaths paths_;
  TempDir directory_{"sluice_delivery"};
  uint16_t port_ = 0;
  std::string endpoint_;
  std::string jsonl_;
  std::unique_ptr<BackgroundProcess> control_;
  size_t control_starts_ = 0;
  BackgroundProcess dataplane_;
};

// Every (run, worker) stream must hold the sequence numbers 0..max without a hole.
void ExpectContiguous(const Delivered& delivered) {
  for (const auto& [stream, sequences] : delivered.sequences) {
    ASSERT_FALSE(sequences.empty());
    EXPECT_EQ(*sequences.begin(), 0) << "run " << stream.first << " worker " << stream.second;
    EXPECT_EQ(static_cast<size_t>(*sequences.rbegin()) + 1, sequences.size())
        << "holes in run " << stream.first << " worker " << stream.second;
  }
}

TEST_F(DeliveryTest, KillNineThreeTimesExactlyOnce) {
  StartControl();
  StartDataplane("dp-kill", 2, 4.0);
  // Each kill comes after at least another 3 MB of lines (about 3000 records), so the three
  // kills fall at different points of the replay, early enough for slow sanitizer builds.
  constexpr int kKills = 3;
  for (int kill = 0; kill < kKills; ++kill) {
    WaitForRecords(FileSize(jsonl_) + (3u << 20));
    KillControl();
    std::this_thread::sleep_for(milliseconds(300));
    StartControl();
  }
  const std::string stats = FinishDataplane();
  const std::string log = StopControl();

  const Delivered delivered = ReadDelivered(jsonl_, "dp-kill");
  ASSERT_EQ(delivered.error, "");
  const int64_t built = StatsValue(stats, "records_built");
  const int64_t dropped = StatsValue(stats, "records_dropped");
  ASSERT_GT(built, 0) << stats;
  EXPECT_EQ(dropped, 0) << stats;
  EXPECT_EQ(StatsValue(stats, "records_acknowledged"), built - dropped) << stats;
  EXPECT_EQ(static_cast<int64_t>(delivered.lines), built - dropped) << "lines vs data plane";
  EXPECT_EQ(delivered.keys.size(), delivered.lines) << "some records were written twice";
  size_t batches = 0;
  for (const auto& [stream, sequences] : delivered.sequences) batches += sequences.size();
  EXPECT_EQ(static_cast<int64_t>(batches), StatsValue(stats, "batches_acknowledged"));
  ExpectContiguous(delivered);
  EXPECT_TRUE(delivered.gaps.empty()) << "offline mode waits; it gives up nothing";
  EXPECT_EQ(StatsValue(stats, "spool_batches_given_up"), 0);
  EXPECT_EQ(CountOccurrences(log, "sequence gap"), 0u) << "a control restart is not a gap\n"
                                                       << log;
  EXPECT_GE(CountOccurrences(log, "streams reloaded"), static_cast<size_t>(kKills));
}

TEST_F(DeliveryTest, SpoolOverflowReportedAsGap) {
  const std::string config = directory_.File("sluice.yaml");
  ASSERT_TRUE(WriteFile(config,
                        "dataplane:\n"
                        "  records_per_batch: 64\n"
                        "  batch_buffers_per_worker: 24\n"
                        "  export:\n"
                        "    spool_batches_per_worker: 16\n"
                        "    spool_overflow: drop_oldest\n"));
  StartControl();
  StartDataplane("dp-gap", 1, 4.0, {"--config", config});
  WaitForRecords(1u << 20);
  KillControl();
  // The replay goes on: far more than 4 batches of 64 records are built while control is down.
  std::this_thread::sleep_for(milliseconds(1500));
  StartControl();
  const std::string stats = FinishDataplane();
  const std::string log = StopControl();

  const Delivered delivered = ReadDelivered(jsonl_, "dp-gap");
  ASSERT_EQ(delivered.error, "");
  const int64_t given_up_batches = StatsValue(stats, "spool_batches_given_up");
  const int64_t given_up_records = StatsValue(stats, "spool_records_given_up");
  ASSERT_GT(given_up_batches, 0) << stats;
  ASSERT_FALSE(delivered.gaps.empty()) << "no Gap record for " << given_up_batches
                                       << " batches given up";
  EXPECT_EQ(StatsValue(stats, "gap_records"), static_cast<int64_t>(delivered.gaps.size()));

  int64_t gap_batches = 0;
  int64_t gap_records = 0;
  std::set<int64_t> lost;
  for (const GapLine& gap : delivered.gaps) {
    EXPECT_EQ(gap.worker, 0);
    EXPECT_EQ(gap.last_sequence - gap.first_sequence + 1, gap.batches_lost);
    gap_batches += gap.batches_lost;
    gap_records += gap.records_lost;
    for (int64_t sequence = gap.first_sequence; sequence <= gap.last_sequence; ++sequence) {
      lost.insert(sequence);
    }
  }
  EXPECT_EQ(gap_batches, given_up_batches);
  EXPECT_EQ(gap_records, given_up_records);

  // Delivered and lost batches together cover the stream. A batch can be in both only when
  // sluice-control made it durable but was killed before its acknowledgement left; its lines
  // then count as delivered.
  ASSERT_EQ(delivered.sequences.size(), 1u);
  const std::set<int64_t>& sequences = delivered.sequences.begin()->second;
  const std::string run = delivered.sequences.begin()->first.first;
  std::set<int64_t> all = sequences;
  all.insert(lost.begin(), lost.end());
  EXPECT_EQ(static_cast<size_t>(*all.rbegin()) + 1, all.size()) << "a batch is neither delivered "
                                                                   "nor reported lost";
  size_t overlap_lines = 0;
  for (const int64_t sequence : lost) {
    const auto found = delivered.lines_per_batch.find({run, 0, sequence});
    if (found != delivered.lines_per_batch.end()) overlap_lines += found->second;
  }
  const int64_t built = StatsValue(stats, "records_built");
  const int64_t dropped = StatsValue(stats, "records_dropped");
  EXPECT_EQ(static_cast<int64_t>(delivered.lines - overlap_lines),
            built - dropped - given_up_records)
      << stats;
  EXPECT_EQ(delivered.keys.size(), delivered.lines) << "some records were written twice";
  EXPECT_NE(log.find("counter control.records.gap " + std::to_string(delivered.gaps.size()) + "\n"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace sluice::testing
