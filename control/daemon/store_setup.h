// The forensic store's part of sluice-control's start, stop and one-shot commands.
#pragma once

#include <memory>
#include <string>

#include "control/daemon/config.h"
#include "control/store/store.h"

namespace sluice::control {

// Opens the store that `config` describes, or leaves `store` empty when it is disabled. Logs the
// store's own events (recovery, retention) as service log lines. Returns an empty string on
// success.
std::string OpenStore(const StoreConfig& config, std::unique_ptr<store::Store>& store);

// Commits and seals the open segment, logging any error, then closes the store.
void CloseStore(std::unique_ptr<store::Store>& store);

// --init-store-key PATH: creates a signing key. Returns the exit status.
int InitStoreKey(const std::string& path);

// --verify-store: checks the store and prints one line per problem. Returns 0 when the store is
// intact, 1 when a problem was found, 2 when the check could not run.
int VerifyStoreCommand(const StoreConfig& config);

}  // namespace sluice::control
