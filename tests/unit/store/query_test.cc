// StoreReader queries, the client timeline, decoding stored records, and CSV/JSON-lines export.
#include <rapidjson/document.h>

#include <cstdio>
#include <sstream>

#include "control/store/export.h"
#include "control/store/query.h"
#include "tests/unit/store/store_fixture.h"

namespace sluice::control::store {
namespace {

using perf::SyntheticBatch;
using perf::SyntheticTransaction;

constexpr uint32_t kClientA = 0x0a000001;  // 10.0.0.1
constexpr uint32_t kClientB = 0x0a000002;  // 10.0.0.2

class QueryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    OpenStore();

    SyntheticBatch first;
    first.sequence = 0;
    SyntheticTransaction users;
    users.client_ipv4 = kClientA;
    users.request_ts_ns = 100;
    users.url_path = "/users/17";
    users.endpoint = "/users/{id}";
    users.response_bytes = 900;
    users.rule_ids = {1001};
    users.findings = {77};
    users.pii_response = {{"email", 2, {"fp-a", "fp-b"}}};
    SyntheticTransaction orders_b;
    orders_b.client_ipv4 = kClientB;
    orders_b.client_kind = "api_key";
    orders_b.client_id = "key-abc";
    orders_b.request_ts_ns = 200;
    orders_b.url_path = "/orders/5";
    orders_b.endpoint = "/orders/{id}";
    orders_b.status = 404;
    SyntheticTransaction odd;
    odd.client_ipv4 = kClientA;
    odd.request_ts_ns = 300;
    odd.host = "=cmd|' /C calc'!A0";
    odd.url_path = "/orders/a,\"b\"";
    odd.endpoint = "/orders/{id}";
    odd.status = 500;
    first.transactions = {users, orders_b, odd};
    first.findings = {{77, "enumeration", "ip", "10.0.0.1"}};
    first.with_flow = true;
    ASSERT_EQ(Append(perf::BuildBatchMessage(first)), StageStatus::kStaged);

    SyntheticBatch second;
    second.sequence = 1;
    SyntheticTransaction early;
    early.client_ipv4 = kClientA;
    early.request_ts_ns = 50;
    early.url_path = "/users/3";
    early.endpoint = "/users/{id}";
    early.pii_response = {{"phone", 1, {"fp-c"}}, {"email", 1, {"fp-a"}}};
    second.transactions = {early};
    ASSERT_EQ(Append(perf::BuildBatchMessage(second)), StageStatus::kStaged);

    ASSERT_EQ(reader_.Open(directory_), "");
  }

  std::vector<std::string> Select(const RecordQuery& query) {
    QueryPage page;
    EXPECT_EQ(reader_.Query(query, page), "");
    std::vector<std::string> paths;
    for (const RecordRow& row : page.rows) {
      paths.push_back(row.url_path.empty() ? RecordTypeName(row.type) : row.url_path);
    }
    return paths;
  }

  StoreReader reader_;
};

using Paths = std::vector<std::string>;

TEST_F(QueryTest, AllRecordsInTimeOrder) {
  RecordQuery query;
  query.type = RecordType::kTransaction;
  EXPECT_EQ(Select(query), (Paths{"/users/3", "/users/17", "/orders/5", "/orders/a,\"b\""}));
}

TEST_F(QueryTest, TimeRange) {
  RecordQuery query;
  query.since_ns = 100;
  query.until_ns = 300;  // exclusive
  EXPECT_EQ(Select(query), (Paths{"/users/17", "/orders/5"}));
  query.until_ns = 1001;  // the flow starts at 1000
  EXPECT_EQ(Select(query), (Paths{"/users/17", "/orders/5", "/orders/a,\"b\"", "flow"}));
}

TEST_F(QueryTest, ByClientAddress) {
  RecordQuery query;
  query.client = "10.0.0.1";
  query.type = RecordType::kTransaction;
  EXPECT_EQ(Select(query), (Paths{"/users/3", "/users/17", "/orders/a,\"b\""}));
}

TEST_F(QueryTest, ByClientId) {
  RecordQuery query;
  query.client = "key-abc";
  EXPECT_EQ(Select(query), (Paths{"/orders/5"}));
}

TEST_F(QueryTest, ByEndpointTemplate) {
  RecordQuery query;
  query.endpoint = "/orders/{id}";
  EXPECT_EQ(Select(query), (Paths{"/orders/5", "/orders/a,\"b\""}));
}

TEST_F(QueryTest, ByStatus) {
  RecordQuery query;
  query.status = 404;
  EXPECT_EQ(Select(query), (Paths{"/orders/5"}));
}

TEST_F(QueryTest, ByRule) {
  RecordQuery query;
  query.rule_id = 1001;
  EXPECT_EQ(Select(query), (Paths{"/users/17"}));
  query.rule_id = 9999;
  EXPECT_TRUE(Select(query).empty());
}

TEST_F(QueryTest, ByFinding) {
  RecordQuery query;
  query.finding_id = 77;
  // The transaction the finding was in force for, and the finding record itself.
  const Paths paths = Select(query);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0], "/users/17");
  EXPECT_EQ(paths[1], "finding");
}

TEST_F(QueryTest, ByPiiType) {
  RecordQuery query;
  query.pii_type = "email";
  EXPECT_EQ(Select(query), (Paths{"/users/3", "/users/17"}));
  query.pii_type = "phone";
  EXPECT_EQ(Select(query), (Paths{"/users/3"}));
}

TEST_F(QueryTest, CombinedFilters) {
  RecordQuery query;
  query.client = "10.0.0.1";
  query.endpoint = "/users/{id}";
  query.since_ns = 60;
  EXPECT_EQ(Select(query), (Paths{"/users/17"}));
}

TEST_F(QueryTest, PagesWithContinuation) {
  RecordQuery query;
  query.limit = 2;
  std::vector<std::string> all;
  int pages = 0;
  while (true) {
    QueryPage page;
    ASSERT_EQ(reader_.Query(query, page), "");
    ++pages;
    for (const RecordRow& row : page.rows) all.push_back(std::to_string(row.id));
    if (page.continuation.empty()) break;
    query.continuation = page.continuation;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(all.size(), 6u);  // 4 transactions, 1 flow, 1 finding
  EXPECT_EQ(pages, 3);
}

TEST_F(QueryTest, InvalidContinuationAndLimitRejected) {
  RecordQuery query;
  QueryPage page;
  for (const char* token : {"garbage", ":", "-5:-5", " 1:2", "1:", ":1", "1:2:3", "1:2x",
                            "999999999999999999999:1", "+1:2"}) {
    query.continuation = token;
    EXPECT_NE(reader_.Query(query, page).find("invalid continuation"), std::string::npos) << token;
  }
  query.continuation.clear();
  query.limit = 0;
  EXPECT_NE(reader_.Query(query, page).find("invalid limit"), std::string::npos);
}

TEST_F(QueryTest, TimelineShowsWhatClientReceived) {
  QueryPage page;
  ASSERT_EQ(reader_.Timeline("10.0.0.1", 0, UINT64_MAX, 100, "", page), "");
  ASSERT_EQ(page.rows.size(), 4u);  // three transactions and the finding about the client
  const RecordRow& first = page.rows[0];
  EXPECT_EQ(first.url_path, "/users/3");
  EXPECT_EQ(first.status, 200);
  ASSERT_EQ(first.pii.size(), 2u);
  const RecordRow& second = page.rows[1];
  EXPECT_EQ(second.response_bytes, 900u);
  EXPECT_EQ(second.rule_ids, std::vector<uint32_t>{1001});
  EXPECT_EQ(second.finding_ids, std::vector<uint64_t>{77});
  ASSERT_EQ(second.pii.size(), 1u);
  EXPECT_EQ(second.pii[0].type, "email");
  EXPECT_EQ(second.pii[0].count, 2u);
  EXPECT_EQ(second.pii[0].direction, PiiDirection::kResponse);
  EXPECT_EQ(second.dataplane_id, "dp-1");
  EXPECT_EQ(page.rows[2].status, 500);
  EXPECT_EQ(page.rows[3].type, RecordType::kFinding);
  EXPECT_EQ(page.rows[3].detector, "enumeration");
}

TEST_F(QueryTest, ExposureCountsDistinctFingerprints) {
  RecordQuery query;
  query.client = "10.0.0.1";
  std::vector<PiiExposure> exposure;
  ASSERT_EQ(reader_.Exposure(query, exposure), "");
  ASSERT_EQ(exposure.size(), 2u);
  EXPECT_EQ(exposure[0].type, "email");
  EXPECT_EQ(exposure[0].records, 2u);
  EXPECT_EQ(exposure[0].values, 3u);
  EXPECT_EQ(exposure[0].distinct_fingerprints, 2u);  // fp-a twice, fp-b
  EXPECT_EQ(exposure[1].type, "phone");
  EXPECT_EQ(exposure[1].distinct_fingerprints, 1u);
}

TEST_F(QueryTest, StoredRecordDecodesToWireForm) {
  RecordQuery query;
  query.rule_id = 1001;
  QueryPage page;
  ASSERT_EQ(reader_.Query(query, page), "");
  ASSERT_EQ(page.rows.size(), 1u);
  StoredBatch batch;
  ASSERT_EQ(reader_.ReadBatch(page.rows[0].location, batch), "");
  EXPECT_EQ(batch.batch()->sequence(), 0u);
  const wire::Record* record = batch.record(page.rows[0].location.record_index);
  ASSERT_NE(record, nullptr);
  const wire::Transaction* transaction = record->body_as_Transaction();
  ASSERT_NE(transaction, nullptr);
  EXPECT_EQ(transaction->url_path()->str(), "/users/17");
  EXPECT_EQ(transaction->rules()->Get(0)->id(), 1001u);
  EXPECT_EQ(batch.record(99), nullptr);
}

std::string Capture(const std::function<std::string(std::FILE*)>& write) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  const std::string error = write(out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  EXPECT_EQ(error, "");
  return text;
}

TEST_F(QueryTest, CsvExportEscapesAndNeutralisesFormulas) {
  RecordQuery query;
  query.client = "10.0.0.1";
  query.limit = 1;  // forces the export across pages
  uint64_t written = 0;
  const std::string csv = Capture(
      [&](std::FILE* out) { return ExportCsv(reader_, query, out, written); });
  EXPECT_EQ(written, 4u);
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, std::string(kCsvHeader) + "\r");
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("1970-01-01T00:00:00.000000050Z,transaction,dp-1,0000000000000001,0,1,10.0.0.1,", 0), 0u)
      << line;
  EXPECT_NE(line.find(",pass,,,,email:1;phone:1,"), std::string::npos) << line;
  EXPECT_NE(csv.find("\"'=cmd|' /C calc'!A0\""), std::string::npos);
  EXPECT_NE(csv.find("\"/orders/a,\"\"b\"\"\""), std::string::npos);
  EXPECT_NE(csv.find(",1001,77,,email:2,"), std::string::npos);
}

TEST_F(QueryTest, JsonlExportMatchesSinkFormat) {
  RecordQuery query;
  query.client = "10.0.0.1";
  uint64_t written = 0;
  const std::string jsonl = Capture(
      [&](std::FILE* out) { return ExportJsonl(reader_, query, out, written); });
  // The finding record has no ECS form yet, so three lines for four rows.
  EXPECT_EQ(written, 3u);
  std::istringstream lines(jsonl);
  std::string line;
  std::vector<std::string> paths;
  while (std::getline(lines, line)) {
    rapidjson::Document document;
    ASSERT_FALSE(document.Parse(line.c_str()).HasParseError()) << line;
    ASSERT_TRUE(document.HasMember("url"));
    paths.push_back(document["url"]["path"].GetString());
    EXPECT_STREQ(document["source"]["ip"].GetString(), "10.0.0.1");
  }
  EXPECT_EQ(paths, (Paths{"/users/3", "/users/17", "/orders/a,\"b\""}));
}

}  // namespace
}  // namespace sluice::control::store
