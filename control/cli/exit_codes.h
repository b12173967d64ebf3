// Exit statuses of sluicectl. Scripts rely on them; docs/sluicectl.md lists them.
#pragma once

namespace sluice::cli {

inline constexpr int kExitOk = 0;
// The command ran and failed: a rule file with errors, a data plane that rejected an update, no
// record matched a query, a broken store.
inline constexpr int kExitFailed = 1;
// Bad flags, a missing or unreadable file or key, a verb this build does not have.
inline constexpr int kExitUsage = 2;
// sluice-control could not be reached, rejected this client's key, or did not reply in time.
inline constexpr int kExitUnreachable = 3;

}  // namespace sluice::cli
