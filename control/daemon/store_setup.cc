#include "control/daemon/store_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "control/daemon/log.h"
#include "control/store/verify.h"

namespace sluice::control {

std::string OpenStore(const StoreConfig& config, std::unique_ptr<store::Store>& store) {
  store.reset();
  if (!config.enabled) {
    LogLine("forensic store disabled (control.store.enabled: false or --no-store)");
    return {};
  }
  store::StoreOptions options;
  options.directory = config.path;
  options.signing_key_path = config.SigningKeyPath();
  options.segment_max_bytes = config.segment_max_mb << 20;
  options.segment_max_age_ns = config.segment_max_age_s * 1'000'000'000ull;
  options.retention_max_bytes = config.retention_max_gb << 30;
  options.retention_max_age_ns = config.retention_max_days * 86'400ull * 1'000'000'000ull;
  options.log = [](const std::string& line) { LogLine("store: %s", line.c_str()); };
  if (std::string error = store::Store::Open(options, store); !error.empty()) {
    return "cannot open the forensic store: " + error +
           " (control.store.path; --no-store runs without it)";
  }
  LogLine("forensic store %s open, segment %llu, signed with %s", config.path.c_str(),
          static_cast<unsigned long long>(store->open_segment()),
          options.signing_key_path.c_str());
  return {};
}

void CloseStore(std::unique_ptr<store::Store>& store) {
  if (store == nullptr) return;
  if (std::string error = store->Close(); !error.empty()) {
    LogLine("error: closing the forensic store: %s", error.c_str());
  }
  const store::StoreCounters& counters = store->counters();
  LogLine("forensic store closed: batches stored %llu, duplicate %llu, records stored %llu, "
          "commits %llu, commit failures %llu, segments sealed %llu, deleted by retention %llu",
          static_cast<unsigned long long>(counters.batches_stored),
          static_cast<unsigned long long>(counters.batches_duplicate),
          static_cast<unsigned long long>(counters.records_stored),
          static_cast<unsigned long long>(counters.commits),
          static_cast<unsigned long long>(counters.commit_failures),
          static_cast<unsigned long long>(counters.segments_sealed),
          static_cast<unsigned long long>(counters.segments_deleted));
  store.reset();
}

int InitStoreKey(const std::string& path) {
  if (std::string error = store::GenerateSigningKey(path); !error.empty()) {
    LogLine("error: %s", error.c_str());
    return 2;
  }
  std::printf("created signing key %s and public key %s.pub\n", path.c_str(), path.c_str());
  return 0;
}

int VerifyStoreCommand(const StoreConfig& config) {
  struct stat info {};
  if (stat(config.path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    LogLine("error: no store directory at %s; give the store with --store or control.store.path",
            config.path.c_str());
    return 2;
  }
  // The public key is preferred: it is what an auditor off the appliance holds.
  const std::string key_path = config.SigningKeyPath();
  const std::string public_path = key_path + ".pub";
  store::Pkey key;
  const std::string& chosen = access(public_path.c_str(), R_OK) == 0 ? public_path : key_path;
  if (std::string error = store::LoadVerifyKey(chosen, key); !error.empty()) {
    LogLine("error: %s; give the key with --store-key", error.c_str());
    return 2;
  }
  store::VerifyReport report;
  if (std::string error = store::VerifyStore(config.path, key.get(), report); !error.empty()) {
    LogLine("error: %s", error.c_str());
    return 2;
  }
  for (const store::VerifyProblem& problem : report.problems) {
    std::printf("BROKEN %s %s: %s\n", problem.file.c_str(), problem.kind.c_str(),
                problem.reason.c_str());
  }
  std::printf("%s: %llu segments checked (%llu sealed, %llu open), %llu batches, segments %llu "
              "to %llu%s, %zu problems\n",
              report.ok() ? "intact" : "BROKEN",
              static_cast<unsigned long long>(report.segments_checked),
              static_cast<unsigned long long>(report.segments_sealed),
              static_cast<unsigned long long>(report.segments_open),
              static_cast<unsigned long long>(report.frames),
              static_cast<unsigned long long>(report.first_segment),
              static_cast<unsigned long long>(report.last_segment),
              report.retained_from > 0 ? " (older ones deleted by retention)" : "",
              report.problems.size());
  return report.ok() ? 0 : 1;
}

}  // namespace sluice::control
