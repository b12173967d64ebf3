#include "control/store/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "control/store/chain_files.h"
#include "records_generated.h"

namespace sluice::control::store {
namespace {

std::string WriteAll(int fd, const void* data, size_t size, uint64_t offset) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t written = pwrite(fd, bytes + done, size - done, static_cast<off_t>(offset + done));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return std::strerror(written < 0 ? errno : EIO);
    done += static_cast<size_t>(written);
  }
  return {};
}

// Verifies a frame as the ingest server does: the network is untrusted, and the store may also be
// fed by other callers.
const wire::Batch* VerifiedBatch(const uint8_t* message, size_t size, std::string& error) {
  flatbuffers::Verifier verifier(message, size);
  if (!wire::VerifyMessageBuffer(verifier)) {
    error = "not a valid Message";
    return nullptr;
  }
  const wire::Batch* batch = wire::GetMessage(message)->body_as_Batch();
  if (batch == nullptr) {
    error = "the Message body is not a Batch";
  } else if (batch->dataplane_id() == nullptr || batch->dataplane_id()->size() == 0) {
    error = "the batch has no dataplane_id";
  } else if (batch->records() == nullptr) {
    error = "the batch has no records vector";
  } else {
    return batch;
  }
  return nullptr;
}

}  // namespace

Store::Store(const StoreOptions& options) : options_(options) {}

Store::~Store() {
  Close();
  if (compressor_ != nullptr) ZSTD_freeCCtx(compressor_);
}

namespace {

// Returns the outermost folder of `directory` that does not exist yet, or an empty path when it
// exists.
std::filesystem::path FirstMissingFolder(const std::string& directory) {
  std::filesystem::path missing;
  std::error_code ignored;
  for (std::filesystem::path at = std::filesystem::absolute(directory, ignored); !at.empty();
       at = at.parent_path()) {
    if (std::filesystem::exists(at, ignored)) break;
    missing = at;
    if (at == at.parent_path()) break;
  }
  return missing;
}

}  // namespace

std::string Store::Open(const StoreOptions& options, std::unique_ptr<Store>& store) {
  // A start that fails removes what it created: the folders it made, or else a new key.
  const std::filesystem::path missing_folder = FirstMissingFolder(options.directory);
  const bool had_key = access(options.signing_key_path.c_str(), F_OK) == 0;
  store.reset(new Store(options));
  store->compressor_ = ZSTD_createCCtx();
  if (store->compressor_ == nullptr) return "cannot create a zstd context: out of memory";
  std::string error = store->Recover();
  if (error.empty()) error = store->ApplyRetention();
  if (error.empty()) return error;
  store.reset();
  if (!had_key && access(options.signing_key_path.c_str(), F_OK) == 0) {
    unlink(options.signing_key_path.c_str());
    unlink((options.signing_key_path + ".pub").c_str());
  }
  std::error_code ignored;
  if (!missing_folder.empty()) std::filesystem::remove_all(missing_folder, ignored);
  return error;
}

uint64_t Store::Now() const {
  if (options_.clock) return options_.clock();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void Store::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

std::string Store::SegmentPath(uint64_t number) const {
  return options_.directory + "/" + SegmentFileName(number);
}

std::string Store::CreateSegment(uint64_t number, const Sha256Digest& previous_hash) {
  active_ = ActiveSegment{};
  active_.number = number;
  const std::string path = SegmentPath(number);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot create segment " + path + ": " + std::strerror(errno);

  SegmentHeader header;
  header.number = number;
  header.created_ns = Now();
  header.previous_hash = previous_hash;
  const std::string bytes = EncodeHeader(header);
  std::string error = WriteAll(fd, bytes.data(), bytes.size(), 0);
  if (error.empty() && fsync(fd) != 0) error = std::strerror(errno);
  if (error.empty()) error = SyncDirectory(options_.directory);
  if (error.empty()) error = index_.InsertSegment(number, header.created_ns);
  if (!error.empty()) {
    close(fd);
    unlink(path.c_str());
    return "cannot create segment " + path + ": " + error;
  }

  active_.fd = fd;
  active_.end = bytes.size();
  active_.hasher.Update(bytes.data(), bytes.size());
  active_.committed_hasher = active_.hasher;
  active_.row.number = number;
  active_.row.created_ns = header.created_ns;
  active_.row.bytes = bytes.size();
  active_.pending = active_.row;
  return index_.UpdateSegment(active_.row);
}

StageResult Store::Stage(const uint8_t* message, size_t size) {
  StageResult result;
  const wire::Batch* batch = VerifiedBatch(message, size, result.error);
  if (batch == nullptr) {
    ++counters_.batches_invalid;
    result.status = StageStatus::kInvalid;
    return result;
  }
  result.records = batch->records()->size();

  if (active_.fd < 0) {
    // The previous roll sealed a segment but could not create the next one; retry now.
    if (std::string error = CreateSegment(active_.number, last_sealed_hash_); !error.empty()) {
      result.error = error;
      return result;
    }
  }
  if (!in_transaction_) {
    if (std::string error = index_.Begin(); !error.empty()) {
      result.error = error;
      return result;
    }
    in_transaction_ = true;
  }

  const uint64_t received_ns = Now();
  const BatchKey key{batch->dataplane_id()->string_view(), batch->run_id(), batch->worker_id(),
                     batch->sequence()};
  int64_t batch_id = 0;
  bool duplicate = false;
  std::string error = index_.InsertBatch(key, active_.number, active_.end, next_record_id_,
                                         result.records, received_ns, batch_id, duplicate);
  if (error.empty() && duplicate) {
    ++counters_.batches_duplicate;
    result.status = StageStatus::kDuplicate;
    return result;
  }
  if (error.empty()) error = WriteFrame(message, size);

  SegmentRow& pending = active_.pending;
  for (uint32_t i = 0; error.empty() && i < result.records; ++i) {
    ExtractRecordFields(*batch->records()->Get(i), received_ns, fields_);
    error = index_.InsertRecord(next_record_id_, batch_id, i, fields_);
    ++next_record_id_;
    if (pending.records == 0 || fields_.ts_ns < pending.first_ts_ns) {
      pending.first_ts_ns = fields_.ts_ns;
    }
    if (pending.records == 0 || fields_.ts_ns > pending.last_ts_ns) {
      pending.last_ts_ns = fields_.ts_ns;
    }
    ++pending.records;
  }
  if (!error.empty()) {
    RollbackStaged();
    result.error = "cannot store a batch in segment " + std::to_string(active_.number) + ": " +
                   error + "; every batch since the last commit was rolled back";
    return result;
  }
  ++pending.batches;
  pending.last_received_ns = received_ns;
  result.status = StageStatus::kStaged;
  return result;
}

std::string Store::WriteFrame(const uint8_t* message, size_t size) {
  const size_t bound = ZSTD_compressBound(size);
  compressed_.resize(kFrameHeaderSize + bound);
  const size_t compressed_size = ZSTD_compressCCtx(
      compressor_, compressed_.data() + kFrameHeaderSize, bound, message, size,
      options_.compression_level);
  if (ZSTD_isError(compressed_size)) {
    return std::string("zstd compression failed: ") + ZSTD_getErrorName(compressed_size);
  }
  const std::string header = EncodeFrameHeader(
      std::string_view(reinterpret_cast<const char*>(compressed_.data()) + kFrameHeaderSize,
                       compressed_size),
      static_cast<uint32_t>(size));
  std::memcpy(compressed_.data(), header.data(), kFrameHeaderSize);
  const size_t frame_size = kFrameHeaderSize + compressed_size;
  if (std::string error = WriteAll(active_.fd, compressed_.data(), frame_size, active_.end);
      !error.empty()) {
    return "write failed: " + error;
  }
  active_.hasher.Update(compressed_.data(), frame_size);
  active_.end += frame_size;
  counters_.bytes_written += frame_size;
  return {};
}

void Store::RollbackStaged() {
  index_.Rollback();
  in_transaction_ = false;
  if (active_.fd >= 0 && ftruncate(active_.fd, static_cast<off_t>(active_.row.bytes)) != 0) {
    Log("error: cannot cut segment " + std::to_string(active_.number) + " back to " +
        std::to_string(active_.row.bytes) + " bytes after a failed write: " +
        std::strerror(errno) + "; the next open cuts it back");
  }
  active_.end = active_.row.bytes;
  active_.hasher = active_.committed_hasher;
  active_.pending = active_.row;
  next_record_id_ = committed_next_record_id_;
}

std::string Store::Commit() {
  if (!in_transaction_) return {};
  std::string error;
  if (fdatasync(active_.fd) != 0) {
    error = std::string("fsync failed: ") + std::strerror(errno);
  } else {
    active_.pending.bytes = active_.end;
    error = index_.UpdateSegment(active_.pending);
    if (error.empty()) error = index_.Commit();
  }
  if (!error.empty()) {
    ++counters_.commit_failures;
    RollbackStaged();
    return "cannot commit segment " + std::to_string(active_.number) + ": " + error +
           "; the batches since the last commit were rolled back";
  }

  in_transaction_ = false;
  counters_.batches_stored += active_.pending.batches - active_.row.batches;
  counters_.records_stored += active_.pending.records - active_.row.records;
  ++counters_.commits;
  active_.row = active_.pending;
  active_.committed_hasher = active_.hasher;
  committed_next_record_id_ = next_record_id_;

  const bool full = active_.end >= options_.segment_max_bytes;
  const bool old = options_.segment_max_age_ns > 0 &&
                   Now() - active_.row.created_ns >= options_.segment_max_age_ns;
  if (full || old) {
    // The batches are durable already, so a failed roll is logged, not returned: the next
    // commit tries again.
    if (std::string roll_error = Roll(); !roll_error.empty()) Log("error: " + roll_error);
  }
  return {};
}

StageResult Store::Append(const uint8_t* message, size_t size) {
  StageResult result = Stage(message, size);
  if (result.status != StageStatus::kStaged) return result;
  if (std::string error = Commit(); !error.empty()) {
    result.status = StageStatus::kFailed;
    result.error = error;
  }
  return result;
}

std::string Store::SealActive() {
  SegmentTrailer trailer;
  trailer.frames = active_.row.batches;
  trailer.offset = active_.end;
  trailer.sealed_ns = Now();
  trailer.hash = active_.hasher.Peek();
  if (!SignMessage(key_.get(), SegmentSignedMessage(active_.number, trailer.hash),
                   trailer.signature)) {
    return "cannot sign segment " + std::to_string(active_.number) + ": OpenSSL failed";
  }
  const std::string bytes = EncodeTrailer(trailer);
  std::string error = WriteAll(active_.fd, bytes.data(), bytes.size(), active_.end);
  if (error.empty() && fsync(active_.fd) != 0) error = std::strerror(errno);
  if (!error.empty()) {
    if (ftruncate(active_.fd, static_cast<off_t>(active_.end)) != 0) {
      Log("error: cannot remove a partial trailer from segment " +
          std::to_string(active_.number) + "; the next open cuts it back");
    }
    return "cannot seal segment " + std::to_string(active_.number) + ": " + error;
  }

  active_.row.sealed = true;
  active_.row.sealed_ns = trailer.sealed_ns;
  active_.row.bytes = active_.end + bytes.size();
  active_.row.hash_hex = DigestHex(trailer.hash);
  close(active_.fd);
  active_.fd = -1;
  last_sealed_hash_ = trailer.hash;
  ++counters_.segments_sealed;

  // The trailer is durable, so the segment is sealed whatever happens next; a lagging index row
  // or chain head is repaired by the next open.
  if (std::string index_error = index_.UpdateSegment(active_.row); !index_error.empty()) {
    Log("error: segment " + std::to_string(active_.number) + " sealed but " + index_error);
  }
  ChainMark head{active_.number, trailer.hash, trailer.sealed_ns, {}};
  return WriteChainMark(options_.directory, ChainMarkKind::kHead, key_.get(), head);
}

std::string Store::Roll() {
  if (std::string error = Commit(); !error.empty()) return error;
  if (active_.fd < 0 || active_.row.batches == 0) return {};
  const uint64_t next = active_.number + 1;
  if (std::string error = SealActive(); !error.empty()) return error;
  active_.number = next;
  if (std::string error = CreateSegment(next, last_sealed_hash_); !error.empty()) return error;
  return ApplyRetention();
}

std::string Store::Maintain() {
  if (in_transaction_) return {};
  if (active_.fd >= 0 && active_.row.batches > 0 && options_.segment_max_age_ns > 0 &&
      Now() - active_.row.created_ns >= options_.segment_max_age_ns) {
    if (std::string error = Roll(); !error.empty()) return error;
  }
  return ApplyRetention();
}

std::string Store::Close() {
  if (active_.fd < 0 && !in_transaction_) return {};
  std::string error = Commit();
  if (error.empty() && active_.fd >= 0 && active_.row.batches > 0) error = SealActive();
  if (active_.fd >= 0) close(active_.fd);
  active_.fd = -1;
  return error;
}

}  // namespace sluice::control::store
