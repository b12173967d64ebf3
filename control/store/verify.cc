#include "control/store/verify.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "control/store/chain_files.h"
#include "control/store/index_schema.h"
#include "control/store/segment_format.h"
#include "control/store/sqlite_db.h"

namespace sluice::control::store {
namespace {

struct Context {
  EVP_PKEY* key = nullptr;
  VerifyReport* report = nullptr;
  bool head_present = false;
  ChainMark head;
  std::string directory;
};

void Add(VerifyReport& report, uint64_t segment, const std::string& file, const char* kind,
         const std::string& reason) {
  report.problems.push_back(VerifyProblem{segment, file, kind, reason});
}

// Returns the largest segment number the index lists, or 0. The index is optional here.
uint64_t IndexedLastSegment(const std::string& directory) {
  const std::string path = directory + "/" + kIndexFileName;
  // A store that no sluice-control has open has no -wal file. Its index is read as immutable, so
  // the check leaves the evidence directory as it found it.
  const bool closed = access((path + "-wal").c_str(), F_OK) != 0;
  SqliteDb db;
  if (!(closed ? db.OpenImmutable(path) : db.Open(path, true)).empty()) return 0;
  SqliteStatement statement;
  if (!statement.Prepare(db, "SELECT max(number) FROM segments").empty()) return 0;
  if (statement.Step() != SQLITE_ROW || statement.IsNull(0)) return 0;
  return static_cast<uint64_t>(statement.Int(0));
}

const char* KindOf(const std::string& problem) {
  return problem.rfind("truncated", 0) == 0 ? "truncated" : "corrupt";
}

// Returns the problem without its leading "truncated: " or "corrupt: ", which the kind repeats.
std::string DetailOf(const std::string& problem) {
  for (const char* kind : {"truncated: ", "corrupt: "}) {
    if (problem.rfind(kind, 0) == 0) return problem.substr(std::char_traits<char>::length(kind));
  }
  return problem;
}

// Checks one segment file. `previous` is the hash the chain expects in its header, when known.
// Returns the hash the next segment should name, or nothing when it cannot be known.
bool CheckSegment(Context& context, uint64_t number, bool is_last_file, bool previous_known,
                  const Sha256Digest& previous, Sha256Digest& next_previous) {
  VerifyReport& report = *context.report;
  const std::string file = SegmentFileName(number);
  SegmentScan scan;
  if (std::string error = ScanSegment(context.directory + "/" + file, scan); !error.empty()) {
    Add(report, number, file, "missing", "cannot be read: " + error);
    return false;
  }
  ++report.segments_checked;
  report.frames += scan.frames.size();
  if (!scan.header_ok) {
    Add(report, number, file, KindOf(scan.problem), DetailOf(scan.problem));
    return false;
  }

  const bool reordered = scan.header.number != number;
  if (reordered) {
    Add(report, number, file, "reordered",
        "the file holds segment " + std::to_string(scan.header.number) +
            ": segments were renamed or moved");
  } else if (previous_known && scan.header.previous_hash != previous) {
    Add(report, number, file, "chain_broken",
        "its previous-segment hash does not match segment " + std::to_string(number - 1));
  }

  switch (scan.end) {
    case ScanEnd::kSealed:
      ++report.segments_sealed;
      if (scan.computed_hash != scan.trailer.hash) {
        Add(report, number, file, "hash_mismatch",
            "its contents changed after it was sealed (SHA-256 differs from the trailer)");
      }
      if (!VerifyMessage(context.key, SegmentSignedMessage(scan.header.number, scan.trailer.hash),
                         scan.trailer.signature)) {
        Add(report, number, file, "bad_signature",
            "the trailer signature does not verify with this key");
      }
      if (context.head_present && number == context.head.number &&
          scan.trailer.hash != context.head.hash) {
        Add(report, number, file, "head", "its hash differs from the one chain-head signed");
      }
      next_previous = scan.trailer.hash;
      return !reordered;
    case ScanEnd::kOpen:
      if (!is_last_file || (context.head_present && number <= context.head.number)) {
        Add(report, number, file, "truncated",
            "the trailer is missing, but only the newest segment may be unsealed");
      } else {
        ++report.segments_open;
      }
      break;
    case ScanEnd::kTruncatedTail:
    case ScanEnd::kCorrupt:
      Add(report, number, file, KindOf(scan.problem), DetailOf(scan.problem));
      break;
  }
  next_previous = scan.computed_hash;
  return scan.end == ScanEnd::kOpen && !reordered;
}

}  // namespace

std::string VerifyStore(const std::string& directory, EVP_PKEY* key, VerifyReport& report) {
  report = VerifyReport{};
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return "cannot open store directory " + directory + ": " + std::strerror(errno);
  std::map<uint64_t, bool> files;
  while (const dirent* entry = readdir(dir)) {
    uint64_t number = 0;
    if (ParseSegmentFileName(entry->d_name, number)) files[number] = true;
  }
  closedir(dir);

  Context context{key, &report, false, {}, directory};
  bool missing = false;
  ChainMark anchor;
  Sha256Digest previous{};
  report.first_segment = 1;
  if (std::string error = ReadChainMark(directory, ChainMarkKind::kAnchor, anchor, missing);
      error.empty()) {
    if (!VerifyMessage(key, ChainMarkSignedMessage(ChainMarkKind::kAnchor, anchor),
                       anchor.signature)) {
      Add(report, 0, kAnchorFileName, "anchor", "the chain-anchor signature does not verify");
    }
    report.first_segment = report.retained_from = anchor.number;
    previous = anchor.hash;
  } else if (!missing) {
    Add(report, 0, kAnchorFileName, "anchor", error);
  }

  bool head_missing = false;
  std::string head_error =
      ReadChainMark(directory, ChainMarkKind::kHead, context.head, head_missing);
  context.head_present = head_error.empty();
  if (context.head_present &&
      !VerifyMessage(key, ChainMarkSignedMessage(ChainMarkKind::kHead, context.head),
                     context.head.signature)) {
    Add(report, 0, kHeadFileName, "head", "the chain-head signature does not verify");
  }

  uint64_t last = files.empty() ? 0 : files.rbegin()->first;
  if (context.head_present) last = std::max(last, context.head.number);
  last = std::max(last, IndexedLastSegment(directory));
  report.last_segment = last;
  if (!context.head_present && !head_missing) {
    Add(report, 0, kHeadFileName, "head", head_error);
  }

  const uint64_t last_file = files.empty() ? 0 : files.rbegin()->first;
  bool previous_known = true;
  bool any_sealed = false;
  for (uint64_t number = report.first_segment; number <= last && number != 0; ++number) {
    if (files.count(number) == 0) {
      Add(report, number, SegmentFileName(number), "missing",
          "the segment file is missing: deleted outside retention");
      previous_known = false;
      continue;
    }
    Sha256Digest next{};
    previous_known =
        CheckSegment(context, number, number == last_file, previous_known, previous, next);
    any_sealed = any_sealed || report.segments_sealed > 0;
    previous = next;
  }
  if (any_sealed && head_missing) {
    Add(report, 0, kHeadFileName, "head",
        "chain-head is missing, so deleting the newest segments would go unnoticed");
  }
  return {};
}

}  // namespace sluice::control::store
