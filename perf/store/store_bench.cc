// Forensic store benchmark: loads synthetic transaction batches through Store::Stage/Commit as
// the ingest thread does, then measures one-client timeline queries and the disk space used.
// Not a timed test: the meson test runs it with a few thousand records so that it keeps building
// and running; perf/README.md has the real figures.
#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "control/store/query.h"
#include "control/store/store.h"
#include "perf/store/synthetic_batches.h"

namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  uint64_t records = 10'000'000;
  uint32_t clients = 10'000;
  uint32_t endpoints = 50;
  uint32_t batch_records = 512;
  uint32_t group = 1;  // batches per Commit; 1 is what sluice-control does today
  uint32_t timelines = 20;
  std::string directory;
  bool keep = false;
  bool reuse = false;  // query an existing store without loading
};

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint64_t DirectoryBytes(const std::string& directory, const std::string& prefix) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0 && entry.is_regular_file()) {
      total += entry.file_size();
    }
  }
  return total;
}

int Load(const BenchOptions& options, uint64_t& loaded) {
  sluice::control::store::StoreOptions store_options;
  store_options.directory = options.directory;
  store_options.signing_key_path = options.directory + "-signing.pem";
  store_options.segment_max_age_ns = 0;
  store_options.log = [](const std::string& line) { std::fprintf(stderr, "store: %s\n", line.c_str()); };
  std::unique_ptr<sluice::control::store::Store> store;
  if (std::string error = sluice::control::store::Store::Open(store_options, store); !error.empty()) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }

  sluice::perf::SyntheticTraffic traffic(42, options.clients, options.endpoints);
  sluice::perf::SyntheticBatch batch;
  uint64_t ts = 1'700'000'000'000'000'000ull;
  double build_seconds = 0;
  const auto start = Clock::now();
  auto last_report = start;
  loaded = 0;
  for (uint64_t sequence = 0; loaded < options.records; ++sequence) {
    const auto build_start = Clock::now();
    batch.sequence = sequence;
    batch.worker_id = static_cast<uint16_t>(sequence % 4);
    batch.transactions.clear();
    const uint64_t count = std::min<uint64_t>(options.batch_records, options.records - loaded);
    for (uint64_t i = 0; i < count; ++i) {
      ts += 100'000;  // 10,000 calls per second of traffic
      batch.transactions.push_back(traffic.Next(ts));
    }
    const std::vector<uint8_t> message = sluice::perf::BuildBatchMessage(batch);
    build_seconds += Seconds(build_start);

    const auto staged = store->Stage(message.data(), message.size());
    if (staged.status != sluice::control::store::StageStatus::kStaged) {
      std::fprintf(stderr, "error: stage failed: %s\n", staged.error.c_str());
      return 1;
    }
    loaded += count;
    if ((sequence + 1) % options.group == 0 || loaded == options.records) {
      if (std::string error = store->Commit(); !error.empty()) {
        std::fprintf(stderr, "error: %s\n", error.c_str());
        return 1;
      }
    }
    if (Seconds(last_report) > 10) {
      last_report = Clock::now();
      std::fprintf(stderr, "  loaded %llu records, %.0f s\n",
                   static_cast<unsigned long long>(loaded), Seconds(start));
    }
  }
  if (std::string error = store->Close(); !error.empty()) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  const double total = Seconds(start);
  const double store_seconds = total - build_seconds;
  std::printf("ingest: %llu records in %.1f s including batch building; store alone %.1f s = "
              "%.0f records/s (%u records per batch, commit every %u batches)\n",
              static_cast<unsigned long long>(loaded), total, store_seconds,
              static_cast<double>(loaded) / store_seconds, options.batch_records, options.group);
  return 0;
}

void ReportDisk(const BenchOptions& options, uint64_t records) {
  const uint64_t segments = DirectoryBytes(options.directory, "segment-");
  const uint64_t index = DirectoryBytes(options.directory, "index.sqlite");
  const double millions = static_cast<double>(records) / 1e6;
  std::printf("disk: segments %.1f MiB, index %.1f MiB; per million records: segments %.1f MiB, "
              "index %.1f MiB, total %.1f MiB\n",
              segments / 1048576.0, index / 1048576.0, segments / 1048576.0 / millions,
              index / 1048576.0 / millions, (segments + index) / 1048576.0 / millions);
}

int QueryTimelines(const BenchOptions& options) {
  sluice::control::store::StoreReader reader;
  if (std::string error = reader.Open(options.directory); !error.empty()) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  sluice::perf::SyntheticTraffic traffic(7, options.clients, options.endpoints);
  std::vector<double> first_page;
  std::vector<double> whole;
  uint64_t rows_total = 0;
  for (uint32_t i = 0; i < options.timelines; ++i) {
    const uint32_t client = (i * 7919u) % options.clients;
    const std::string address = sluice::perf::Ipv4Text(traffic.ClientAddress(client));
    sluice::control::store::QueryPage page;
    const auto start = Clock::now();
    if (std::string error = reader.Timeline(address, 0, INT64_MAX, 1000, "", page);
        !error.empty()) {
      std::fprintf(stderr, "error: %s\n", error.c_str());
      return 1;
    }
    first_page.push_back(Seconds(start));
    uint64_t rows = page.rows.size();
    while (!page.continuation.empty()) {
      const std::string continuation = page.continuation;
      if (std::string error = reader.Timeline(address, 0, INT64_MAX, 1000, continuation, page);
          !error.empty()) {
        std::fprintf(stderr, "error: %s\n", error.c_str());
        return 1;
      }
      rows += page.rows.size();
    }
    whole.push_back(Seconds(start));
    rows_total += rows;
  }
  std::sort(first_page.begin(), first_page.end());
  std::sort(whole.begin(), whole.end());
  const size_t n = whole.size();
  std::printf("timeline: %u clients, %.0f records each on average; first page (1000 rows) "
              "median %.1f ms, max %.1f ms; whole timeline median %.1f ms, max %.1f ms\n",
              options.timelines, static_cast<double>(rows_total) / n, first_page[n / 2] * 1e3,
              first_page[n - 1] * 1e3, whole[n / 2] * 1e3, whole[n - 1] * 1e3);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions options;
  CLI::App app{"sluice-store-bench: loads synthetic batches into a forensic store and measures "
               "the ingest rate, the disk space and one-client timeline queries"};
  app.add_option("--records", options.records, "Transactions to load")->default_val(10'000'000);
  app.add_option("--clients", options.clients, "Distinct client addresses")->default_val(10'000);
  app.add_option("--endpoints", options.endpoints, "Endpoint templates")->default_val(50);
  app.add_option("--batch-records", options.batch_records, "Records per batch")->default_val(512);
  app.add_option("--group", options.group, "Batches per commit (fsync)")->default_val(1);
  app.add_option("--timelines", options.timelines, "Timeline queries to time")->default_val(20);
  app.add_option("--dir", options.directory,
                 "Store directory (default: a new directory under /tmp, deleted at the end)");
  app.add_flag("--keep", options.keep, "Keep the store directory");
  app.add_flag("--reuse", options.reuse, "Query the store in --dir without loading");
  CLI11_PARSE(app, argc, argv);
  if (options.batch_records == 0 || options.group == 0 || options.clients == 0 ||
      options.endpoints == 0 || options.timelines == 0) {
    std::fprintf(stderr, "error: counts must be at least 1\n");
    return 2;
  }

  const bool temporary = options.directory.empty();
  if (temporary) {
    char pattern[] = "/tmp/sluice-store-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    options.directory = std::string(pattern) + "/store";
  }

  uint64_t records = options.records;
  if (!options.reuse) {
    if (const int status = Load(options, records); status != 0) return status;
  }
  ReportDisk(options, records);
  const int status = QueryTimelines(options);
  if (temporary && !options.keep) {
    std::filesystem::remove_all(std::filesystem::path(options.directory).parent_path());
  }
  return status;
}
