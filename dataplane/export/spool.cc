#include "dataplane/export/spool.h"

namespace sluice::exporter {

void Spool::Init(uint16_t workers, const SpoolLimits& limits) {
  limits_ = limits;
  queues_.assign(workers, {});
  bytes_.assign(workers, 0);
  open_loss_.assign(workers, LostRange{});
  batches_ = 0;
}

void Spool::Push(ExportBatch* batch) {
  queues_[batch->worker_id].push_back(batch);
  bytes_[batch->worker_id] += batch->builder.GetSize();
  ++batches_;
  if (batches_ > counters_.max_batches) counters_.max_batches = batches_;
}

bool Spool::OverLimit(uint16_t worker) const {
  return queues_[worker].size() > limits_.max_batches_per_worker ||
         bytes_[worker] > limits_.max_bytes_per_worker;
}

ExportBatch* Spool::GiveUpOverLimit(uint16_t worker) {
  if (limits_.overflow != SpoolOverflow::kDropOldest || queues_[worker].empty() ||
      !OverLimit(worker)) {
    return nullptr;
  }
  ExportBatch* oldest = queues_[worker].front();
  queues_[worker].pop_front();
  bytes_[worker] -= oldest->builder.GetSize();
  --batches_;

  LostRange& loss = open_loss_[worker];
  if (loss.batches == 0) {
    loss = LostRange{};
    loss.first_sequence = oldest->sequence;
  }
  loss.last_sequence = oldest->sequence;
  ++loss.batches;
  loss.records += oldest->records;
  if (oldest->first_ts_ns != 0 && (loss.first_ts_ns == 0 || oldest->first_ts_ns < loss.first_ts_ns)) {
    loss.first_ts_ns = oldest->first_ts_ns;
  }
  if (oldest->last_ts_ns > loss.last_ts_ns) loss.last_ts_ns = oldest->last_ts_ns;

  ++counters_.batches_given_up;
  counters_.records_given_up += oldest->records;
  return oldest;
}

ExportBatch* Spool::Acknowledge(uint16_t worker, uint64_t sequence) {
  auto& queue = queues_[worker];
  for (auto it = queue.begin(); it != queue.end(); ++it) {
    if ((*it)->sequence != sequence) continue;
    ExportBatch* batch = *it;
    queue.erase(it);
    bytes_[worker] -= batch->builder.GetSize();
    --batches_;
    return batch;
  }
  return nullptr;
}

void Spool::CloseLostRanges(std::vector<std::pair<uint16_t, LostRange>>& closed) {
  for (uint16_t worker = 0; worker < open_loss_.size(); ++worker) {
    if (open_loss_[worker].batches == 0) continue;
    closed.emplace_back(worker, open_loss_[worker]);
    open_loss_[worker] = LostRange{};
  }
}

bool Spool::has_open_loss() const {
  for (const LostRange& loss : open_loss_) {
    if (loss.batches != 0) return true;
  }
  return false;
}

uint64_t Spool::bytes() const {
  uint64_t total = 0;
  for (const uint64_t worker_bytes : bytes_) total += worker_bytes;
  return total;
}

}  // namespace sluice::exporter
