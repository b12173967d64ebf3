// The forensic store: append-only, compressed, hash-chained and signed segment files of the raw
// record batches, with a SQLite index for queries.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/store/index_writer.h"
#include "control/store/record_fields.h"
#include "control/store/segment_format.h"
#include "control/store/signing.h"

namespace sluice::control::store {

struct StoreOptions {
  std::string directory;         // created with its parents when missing
  std::string signing_key_path;  // Ed25519 PEM; created when missing
  uint64_t segment_max_bytes = 64ull << 20;
  // A segment is sealed (and so protected by the signed chain) once it is this old, checked at
  // each Commit and Maintain. Until then its frames are protected only by their checksums.
  uint64_t segment_max_age_ns = 300ull * 1'000'000'000;
  uint64_t retention_max_bytes = 0;   // total size of all segments; 0: no limit
  uint64_t retention_max_age_ns = 0;  // age of a segment's newest batch; 0: no limit
  int compression_level = 3;          // zstd level
  // Receives one line per service event (open, recovery, seal failure, retention). Optional.
  std::function<void(const std::string&)> log;
  // Wall clock in ns since the Unix epoch; tests replace it. Optional.
  std::function<uint64_t()> clock;
};

enum class StageStatus : uint8_t {
  kStaged,     // written to the segment and the index transaction; durable after Commit
  kDuplicate,  // stored before, under the same (dataplane, run, worker, sequence)
  kInvalid,    // not a verifiable Message with a Batch body; nothing written
  kFailed,     // a write failed: every batch staged since the last Commit was rolled back
};

struct StageResult {
  StageStatus status = StageStatus::kFailed;
  uint32_t records = 0;
  std::string error;  // set for kInvalid and kFailed
};

// Counters of the store since it was opened.
struct StoreCounters {
  uint64_t batches_stored = 0;
  uint64_t batches_duplicate = 0;
  uint64_t batches_invalid = 0;
  uint64_t records_stored = 0;
  uint64_t commits = 0;
  uint64_t commit_failures = 0;
  uint64_t segments_sealed = 0;
  uint64_t segments_deleted = 0;
  uint64_t bytes_written = 0;  // compressed frame bytes
};

// Owned and called by one thread (the ingest thread). Readers use StoreReader on their own
// connection.
//
// Durability: Stage writes a batch to the open segment and to an open index transaction;
// nothing is durable until Commit returns an empty string, which fsyncs the segment and then
// commits the index. A caller may stage a burst of batches, commit once and then acknowledge all
// of them (group commit); it must not acknowledge any before that Commit.
class Store {
 public:
  // Opens the store in options.directory: recovers from a crash (cuts a torn last frame off,
  // drops index rows past the end of the data, seals nothing it has not checked) and applies
  // retention. Returns an empty string on success.
  static std::string Open(const StoreOptions& options, std::unique_ptr<Store>& store);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Stages one wire Message (a Batch body) exactly as received.
  StageResult Stage(const uint8_t* message, size_t size);
  // Makes every staged batch durable, then rolls the segment when it is full or old.
  std::string Commit();
  // Stage then Commit.
  StageResult Append(const uint8_t* message, size_t size);
  // Seals the open segment (when it contains a batch) and starts the next.
  std::string Roll();
  // Rolls an old segment and applies retention; the daemon calls it periodically.
  std::string Maintain();
  // Commits, seals the open segment when it contains a batch, and closes the files.
  std::string Close();

  const StoreCounters& counters() const { return counters_; }
  const std::string& directory() const { return options_.directory; }
  uint64_t open_segment() const { return active_.number; }

 private:
  struct ActiveSegment {
    uint64_t number = 0;
    int fd = -1;
    SegmentRow row;            // committed totals
    SegmentRow pending;        // totals including staged batches
    uint64_t end = 0;          // bytes written, staged included
    Sha256 hasher;             // over header and frames up to `end`
    Sha256 committed_hasher;   // the same at the committed end
  };

  explicit Store(const StoreOptions& options);

  uint64_t Now() const;
  void Log(const std::string& line) const;
  std::string Recover();
  std::string RecoverOpenSegment(const std::string& path, SegmentScan& scan);
  std::string RepairSealedMarks(uint64_t number, const SegmentScan& scan);
  std::string CreateSegment(uint64_t number, const Sha256Digest& previous_hash);
  std::string SealActive();
  std::string ApplyRetention();
  std::string DeleteOldestSegment(const SegmentRow& segment, const std::string& reason);
  std::string WriteFrame(const uint8_t* message, size_t size);
  void RollbackStaged();
  std::string SegmentPath(uint64_t number) const;

  StoreOptions options_;
  Pkey key_;
  IndexWriter index_;
  ActiveSegment active_;
  Sha256Digest last_sealed_hash_{};
  bool in_transaction_ = false;
  uint64_t next_record_id_ = 1;
  uint64_t committed_next_record_id_ = 1;
  ZSTD_CCtx* compressor_ = nullptr;
  std::vector<uint8_t> compressed_;
  RecordFields fields_;
  StoreCounters counters_;
};

}  // namespace sluice::control::store
