// A temporary store directory and helpers shared by the store's unit tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "control/store/store.h"
#include "perf/store/synthetic_batches.h"

namespace sluice::control::store {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sluice-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    directory_ = root_ + "/store";
    key_path_ = root_ + "/signing.pem";
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(root_);
  }

  StoreOptions Options() const {
    StoreOptions options;
    options.directory = directory_;
    options.signing_key_path = key_path_;
    options.log = [this](const std::string& line) { log_.push_back(line); };
    options.clock = [this] { return now_ns_; };
    return options;
  }

  void OpenStore(const StoreOptions& options) {
    store_.reset();
    const std::string error = Store::Open(options, store_);
    ASSERT_EQ(error, "");
    ASSERT_NE(store_, nullptr);
  }
  void OpenStore() { OpenStore(Options()); }

  // A batch of `count` transactions from client 10.0.0.(1 + client) at times from `first_ts`.
  static std::vector<uint8_t> Batch(uint64_t sequence, int count, uint32_t client = 0,
                                    uint64_t first_ts = 1'000'000'000, uint16_t worker = 0) {
    perf::SyntheticBatch batch;
    batch.sequence = sequence;
    batch.worker_id = worker;
    for (int i = 0; i < count; ++i) {
      perf::SyntheticTransaction transaction;
      transaction.client_ipv4 = 0x0a000001 + client;
      transaction.request_ts_ns = first_ts + static_cast<uint64_t>(i) * 1000;
      transaction.url_path = "/items/" + std::to_string(sequence * 1000 + i);
      transaction.endpoint = "/items/{id}";
      batch.transactions.push_back(transaction);
    }
    return perf::BuildBatchMessage(batch);
  }

  StageStatus Append(const std::vector<uint8_t>& message) {
    return store_->Append(message.data(), message.size()).status;
  }

  std::string SegmentPath(uint64_t number) const {
    return directory_ + "/" + SegmentFileName(number);
  }

  bool LogContains(const std::string& text) const {
    for (const std::string& line : log_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::string root_;
  std::string directory_;
  std::string key_path_;
  std::unique_ptr<Store> store_;
  mutable std::vector<std::string> log_;
  uint64_t now_ns_ = 1'700'000'000'000'000'000ull;
};

}  // namespace sluice::control::store
