// The forensic verbs of the command channel: record queries, timelines, exports, the scope
// report, the store's integrity check, findings and the endpoint inventory. They read the store
// on a read-only SQLite connection of their own, which in WAL mode never blocks the ingest
// thread's writes. They run on the command thread, one request at a time, so each answer is
// bounded: a page of at most kMaxPageRows rows, a report over at most kMaxReportTransactions
// transactions read within kMaxReadSeconds, and a body of at most kMaxBodyBytes.
// NOTE: one page's SQL query is not time-bounded; a filter the index cannot narrow (a rare
// --pii-type over a large store) scans until it has filled the page or reached the end.
#pragma once

#include <cstdint>
#include <string>

#include "commands_generated.h"
#include "control/forensics/scope.h"

namespace sluice::control {

inline constexpr uint32_t kDefaultPageRows = 100;
inline constexpr uint32_t kMaxPageRows = 1000;
inline constexpr size_t kMaxReportTransactions = 200'000;
inline constexpr size_t kMaxBodyBytes = 12u << 20;  // below the channel's 16 MiB message limit
// Reading a report's or the inventory's records stops with an error after this long, well
// inside sluicectl's default reply timeout of 90 s.
inline constexpr int kMaxReadSeconds = 30;

// Location of the store; an empty directory means sluice-control runs without one.
struct ForensicStoreInfo {
  std::string directory;
  std::string signing_key_path;  // the public key beside it (`.pub`) is preferred for verify
  forensics::ScopeThresholds report_thresholds;  // control.report in the config file
};

// One forensic request's result, copied into a Response.
struct ForensicAnswer {
  bool ok = true;
  std::string error;  // set when !ok
  std::string body;
  std::string continuation;
  uint8_t exit_code = 0;  // sluicectl's exit status: 0 ok, 1 failed or nothing matched
  uint32_t rows = 0;
};

bool IsForensicVerb(command::Verb verb);

// Runs one forensic request. A failure comes back as !ok with a message that names the cause.
ForensicAnswer AnswerForensicRequest(const ForensicStoreInfo& store,
                                     const command::Request& request);

}  // namespace sluice::control
