#include "dataplane/detect/flagged_clients.h"

#include "dataplane/detect/policy.h"

namespace sluice::detect {

FlaggedClients::FlaggedClients(uint32_t capacity) {
  uint32_t slots = 16;
  while (slots < capacity) slots <<= 1;
  slots_.assign(slots, FlaggedClient{});
  mask_ = slots - 1;
}

void FlaggedClients::Add(const FindingNotice& notice) {
  const uint32_t home = static_cast<uint32_t>(notice.client_hash) & mask_;
  FlaggedClient* target = nullptr;
  FlaggedClient* earliest = nullptr;
  for (uint32_t i = 0; i < kProbe; ++i) {
    FlaggedClient& slot = slots_[(home + i) & mask_];
    if (slot.client_hash == notice.client_hash) {
      target = &slot;
      break;
    }
    if (target == nullptr && slot.client_hash == 0) target = &slot;
    if (earliest == nullptr || slot.until_ns < earliest->until_ns) earliest = &slot;
  }
  if (target == nullptr) {
    target = earliest;
    ++evictions_;
  }
  if (target->client_hash != notice.client_hash) *target = FlaggedClient{notice.client_hash};
  FlaggedClient& flagged = *target;
  for (uint32_t i = 0; i < flagged.finding_count; ++i) {
    if (flagged.findings[i] == notice.finding_id) return;
  }
  // Keep the newest findings: the oldest one makes room.
  if (flagged.finding_count == FlaggedClient::kMaxFindings) {
    for (uint32_t i = 1; i < FlaggedClient::kMaxFindings; ++i) {
      flagged.findings[i - 1] = flagged.findings[i];
      flagged.finding_until_ns[i - 1] = flagged.finding_until_ns[i];
    }
    --flagged.finding_count;
  }
  flagged.findings[flagged.finding_count] = notice.finding_id;
  flagged.finding_until_ns[flagged.finding_count] = notice.until_ns;
  ++flagged.finding_count;
  if (notice.until_ns > flagged.until_ns) flagged.until_ns = notice.until_ns;
  if (notice.action > flagged.action) {
    flagged.action = notice.action;
    flagged.block_detector = notice.detector;
  }
}

const FlaggedClient* FlaggedClients::Find(uint64_t client_hash, uint64_t now_ns) const {
  const uint32_t home = static_cast<uint32_t>(client_hash) & mask_;
  for (uint32_t i = 0; i < kProbe; ++i) {
    const FlaggedClient& slot = slots_[(home + i) & mask_];
    if (slot.client_hash == client_hash) return now_ns <= slot.until_ns ? &slot : nullptr;
  }
  return nullptr;
}

}  // namespace sluice::detect
