// Checks that formatting a batch allocates nothing of its own once the buffers have grown. This binary
// replaces malloc (glibc only) to count every allocation, OpenSSL's included, so it is built
// apart from the other control tests.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "control/sinks/ecs_json.h"
#include "tests/unit/control/wire_fixtures.h"

extern "C" void* __libc_malloc(size_t size);

namespace {
uint64_t g_malloc_calls = 0;
}  // namespace

// operator new, std::string and OpenSSL all reach this malloc. calloc, realloc and
// posix_memalign are not counted.
extern "C" void* malloc(size_t size) {
  ++g_malloc_calls;
  return __libc_malloc(size);
}

namespace sluice::control {
namespace {

using testing::BatchSpec;
using testing::FlowSpec;
using testing::PiiSpec;
using testing::RuleSpec;
using testing::TransactionSpec;

// A batch with every optional part: IPv4 and IPv6, rules, PII, a block, anomalies, ill-formed
// UTF-8 and characters that need escaping.
BatchSpec FullBatch() {
  BatchSpec spec;
  for (uint32_t i = 0; i < 64; ++i) {
    TransactionSpec transaction;
    transaction.index = i;
    transaction.flow_id = i;
    if (i % 2 == 1) {
      transaction.ip_version = wire::IpVersion::V6;
      transaction.client_ip = testing::Ip("2001:db8::10");
      transaction.server_ip = testing::Ip("2001:db8::20");
    }
    transaction.url_original = "/search?q=\"quoted\"\\\x01\xff";
    transaction.anomalies = {"header_folding", "bad\xc0\xafutf8"};
    transaction.rules = {RuleSpec{42, "sqli", "url.query", "tag", "high"}};
    transaction.pii_request = {PiiSpec{"email", 2, {"fp1", "fp2"}}, PiiSpec{"custom", 1, {"fp3"}}};
    transaction.block = testing::BlockSpec{3, "request", 100, "rule 42", true};
    spec.records.push_back(transaction);
    spec.records.push_back(FlowSpec{});
  }
  return spec;
}

TEST(EcsAllocation, OnlyOpenSslOnceBuffersGrew) {
  const std::vector<uint8_t> frame = testing::BuildBatchFrame(FullBatch());
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();
  const BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                             batch.worker_id(), batch.sequence()};
  EcsFormatter formatter;

  // The first batch grows the buffers and lets OpenSSL set up its digest tables.
  formatter.BeginBatch(context);
  for (const wire::Record* record : *batch.records()) formatter.Append(*record);
  const size_t first_size = formatter.lines().size();

  const uint64_t before = g_malloc_calls;
  formatter.BeginBatch(context);
  for (const wire::Record* record : *batch.records()) {
    ASSERT_EQ(formatter.Append(*record), FormatResult::kOk);
  }
  const uint64_t allocations = g_malloc_calls - before;

  // OpenSSL 3.0 allocates the SHA-1 state of each Community ID; nothing else may allocate.
  EXPECT_EQ(formatter.lines().size(), first_size);
  EXPECT_LE(allocations, batch.records()->size());
}

// Guards the test itself: an allocation the formatter cannot avoid must be counted.
TEST(EcsAllocation, CounterSeesAllocations) {
  const uint64_t before = g_malloc_calls;
  auto* bytes = new std::vector<uint8_t>(1000);
  const uint64_t allocations = g_malloc_calls - before;
  delete bytes;
  EXPECT_GE(allocations, 2u);
}

}  // namespace
}  // namespace sluice::control
