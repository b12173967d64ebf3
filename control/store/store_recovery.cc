// Store::Open's crash recovery and the retention of old segments.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "control/store/chain_files.h"
#include "control/store/index_schema.h"
#include "control/store/store.h"

namespace sluice::control::store {
namespace {

std::string ListSegmentNumbers(const std::string& directory, std::vector<uint64_t>& numbers) {
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return "cannot list " + directory + ": " + std::strerror(errno);
  while (const dirent* entry = readdir(dir)) {
    uint64_t number = 0;
    if (ParseSegmentFileName(entry->d_name, number)) numbers.push_back(number);
  }
  closedir(dir);
  std::sort(numbers.begin(), numbers.end());
  return {};
}

bool ParseDigestHex(const std::string& hex, Sha256Digest& digest) {
  if (hex.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    unsigned value = 0;
    for (size_t j = 0; j < 2; ++j) {
      const char c = hex[2 * i + j];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else return false;
    }
    digest[i] = static_cast<uint8_t>(value);
  }
  return true;
}

const SegmentRow* FindRow(const std::vector<SegmentRow>& rows, uint64_t number) {
  for (const SegmentRow& row : rows) {
    if (row.number == number) return &row;
  }
  return nullptr;
}

std::string Damaged(const std::string& path, const std::string& problem) {
  return "segment " + path + " is damaged (" + problem +
         "); run sluice-control --verify-store, keep a copy of the store for the investigation, then move "
         "the file out of the store directory to start a new chain";
}

}  // namespace

std::string Store::Recover() {
  const std::string& directory = options_.directory;
  // Missing parents are created too, so the default under /var/lib/sluice works on a fresh host.
  std::error_code created_error;
  const bool created = std::filesystem::create_directories(directory, created_error);
  if (created_error) {
    return "cannot create store directory " + directory + ": " + created_error.message() +
           "; choose another path with --store";
  }
  if (created) chmod(directory.c_str(), 0750);
  if (access(options_.signing_key_path.c_str(), F_OK) != 0) {
    // A store that contains data keeps its key: a new one would not verify what is stored.
    std::vector<uint64_t> segments;
    const bool has_index = access((directory + "/" + kIndexFileName).c_str(), F_OK) == 0;
    const bool has_segments = ListSegmentNumbers(directory, segments).empty() && !segments.empty();
    if (!created && (has_index || has_segments)) {
      return "the signing key " + options_.signing_key_path + " of store " + directory +
             " is missing, but the store contains data: restore the key, or give its path with "
             "--store-key (control.store.signing_key). A new key would not verify what is stored";
    }
    if (std::string error = GenerateSigningKey(options_.signing_key_path); !error.empty()) {
      return error;
    }
    Log("created store signing key " + options_.signing_key_path + " and its public key " +
        options_.signing_key_path + ".pub; keep a copy of the public key off this host to verify "
        "the store with");
  }
  if (std::string error = LoadSigningKey(options_.signing_key_path, key_); !error.empty()) {
    return error;
  }
  if (std::string error = index_.Open(directory + "/" + kIndexFileName); !error.empty()) {
    return error;
  }

  ChainMark anchor;
  bool anchor_missing = false;
  const std::string anchor_error =
      ReadChainMark(directory, ChainMarkKind::kAnchor, anchor, anchor_missing);
  if (!anchor_error.empty() && !anchor_missing) return anchor_error;
  const uint64_t first_kept = anchor_missing ? 1 : anchor.number;

  std::vector<uint64_t> numbers;
  if (std::string error = ListSegmentNumbers(directory, numbers); !error.empty()) return error;
  std::vector<SegmentRow> rows;
  if (std::string error = index_.ListSegments(rows); !error.empty()) return error;
  if (rows.empty()) {
    // A fresh index next to segments that hold batches was emptied or replaced: opening it would
    // hide every stored record. (A stop while creating the first segment leaves one file with
    // nothing past its header; that one is recovered below.)
    for (const uint64_t number : numbers) {
      struct stat info {};
      if (stat(SegmentPath(number).c_str(), &info) == 0 && static_cast<uint64_t>(info.st_size) > kHeaderSize) {
        return "the index " + directory + "/" + kIndexFileName + " lists no segment, but segment " +
               std::to_string(number) + " holds data: the index was emptied or replaced. Keep a "
               "copy of the store for the investigation and restore the index from a backup; "
               "rebuilding it from the segments is not implemented";
      }
    }
  }

  // Segments below the anchor were being deleted by retention when the process stopped.
  for (const SegmentRow& row : rows) {
    if (row.number >= first_kept) continue;
    if (std::string error = index_.DeleteSegment(row, Now(), "retention finished after a restart");
        !error.empty()) {
      return error;
    }
  }
  for (const uint64_t number : numbers) {
    if (number >= first_kept) break;
    unlink(SegmentPath(number).c_str());
    Log("retention: deleted segment " + std::to_string(number) +
        ", left over from a deletion interrupted by a stop");
  }
  numbers.erase(std::remove_if(numbers.begin(), numbers.end(),
                               [&](uint64_t number) { return number < first_kept; }),
                numbers.end());

  // A newest file shorter than a header is a segment whose creation a stop interrupted before
  // its header was synced (the index row comes after that sync): it holds no batch.
  if (!numbers.empty()) {
    const std::string path = SegmentPath(numbers.back());
    struct stat info {};
    if (stat(path.c_str(), &info) == 0 && static_cast<uint64_t>(info.st_size) < kHeaderSize) {
      if (unlink(path.c_str()) != 0) {
        return "cannot remove the unfinished segment " + path + ": " + std::strerror(errno);
      }
      Log("removed segment " + std::to_string(numbers.back()) + " (" +
          std::to_string(info.st_size) + " bytes), whose creation was interrupted");
      numbers.pop_back();
    }
  }

  next_record_id_ = committed_next_record_id_ = index_.NextRecordId();
  if (numbers.empty()) {
    uint64_t number = first_kept;
    if (!rows.empty()) number = std::max(number, rows.back().number + 1);
    last_sealed_hash_ = anchor_missing ? Sha256Digest{} : anchor.hash;
    if (number != first_kept) {
      Log("error: the index lists segments up to " + std::to_string(rows.back().number) +
          " but " + directory + " holds none; starting a new chain at segment " +
          std::to_string(number) + " (sluice-control --verify-store reports the missing segments)");
      last_sealed_hash_ = Sha256Digest{};
    }
    return CreateSegment(number, last_sealed_hash_);
  }

  const uint64_t last = numbers.back();
  const std::string path = SegmentPath(last);
  SegmentScan scan;
  if (std::string error = ScanSegment(path, scan); !error.empty()) return error;
  if (!scan.header_ok || scan.end == ScanEnd::kCorrupt) return Damaged(path, scan.problem);
  if (scan.header.number != last) {
    return Damaged(path, "its header names segment " + std::to_string(scan.header.number));
  }
  if (scan.end != ScanEnd::kSealed) {
    // The segment before the open one is the newest sealed one; a stop right after sealing it
    // can have left the chain-head behind.
    ChainMark head;
    bool head_missing = false;
    ReadChainMark(directory, ChainMarkKind::kHead, head, head_missing);
    if (numbers.size() >= 2 && numbers[numbers.size() - 2] == last - 1 && head.number < last - 1) {
      SegmentScan previous;
      if (std::string error = ScanSegment(SegmentPath(last - 1), previous); !error.empty()) {
        return error;
      }
      if (previous.end == ScanEnd::kSealed && previous.computed_hash == previous.trailer.hash) {
        if (std::string error = RepairSealedMarks(last - 1, previous); !error.empty()) return error;
      }
    }
    return RecoverOpenSegment(path, scan);
  }

  if (scan.computed_hash != scan.trailer.hash) return Damaged(path, "hash mismatch");
  last_sealed_hash_ = scan.trailer.hash;
  if (std::string error = RepairSealedMarks(last, scan); !error.empty()) return error;
  return CreateSegment(last + 1, last_sealed_hash_);
}

// The process may have stopped between writing a trailer and updating the index row and
// chain-head. Brings both up to date with sealed segment `number`.
std::string Store::RepairSealedMarks(uint64_t number, const SegmentScan& scan) {
  std::vector<SegmentRow> rows;
  if (std::string error = index_.ListSegments(rows); !error.empty()) return error;
  if (const SegmentRow* row = FindRow(rows, number); row != nullptr && !row->sealed) {
    SegmentRow sealed = *row;
    sealed.sealed = true;
    sealed.sealed_ns = scan.trailer.sealed_ns;
    sealed.bytes = scan.file_size;
    sealed.hash_hex = DigestHex(scan.trailer.hash);
    if (std::string error = index_.UpdateSegment(sealed); !error.empty()) return error;
  }
  ChainMark head;
  bool head_missing = false;
  ReadChainMark(options_.directory, ChainMarkKind::kHead, head, head_missing);
  if (head.number == number && head.hash == scan.trailer.hash) return {};
  Log("chain-head did not name sealed segment " + std::to_string(number) + "; rewriting it");
  ChainMark mark{number, scan.trailer.hash, scan.trailer.sealed_ns, {}};
  return WriteChainMark(options_.directory, ChainMarkKind::kHead, key_.get(), mark);
}

std::string Store::RecoverOpenSegment(const std::string& path, SegmentScan& scan) {
  const uint64_t number = scan.header.number;
  std::vector<SegmentRow> rows;
  if (std::string error = index_.ListSegments(rows); !error.empty()) return error;
  const SegmentRow* found = FindRow(rows, number);
  // The index marks a segment sealed only after its trailer was synced, so a sealed segment
  // without one was cut short after the fact.
  if (found != nullptr && found->sealed) {
    return Damaged(path, "the index records it as sealed, but its trailer is missing");
  }
  SegmentRow row;
  if (found != nullptr) {
    row = *found;
  } else {
    if (std::string error = index_.InsertSegment(number, scan.header.created_ns); !error.empty()) {
      return error;
    }
    row.number = number;
    row.created_ns = scan.header.created_ns;
  }
  row.bytes = std::max<uint64_t>(row.bytes, kHeaderSize);

  // Frames past the index's committed end were never acknowledged: their data planes resend them.
  uint64_t keep = std::min(scan.valid_end, row.bytes);
  if (scan.end == ScanEnd::kTruncatedTail) {
    Log("segment " + std::to_string(number) + ": " + scan.problem + "; cutting the torn write off");
  }
  if (scan.valid_end < row.bytes) {
    uint64_t lost = 0;
    if (std::string error = index_.DeleteBatchesFrom(number, scan.valid_end, lost);
        !error.empty()) {
      return error;
    }
    Log("error: segment " + std::to_string(number) + " ends at " +
        std::to_string(scan.valid_end) + " bytes but the index committed " +
        std::to_string(row.bytes) + "; " + std::to_string(lost) +
        " acknowledged batches are lost from the store (the disk dropped synced data)");
    row.bytes = scan.valid_end;
    keep = scan.valid_end;
  }
  if (scan.file_size > keep) {
    if (truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      return "cannot cut segment " + path + " back to " + std::to_string(keep) +
             " bytes: " + std::strerror(errno);
    }
    Log("segment " + std::to_string(number) + ": cut back from " +
        std::to_string(scan.file_size) + " to " + std::to_string(keep) +
        " bytes (unacknowledged data)");
    if (std::string error = ScanSegment(path, scan); !error.empty()) return error;
  }

  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return "cannot open segment " + path + ": " + std::strerror(errno);
  if (fsync(fd) != 0) {
    close(fd);
    return "cannot fsync segment " + path + ": " + std::strerror(errno);
  }
  active_ = ActiveSegment{};
  active_.number = number;
  active_.fd = fd;
  active_.end = keep;
  active_.hasher = scan.hasher;
  active_.committed_hasher = scan.hasher;
  row.batches = scan.frames.size();
  active_.row = row;
  active_.pending = row;
  last_sealed_hash_ = scan.header.previous_hash;
  return index_.UpdateSegment(row);
}

std::string Store::ApplyRetention() {
  if (options_.retention_max_bytes == 0 && options_.retention_max_age_ns == 0) return {};
  std::vector<SegmentRow> rows;
  if (std::string error = index_.ListSegments(rows); !error.empty()) return error;
  uint64_t total = 0;
  for (const SegmentRow& row : rows) total += row.bytes;

  const uint64_t now = Now();
  for (const SegmentRow& row : rows) {
    if (row.number >= active_.number || !row.sealed) break;
    std::string reason;
    const uint64_t newest = std::max(row.last_received_ns, row.sealed_ns);
    if (options_.retention_max_bytes > 0 && total > options_.retention_max_bytes) {
      reason = "size: the store holds " + std::to_string(total) + " bytes, over the limit of " +
               std::to_string(options_.retention_max_bytes);
    } else if (options_.retention_max_age_ns > 0 && now > newest &&
               now - newest > options_.retention_max_age_ns) {
      reason = "age: its newest batch is " + std::to_string((now - newest) / 1'000'000'000) +
               " s old, over the limit of " +
               std::to_string(options_.retention_max_age_ns / 1'000'000'000) + " s";
    } else {
      break;
    }
    if (std::string error = DeleteOldestSegment(row, reason); !error.empty()) return error;
    total -= row.bytes;
  }
  return {};
}

std::string Store::DeleteOldestSegment(const SegmentRow& segment, const std::string& reason) {
  Sha256Digest hash{};
  if (!ParseDigestHex(segment.hash_hex, hash)) {
    return "retention: segment " + std::to_string(segment.number) +
           " has no hash in the index; not deleting it";
  }
  // The anchor is written first: once it names the next segment, verify no longer expects this
  // one, and a restart finishes the deletion.
  const uint64_t now = Now();
  ChainMark anchor{segment.number + 1, hash, now, {}};
  if (std::string error =
          WriteChainMark(options_.directory, ChainMarkKind::kAnchor, key_.get(), anchor);
      !error.empty()) {
    return "retention: " + error;
  }
  if (std::string error = index_.DeleteSegment(segment, now, reason); !error.empty()) {
    return "retention: " + error;
  }
  const std::string path = SegmentPath(segment.number);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return "retention: cannot delete " + path + ": " + std::strerror(errno);
  }
  SyncDirectory(options_.directory);
  ++counters_.segments_deleted;
  Log("retention: deleted segment " + std::to_string(segment.number) + " (" +
      std::to_string(segment.bytes) + " bytes, " + std::to_string(segment.records) +
      " records, hash " + segment.hash_hex + ") because of its " + reason);
  return {};
}

}  // namespace sluice::control::store
